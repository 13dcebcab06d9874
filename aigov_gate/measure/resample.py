"""The bootstrap: rows resampled with replacement, as new cell weights, on every core.

A replicate is a multinomial draw of the rows over the cells (exactly resampling rows
with replacement), then one pass over each grouping's cells (:func:`engine.compute`,
limited to the metrics asked for). Replicate ``r`` draws from
``numpy.random.default_rng([seed, r])``, so the intervals depend on the seed only, never
on how many processes share the work.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Mapping

import numpy as np

from aigov_gate.measure import engine
from aigov_gate.measure.cells import Data, Floats

Key = tuple[str, str, str]
Only = dict[str, frozenset[str]]
_WORK: dict[str, tuple[Data, Only | None, int]] = {}  # what forked workers inherit
_MIN_PER_JOB = 50  # fewer replicates than this per process: not worth a process


def cores() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def weights(d: Data, rng: np.random.Generator) -> Floats:
    """Cell weights of one replicate: ``rows`` rows drawn with replacement."""
    cells = len(d.base)
    if cells * 8 < d.rows:  # few cells: draw counts per cell directly
        out: Floats = rng.multinomial(d.rows, d.base / d.rows).astype(np.float64)
        return out
    drawn = np.bincount(rng.integers(0, d.rows, d.rows), minlength=d.rows)
    if cells == d.rows:
        return drawn.astype(np.float64)
    starts = (np.cumsum(d.base) - d.base).astype(np.int64)  # cell c holds rows from here
    summed: Floats = np.add.reduceat(drawn, starts).astype(np.float64)
    return summed


def _replicates(start: int, stop: int) -> list[dict[Key, float]]:
    d, only, seed = _WORK["now"]
    out = []
    for r in range(start, stop):
        w = weights(d, np.random.default_rng([seed, r]))
        out.append(engine.compute(d, w, only).values)
    return out


def draws(
    d: Data, replicates: int, seed: int, only: Only | None = None, jobs: int = 1
) -> dict[Key, Floats]:
    """Each metric's value in every replicate where it is defined, in replicate order."""
    _WORK["now"] = (d, only, seed)
    jobs = max(1, min(jobs, replicates // _MIN_PER_JOB))
    if "fork" not in multiprocessing.get_all_start_methods():
        jobs = 1  # workers inherit the cells by fork; elsewhere, one process
    try:
        if jobs == 1:
            results = _replicates(0, replicates)
        else:
            bounds = np.linspace(0, replicates, jobs + 1).astype(int)
            spans = list(zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True))
            with multiprocessing.get_context("fork").Pool(jobs) as pool:
                parts = pool.starmap(_replicates, spans)
            results = [values for part in parts for values in part]
    finally:
        _WORK.clear()
    collected: dict[Key, list[float]] = {}
    for values in results:
        for key, value in values.items():
            collected.setdefault(key, []).append(value)
    return {key: np.asarray(values) for key, values in collected.items()}


def percentile(found: Mapping[Key, Floats], level: float) -> dict[Key, tuple[float, float]]:
    """The percentile interval of each metric's replicates at ``level``."""
    tail = (1 - level) / 2 * 100
    out = {}
    for key, values in found.items():
        low, high = np.percentile(values, [tail, 100 - tail])
        out[key] = (float(low), float(high))
    return out


def bootstrap(
    d: Data,
    replicates: int,
    seed: int,
    level: float = 0.95,
    only: Only | None = None,
    jobs: int = 1,
) -> dict[Key, tuple[float, float]]:
    """Percentile intervals: rows resampled with replacement, ``replicates`` times, seeded."""
    return percentile(draws(d, replicates, seed, only, jobs), level)


__all__ = ["bootstrap", "cores", "draws", "percentile", "weights"]
