"""Verifying an OMS signature of a model artifact with ``model-signing`` (the ``signing`` extra).

Keys and certificates come from the base revision (``Authority.files``): the change being
gated cannot name its own signer. ``model-signing`` reads them from files, so they are
written to a private temporary folder for the call. Key-based and certificate signatures
verify offline; keyless (Sigstore) signatures need a network trust root and are not
accepted here. A certificate signature must also come from an identity the base names
(``certificate_identities``, and ``certificate_issuer`` when set): a chain alone would let
any certificate its CA ever issued sign models. The signature file is read once, and the
copy that ``model-signing`` verified is the one whose signing certificate is compared.
"""

from __future__ import annotations

import base64
import json
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from aigov_gate.artifact.manifest import SIGNATURE
from aigov_gate.config.trust import ModelSigningConfig

if TYPE_CHECKING:
    from cryptography import x509


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    detail: str


def verify(
    artifact: Path, signature: Path, settings: ModelSigningConfig, files: Mapping[str, bytes]
) -> Outcome:
    """Whether ``signature`` is a valid OMS signature of exactly ``artifact``'s files."""
    unusable = _unusable(settings, files)
    if unusable:
        return Outcome(False, unusable)
    try:
        from model_signing import hashing, verifying
    except ImportError:
        return Outcome(False, "model-signing is not installed: pip install 'aigov-gate[signing]'")
    with tempfile.TemporaryDirectory(prefix="aigov-oms-") as tmp:
        config = verifying.Config()  # type: ignore[no-untyped-call]
        if settings.public_key:
            key = Path(tmp) / "key.pem"
            key.write_bytes(files[settings.public_key])
            config = config.use_elliptic_key_verifier(public_key=key)
            who = f"key {settings.public_key}"
        else:
            chain = []
            for i, name in enumerate(settings.certificate_chain):
                chain.append(Path(tmp) / f"chain-{i}.pem")
                chain[-1].write_bytes(files[name])
            config = config.use_certificate_verifier(certificate_chain=chain)
            who = f"certificate chain {', '.join(settings.certificate_chain)}"
        ignored = [artifact / SIGNATURE] if artifact.is_dir() else []
        hashing_config = hashing.Config().set_ignored_paths(paths=ignored, ignore_git_paths=True)  # type: ignore[no-untyped-call]
        copy = Path(tmp) / "model.sig"
        copy.write_bytes(signature.read_bytes())
        try:
            config.set_hashing_config(hashing_config).verify(artifact, copy)
        except Exception as exc:  # model-signing raises ValueError and sigstore's own errors
            return Outcome(False, f"does not verify with the {who}: {_short(exc)}")
        if settings.public_key:
            return Outcome(True, f"verified with the {who}")
        return _identity(copy.read_bytes(), settings, who)


def _unusable(settings: ModelSigningConfig, files: Mapping[str, bytes]) -> str | None:
    """Why the base's settings cannot decide a signature, if they cannot."""
    named = [settings.public_key] if settings.public_key else []
    missing = [name for name in named + list(settings.certificate_chain) if name not in files]
    if missing:
        return f"{missing[0]}, named in deploy.model_signing, is not in the base"
    if not settings.public_key and not settings.certificate_chain:
        return "no key or certificate chain in deploy.model_signing of the base's config"
    if not settings.public_key and not settings.certificate_identities:
        return (
            "deploy.model_signing of the base's config has a certificate_chain but no "
            "certificate_identities: who may sign is not decided"
        )
    return None


def _identity(bundle: bytes, settings: ModelSigningConfig, who: str) -> Outcome:
    """Whether the signing certificate of a verified bundle is one the base allows."""
    from cryptography import x509

    try:
        material = json.loads(bundle)["verificationMaterial"]
        der = base64.b64decode(material["x509CertificateChain"]["certificates"][0]["rawBytes"])
        leaf = x509.load_der_x509_certificate(der)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        return Outcome(False, f"has no signing certificate aigov can read: {_short(exc)}")
    names = _san(leaf)
    signers = _allowed(names, settings.certificate_identities)
    issuer = leaf.issuer.rfc4514_string()
    if not signers:
        shown = ", ".join(f"{k}:{v}" for k, v in names) or "no e-mail, URI or DNS name"
        return Outcome(
            False,
            f"is signed by a certificate for {shown} (issued by {issuer}), which is not one "
            "of deploy.model_signing.certificate_identities in the base's config",
        )
    wanted = settings.certificate_issuer
    if wanted is not None and leaf.issuer != x509.Name.from_rfc4514_string(wanted):
        return Outcome(
            False,
            f"is signed by a certificate issued by {issuer}, but the base's "
            f"deploy.model_signing.certificate_issuer is {wanted}",
        )
    return Outcome(True, f"verified with the {who}: signed by {signers[0]} (issued by {issuer})")


def _san(leaf: x509.Certificate) -> list[tuple[str, str]]:
    """The leaf's e-mail, URI and DNS subject alternative names, as (kind, value)."""
    from cryptography import x509

    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [
        *(("email", v) for v in san.get_values_for_type(x509.RFC822Name)),
        *(("uri", v) for v in san.get_values_for_type(x509.UniformResourceIdentifier)),
        *(("dns", v) for v in san.get_values_for_type(x509.DNSName)),
    ]


def _allowed(names: list[tuple[str, str]], identities: list[str]) -> list[str]:
    """The names that are configured identities: exactly, DNS names in any case."""
    exact = set(identities)
    dns = {i.lower() for i in identities}
    return [v for kind, v in names if (v.lower() in dns if kind == "dns" else v in exact)]


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."
