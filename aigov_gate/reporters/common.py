"""What several gate reporters share: levels, fingerprints, locations, grouping."""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

from aigov_gate.result import Finding, GateResult, Severity


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
