"""What the engines that count elsewhere share: Spark (:mod:`spark`) and a warehouse
through Ibis (:mod:`warehouse`).

Each runs the GROUP BY of :mod:`duck` where the rows are, in its own API, and hands back
an Arrow table of the same columns: ``g0``, ``g1``, ... (the slice values as text, null
for a missing one), ``y_true`` / ``y_pred`` / ``y_score`` (as doubles, null when a value
is not a number), ``low`` / ``high`` (each cell's smallest and largest raw score),
``bad_score`` (scores that are not numbers) and ``n``. :func:`cells` checks those cells and
makes them :class:`duck.Cells`, so the numpy engine measures them as DuckDB's.

:func:`rounded` is ``--score-precision``'s rounding written with IEEE arithmetic only, so
that every engine rounds as DuckDB does: the exact value of the double, to the nearest
multiple of 10^-p, half away from zero (DuckDB's ``round(0.85, 1)`` is 0.8, since the
double 0.85 is 0.84999...). A Spark or SQL ``round`` works on the shortest decimal text
(0.85, so 0.9), and PostgreSQL's rounds half to even.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from aigov_gate.errors import UsageError
from aigov_gate.measure.cells import Floats
from aigov_gate.measure.counted import Cells, codes

ROLES = ("y_true", "y_pred", "y_score")
_SPLIT = 134217729.0  # 2**27 + 1: Dekker's split of a double into two 26-bit halves


def rounded(
    value: Any, precision: int, floor: Callable[[Any], Any], when: Callable[[Any], Any]
) -> Any:
    """``value`` rounded to ``precision`` decimals as DuckDB rounds, in any engine's columns.

    ``floor(x)`` and ``when(condition)`` (1.0 where true, else 0.0) are the engine's.
    The product ``p = value * 10^p`` is rounded; its exact error (Dekker's two-product,
    no fused multiply-add needed) says which way a tie of ``p`` really lies.
    """
    scale = 10.0**precision  # exact for precision <= 22
    product = value * scale
    t = value * _SPLIT
    high = t - (t - value)
    low = value - high
    s = scale * _SPLIT
    s_high = s - (s - scale)
    s_low = scale - s_high
    error = ((high * s_high - product) + high * s_low + low * s_high) + low * s_low
    sign = when(product > 0) - when(product < 0)
    size = product * sign
    whole = floor(size)
    part = size - whole
    up = when(part > 0.5) + when(part == 0.5) * when(error * sign >= 0)
    return sign * (whole + up) / scale


def numbers_of(role: str, column: Any) -> Floats:
    """An Arrow column as float64, a null as NaN."""
    import pyarrow.compute as pc

    values = pc.fill_null(pc.cast(column, "double"), float("nan"))
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.float64)


def problem(found: Any, wanted: dict[str, str], regression: bool) -> str | None:
    """What is wrong with the counted cells (a null, NaN, a label not 0/1...), or None."""
    counts = numbers_of("n", found["n"])
    for role, name in wanted.items():
        values = numbers_of(role, found[role])
        bad = ~np.isfinite(values)
        if bad.any():
            rows = int(counts[bad].sum())
            return f"{name} is empty, not a number, NaN or infinite in {rows} row(s)"
        if not regression and role != "y_score":
            wrong = values[(values != 0) & (values != 1)]
            if len(wrong):
                return f"{name} is {wrong[0]:g}, not 0 or 1"
    if "y_score" not in wanted:
        return None
    name = wanted["y_score"]
    bad_score = int(numbers_of("bad_score", found["bad_score"]).sum())
    if bad_score:
        return f"{name} is not a number in {bad_score} row(s)"
    low, high = numbers_of("low", found["low"]), numbers_of("high", found["high"])
    if not (np.isfinite(low).all() and np.isfinite(high).all()):
        return f"{name} is NaN or infinite"
    if not regression and len(low) and (low.min() < 0 or high.max() > 1):
        return f"{name} has values outside [0, 1] (from {low.min():g} to {high.max():g})"
    return None


def cells(
    found: Any,
    source: str,
    sha256: str,
    declared: str | None,
    wanted: dict[str, str],
    protected: list[str],
    regression: bool,
) -> Cells:
    """The counted cells (an Arrow table), checked, as :class:`duck.Cells`."""
    if not found.num_rows:
        raise UsageError(f"{source} has no rows", hint="nothing to measure")
    wrong = problem(found, wanted, regression)
    if wrong is not None:
        raise UsageError(
            f"{source}: {wrong}",
            hint="fix or drop those rows (labels are 0/1, scores in [0, 1])",
        )
    coded = [codes(found[f"g{i}"]) for i in range(len(protected))]
    labels = [[_text(v) for v in values] for values, _ in coded]
    numbers = {role: numbers_of(role, found[role]) for role in wanted}
    counts = numbers_of("n", found["n"])
    index = [c for _, c in coded]
    return Cells(source, sha256, declared, wanted, protected, labels, index, numbers, counts)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


__all__ = ["ROLES", "cells", "numbers_of", "problem", "rounded"]
