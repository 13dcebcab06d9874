"""Whether an evidence artifact still counts for a model, and if not, why.

Evidence stops counting when its file no longer matches its sha256 (or is gone), when it
was written for another model or another version, when it predates the version it is
for (``Model.spec.released``), or when it is older than its allowed age
(``max_age_days`` on the artifact, else ``evidence.max_age_days`` in ``.aigov.yaml``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from aigov_gate.config import EvidenceConfig
from aigov_gate.documents.assets import EvidenceArtifact
from aigov_gate.graph import ModelContext
from aigov_gate.references import Checked
from aigov_gate.result import Finding

FILE_PROBLEMS = {
    "evidence.digest-mismatch": "its file no longer matches its sha256",
    "evidence.file-missing": "its file does not exist",
    "evidence.path-outside": "its path leaves the repository",
}


@dataclass(frozen=True, slots=True)
class Freshness:
    counts: bool
    detail: str
    path: tuple[str, ...] = ("metadata", "name")
    """The field to point at when it does not count."""


def freshness(
    doc: Checked,
    ctx: ModelContext,
    today: date,
    config: EvidenceConfig,
    problems: Mapping[str, Sequence[Finding]],
) -> Freshness:
    artifact = doc.model
    assert isinstance(artifact, EvidenceArtifact)
    spec = artifact.spec
    for finding in problems.get(doc.raw.target, ()):
        if finding.rule_id in FILE_PROBLEMS:
            return Freshness(False, FILE_PROBLEMS[finding.rule_id], ("spec", "sha256"))
    if spec.models and ctx.name not in spec.models:
        return Freshness(
            False, f"it is for {', '.join(spec.models)}, not {ctx.name}", ("spec", "models")
        )
    if spec.model_version is not None and spec.model_version != ctx.version:
        return Freshness(
            False,
            f"it was written for version {spec.model_version}; the model is at {ctx.version}",
            ("spec", "model_version"),
        )
    released = ctx.spec.spec.released if ctx.version == ctx.spec.spec.version else None
    if released is not None and spec.created is not None and spec.created < released:
        return Freshness(
            False,
            f"created {spec.created}, before version {ctx.version} was released ({released})",
            ("spec", "created"),
        )
    limit = spec.max_age_days or config.limit_for(spec.artifact_type)
    if limit is not None:
        if spec.created is None:
            return Freshness(
                False,
                f"it has no 'created' date, so its age (limit {limit} days) cannot be checked",
                ("spec", "artifact_type"),
            )
        age = (today - spec.created).days
        if age > limit:
            return Freshness(
                False,
                f"created {spec.created}, {age} days ago; {spec.artifact_type} evidence counts "
                f"for {limit} days",
                ("spec", "created"),
            )
    if spec.path is not None:
        return Freshness(True, f"{spec.path}, sha256 verified")
    return Freshness(True, f"{spec.uri} (outside the repository: digest not verified here)")
