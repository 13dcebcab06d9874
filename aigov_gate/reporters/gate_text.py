"""Terminal output of the gate: grouped by model, blocking findings marked, then the decision."""

from __future__ import annotations

from aigov_gate.reporters import signoff
from aigov_gate.reporters.common import by_model, judged, level, where
from aigov_gate.reporters.compliance import summary_line
from aigov_gate.result import Finding, GateResult

_COLOURS = {"error": "\x1b[31m", "warning": "\x1b[33m", "note": "\x1b[36m", "ok": "\x1b[32m"}
_RESET = "\x1b[0m"


def _paint(text: str, name: str, colour: bool) -> str:
    return f"{_COLOURS[name]}{text}{_RESET}" if colour else text


def _finding(result: GateResult, f: Finding, colour: bool) -> list[str]:
    name = level(result, f)
    label = _paint(name, name, colour)
    waived = f" [waived by {f.waived_by}]" if f.waived else ""
    lines = [f"  {f.location}: {label} [{f.severity.label} {f.rule_id}] {f.message}{waived}"]
    lines.extend(f"      {d}" for d in f.details)
    if f.hint:
        lines.append(f"      hint: {f.hint}")
    lines.extend(f"      see: {r}" for r in f.related)
    return lines


def render_gate_text(result: GateResult, colour: bool = False) -> str:
    s = result.situation
    head = f"aigov gate: {where(result)} · as of {s.today.isoformat()}"
    head += f" · fail on {result.fail_on.label}"
    out = [head]
    if result.base:
        out.append(f"changed since {result.base}: {len(result.changed)} file(s)")
    groups, rest = by_model(result)
    for model in result.models:
        findings = groups[model.label]
        blocked = result.model_blocked(model)
        state = _paint("BLOCKED", "error", colour) if blocked else _paint("ok", "ok", colour)
        out.append("")
        out.append(
            f"{model.label}  {state}  ({len(model.evaluated)} check(s), "
            f"{len(findings)} finding(s))  {model.location}"
        )
        out.append("  judged on")
        out += [f"    {label + ':':<17}{text}" for label, text in judged(result, model).lines()]
        for f in findings:
            out.extend(_finding(result, f, colour))
    if rest:
        out.append("")
        out.append("repository")
        for f in rest:
            out.extend(_finding(result, f, colour))
    if result.signoffs:
        out += ["", "sign-off", *signoff.text_lines(result.signoffs)]
    if result.compliance:
        out += ["", "compliance"]
        out += [f"  {summary_line(fc)}" for fc in result.compliance]
    blocking = len(result.blocking)
    waived = sum(1 for f in result.findings if f.waived)
    others = len(result.findings) - blocking - waived
    decision = _paint(result.decision.upper(), "ok" if result.passed else "error", colour)
    out.append("")
    out.append(
        f"{decision}: {len(result.models)} model(s), {result.policies} policy(ies), "
        f"{result.documents} document(s) in {result.files} file(s); "
        f"{blocking} blocking, {others} not blocking, {waived} waived"
    )
    return "\n".join(out) + "\n"
