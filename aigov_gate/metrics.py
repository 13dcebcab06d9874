"""Metric arithmetic: thresholds, slices, disparity across slices, regression. Pure functions.

    >>> meets(">=", 0.78, threshold=0.75)
    True
    >>> disparity([0.41, 0.58], "ratio")
    0.7068965517241379

Plans say what must hold (:class:`MetricRequirement`); runs say what was measured
(:class:`MetricValue`). :func:`measure` pairs them, one :class:`Measured` per metric and
slice, so callers can report a finding at the exact value that failed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from aigov_gate.documents.testing import MetricRequirement, MetricValue, TestResult

_EPSILON = 1e-9


def meets(
    operator: str, value: float, threshold: float | None = None, bounds: Sequence[float] = ()
) -> bool:
    """Whether ``value`` satisfies ``operator`` against ``threshold`` (or ``bounds``)."""
    if operator == "between":
        low, high = bounds
        return low - _EPSILON <= value <= high + _EPSILON
    assert threshold is not None
    if operator == ">=":
        return value >= threshold - _EPSILON
    if operator == "<=":
        return value <= threshold + _EPSILON
    if operator == ">":
        return value > threshold
    if operator == "<":
        return value < threshold
    if operator == "==":
        return math.isclose(value, threshold, rel_tol=1e-9, abs_tol=_EPSILON)
    raise ValueError(f"unknown operator {operator!r}")


def requirement_text(req: MetricRequirement) -> str:
    """``auc >= 0.75`` / ``approval_rate between [0.35, 0.75]``."""
    if req.operator == "between":
        assert req.range is not None
        return f"{req.name} between [{_num(req.range[0])}, {_num(req.range[1])}]"
    return f"{req.name} {req.operator} {_num(req.threshold or 0.0)}"


def _num(value: float) -> str:
    return f"{value:g}"


def _short(value: float) -> str:
    return f"{value:.4g}"


def check(req: MetricRequirement, value: float) -> bool:
    return meets(req.operator, value, req.threshold, req.range or ())


def verdict(req: MetricRequirement, value: MetricValue) -> tuple[str, str]:
    """``("pass" | "fail" | "insufficient", why)``: the point, or the interval, against the bar.

    ``min_n`` above the value's ``n`` (or no ``n``) is insufficient. With ``decide_on`` a
    bound, that bound decides; when it fails but the other end passes, the interval
    straddles the threshold: insufficient evidence, not a pass and not a fail. For
    ``between``, both ends must lie in the range to pass (either bound decides the same
    way); an interval wholly outside the range fails.
    """
    if req.min_n is not None and (value.n is None or value.n < req.min_n):
        seen = f"n={value.n}" if value.n is not None else "no n recorded"
        return "insufficient", f"{seen}, the plan needs min_n {req.min_n}"
    if req.decide_on == "point":
        return ("pass" if check(req, value.value) else "fail"), ""
    low, high = value.ci_low, value.ci_high
    if low is None or high is None:
        return "insufficient", f"no confidence interval (decide_on: {req.decide_on})"
    straddles = f"the interval [{_short(low)}, {_short(high)}] straddles {requirement_text(req)}"
    if req.operator == "between":
        assert req.range is not None
        if check(req, low) and check(req, high):
            return "pass", ""
        outside = high < req.range[0] - _EPSILON or low > req.range[1] + _EPSILON
        return ("fail", "") if outside else ("insufficient", straddles)
    named, other = (low, high) if req.decide_on == "lower_bound" else (high, low)
    if check(req, named):
        return "pass", ""
    if check(req, other):
        return "insufficient", straddles
    return "fail", ""


def rows_to_decide(req: MetricRequirement, value: MetricValue) -> int | None:
    """How many more of the rows ``n`` counts would be expected to decide ``req``.

    Sample-size planning: assume the observed value is the true one and the interval's
    half-width shrinks as 1/sqrt(n); find the n at which the deciding end clears the
    threshold with probability ``req.power`` (one-sided, at the interval's own level,
    adjusted if it was): ``n' = n ((z_level + z_power) se / gap)^2`` with
    ``se = (ci_high - ci_low) / (2 z_level)``. ``min_n`` is a floor. None when no number
    of rows would do (the value sits on the threshold) or nothing is known of ``n``.
    """
    from statistics import NormalDist  # only for a finding that needs it: start-up matters

    if value.n is None:
        return None
    more = max(0, req.min_n - value.n) if req.min_n is not None else 0
    low, high = value.ci_low, value.ci_high
    if req.decide_on == "point" or low is None or high is None or value.n == 0:
        return more or None
    level = value.interval.line_level if value.interval is not None else 0.95
    z_level = NormalDist().inv_cdf(1 - (1 - level) / 2)
    z_power = NormalDist().inv_cdf(req.power)
    gap = _gap(req, value.value)
    if gap <= _EPSILON:
        return None
    se = (high - low) / (2 * z_level)
    needed = math.ceil(value.n * ((z_level + z_power) * se / gap) ** 2)
    return max(more, needed - value.n, 1)


def _gap(req: MetricRequirement, point: float) -> float:
    """How far the value is from the bar it must clear (the nearer end of a range)."""
    if req.operator == "between":
        assert req.range is not None
        low, high = req.range
        return min(abs(point - low), abs(high - point))
    return abs(point - (req.threshold or 0.0))


def shown(value: MetricValue) -> str:
    """``0.52 [0.49, 0.55] n=340``: the value with what is known of its uncertainty."""
    text = f"{value.value:g}"
    if value.ci_low is not None and value.ci_high is not None:
        text += f" [{_short(value.ci_low)}, {_short(value.ci_high)}]"
    if value.n is not None:
        text += f" n={value.n}"
    return text


def disparity(values: Iterable[float], measure: str) -> float:
    """``ratio``: min/max (1.0 when all are 0); ``difference``: max - min."""
    numbers = list(values)
    low, high = min(numbers), max(numbers)
    if measure == "difference":
        return high - low
    if high == 0:
        return 1.0
    return low / high


def disparity_ok(value: float, measure: str, limit: float) -> bool:
    if measure == "ratio":
        return value >= limit - _EPSILON
    return value <= limit + _EPSILON


def worsening(operator: str, baseline: float, current: float) -> float:
    """How much worse ``current`` is than ``baseline`` given which way is better.

    ``>=``/``>``: higher is better; ``<=``/``<``: lower is better; ``==``/``between``:
    any move away from the baseline counts. Never negative.
    """
    if operator in (">=", ">"):
        return max(0.0, baseline - current)
    if operator in ("<=", "<"):
        return max(0.0, current - baseline)
    return abs(current - baseline)


@dataclass(frozen=True, slots=True)
class Measured:
    """One measured value paired with its requirement; ``index`` is its place in results."""

    requirement: MetricRequirement
    value: MetricValue
    index: int
    passed: bool
    outcome: str = "pass"  # pass | fail | insufficient
    why: str = ""

    @property
    def slice(self) -> str:
        v = self.value
        return f"{v.slice_key}={v.slice_value}" if v.slice_key else ""


def measure(req: MetricRequirement, result: TestResult) -> list[Measured]:
    """The values of ``result`` that ``req`` governs (one per slice, or the unsliced one)."""
    found: list[Measured] = []
    for i, value in enumerate(result.metrics):
        if value.name != req.name or value.slice_key != req.slice_key:
            continue
        outcome, why = verdict(req, value)
        found.append(Measured(req, value, i, outcome != "fail", outcome, why))
    return found


def slice_lookup(result: TestResult, name: str, slice_key: str | None) -> dict[str, float]:
    """``{slice_value or '': value}`` for one metric of a result (baselines for regression)."""
    return {
        v.slice_value or "": v.value
        for v in result.metrics
        if v.name == name and v.slice_key == slice_key
    }


def planning(m: Measured) -> str:
    """Sample-size planning: how many more rows, and where, would decide the verdict."""
    more = rows_to_decide(m.requirement, m.value)
    if more is None:
        return ""
    where = f" of {m.slice}" if m.slice else ""
    if m.value.slice_key and not m.value.slice_value:
        where = " in its smallest slice"
    power = f"{m.requirement.power:g}"
    return (
        f"about {more:,} more rows counted by n{where} (n={m.value.n}, the metric's "
        f"denominator) would be expected to decide it (power {power}); "
    )
