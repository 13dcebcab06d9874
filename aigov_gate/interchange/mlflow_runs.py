"""An MLflow run as read from any store, and the checks every store's times go through."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from aigov_gate.errors import UsageError


@dataclass(slots=True)
class Run:
    run_id: str
    name: str
    experiment: str
    status: str
    start_ms: int | None
    end_ms: int | None
    #: key -> (step, timestamp, value): the latest by step, then time.
    metrics: dict[str, tuple[int, int, float]] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    def note(self, key: str, value: float, timestamp: int, step: int) -> None:
        known = self.metrics.get(key)
        if known is None or (step, timestamp) >= known[:2]:
            self.metrics[key] = (step, timestamp, value)


@dataclass(frozen=True, slots=True)
class Selection:
    run_id: str | None = None
    experiment: str | None = None
    latest: bool = False


#: Milliseconds since 1970 up to the end of 9999: what a datetime can show.
MS_RANGE = (0, 253_402_300_799_999)


def ms(value: object, what: str) -> int | None:
    """A time in milliseconds since the epoch, or None when absent; anything else is refused."""
    if value is None or value == "":
        return None
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,20}", value.strip()):
        number = int(value)
    if number is None or not MS_RANGE[0] <= number <= MS_RANGE[1]:
        raise UsageError(
            f"{what} is {str(value)[:40]!r}, not a time in milliseconds since 1970",
            hint="the MLflow store is not in the shape MLflow writes",
        )
    return number


__all__ = ["MS_RANGE", "Run", "Selection", "ms"]
