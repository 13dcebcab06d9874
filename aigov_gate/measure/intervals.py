"""Confidence intervals for the lines ``aigov metrics compute`` reports, and their provenance.

Which method each metric gets (docs/metrics.md says why):

* a rate (a binomial proportion: accuracy, precision, recall/tpr, fpr, fnr,
  selection_rate): the Wilson score interval on its denominator. Closed form, no
  replicates, and close to nominal coverage down to a few dozen rows, where the
  percentile bootstrap is too narrow. Clopper-Pearson (exact: coverage never below the
  level, wider) on request;
* a disparity across slices: built from *simultaneous* Wilson intervals of the slices'
  rates (Bonferroni over the k slices, 2k for equalized odds). If every slice's interval
  holds, the true max - min lies in ``[max(0, max low - min high), max high - min low]``,
  the true min / max in ``[min low / max high, min(1, min high / max low)]``: so the
  interval reaches 0 (or 1) when the slices are alike, and holds at least at the level.
  A difference between exactly two slices uses Newcombe's hybrid score interval of the
  signed difference instead (narrower: half-widths add in quadrature), as an interval of
  its size (Bonferroni over tpr and fpr for equalized odds);
* everything else (roc_auc, log_loss, brier_score, expected_calibration_error, f1,
  balanced_accuracy, mae, rmse): the percentile bootstrap over rows, widened to contain
  the point estimate if it does not (a biased statistic such as the ECE can fall outside
  its own percentile interval).

With ``--adjust bonferroni``, each of the m intervals reported is at level
``1 - (1 - level) / m``, m counting every line that carries an interval.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from statistics import NormalDist

from aigov_gate.measure import engine

Key = tuple[str, str, str]
Pair = tuple[float, float]
Measured = tuple[float, float, str]  # low, high, method
_RATES_OF = {  # disparity -> the per-slice rates it compares
    "demographic_parity_difference": ("selection_rate",),
    "demographic_parity_ratio": ("selection_rate",),
    "equal_opportunity_difference": ("tpr",),
    "equalized_odds_difference": ("tpr", "fpr"),
}


@dataclass(frozen=True)
class Provenance:
    """How an interval was made: recorded with it, so a verdict can be re-derived."""

    method: str  # wilson | simultaneous-wilson | newcombe-difference | percentile-bootstrap
    level: float  # the level asked for
    adjustment: str  # none | bonferroni
    intervals: int  # m: the intervals reported together
    line_level: float  # this interval's own level (the level, adjusted)
    seed: int | None = None
    replicates: int | None = None

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "method": self.method,
            "level": self.level,
            "adjustment": self.adjustment,
            "intervals": self.intervals,
            "line_level": self.line_level,
        }
        if self.replicates is not None:
            out.update(seed=self.seed, replicates=self.replicates)
        return out


def z_value(level: float) -> float:
    """The two-sided normal quantile of ``level`` (1.96 for 0.95)."""
    return NormalDist().inv_cdf(1 - (1 - level) / 2)


def wilson(p: float, n: float, level: float) -> tuple[float, float]:
    """The Wilson score interval of a proportion ``p`` observed on ``n`` trials."""
    z = z_value(level)
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(max(p * (1 - p), 0.0) / n + z2 / (4 * n * n)) / denom
    return max(0.0, min(centre - half, p)), min(1.0, max(centre + half, p))


def _beta_cdf(x: float, a: float, b: float) -> float:
    """The regularized incomplete beta function I_x(a, b) (continued fraction, Lentz)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    if x > (a + 1) / (a + b + 2):  # the fraction converges fast on this side only
        return 1.0 - _beta_cdf(1.0 - x, b, a)
    front = math.exp(
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    f = d
    for m in range(1, 100_000):
        for num in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            f *= c * d
        if abs(c * d - 1.0) < 1e-15:
            break
    return front * f / a


def _beta_quantile(q: float, a: float, b: float) -> float:
    low, high = 0.0, 1.0
    for _ in range(200):
        mid = (low + high) / 2
        if _beta_cdf(mid, a, b) < q:
            low = mid
        else:
            high = mid
        if high - low < 1e-15:
            break
    return (low + high) / 2


def clopper_pearson(p: float, n: float, level: float) -> Pair:
    """The exact (Clopper-Pearson) interval of a proportion: never below its level."""
    k = round(p * n)
    tail = (1 - level) / 2
    low = 0.0 if k == 0 else _beta_quantile(tail, k, n - k + 1)
    high = 1.0 if k >= n else _beta_quantile(1 - tail, k + 1, n - k)
    return min(low, p), max(high, p)


def _rates(table: engine.Table, rate: str, slice_key: str) -> list[tuple[float, float]]:
    """``(value, denominator)`` of one rate in each slice of ``slice_key`` that has it."""
    return [
        (point, table.counts[(name, key, value)])
        for (name, key, value), point in table.values.items()
        if name == rate and key == slice_key and value
    ]


def newcombe(first: tuple[float, float], second: tuple[float, float], level: float) -> Pair:
    """Newcombe's hybrid score interval of p1 - p2 (1998, method 10), from two Wilsons."""
    (p1, n1), (p2, n2) = first, second
    (l1, u1), (l2, u2) = wilson(p1, n1, level), wilson(p2, n2, level)
    d = p1 - p2
    return d - math.hypot(p1 - l1, u2 - p2), d + math.hypot(u1 - p1, p2 - l2)


def _absolute(low: float, high: float) -> Pair:
    """An interval of |d| from one of d."""
    if low <= 0 <= high:
        return 0.0, max(-low, high)
    return (low, high) if low > 0 else (-high, -low)


def disparity(table: engine.Table, metric: str, slice_key: str, level: float) -> Measured:
    """The interval of one disparity across the slices of ``slice_key``, and its method.

    Two slices and a difference: Newcombe's interval of the signed difference, as an
    interval of its size. Otherwise: simultaneous Wilson intervals of every slice.
    """
    found = {rate: _rates(table, rate, slice_key) for rate in _RATES_OF[metric]}
    if metric != "demographic_parity_ratio" and all(len(v) == 2 for v in found.values()):
        each = 1 - (1 - level) / len(found)
        ends = [_absolute(*newcombe(v[0], v[1], each)) for v in found.values()]
        return max(lo for lo, _ in ends), max(hi for _, hi in ends), "newcombe-difference"
    each = 1 - (1 - level) / max(1, sum(len(v) for v in found.values()))
    ends = []
    for pairs in found.values():
        limits = [wilson(p, n, each) for p, n in pairs]
        lows, highs = [lo for lo, _ in limits], [hi for _, hi in limits]
        if metric == "demographic_parity_ratio":
            low = min(lows) / max(highs) if max(highs) > 0 else 0.0
            high = min(1.0, min(highs) / max(lows)) if max(lows) > 0 else 1.0
            return low, high, "simultaneous-wilson"
        ends.append((max(0.0, max(lows) - min(highs)), max(highs) - min(lows)))
    return max(lo for lo, _ in ends), max(hi for _, hi in ends), "simultaneous-wilson"


def method_of(metric: str) -> str:
    if metric in engine.RATES:
        return "wilson"
    if metric in _RATES_OF:
        return "simultaneous-wilson"
    return "percentile-bootstrap"


@dataclass(frozen=True)
class Settings:
    """What the command line asked for."""

    level: float = 0.95
    adjust: str = "none"  # none | bonferroni
    replicates: int = 0
    seed: int = 0
    rates: str = "wilson"  # wilson | clopper-pearson: the interval of a rate


Resampler = Callable[[dict[str, frozenset[str]], float], Mapping[Key, tuple[float, float]]]


def _one(
    key: Key,
    table: engine.Table,
    rates: str,
    level: float,
    found: Mapping[Key, tuple[float, float]],
) -> Measured | None:
    """One line's interval and method (None: a bootstrap metric with no replicates)."""
    method = method_of(key[0])
    point = table.values[key]
    if method == "wilson" and rates == "clopper-pearson":
        return (*clopper_pearson(point, table.counts[key], level), rates)
    if method == "wilson":
        return (*wilson(point, table.counts[key], level), method)
    if method == "simultaneous-wilson":
        return disparity(table, key[0], key[1], level)
    if key in found:
        return min(found[key][0], point), max(found[key][1], point), method
    return None


def assemble(
    keys: list[Key], table: engine.Table, settings: Settings, resample: Resampler
) -> tuple[dict[Key, tuple[float, float, Provenance]], list[Key]]:
    """An interval for each of ``keys`` that can have one, and the keys that cannot.

    ``resample(only, level)`` runs the bootstrap for the metrics it is given; it is only
    called when some line needs it and replicates were asked for.
    """
    defined = [k for k in keys if k in table.values]
    boot = [k for k in defined if method_of(k[0]) == "percentile-bootstrap"]
    without = boot if not settings.replicates else []
    skipped = set(without)
    shown = [k for k in defined if k not in skipped]
    m = max(1, len(shown))
    line_level = 1 - (1 - settings.level) / m if settings.adjust == "bonferroni" else settings.level
    found: dict[Key, tuple[float, float]] = {}
    if boot and settings.replicates:
        only: dict[str, set[str]] = {}
        for name, slice_key, _ in boot:
            only.setdefault(slice_key, set()).add(name)
        found.update(resample({k: frozenset(v) for k, v in only.items()}, line_level))
    out = {}
    for key in shown:
        made = _one(key, table, settings.rates, line_level, found)
        if made is None:
            without.append(key)
            continue
        low, high, method = made
        boot_run = method == "percentile-bootstrap"
        seed = settings.seed if boot_run else None
        replicates = settings.replicates if boot_run else None
        provenance = Provenance(
            method, settings.level, settings.adjust, m, line_level, seed, replicates
        )
        out[key] = (low, high, provenance)
    return out, without


__all__ = [
    "Provenance",
    "Settings",
    "assemble",
    "clopper_pearson",
    "disparity",
    "method_of",
    "newcombe",
    "wilson",
    "z_value",
]
