"""Terminal output: one line per finding, ``path:line:col: level [rule] message``, then a hint.

Colour only when asked (the CLI asks on a TTY). Sorted as the findings are.
"""

from __future__ import annotations

from aigov_gate.result import Finding, Severity
from aigov_gate.validation import ValidationResult

_COLOURS = {"error": "\x1b[31m", "warning": "\x1b[33m", "note": "\x1b[36m"}
_RESET = "\x1b[0m"


def level(severity: Severity) -> str:
    """Compiler-style level: error (high, critical), warning (medium), note (low, info)."""
    if severity >= Severity.HIGH:
        return "error"
    return "warning" if severity == Severity.MEDIUM else "note"


def render_finding(finding: Finding, colour: bool) -> str:
    name = level(finding.severity)
    shown = f"{_COLOURS[name]}{name}{_RESET}" if colour else name
    target = f" ({finding.target})" if finding.target else ""
    lines = [f"{finding.location}: {shown} [{finding.rule_id}] {finding.message}{target}"]
    if finding.hint:
        lines.append(f"    hint: {finding.hint}")
    lines.extend(f"    see: {related}" for related in finding.related)
    return "\n".join(lines)


def render_text(result: ValidationResult, colour: bool = False) -> str:
    out = [render_finding(f, colour) for f in result.findings]
    docs = f"{result.documents_checked} document(s) in {result.files_read} file(s)"
    if result.findings:
        files = len({f.location.path for f in result.findings})
        out.append(f"{len(result.findings)} problem(s) in {files} file(s); checked {docs}")
    else:
        out.append(f"ok: {docs} valid")
    return "\n".join(out) + "\n"
