"""What several gate reporters share: levels, fingerprints, locations, grouping."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import replace
from typing import Any

from aigov_gate.result import Finding, GateResult, ModelVerdict, Severity
from aigov_gate.sheets import JudgedOn


def level(result: GateResult, finding: Finding) -> str:
    """``error`` (blocks), ``warning`` (medium and above, not blocking), ``note``."""
    if result.blocks(finding):
        return "error"
    if finding.waived:
        return "note"
    return "warning" if finding.severity >= Severity.MEDIUM else "note"


def fingerprints(findings: list[Finding]) -> list[str]:
    """Stable ids: rule, file, target, model and message, never line numbers (lines move).

    Identical findings get an occurrence number so every id is unique.
    """
    seen: Counter[str] = Counter()
    out = []
    for f in findings:
        key = "\x1f".join((f.rule_id, f.location.path, f.target, f.model, f.message))
        seen[key] += 1
        digest = hashlib.sha256(f"{key}\x1f{seen[key]}".encode()).hexdigest()
        out.append(digest)
    return out


def by_model(result: GateResult) -> tuple[dict[str, list[Finding]], list[Finding]]:
    """Findings per model label (in the result's model order) and the rest."""
    groups: dict[str, list[Finding]] = {m.label: [] for m in result.models}
    rest: list[Finding] = []
    for finding in result.findings:
        if finding.model in groups:
            groups[finding.model].append(finding)
        else:
            rest.append(finding)
    return groups, rest


def summary(result: GateResult) -> dict[str, Any]:
    """The counts every report leads with (the JSON report's ``summary``)."""
    return {
        "files": result.files,
        "documents": result.documents,
        "models": len(result.models),
        "policies": result.policies,
        "findings": len(result.findings),
        "blocking": len(result.blocking),
        "waived": sum(1 for f in result.findings if f.waived),
        "by_severity": result.counts(),
    }


def where(result: GateResult) -> str:
    """``merge`` / ``deploy to production``."""
    s = result.situation
    return f"deploy to {s.environment}" if s.stage == "deploy" else s.stage


def md_cell(text: str) -> str:
    """Text safe inside a Markdown table cell: escaped pipes and backslashes, one line."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def judged(result: GateResult, model: ModelVerdict) -> JudgedOn:
    """What the model's decision rested on, with the waivers that waived its findings."""
    used = {f.waived_by.removeprefix("Waiver/") for f in result.findings if f.model == model.label}
    return replace(model.judged, waivers=tuple(sorted(w for w in used if w)))


def judged_to_json(j: JudgedOn) -> dict[str, Any]:
    """The JSON report's ``models[].judged_on`` (also SARIF's run properties)."""
    run = {"name": j.run, "status": j.run_status, "finished_at": j.run_finished or None}
    run["class"] = j.run_class or None
    risk = {"name": j.assessment, "approval_status": j.approval_status}
    risk["digest"] = f"sha256:{j.assessment_digest}"
    return {
        "test_run": {**run, "path": j.run_where.path, "line": j.run_where.line} if j.run else None,
        "risk_assessment": {
            **risk,
            "path": j.assessment_where.path,
            "line": j.assessment_where.line,
        }
        if j.assessment
        else None,
        "waivers": list(j.waivers),
    }


def judged_properties(j: JudgedOn) -> list[tuple[str, str]]:
    """Flat ``aigov.judged_on.*`` name/value pairs (JUnit properties)."""
    pairs = [("aigov.judged_on.test_run", j.run or "none")]
    if j.run:
        pairs.append(("aigov.judged_on.test_run.status", j.run_status))
        pairs.append(("aigov.judged_on.test_run.class", j.run_class or "unknown"))
    pairs.append(("aigov.judged_on.risk_assessment", j.assessment or "none"))
    if j.assessment:
        pairs.append(("aigov.judged_on.risk_assessment.digest", f"sha256:{j.assessment_digest}"))
    pairs.append(("aigov.judged_on.waivers", ",".join(j.waivers) or "none"))
    return pairs
