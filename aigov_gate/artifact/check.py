"""The deploy gate's check of the model's bytes: ``--model-artifact PATH``.

Its inputs are explicit: the artifact path, the Model document (and the version gated),
the ``deploy.model_signing`` settings in force (the base's) and the files they name. It returns the
verdict (plain data for reports, the evidence bundle and its verification result) and its
findings; the gate only adds them to the run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from aigov_gate.artifact.manifest import ArtifactError, Manifest, manifest, signature_path
from aigov_gate.config.trust import ModelSigningConfig
from aigov_gate.deployed import ArtifactVerdict
from aigov_gate.documents.assets import Model
from aigov_gate.references import Checked
from aigov_gate.result import Finding, Severity, Situation

if TYPE_CHECKING:
    from aigov_gate.config import AigovConfig
    from aigov_gate.graph import ModelContext
    from aigov_gate.signoff.sshsig import AllowedSigners


class _Authority(Protocol):  # aigov_gate.authority.Authority
    @property
    def config(self) -> AigovConfig: ...
    @property
    def files(self) -> dict[str, bytes]: ...
    @property
    def signers(self) -> AllowedSigners | None: ...


class _Asked(Protocol):
    @property
    def model_artifact(self) -> Path | None: ...
    @property
    def model(self) -> str | None: ...


MISMATCH = "deploy.artifact-mismatch"
UNSIGNED = "deploy.artifact-unsigned"
INVALID = "deploy.signature-invalid"


def check_artifact(
    artifact: Path,
    model: Checked[Model],
    version: str | None,
    settings: ModelSigningConfig,
    files: Mapping[str, bytes],
) -> tuple[ArtifactVerdict | None, list[Finding]]:
    """Hash ``artifact`` as OMS does, compare with ``Model.spec.digest``, check a signature."""
    spec = model.model.spec
    name, gated = model.model.metadata.name, version or spec.version
    label = f"{name}@{gated}"
    where = model.raw.locate(("spec", "digest") if spec.digest else ("metadata", "name"))

    def finding(rule: str, message: str, hint: str) -> Finding:
        return Finding(rule, Severity.HIGH, message, where, target=label, hint=hint, model=label)

    try:
        found = manifest(artifact)
    except (ArtifactError, OSError) as exc:
        return None, [finding(MISMATCH, f"{label}: cannot hash {artifact}: {exc}", _FIX)]
    out = []
    expected = spec.digest
    if expected is None:
        out.append(
            finding(
                MISMATCH,
                f"{label} has no spec.digest: nothing says which bytes were approved",
                f"record {found.oms_digest} (or sha256: of a single file) in spec.digest",
            )
        )
    elif gated != spec.version:
        out.append(
            finding(
                MISMATCH,
                f"{label}: spec.digest is the digest of version {spec.version}, not {gated}",
                "gate the version the Model describes",
            )
        )
    elif not found.matches(expected):
        out.append(finding(MISMATCH, _differs(label, artifact, found, expected), _FIX))
    status, detail = _signature(artifact, spec.risk_tier, settings, files, label, out, finding)
    measured = found.measured(expected)
    size = len(found.resources)
    return ArtifactVerdict(
        name, gated, str(artifact), found.name, measured, found.root, expected, size, status, detail
    ), out


_FIX = "deploy the artifact the Model names, or record the new artifact's digest for approval"


def _differs(label: str, artifact: Path, found: Manifest, expected: str) -> str:
    if expected.startswith("sha256:") and not found.single_file:
        return (
            f"{label}: spec.digest is the sha256 of a single file, but {artifact} is a "
            f"directory of {len(found.resources)} file(s) (its OMS digest is {found.oms_digest})"
        )
    return (
        f"{label}: {artifact} is {found.measured(expected)}, but spec.digest says {expected} "
        f"({len(found.resources)} file(s) hashed as OpenSSF Model Signing does)"
    )


def _signature(
    artifact: Path,
    tier: str,
    settings: ModelSigningConfig,
    files: Mapping[str, bytes],
    label: str,
    out: list[Finding],
    finding: Callable[[str, str, str], Finding],
) -> tuple[str, str]:
    """Verify the OMS signature when there is one; returns (status, detail)."""
    required = tier in settings.required
    sig = signature_path(artifact)
    if not sig.is_file():
        if required:
            out.append(
                finding(
                    UNSIGNED,
                    f"{label}: no OMS signature at {sig}, and the base's "
                    f"deploy.model_signing.required lists the risk tier {tier}",
                    "sign the model (model_signing sign key ...) and ship the signature",
                )
            )
        return "absent", f"no signature at {sig}"
    configured = bool(settings.public_key or settings.certificate_chain)
    if not configured and not required:
        return "unchecked", "no key or certificate chain in the base's deploy.model_signing"
    from aigov_gate.artifact.signature import verify

    outcome = verify(artifact, sig, settings, files)
    if outcome.ok:
        return "verified", outcome.detail
    out.append(
        finding(
            INVALID,
            f"{label}: the OMS signature {sig} {outcome.detail}",
            "re-sign the exact artifact with the configured key, or fix deploy.model_signing",
        )
    )
    return "invalid", outcome.detail


def for_gate(
    options: _Asked, situation: Situation, contexts: list[ModelContext], authority: _Authority
) -> tuple[ArtifactVerdict | None, list[Finding]]:
    """The check as ``aigov gate --model-artifact`` runs it: one model (``--model``), at a
    deploy, with the signers of the authority in force (the base's with ``--base``)."""
    from aigov_gate.errors import UsageError

    artifact = options.model_artifact
    if artifact is None:
        return None, []
    if situation.stage != "deploy":
        raise UsageError(
            "--model-artifact is for a deploy gate", hint="add --stage deploy --environment ENV"
        )
    if options.model is None or len(contexts) != 1:
        raise UsageError(
            "--model-artifact needs --model NAME[@VERSION]: which model are these bytes?",
            hint="add --model with the Model's metadata.name",
        )
    if not artifact.exists() and not artifact.is_symlink():
        raise UsageError(f"--model-artifact {artifact}: no such file or directory")
    ctx = contexts[0]
    signing = authority.config.deploy.model_signing  # never the change's own signers
    return check_artifact(artifact, ctx.model, ctx.version, signing, authority.files)
