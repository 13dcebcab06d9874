"""GitLab Code Quality report (``artifacts:reports:codequality``).

Each finding: description, check_name, a fingerprint stable across runs (no line
numbers in it), severity (info, minor, major, critical, blocker) and location.path /
location.lines.begin. Waived findings are kept, as ``info``, saying who waived them.
"""

from __future__ import annotations

import json
from typing import Any

from aigov_gate.reporters.common import fingerprints
from aigov_gate.result import GateResult, Severity

_SEVERITY = {
    Severity.INFO: "info",
    Severity.LOW: "minor",
    Severity.MEDIUM: "major",
    Severity.HIGH: "critical",
    Severity.CRITICAL: "blocker",
}


def render_codequality(result: GateResult, colour: bool = False) -> str:
    issues: list[dict[str, Any]] = []
    for f, fingerprint in zip(result.findings, fingerprints(result.findings), strict=True):
        description = f.message
        if f.model:
            description = f"{f.model}: {description}"
        if f.waived:
            description += f" (waived by {f.waived_by})"
        issues.append(
            {
                "type": "issue",
                "description": description,
                "check_name": f.rule_id,
                "fingerprint": fingerprint,
                "severity": "info" if f.waived else _SEVERITY[f.severity],
                "categories": ["Compliance"],
                "location": {"path": f.location.path, "lines": {"begin": max(f.location.line, 1)}},
            }
        )
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
