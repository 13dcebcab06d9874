"""A sign-off verdict as detail lines under a finding's short message (one fact a line)."""

from __future__ import annotations

from aigov_gate.result import SignOff


def signoff_details(s: SignOff, error: str = "") -> tuple[str, ...]:
    """What is required, who counted, who is still needed, and why an approval did not count."""
    if error or s.error:
        return (f"could not be verified: {error or s.error}",)
    counted = ", ".join(f"{c.user} as {c.role}" for c in s.counted) or "no approval counted"
    lines = [f"required: {s.required}", f"approved: {counted}"]
    lines += [f"still needed: {m}" for m in s.missing]
    lines += [f"not counted: {d.user} ({d.reason})" for d in s.discarded]
    return tuple(lines)
