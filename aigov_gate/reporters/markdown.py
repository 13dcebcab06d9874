"""A Markdown summary for ``$GITHUB_STEP_SUMMARY`` and pull-request comments.

Kept under GitHub's comment limit (65,536 characters): long tables are cut with a
line saying how many rows were left out; the JSON/SARIF reports hold everything.
"""

from __future__ import annotations

from aigov_gate.reporters import signoff
from aigov_gate.reporters.common import judged, level, md_cell, where
from aigov_gate.reporters.compliance import markdown_table
from aigov_gate.result import Finding, GateResult

MAX_ROWS = 50
_ICON = {"error": "🛑", "warning": "⚠️", "note": "ℹ️"}  # noqa: RUF001


def _table(result: GateResult, findings: list[Finding]) -> list[str]:
    lines = ["| | Severity | Rule | Where | Model | Message |", "|---|---|---|---|---|---|"]
    for f in findings[:MAX_ROWS]:
        icon = _ICON[level(result, f)]
        lines.append(
            f"| {icon} | {f.severity.label} | `{f.rule_id}` | `{md_cell(str(f.location))}` "
            f"| {md_cell(f.model)} | {md_cell(f.message)} |"
        )
    if len(findings) > MAX_ROWS:
        lines.append(f"\n… and {len(findings) - MAX_ROWS} more (see the JSON or SARIF report)")
    return lines


def _compliance_moves(result: GateResult) -> list[str]:
    """The clauses this change moves, and evidence gone stale, at most MAX_ROWS of each."""
    changes, stale = result.compliance_changes, result.stale_evidence
    out = ["", f"### Compliance changes since `{md_cell(result.base or '')}`", ""]
    if result.compliance_base_error:
        return [
            *out,
            "Not compared: the base could not be assessed "
            f"({md_cell(result.compliance_base_error)}).",
        ]
    if not changes and not stale:
        return [*out, "No clause changes status and no evidence stops counting."]
    if changes:
        out += [
            "| | Framework | Model | Clause | Before | After | Why |",
            "|---|---|---|---|---|---|---|",
        ]
        for c in changes[:MAX_ROWS]:
            arrow = "⬇️ worse" if c.worse else "⬆️ better" if c.better else "↔️"
            out.append(
                f"| {arrow} | {md_cell(c.framework)} | `{md_cell(c.model)}` | "
                f"{md_cell(c.clause)} {md_cell(c.title)} | {c.before or '—'} | "
                f"{c.after or '—'} | {md_cell(c.reason)} |"
            )
        if len(changes) > MAX_ROWS:
            out.append(f"\n… and {len(changes) - MAX_ROWS} more (see the JSON report)")
    if stale:
        out += ["", f"**Evidence that stopped counting ({len(stale)})**", ""]
        out += [
            f"- `{md_cell(e.evidence)}` for {md_cell(e.framework)} {md_cell(e.clause)} "
            f"(`{md_cell(e.model)}`): {md_cell(e.now)}"
            for e in stale[:MAX_ROWS]
        ]
        if len(stale) > MAX_ROWS:
            out.append(f"- … and {len(stale) - MAX_ROWS} more (see the JSON report)")
    return out


def render_markdown(result: GateResult, colour: bool = False) -> str:
    s = result.situation
    mark = "✅" if result.passed else "❌"
    out = [f"## {mark} aigov gate: {result.decision} ({where(result)})", ""]
    out.append(
        f"As of {s.today.isoformat()}, fail on **{result.fail_on.label}**, "
        f"{result.policies} policies, {result.documents} documents."
        + (f" Changed since `{result.base}`: {len(result.changed)} file(s)." if result.base else "")
    )
    if result.models:
        out += ["", "| Model | Decision | Checks | Findings | Judged on |", "|---|---|---|---|---|"]
        for m in result.models:
            decision = "❌ blocked" if result.model_blocked(m) else "✅ passed"
            count = result.model_findings(m)
            basis = "<br>".join(f"{k}: {md_cell(v)}" for k, v in judged(result, m).lines())
            out.append(f"| `{m.label}` | {decision} | {len(m.evaluated)} | {count} | {basis} |")
    blocking = result.blocking
    if blocking:
        out += ["", f"### Blocking ({len(blocking)})", "", *_table(result, blocking)]
        hints = [f for f in blocking if f.hint][:10]
        if hints:
            out += ["", "**What to do**", ""]
            out += [
                f"- `{f.rule_id}` ({md_cell(f.model or f.target)}): {md_cell(f.hint)}"
                for f in hints
            ]
    if result.base and (result.compliance or result.compliance_changes):
        out += _compliance_moves(result)  # after the decision and what blocks it
    others = [f for f in result.findings if not result.blocks(f) and not f.waived]
    if others:
        out += ["", f"<details><summary>Not blocking ({len(others)})</summary>", ""]
        out += [*_table(result, others), "", "</details>"]
    waived = [f for f in result.findings if f.waived]
    if waived:
        out += ["", f"<details><summary>Waived ({len(waived)})</summary>", ""]
        out += [*_table(result, waived), "", "</details>"]
    if result.signoffs:
        out += ["", "### Risk sign-off", "", *signoff.markdown_table(result.signoffs)]
    if result.compliance:
        out += ["", "### Compliance", "", *markdown_table(result.compliance)]
    return "\n".join(out) + "\n"
