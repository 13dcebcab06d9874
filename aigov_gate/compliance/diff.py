"""What a change does to compliance: clause by clause, model by model, against the base.

``aigov gate --base REF`` derives compliance twice, for the change and for ``REF`` as it
stands (same stage, environment and day), and lists every clause whose status moved, and
every piece of evidence that counted at the base and no longer does (it went stale or was
removed). Clauses that exist on one side only (a framework or model added or dropped) are
listed with ``before`` or ``after`` empty.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from aigov_gate.result import ClauseChange, ClauseStatus, FrameworkCompliance, StaleEvidence


def _clauses(compliance: Iterable[FrameworkCompliance]) -> dict[tuple[str, str, str], ClauseStatus]:
    return {(fc.framework, fc.model, c.clause): c for fc in compliance for c in fc.clauses}


def clause_changes(
    before: Iterable[FrameworkCompliance], after: Iterable[FrameworkCompliance]
) -> list[ClauseChange]:
    old, new = _clauses(before), _clauses(after)
    out = []
    for key in sorted(old.keys() | new.keys()):
        was, now = old.get(key), new.get(key)
        if was is not None and now is not None and was.status == now.status:
            continue
        shown = now or was
        assert shown is not None
        out.append(
            ClauseChange(
                *key,
                shown.title,
                was.status if was else None,
                now.status if now else None,
                now.reason if now else "no longer derived (framework or model gone)",
            )
        )
    return out


def stale_evidence(
    before: Iterable[FrameworkCompliance], after: Iterable[FrameworkCompliance]
) -> list[StaleEvidence]:
    old, new = _clauses(before), _clauses(after)
    return sorted(_stale(old, new), key=lambda s: (s.framework, s.model, s.clause, s.evidence))


def _stale(
    old: dict[tuple[str, str, str], ClauseStatus], new: dict[tuple[str, str, str], ClauseStatus]
) -> Iterator[StaleEvidence]:
    for key, was in old.items():
        counted = {b.name for b in was.basis if b.source == "evidence" and b.outcome == "passed"}
        if not counted:
            continue
        now = new.get(key)
        outcomes = {
            b.name: b.outcome + (f": {b.detail}" if b.detail else "")
            for b in (now.basis if now else ())
            if b.source == "evidence"
        }
        for name in sorted(counted):
            outcome = outcomes.get(name, "no longer mapped")
            if not outcome.startswith("passed"):
                yield StaleEvidence(*key, name, outcome)
