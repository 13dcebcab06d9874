"""Documents a regulator asks for, assembled from the records (issue 42).

``annex_iv.build`` turns one model's records into the nine points of the EU AI Act's
Annex IV (technical documentation): each statement carries the ``file:line`` it comes
from, and each point the records cannot fill names its gaps. ``render`` writes the result
as Markdown or as one self-contained HTML page. Nothing here reads the clock: the
evaluation day is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from aigov_gate.loading import RawDocument
from aigov_gate.result import Location


@dataclass(frozen=True, slots=True)
class Statement:
    """One claim of the dossier and the record it comes from: the field at ``path`` in
    ``record`` (no record: derived from Git). The line is found when asked for, so a check
    that only counts gaps does not look for lines."""

    text: str
    record: RawDocument | None = None
    path: tuple[str | int, ...] = ()

    @property
    def source(self) -> Location | None:
        return None if self.record is None else self.record.locate(self.path)


@dataclass(frozen=True, slots=True)
class Gap:
    """Something a point needs that the records do not hold, and how to record it."""

    what: str
    fix: str


@dataclass(frozen=True, slots=True)
class Point:
    """One of the nine points of Annex IV, filled from the records."""

    number: int
    title: str
    asks: str
    statements: tuple[Statement, ...] = ()
    gaps: tuple[Gap, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Dossier:
    """The technical documentation of one model version as of one day."""

    model: str
    version: str
    organization: str
    as_of: date
    applies: str
    """When Annex IV applies to this model, as the framework pack states it."""
    obliged: bool
    """Whether the obligation applies on ``as_of`` (a high-risk provider, the date reached)."""
    framework_source: str
    caveat: str
    points: tuple[Point, ...] = field(default_factory=tuple)
    problems: int = 0
    """Validation findings at high or above: documents that failed are left out."""

    @property
    def gaps(self) -> list[tuple[int, Gap]]:
        return [(p.number, g) for p in self.points for g in p.gaps]


__all__ = ["Dossier", "Gap", "Point", "Statement"]
