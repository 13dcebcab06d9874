"""What a change does to compliance: clause by clause, model by model, against the base.

``aigov gate --base REF`` derives compliance twice, for the change and for ``REF`` as it
stands (same stage, environment and day), and lists every clause whose status moved, and
every piece of evidence that counted at the base and no longer does (it went stale or was
removed). A model whose version the change bumps is one model: each clause of the old
version is compared with the same clause of the new one (``model`` names the new version),
so a version bump lists only the clauses whose status it moves. Clauses that exist on one
side only (a framework or model added or dropped) are listed with ``before`` or ``after``
empty.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from aigov_gate.result import ClauseChange, ClauseStatus, FrameworkCompliance, StaleEvidence


def _clauses(compliance: Iterable[FrameworkCompliance]) -> dict[tuple[str, str, str], ClauseStatus]:
    return {(fc.framework, fc.model, c.clause): c for fc in compliance for c in fc.clauses}


def _paired(
    old: dict[tuple[str, str, str], ClauseStatus], new: dict[tuple[str, str, str], ClauseStatus]
) -> dict[tuple[str, str, str], ClauseStatus]:
    """``old`` with each model that has exactly one version on each side, and a different
    one, renamed to its new version: the bump from ``m@1.0.0`` to ``m@1.0.1`` is compared
    clause by clause instead of listed as one model gone and another new."""
    versions: dict[tuple[str, str], tuple[set[str], set[str]]] = {}
    for side, clauses in enumerate((old, new)):
        for framework, label, _ in clauses:
            name = label.rpartition("@")[0] or label
            versions.setdefault((framework, name), (set(), set()))[side].add(label)
    rename = {
        (framework, was): now
        for (framework, _), (olds, news) in versions.items()
        if len(olds) == len(news) == 1 and olds != news
        for was, now in [(next(iter(olds)), next(iter(news)))]
    }
    return {(f, rename.get((f, m), m), c): status for (f, m, c), status in old.items()}


def clause_changes(
    before: Iterable[FrameworkCompliance], after: Iterable[FrameworkCompliance]
) -> list[ClauseChange]:
    new = _clauses(after)
    old = _paired(_clauses(before), new)
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
    new = _clauses(after)
    old = _paired(_clauses(before), new)
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
