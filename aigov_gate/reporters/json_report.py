"""Stable JSON output (documented in docs/json-output.md). Same input, same bytes."""

from __future__ import annotations

import json
from typing import Any

from aigov_gate import __version__
from aigov_gate.result import Finding, Location, Severity
from aigov_gate.validation import ValidationResult

#: 2: the gate's ``models[].judged_on`` and ``findings[].details`` (docs/json-output.md).
SCHEMA_VERSION = 2


def _location(location: Location) -> dict[str, Any]:
    return {"path": location.path, "line": location.line, "column": location.column}


def finding_to_json(finding: Finding) -> dict[str, Any]:
    return {
        "rule_id": finding.rule_id,
        "severity": finding.severity.label,
        "message": finding.message,
        **_location(finding.location),
        "target": finding.target,
        "hint": finding.hint,
        "related": [_location(r) for r in finding.related],
    }


def render_json(result: ValidationResult, colour: bool = False) -> str:
    counts = {s.label: 0 for s in Severity}
    for finding in result.findings:
        counts[finding.severity.label] += 1
    report = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "aigov-gate", "version": __version__},
        "command": "validate",
        "passed": not result.findings,
        "summary": {
            "files": result.files_read,
            "documents": result.documents_checked,
            "findings": len(result.findings),
            "by_severity": counts,
        },
        "findings": [finding_to_json(f) for f in result.findings],
    }
    return json.dumps(report, indent=2, sort_keys=False, ensure_ascii=False) + "\n"
