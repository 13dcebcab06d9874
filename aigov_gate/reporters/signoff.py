"""Sign-off in reports: who approved in which role, who is still needed, what did not count."""

from __future__ import annotations

from typing import Any

from aigov_gate.reporters.common import md_cell
from aigov_gate.result import SignOff


def _state(s: SignOff) -> str:
    if s.error:
        return "UNVERIFIABLE"
    if s.satisfied:
        return "signed off"
    return "NOT SIGNED OFF" if s.claimed else "pending"


def text_lines(signoffs: list[SignOff]) -> list[str]:
    out = []
    for s in signoffs:
        via = f" via {s.ref}" if s.ref else ""
        status = "claims approved" if s.claimed else "not claimed approved"
        out.append(f"  {s.assessment} ({s.risk_level}, {status}){via}: {_state(s)}  {s.location}")
        if s.error:
            out.append(f"      error: {s.error}")
            if s.error_hint:
                out.append(f"      hint: {s.error_hint}")
            continue
        out.append(f"      required: {s.required}")
        for c in s.counted:
            out.append(f"      approved: {c.user} as {c.role}")
        for m in s.missing:
            out.append(f"      still needed: {m}")
        for d in s.discarded:
            out.append(f"      not counted: {d.user}: {d.reason}")
        for note in s.notes:
            out.append(f"      note: {note}")
        if s.provider == "recorded":
            out.append(f"      digest to record: {s.digest}")
    return out


def to_json(s: SignOff) -> dict[str, Any]:
    return {
        "assessment": s.assessment,
        "organization": s.organization,
        "path": s.location.path,
        "line": s.location.line,
        "column": s.location.column,
        "risk_level": s.risk_level,
        "claimed_approved": s.claimed,
        "satisfied": s.satisfied,
        "provider": s.provider,
        "ref": s.ref,
        "url": s.url,
        "head": s.head,
        "required": s.required,
        "approved": [{"user": c.user, "role": c.role} for c in s.counted],
        "missing": list(s.missing),
        "not_counted": [{"user": d.user, "reason": d.reason} for d in s.discarded],
        "notes": list(s.notes),
        "error": s.error or None,
        "digest": s.digest,
    }


def markdown_table(signoffs: list[SignOff]) -> list[str]:
    lines = [
        "| Assessment | Risk | Source | State | Approved | Still needed | Not counted |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in signoffs:
        approved = ", ".join(f"{c.user} ({c.role})" for c in s.counted) or "—"
        needed = s.error or "; ".join(s.missing) or "—"
        dropped = "; ".join(f"{d.user}: {d.reason}" for d in s.discarded) or "—"
        ref = f"[{s.ref}]({s.url})" if s.url else s.ref
        lines.append(
            f"| `{s.assessment}` | {s.risk_level} | {md_cell(ref)} | {_state(s)} "
            f"| {md_cell(approved)} | {md_cell(needed)} | {md_cell(dropped)} |"
        )
    return lines
