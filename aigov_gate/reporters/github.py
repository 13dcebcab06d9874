"""GitHub Actions annotations: ``::error file=...,line=...,col=...,title=...::message``.

GitHub shows at most 10 error and 10 warning annotations per step (and notices alike),
so findings go out most severe first, blocking ones before the rest, at most
``PER_LEVEL`` per level; a plain last line says how many were left out and where they
are. Values are escaped as the runner expects (``%``, CR and LF in the message; also
``:`` and ``,`` in properties), so a finding's text can never start a command of its own.
"""

from __future__ import annotations

from aigov_gate.reporters.common import level, where
from aigov_gate.result import Finding, GateResult

PER_LEVEL = 10
_COMMAND = {"error": "error", "warning": "warning", "note": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(kind: str, finding: Finding, prefix: str = "") -> str:
    loc = finding.location
    path = f"{prefix}/{loc.path}" if prefix else loc.path
    props = [f"file={escape_property(path)}"]
    if loc.line:
        props += [f"line={loc.line}", f"col={max(loc.column, 1)}"]
    title = f"{finding.rule_id} ({finding.severity.label})"
    props.append(f"title={escape_property(title)}")
    message = finding.message + (f"\nhint: {finding.hint}" if finding.hint else "")
    return f"::{kind} {','.join(props)}::{escape_data(message)}"


def render_github(result: GateResult, colour: bool = False) -> str:
    shown = [f for f in result.findings if not f.waived]
    ordered = sorted(
        shown, key=lambda f: (not result.blocks(f), -f.severity, f.location, f.rule_id)
    )
    counts = {"error": 0, "warning": 0, "notice": 0}
    out, left = [], 0
    for finding in ordered:
        kind = _COMMAND[level(result, finding)]
        if counts[kind] >= PER_LEVEL:
            left += 1
            continue
        counts[kind] += 1
        out.append(annotation(kind, finding, result.path_prefix))
    if left:
        out.append(
            f"aigov: {left} more finding(s) not annotated (GitHub shows {PER_LEVEL} per level "
            "and step); the step summary and the SARIF report have them all"
        )
    blocking = len(result.blocking)
    out.append(
        f"aigov gate: {result.decision.upper()} ({where(result)}): {blocking} blocking, "
        f"{len(shown) - blocking} not blocking, {len(result.findings) - len(shown)} waived"
    )
    return "\n".join(out) + "\n"
