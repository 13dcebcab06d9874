"""Verifying an OMS signature of a model artifact with ``model-signing`` (the ``signing`` extra).

Keys and certificates come from the base revision (``Authority.files``): the change being
gated cannot name its own signer. ``model-signing`` reads them from files, so they are
written to a private temporary folder for the call. Key-based and certificate signatures
verify offline; keyless (Sigstore) signatures need a network trust root and are not
accepted here.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from aigov_gate.artifact.manifest import SIGNATURE
from aigov_gate.config.sections import ModelSigningConfig


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    detail: str


def verify(
    artifact: Path, signature: Path, settings: ModelSigningConfig, files: Mapping[str, bytes]
) -> Outcome:
    """Whether ``signature`` is a valid OMS signature of exactly ``artifact``'s files."""
    missing = [
        name
        for name in ([settings.public_key] if settings.public_key else [])
        + list(settings.certificate_chain)
        if name not in files
    ]
    if missing:
        return Outcome(False, f"{missing[0]}, named in deploy.model_signing, is not in the base")
    if not settings.public_key and not settings.certificate_chain:
        return Outcome(
            False, "no key or certificate chain in deploy.model_signing of the base's config"
        )
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
        try:
            config.set_hashing_config(hashing_config).verify(artifact, signature)
        except Exception as exc:  # model-signing raises ValueError and sigstore's own errors
            return Outcome(False, f"does not verify with the {who}: {_short(exc)}")
    return Outcome(True, f"verified with the {who}")


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."
