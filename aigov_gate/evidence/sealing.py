"""From configuration to keys: who signs, who wraps, who unwraps, and sealing a gate run."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from aigov_gate.config import CONFIG_FILE, AigovConfig, KeySource
from aigov_gate.evidence import bundle, dsse, rotation, svr
from aigov_gate.evidence.keyring import KeyEntry, Keyring, KeyringError, Purpose, stamp
from aigov_gate.evidence.keys import (
    ENCRYPTION_KEY_ENV,
    EXECUTOR_KEY_ENV,
    SIGNING_KEY_ENV,
    KeyError_,
    LocalSigner,
    LocalWrapper,
    Signer,
    key_id,
    load_private,
)
from aigov_gate.evidence.verify import wrapped_b64
from aigov_gate.result import GateResult
from aigov_gate.tsp import request, shown


def keyring_dir(root: Path, config: AigovConfig) -> Path:
    return root / config.keys.dir


def signer_for(
    config: AigovConfig, keyring: Keyring, organization: str, purpose: Purpose = "signing"
) -> tuple[Signer, KeyEntry]:
    """The active ``signing`` (evidence bundles) or ``executor`` (test runs) key's signer."""
    entry = keyring.active(organization, purpose)
    if entry is None:
        raise KeyringError(
            f"{organization} has no active {purpose} key in {keyring.shown or keyring.dir}",
            hint=f"create one with `aigov keys generate --purpose {purpose}`",
        )
    signer: Signer
    if entry.provider == "local":
        from cryptography.hazmat.primitives.asymmetric import ec, ed25519

        env_var = EXECUTOR_KEY_ENV if purpose == "executor" else SIGNING_KEY_ENV
        private = load_private(entry.id, config.keys, env_var)
        if not isinstance(private, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
            raise KeyError_(f"key {entry.id[:16]} is not a signing key")
        signer = LocalSigner(private)
    else:
        from aigov_gate.evidence.kms import kms_signer

        configured = config.keys.executor if purpose == "executor" else config.keys.signer
        signer = kms_signer(_source(entry, configured))
        if key_id(signer.public) != entry.id:
            raise KeyringError(
                f"the KMS key {entry.reference} is not the keyring's active key {entry.id[:16]}",
                hint="set keys.signer.key to the active key, or rotate to register the new one",
            )
    return signer, entry


def _source(entry: KeyEntry, configured: KeySource) -> KeySource:
    region = configured.region if configured.provider == entry.provider else None
    return KeySource(provider=entry.provider, key=entry.reference, region=region)  # type: ignore[arg-type]


def wrapper_for(keyring: Keyring, organization: str) -> tuple[LocalWrapper, KeyEntry] | None:
    entry = keyring.active(organization, "encryption")
    if entry is None:
        return None
    public = keyring.public_key(entry)
    from cryptography.hazmat.primitives.asymmetric import rsa

    assert isinstance(public, rsa.RSAPublicKey)
    return LocalWrapper(public, provider=entry.provider, reference=entry.reference or ""), entry


def unwrapper(
    config: AigovConfig, keyring: Keyring, env: Mapping[str, str] | None = None
) -> Callable[[dict[str, Any]], bytes | None]:
    """Opens a wrapping with a local private key or the KMS key the keyring records."""

    def unwrap(wrapping: dict[str, Any]) -> bytes | None:
        entry = keyring.entry(str(wrapping.get("key_id")))
        if entry is None or entry.purpose != "encryption":
            return None
        wrapped = wrapped_b64(wrapping)
        if entry.provider != "local":
            from aigov_gate.evidence.kms import kms_unwrap

            return kms_unwrap(_source(entry, config.keys.encryption), wrapped)
        try:
            private = load_private(entry.id, config.keys, ENCRYPTION_KEY_ENV, env)
        except KeyError_ as exc:
            if exc.message.startswith("no private key"):
                return None
            raise
        from cryptography.hazmat.primitives.asymmetric import rsa

        assert isinstance(private, rsa.RSAPrivateKey)
        return LocalWrapper(private.public_key(), private).unwrap(wrapped)

    return unwrap


def seal(
    keyring: Keyring,
    root: Path,
    config: AigovConfig,
    result: GateResult,
    report_json: str,
    out: Path,
    env: Mapping[str, str],
    now: datetime,
    mask: Callable[[str], str],
    tsa: str | None = None,
    config_file: bytes | None = None,
) -> bundle.Built:
    """Write the evidence bundle of a gate run to ``out``, signed and encrypted with the
    keys of ``keyring`` (the base's with ``--base``; ``tsa``: a TSA's URL to stamp it).
    ``config_file``: with ``--base``, the base's ``.aigov.yaml`` (b"" when it has none),
    the configuration the run used, in place of the working tree's."""
    organization = config.organization
    signer, entry = signer_for(config, keyring, organization)
    warnings = _due(keyring, config, now)
    from aigov_gate import git

    git_info = git.describe(root)
    members = bundle.plan(root, config, result, report_json, git_info, env, now.date(), mask)
    if config_file is not None:
        members = _with_config(members, config_file)
    digests = svr.model_digests(root, result)
    has_svr = _add_svr(members, result, digests, signer, now)
    report = json.loads(report_json)
    has_dossier = _add_dossiers(members, root, config, result, report, mask)
    wrapping = wrapper_for(keyring, organization)
    sensitive = [m.name for m in members if m.sensitive]
    if sensitive and wrapping is None:
        raise KeyringError(
            f"{len(sensitive)} file(s) hold personal or restricted data ({sensitive[0]}, ...) "
            f"and must be encrypted, but {organization} has no encryption key",
            hint="create one with `aigov keys generate --purpose encryption`",
        )
    predicate = _predicate(report, result, organization, digests, has_svr, tsa)
    if has_dossier:
        predicate["parts"]["annex_iv"] = DOSSIER
    committed = git_info.get("committed_at")
    mtime = int(datetime.fromisoformat(committed).timestamp()) if committed else 0
    built = bundle.build(
        out,
        members,
        predicate,
        signer,
        entry,
        wrapping[0] if wrapping else None,
        wrapping[1] if wrapping else None,
        now,
        mtime,
        (lambda signature: request(tsa, signature)) if tsa else None,
    )
    return replace(built, warnings=warnings)


def _due(keyring: Keyring, config: AigovConfig, now: datetime) -> tuple[str, ...]:
    """Warnings for the organization's keys due for rotation."""
    organization = config.organization
    return tuple(
        f"the {p.purpose} key {p.old.id[:16]} of {organization} is {p.reason}: "
        "run `aigov keys rotate`"
        for p in rotation.due(keyring, [organization], now, False, config.keys.rotation_days)
    )


def _with_config(members: list[bundle.Planned], data: bytes) -> list[bundle.Planned]:
    """``members`` with ``data`` as the configuration member (none when ``data`` is b"")."""
    name = f"config/{CONFIG_FILE}"
    until = next(m.retain_until for m in members if m.name == "report.json")
    kept = [m for m in members if m.name != name]
    added = [bundle.Planned(name, data, False, until)] if data else []
    return sorted(kept + added, key=lambda m: m.name)


def _add_svr(
    members: list[bundle.Planned],
    result: GateResult,
    digests: dict[str, str],
    signer: Signer,
    now: datetime,
) -> bool:
    """Add the decision as an in-toto SVR signed by the bundle's key (when it names bytes)."""
    verification = svr.statement(result, digests, stamp(now))
    if verification is None:
        return False
    payload = json.dumps(verification, indent=2).encode() + b"\n"
    until = next(m.retain_until for m in members if m.name == "report.json")
    members.append(bundle.Planned(svr.MEMBER, dsse.sign(payload, signer), False, until))
    members.sort(key=lambda m: m.name)
    return True


#: The bundle's Annex IV member (issue 42): an optional part, named in ``parts``.
DOSSIER = "annex-iv.md"


def _add_dossiers(
    members: list[bundle.Planned],
    root: Path,
    config: AigovConfig,
    result: GateResult,
    report: dict[str, Any],
    mask: Callable[[str], str],
) -> bool:
    """Add the Annex IV dossiers of the run's high-risk models (masked), as of the run's
    day, one after the other in one Markdown member."""
    from datetime import date

    from aigov_gate.dossier.assemble import high_risk_dossiers
    from aigov_gate.dossier.render import markdown

    labels = [m.label for m in result.models]
    day = date.fromisoformat(report["as_of"])
    dossiers = high_risk_dossiers(root, config, labels, day)
    if not dossiers:
        return False
    text = "\n---\n\n".join(markdown(d) for d in dossiers)
    until = next(m.retain_until for m in members if m.name == "report.json")
    members.append(bundle.Planned(DOSSIER, mask(text).encode(), False, until))
    members.sort(key=lambda m: m.name)
    return True


def _predicate(
    report: dict[str, Any],
    result: GateResult,
    organization: str,
    digests: dict[str, str],
    has_svr: bool,
    tsa: str | None,
) -> dict[str, Any]:
    """The predicate restates the report's decision (v1 spelling; ``build`` adds the rest)."""
    summary = report["summary"]
    return {
        **{key: report[key] for key in ("decision", "stage", "environment", "production")},
        "as_of": report["as_of"],
        "organization": organization,
        "models": [
            {"name": m.name, "version": m.version, "digest": digests.get(m.label)}
            for m in result.models
        ],
        "summary": {key: summary[key] for key in ("findings", "blocking", "waived")},
        "tool": report["tool"],
        "policy_packs": report["policy_packs"],
        # v3: named members (a later optional member adds its role here, no new version),
        # the bytes a deploy gate hashed, and the TSA asked to stamp the signature
        "parts": {"report": "report.json"}
        | ({"verification_result": svr.MEMBER} if has_svr else {}),
        "artifact": report.get("artifact"),
        "timestamp": {"tsa": shown(tsa)} if tsa else None,
    }
