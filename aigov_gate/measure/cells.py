"""The predictions as cells: rows that no metric can tell apart, merged and counted.

:func:`prepare` builds :class:`Data` (the cells of all groupings at once) and one
:class:`View` per grouping (its own, fewer cells, sorted by slice then score). The metrics
(:mod:`aigov_gate.measure.engine`) are weighted sums over a view's cells; a bootstrap
replicate only changes the weights. This is the seam for a database producing the cell
counts (GROUP BY slice, label, class, score) instead of numpy.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

N_BINS = 10
EPS = float(np.finfo(np.float64).eps)

CLASSIFICATION = (
    "accuracy",
    "balanced_accuracy",
    "precision",
    "recall",
    "tpr",
    "fpr",
    "fnr",
    "f1",
    "selection_rate",
)
SCORED = ("roc_auc", "log_loss", "brier_score", "expected_calibration_error")
REGRESSION = ("mae", "rmse")
FAIRNESS = (
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equal_opportunity_difference",
    "equalized_odds_difference",
)
ALL = CLASSIFICATION + SCORED + REGRESSION + FAIRNESS

Floats = NDArray[Any]  # float64 arrays (numpy's stubs type bincount's result as ints)
Ints = NDArray[Any]


RATES: dict[str, str] = {  # binomial proportions: metric -> what its denominator counts
    "accuracy": "rows",
    "precision": "predicted positives",
    "recall": "positives",
    "tpr": "positives",
    "fpr": "negatives",
    "fnr": "positives",
    "selection_rate": "rows",
}
_KEY_ROOM = 1 << 62


def pack(parts: list[tuple[Ints, int]]) -> tuple[Ints, int]:
    """One integer key per row from ``(codes, size)`` columns, most significant first.

    Sorting by the key sorts by the columns in order. When the product of the sizes would
    overflow int64, the key so far is replaced by its dense rank first (same order).
    """
    key: Ints = np.zeros(len(parts[0][0]), dtype=np.int64)
    room = 1
    for codes, count in parts:
        size = max(int(count), 1)
        if room * size >= _KEY_ROOM:
            used, dense = np.unique(key, return_inverse=True)
            key, room = dense.astype(np.int64), len(used)
        key = key * size + codes
        room *= size
    return key, room


@dataclass(frozen=True)
class Grouping:
    """Rows split by one attribute (or none: ``key=''``, one slice), prepared once."""

    key: str
    labels: tuple[str, ...]
    index: Ints  # slice of each row

    @property
    def size(self) -> int:
        return len(self.labels)


@dataclass(frozen=True)
class Ranks:
    """How a view's cells, sorted by slice then score, fall into ties (same slice, score)."""

    tie: Ints  # tie of each cell (non-decreasing)
    slice_of_tie: Ints
    first_tie: Ints  # first tie of each slice
    count: int


@dataclass(frozen=True)
class View:
    """One grouping's own cells: rows alike for its slices, label, class and score merged.

    ``of_cell`` maps each cell of :class:`Data` to one of these, so a replicate's weights
    reach them with a single ``bincount``; the metrics then run on far fewer values. The
    cells are sorted by slice, then score (``ranks`` says where the ties are).
    """

    grouping: Grouping
    index: Ints
    of_cell: Ints | None
    y: Floats
    pred: Floats | None
    score: Floats | None
    ranks: Ranks | None
    bins: Ints | None
    square: Floats | None
    loss: Floats | None
    base: Floats

    def weights(self, cell_weights: Floats) -> Floats:
        if self.of_cell is None:
            return cell_weights
        out: Floats = np.bincount(self.of_cell, weights=cell_weights, minlength=len(self.index))
        return out


@dataclass(frozen=True)
class Data:
    """The predictions as *cells*: rows identical for every metric are counted once.

    A cell is one combination of the slices of every grouping, the label, the predicted
    class and the score (regression rows are not merged). ``base`` is how many rows each
    cell holds; row-level terms (squared error, log loss, calibration bin) are computed
    once here, and every metric is then a weighted sum over cells. A bootstrap replicate
    is only new cell weights: a multinomial draw of ``rows`` over the cells, which is
    exactly resampling the rows with replacement. Cells come sorted by score first, so
    that mapping them to each grouping's cells walks memory in order.
    """

    y_true: Floats
    y_pred: Floats | None
    y_score: Floats | None
    regression: bool
    groupings: tuple[Grouping, ...]
    base: Floats
    rows: int
    score_group: Ints | None = None  # dense rank of each cell's score (ties share one)
    score_groups: int = 0
    bins: Ints | None = None
    square: Floats | None = None  # (p - y)^2, or (pred - y)^2 for regression
    loss: Floats | None = None  # -(y log p + (1 - y) log(1 - p)), p clipped
    cell_of_row: Ints | None = None
    views: tuple[View, ...] = ()

    def weigh(self, row_weights: Floats) -> Floats:
        """Cell weights from weights per row (a row drawn twice counts twice)."""
        if self.cell_of_row is None:
            return row_weights
        weights: Floats = np.bincount(
            self.cell_of_row, weights=row_weights, minlength=len(self.base)
        )
        return weights


def intersect(groupings: list[Grouping]) -> Grouping:
    """One grouping from several: slices such as ``female&18-24`` under ``sex&age_band``."""
    index, _ = pack([(g.index, g.size) for g in groupings])
    used, dense = np.unique(index, return_inverse=True)
    first = np.zeros(len(used), dtype=np.int64)
    first[dense[::-1]] = np.arange(len(index))[::-1]  # a row of each combination
    labels = tuple("&".join(g.labels[int(g.index[r])] for g in groupings) for r in first)
    return Grouping("&".join(g.key for g in groupings), labels, dense.astype(np.int64))


def prepare(
    y_true: Floats,
    y_pred: Floats | None,
    y_score: Floats | None,
    groupings: list[Grouping],
    regression: bool = False,
    counts: Floats | None = None,
) -> Data:
    """The cells of these rows; ``counts`` says how many rows each entry stands for."""
    entries = len(y_true)
    rows = entries if counts is None else int(counts.sum())
    overall = Grouping("", ("",), np.zeros(entries, dtype=np.int64))
    groups = (overall, *groupings)
    score_group, count = None, 0
    if y_score is not None:
        distinct, score_group = np.unique(y_score, return_inverse=True)
        count = len(distinct)
    keep = np.arange(entries)
    base = np.ones(entries) if counts is None else counts
    inverse = None
    if not regression:
        parts = [(score_group, count)] if score_group is not None else []
        parts += [(g.index, g.size) for g in groupings]
        parts.append((y_true.astype(np.int64), 2))
        if y_pred is not None:
            parts.append((y_pred.astype(np.int64), 2))
        key, _ = pack(parts)
        _, keep, inverse = np.unique(key, return_index=True, return_inverse=True)
        base = np.bincount(inverse, weights=counts, minlength=len(keep)).astype(np.float64)
    y = y_true[keep]
    pred = y_pred[keep] if y_pred is not None else None
    score = y_score[keep] if y_score is not None else None
    cells = tuple(Grouping(g.key, g.labels, g.index[keep]) for g in groups)
    bins = square = loss = None
    if score is not None:
        edges = np.linspace(0.0, 1.0, N_BINS + 1)
        bins = np.searchsorted(edges[1:-1], score).astype(np.int64)
        square = (score - y) ** 2
        clipped = np.clip(score, EPS, 1 - EPS)
        loss = -(y * np.log(clipped) + (1 - y) * np.log(1 - clipped))
    elif regression and pred is not None:
        square = (pred - y) ** 2
    group_of = score_group[keep] if score_group is not None else None
    data = Data(
        y, pred, score, regression, cells, base, rows, group_of, count, bins, square, loss, inverse
    )
    return replace(data, views=tuple(_view(g, data) for g in cells))


def _ranks(index: Ints, score_group: Ints, size: int) -> Ranks:
    new = np.ones(len(index), dtype=bool)
    new[1:] = (index[1:] != index[:-1]) | (score_group[1:] != score_group[:-1])
    tie = np.cumsum(new) - 1
    slice_of_tie = index[new]
    first_tie = np.zeros(size, dtype=np.int64)
    first_tie[slice_of_tie[::-1]] = np.arange(len(slice_of_tie))[::-1]
    return Ranks(tie.astype(np.int64), slice_of_tie, first_tie, int(new.sum()))


def _view(g: Grouping, d: Data) -> View:
    if d.regression:
        return View(g, g.index, None, d.y_true, d.y_pred, None, None, None, d.square, None, d.base)
    parts = [(g.index, g.size)]
    if d.score_group is not None:
        parts.append((d.score_group, d.score_groups))
    parts.append((d.y_true.astype(np.int64), 2))
    if d.y_pred is not None:
        parts.append((d.y_pred.astype(np.int64), 2))
    key, _ = pack(parts)
    _, first, of_cell = np.unique(key, return_index=True, return_inverse=True)
    of_cell = of_cell.astype(np.int64)
    base: Floats = np.bincount(of_cell, weights=d.base, minlength=len(first))

    def pick(values: Floats | None) -> Floats | None:
        return values[first] if values is not None else None

    index = g.index[first]
    ranks = None
    if d.score_group is not None:
        ranks = _ranks(index, d.score_group[first], g.size)
    return View(
        g,
        index,
        of_cell,
        d.y_true[first],
        pick(d.y_pred),
        pick(d.y_score),
        ranks,
        pick(d.bins),
        pick(d.square),
        pick(d.loss),
        base,
    )


__all__ = ["Data", "Grouping", "Ranks", "View", "intersect", "pack", "prepare"]
