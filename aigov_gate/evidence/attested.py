"""The checks a v3 bundle adds (issue 41): named parts, the SVR, trusted time, admission.

- **parts**: every member the predicate names by role (``parts``) is a subject of the
  Statement. Roles a verifier does not know are listed, never refused: an optional member
  added later (issue 42's Annex IV dossier) needs no new format version.
- **verification result**: the SVR envelope is signed by the key that signed the bundle,
  is an in-toto Statement v1 with the SVR predicate type, and its subjects are the bytes
  the signed predicate names.
- **timestamp**: when the predicate says a TSA stamped the bundle, ``timestamp.tsr`` is an
  RFC 3161 token over the envelope's signature that chains to the TSA roots at its
  genTime; the attested time is reported next to the signer's claimed ``signedAt``, and a
  claim later than the attested time (beyond the token's accuracy and a minute) is refused.
- **admission** (``--model-artifact``): did a passing production decision cover exactly
  these bytes?
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

from aigov_gate.evidence import archive, dsse, svr
from aigov_gate.evidence.bundle import ENVELOPE, PREFIX, TIMESTAMP
from aigov_gate.evidence.keyring import Keyring, parse_stamp
from aigov_gate.evidence.keys import verify_signature
from aigov_gate.evidence.spelling import V3

SLACK = timedelta(minutes=1)
KEEP = (ENVELOPE, TIMESTAMP, PREFIX + svr.MEMBER)


class Verifying(Protocol):
    """``verify.Verification`` as these checks see it (no import cycle with ``verify``)."""

    def add(self, name: str, ok: bool, detail: str) -> bool: ...
    @property
    def predicate(self) -> dict[str, Any]: ...


def check(
    result: Verifying,
    statement: dict[str, Any],
    contents: archive.Contents,
    envelope: dsse.Envelope,
    keyring: Keyring,
    signer: str | None,
    roots: Callable[[], list[bytes]],
) -> None:
    """Add v3's checks (nothing for v1 and v2 bundles)."""
    if statement.get("predicateType") != V3:
        return
    predicate = result.predicate
    subjects = {str(s.get("name")) for s in statement.get("subject", []) if isinstance(s, dict)}
    parts = predicate.get("parts")
    if not isinstance(parts, dict) or "report" not in parts:
        result.add("parts", False, "the v3 predicate names no parts (report at least)")
        return
    missing = sorted(f"{role} ({name})" for role, name in parts.items() if name not in subjects)
    result.add(
        "parts",
        not missing,
        "missing: " + ", ".join(missing)
        if missing
        else ", ".join(f"{role}: {name}" for role, name in sorted(parts.items())),
    )
    if "verification_result" in parts:
        _check_svr(result, contents, str(parts["verification_result"]), keyring, signer)
    _check_timestamp(result, contents, envelope, signer, roots)


def _check_svr(
    result: Verifying, contents: archive.Contents, name: str, keyring: Keyring, signer: str | None
) -> None:
    member = contents.members.get(PREFIX + name)
    entry = keyring.entry(signer) if signer else None
    if member is None or member.data is None or entry is None:
        result.add("verification result", False, f"{name}: absent, or the bundle's key unknown")
        return
    try:
        envelope = dsse.parse(member.data)
        statement = json.loads(envelope.payload)
    except (dsse.EnvelopeError, ValueError) as exc:
        result.add("verification result", False, f"{name}: not a DSSE envelope ({exc})")
        return
    public = keyring.public_key(entry)
    signed = any(
        s.keyid == entry.id and verify_signature(public, s.sig, envelope.pae())
        for s in envelope.signatures
    )
    expected = _named_digests(result.predicate)
    got = {
        str((s.get("annotations") or {}).get("digest"))
        for s in statement.get("subject", [])
        if isinstance(s, dict)
    }
    problems = []
    if not signed:
        problems.append(f"not signed by the bundle's key {entry.id[:16]}")
    if statement.get("predicateType") != svr.PREDICATE_TYPE:
        problems.append(f"predicateType {statement.get('predicateType')}")
    if got != expected:
        problems.append(f"subjects {sorted(got)} are not the bytes the bundle names")
    properties = (statement.get("predicate") or {}).get("properties")
    result.add(
        "verification result",
        not problems,
        "; ".join(problems)
        or f"in-toto SVR signed by {entry.id[:16]}, properties: {', '.join(properties or [])}",
    )


def _named_digests(predicate: dict[str, Any]) -> set[str]:
    """The digests the signed predicate names: the artifact's, else each model's."""
    artifact = predicate.get("artifact")
    if isinstance(artifact, dict):
        return {str(artifact.get("digest"))}
    return {
        str(m["digest"])
        for m in predicate.get("models", [])
        if isinstance(m, dict) and m.get("digest")
    }


def _check_timestamp(
    result: Verifying,
    contents: archive.Contents,
    envelope: dsse.Envelope,
    signer: str | None,
    roots: Callable[[], list[bytes]],
) -> None:
    from aigov_gate.tsp import verify as verify_token

    asked = result.predicate.get("timestamp")
    member = contents.members.get(TIMESTAMP)
    if not isinstance(asked, dict):
        return  # a stray timestamp.tsr is refused by the members check
    if member is None or member.data is None:
        result.add(
            "timestamp", False, f"the predicate says {asked.get('tsa')} stamped it: no {TIMESTAMP}"
        )
        return
    signature = next((s.sig for s in envelope.signatures if s.keyid == signer), None)
    try:
        attested = verify_token(member.data, signature or b"", roots())
    except ValueError as exc:
        result.add("timestamp", False, f"{TIMESTAMP} refused: {exc}")
        return
    claimed_text = str(result.predicate.get("signed_at"))
    claimed = parse_stamp(claimed_text)
    gap = (claimed - attested.time).total_seconds()
    said = (
        f"attested {attested.time.strftime('%Y-%m-%dT%H:%M:%SZ')} by {attested.tsa} "
        f"(serial {attested.serial}); claimed signedAt {claimed_text}"
    )
    if claimed > attested.time + SLACK:
        result.add("timestamp", False, f"{said}: the claim is {gap:.0f} s after the attested time")
        return
    result.add("timestamp", True, said)


def admission(result: Verifying, artifact: Path) -> None:
    """Did a passing production deploy decision cover exactly the bytes at ``artifact``?"""
    from aigov_gate.artifact.manifest import ArtifactError, manifest

    p = result.predicate
    try:
        found = manifest(artifact)
    except (ArtifactError, OSError) as exc:
        result.add("admission", False, f"cannot hash {artifact}: {exc}")
        return
    named = _named_digests(p)
    artifact_info = p.get("artifact")
    checked = isinstance(artifact_info, dict) and artifact_info.get("matches") is True
    reasons = []
    if p.get("decision") != "passed":
        reasons.append(f"the decision was {p.get('decision')}")
    if p.get("stage") != "deploy" or p.get("production") is not True:
        reasons.append(f"it was a {p.get('stage')} gate to {p.get('environment')}, not production")
    if not any(found.matches(d) for d in named):
        reasons.append(
            f"{artifact} is {found.oms_digest} ({len(found.resources)} file(s)); the decision "
            f"covers {', '.join(sorted(named)) or 'no bytes'}"
        )
    how = "hashed at the deploy gate" if checked else "named by the Model's spec.digest"
    result.add(
        "admission",
        not reasons,
        "; ".join(reasons)
        or f"a passing production decision covered exactly these bytes ({how}: "
        f"{found.measured(next(iter(named)))}) at {p.get('environment')}",
    )
