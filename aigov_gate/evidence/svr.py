"""The gate's decision as an in-toto Simple Verification Result (SVR, a vetted predicate).

https://github.com/in-toto/attestation/blob/main/spec/predicates/svr.md (v0.1): a verifier
(``verifier.id``) checked the subject artifacts at ``timeCreated`` and asserts the
``properties`` that passed. Policy engines that admit on SVRs (Kyverno, sigstore's
policy-controller, Conforma) can then admit a model on a sealed gate decision without
knowing aigov's own predicate.

Subjects are the model's bytes: the artifact the deploy gate hashed (``--model-artifact``),
else each gated model's ``spec.digest`` for the version it describes. A decision that names
no bytes has no SVR. ``sha256`` is the file's SHA-256 for a ``sha256:`` digest and the OMS
root digest for ``oms-sha256:`` (as the OMS signature's own subject); the annotation
``digest`` says which.

Properties are written only when the decision passed (an SVR lists *passing* properties),
prefixed ``AIGOV_``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from aigov_gate import __version__
from aigov_gate.result import GateResult

PREDICATE_TYPE = "https://in-toto.io/attestation/svr/v0.1"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
#: Versioned as the spec recommends: a new version when what it verifies changes materially.
VERIFIER_ID = "https://aigov-gate.dev/verifier/gate/v1"
#: Its member, under evidence/ (a subject of the bundle's own Statement, like every member).
MEMBER = "attestations/svr.dsse.json"


def model_digests(root: Path, result: GateResult) -> dict[str, str]:
    """``name@version`` -> ``Model.spec.digest`` for each gated model whose digest describes
    the version gated (read from the Model files the run evaluated)."""
    from aigov_gate.loading.safe_yaml import Limits, parse_text

    found: dict[str, str] = {}
    for model in result.models:
        try:
            text = (root / model.location.path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        for doc in parse_text(text, Limits()).documents:
            if not isinstance(doc, dict) or doc.get("kind") != "Model":
                continue
            spec, meta = doc.get("spec") or {}, doc.get("metadata") or {}
            digest = spec.get("digest")
            same = meta.get("name") == model.name and str(spec.get("version")) == model.version
            if same and isinstance(digest, str):
                found[model.label] = digest
    return found


def subjects(result: GateResult, digests: dict[str, str]) -> list[dict[str, Any]]:
    """The bytes the decision is about."""
    artifact = result.artifact
    if artifact is not None:
        hex_digest = artifact.digest.partition(":")[2]
        label = f"{artifact.model}@{artifact.version}"
        return [_subject(artifact.name, hex_digest, artifact.digest, label)]
    return [
        _subject(label, digest.partition(":")[2], digest, label)
        for label, digest in sorted(digests.items())
    ]


def _subject(name: str, hex_digest: str, digest: str, model: str) -> dict[str, Any]:
    return {
        "name": name,
        "digest": {"sha256": hex_digest},
        "annotations": {"digest": digest, "model": model},
    }


def properties(result: GateResult) -> list[str]:
    """The passing properties (none when the decision blocked)."""
    if not result.passed:
        return []
    situation = result.situation
    found = ["AIGOV_GATE_PASSED", f"AIGOV_{situation.stage.upper()}_GATE_PASSED"]
    if situation.stage == "deploy" and situation.environment:
        env = re.sub(r"[^A-Z0-9]+", "_", situation.environment.upper()).strip("_")
        found.append(f"AIGOV_DEPLOY_{env}_APPROVED")
        if situation.production:
            found.append("AIGOV_PRODUCTION_DEPLOY_APPROVED")
    artifact = result.artifact
    if artifact is not None and artifact.matches:
        found.append("AIGOV_ARTIFACT_DIGEST_VERIFIED")
        if artifact.signature == "verified":
            found.append("AIGOV_ARTIFACT_SIGNATURE_VERIFIED")
    return found


def statement(
    result: GateResult, digests: dict[str, str], time_created: str
) -> dict[str, Any] | None:
    """The SVR Statement of ``result``, or None when the decision names no bytes."""
    subject = subjects(result, digests)
    if not subject:
        return None
    return {
        "_type": STATEMENT_TYPE,
        "subject": subject,
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "verifier": {"id": VERIFIER_ID, "version": __version__},
            "timeCreated": time_created,
            "properties": properties(result),
        },
    }
