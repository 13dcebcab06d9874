"""The clause view: ``aigov compliance report`` and the compliance part of gate reports.

text      per framework and model: coverage, then every clause's status and why (a clause
          not yet in force says from when)
json      the same, every clause with its basis (docs/json-output.md)
markdown  a coverage table, then the clauses that are not compliant
"""

from __future__ import annotations

import json
from typing import Any

from aigov_gate import __version__
from aigov_gate.reporters.common import md_cell
from aigov_gate.reporters.json_report import SCHEMA_VERSION
from aigov_gate.result import ClauseStatus, FrameworkCompliance, GateResult

_MARK = {
    "compliant": "ok",
    "partially_compliant": "partial",
    "non_compliant": "FAIL",
    "not_assessed": "none",
    "not_applicable": "n/a",
}
_CLOSED = ("compliant", "not_applicable")
_ICON = {
    "compliant": "✅",
    "partially_compliant": "🟡",
    "non_compliant": "❌",
    "not_assessed": "⬜",
    "not_applicable": "n/a",
}


def summary_line(fc: FrameworkCompliance) -> str:
    tally = fc.tally()
    counted = len(fc.counted)
    assessed = sum(c.assessed for c in fc.counted)
    return (
        f"{fc.framework} for {fc.model}: coverage {fc.coverage:.0f}% ({assessed}/{counted}); "
        f"{tally['compliant']} compliant, {tally['partially_compliant']} partial, "
        f"{tally['non_compliant']} non-compliant, {tally['not_assessed']} not assessed, "
        f"{tally['not_applicable']} not applicable"
    )


def clause_to_json(c: ClauseStatus) -> dict[str, Any]:
    return {
        "clause": c.clause,
        "title": c.title,
        "status": c.status,
        "reason": c.reason,
        "declared": c.declared,
        "parent": c.parent,
        "leaf": c.leaf,
        "counted": c.counted,
        "applies_since": c.since.isoformat() if c.since else None,
        "basis": [
            {
                "source": b.source,
                "name": b.name,
                "outcome": b.outcome,
                "detail": b.detail,
                "mapping": b.mapping or None,
                "mapping_type": b.mapping_type,
                "via": b.via or None,
            }
            for b in c.basis
        ],
    }


def framework_to_json(fc: FrameworkCompliance) -> dict[str, Any]:
    return {
        "framework": fc.framework,
        "title": fc.title,
        "version": fc.version,
        "model": fc.model,
        "source": fc.source,
        "coverage": round(fc.coverage, 1),
        "counts": fc.tally(),
        "clauses": [clause_to_json(c) for c in fc.clauses],
    }


def render_compliance_json(result: GateResult, colour: bool = False) -> str:
    doc = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "aigov-gate", "version": __version__},
        "command": "compliance report",
        "as_of": result.situation.today.isoformat(),
        "stage": result.situation.stage,
        "environment": result.situation.environment,
        "frameworks": [framework_to_json(fc) for fc in result.compliance],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def render_compliance_text(result: GateResult, colour: bool = False) -> str:
    out = [f"aigov compliance report · as of {result.situation.today.isoformat()}"]
    if not result.compliance:
        out += ["", *_nothing()]
    for fc in result.compliance:
        out += ["", f"{fc.title} ({fc.version})", summary_line(fc)]
        parents = {c.clause: c.parent for c in fc.clauses}
        for c in fc.clauses:
            indent = "  " * _depth(c.clause, parents)
            declared = f" [declared {c.declared}]" if c.declared and c.declared != c.status else ""
            mark = "later" if c.ahead else _MARK[c.status]  # not applicable until its date
            since = f" (applies since {c.since})" if c.since else ""
            out.append(f"  {indent}{mark:<7} {c.clause}  {c.title}{declared}{since}")
            if c.leaf and c.reason:
                out.append(f"  {indent}        {c.reason}")
    return "\n".join(out) + "\n"


def render_compliance_markdown(result: GateResult, colour: bool = False) -> str:
    out = [f"## Compliance as of {result.situation.today.isoformat()}", ""]
    if not result.compliance:
        return "\n".join([*out, *_nothing()]) + "\n"
    out += markdown_table(result.compliance)
    for fc in result.compliance:
        gaps = [c for c in fc.clauses if c.leaf and (c.ahead or c.status not in _CLOSED)]
        if not gaps:
            continue
        out += ["", f"### {fc.framework} for `{fc.model}`: {len(gaps)} open", ""]
        out += ["| Clause | Status | Why |", "|---|---|---|"]
        for c in gaps:
            why, status = md_cell(c.reason), "⏳ not yet in force" if c.ahead else c.status
            icon = "" if c.ahead else _ICON[c.status] + " "
            out.append(f"| {c.clause} {c.title} | {icon}{status} | {why} |")
    return "\n".join(out) + "\n"


def markdown_table(compliance: list[FrameworkCompliance]) -> list[str]:
    out = ["| Framework | Model | Coverage | ✅ | 🟡 | ❌ | ⬜ |", "|---|---|---|---|---|---|---|"]
    for fc in compliance:
        t = fc.tally()
        out.append(
            f"| {fc.framework} | `{fc.model}` | {fc.coverage:.0f}% | {t['compliant']} | "
            f"{t['partially_compliant']} | {t['non_compliant']} | {t['not_assessed']} |"
        )
    return out


def _depth(clause: str, parents: dict[str, str | None]) -> int:
    depth, seen = 0, {clause}
    parent = parents.get(clause)
    while parent in parents and parent not in seen:
        seen.add(parent)
        depth += 1
        parent = parents[parent]
    return depth


def _nothing() -> list[str]:
    return [
        "no framework applies to the gated models: set 'frameworks' in .aigov.yaml or on a "
        "Model, or pass --framework (aigov frameworks list)"
    ]
