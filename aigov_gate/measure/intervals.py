"""Confidence intervals for the lines ``aigov metrics compute`` reports, and their provenance.

Which method each metric gets (docs/metrics.md says why):

* a rate (a binomial proportion: accuracy, precision, recall/tpr, fpr, fnr,
  selection_rate): the Wilson score interval on its denominator. Closed form, no
  replicates, and close to nominal coverage down to a few dozen rows, where the
  percentile bootstrap is too narrow;
* a disparity across slices: built from *simultaneous* Wilson intervals of the slices'
  rates (Bonferroni over the k slices, 2k for equalized odds). If every slice's interval
  holds, the true max - min lies in ``[max(0, max low - min high), max high - min low]``,
  the true min / max in ``[min low / max high, min(1, min high / max low)]``: so the
  interval reaches 0 (or 1) when the slices are alike, and holds at least at the level;
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
_RATES_OF = {  # disparity -> the per-slice rates it compares
    "demographic_parity_difference": ("selection_rate",),
    "demographic_parity_ratio": ("selection_rate",),
    "equal_opportunity_difference": ("tpr",),
    "equalized_odds_difference": ("tpr", "fpr"),
}


@dataclass(frozen=True)
class Provenance:
    """How an interval was made: recorded with it, so a verdict can be re-derived."""

    method: str  # wilson | simultaneous-wilson | percentile-bootstrap
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


def _slice_intervals(
    table: engine.Table, rate: str, slice_key: str, level: float
) -> list[tuple[float, float]]:
    out = []
    for (name, key, value), point in table.values.items():
        if name == rate and key == slice_key and value:
            out.append(wilson(point, table.counts[(name, key, value)], level))
    return out


def disparity(
    table: engine.Table, metric: str, slice_key: str, level: float
) -> tuple[float, float]:
    """The simultaneous interval of one disparity across the slices of ``slice_key``."""
    rates = _RATES_OF[metric]
    sizes = [
        sum(1 for k in table.values if k[0] == r and k[1] == slice_key and k[2]) for r in rates
    ]
    each = 1 - (1 - level) / max(1, sum(sizes))
    ends = []
    for rate in rates:
        found = _slice_intervals(table, rate, slice_key, each)
        lows, highs = [lo for lo, _ in found], [hi for _, hi in found]
        if metric == "demographic_parity_ratio":
            low = min(lows) / max(highs) if max(highs) > 0 else 0.0
            high = min(1.0, min(highs) / max(lows)) if max(lows) > 0 else 1.0
            return low, high
        ends.append((max(0.0, max(lows) - min(highs)), max(highs) - min(lows)))
    return max(lo for lo, _ in ends), max(hi for _, hi in ends)


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


Resampler = Callable[[dict[str, frozenset[str]], float], Mapping[Key, tuple[float, float]]]


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
        method = method_of(key[0])
        point = table.values[key]
        if method == "wilson":
            low, high = wilson(point, table.counts[key], line_level)
        elif method == "simultaneous-wilson":
            low, high = disparity(table, key[0], key[1], line_level)
        elif key in found:
            low, high = min(found[key][0], point), max(found[key][1], point)
        else:
            without.append(key)
            continue
        boot_run = method == "percentile-bootstrap"
        out[key] = (
            low,
            high,
            Provenance(
                method,
                settings.level,
                settings.adjust,
                m,
                line_level,
                settings.seed if boot_run else None,
                settings.replicates if boot_run else None,
            ),
        )
    return out, without


__all__ = ["Provenance", "Settings", "assemble", "disparity", "method_of", "wilson", "z_value"]
