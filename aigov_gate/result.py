"""Plain result data shared by every stage: severities, locations and findings.

Nothing here does I/O. A :class:`Finding` is what every check produces, whether the
problem is a YAML syntax error, an unknown field or a broken reference, so that one run
reports every problem at once and reporters need to know only this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class Severity(IntEnum):
    """How bad a finding is. Ordered, so thresholds compare with ``>=``."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        """``Severity.parse("high")`` -> ``Severity.HIGH``; raises ValueError otherwise."""
        try:
            return cls[text.upper()]
        except KeyError:
            known = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (known: {known})") from None


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """Where a finding points: a repository-relative POSIX path, 1-based line and column.

    ``line`` and ``column`` are 0 when the problem has no position (an unreadable file).
    """

    path: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}:{self.column}"
        return self.path


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: which rule, how severe, what, where, about which document, and what to do."""

    rule_id: str
    severity: Severity
    message: str
    location: Location
    target: str = ""
    hint: str = ""
    related: tuple[Location, ...] = field(default=())

    def sort_key(self) -> tuple[str, int, int, str, str]:
        loc = self.location
        return (loc.path, loc.line, loc.column, self.rule_id, self.message)


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Deterministic order: by file, line, column, rule, message."""
    return sorted(findings, key=Finding.sort_key)
