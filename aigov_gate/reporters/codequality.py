"""GitLab Code Quality report (``artifacts:reports:codequality``).

Each finding: description, check_name, a fingerprint stable across runs (no line
numbers in it), severity (info, minor, major, critical, blocker) and location.path /
location.lines.begin (relative to the project: the CI workspace, else the Git work
tree's top, also when the governance root is a sub-folder). Waived findings are kept, as
``info``, saying who waived them.
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


#: Code Climate's categories are fixed (Bug Risk, Clarity, Compatibility, Complexity,
#: Duplication, Performance, Security, Style): who may approve and what leaks are
#: Security; a model or document that fails its own rules is a Bug Risk.
_SECURITY = ("secret.", "pii.", "signoff.", "authority.", "identity.", "waiver.", "yaml.")


def _category(rule_id: str) -> str:
    return "Security" if rule_id.startswith(_SECURITY) else "Bug Risk"


def _path(prefix: str, path: str) -> str:
    return f"{prefix}/{path}" if prefix else path


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
                "categories": [_category(f.rule_id)],
                "location": {
                    "path": _path(result.path_prefix, f.location.path),
                    "lines": {"begin": max(f.location.line, 1)},
                },
            }
        )
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
