"""Metrics from predictions, per slice, as weighted sums (numpy).

Every metric here is a function of a few weighted sums per slice: the confusion counts,
sums of squared and log errors, per-bin calibration sums, and per-score-group positive
and negative weights (for a tie-aware ROC AUC). One call of :func:`sums` computes them
all with ``numpy.bincount`` for every slice at once, for any row weights. The point
estimate uses weight 1 per row; a bootstrap replicate uses how often each row was drawn.
The estimate and the interval therefore share all their code.

Definitions (as scikit-learn and fairlearn compute them):

* accuracy (tp+tn)/n; balanced_accuracy (tpr+tnr)/2; precision tp/(tp+fp);
  recall = tpr tp/(tp+fn); fpr fp/(fp+tn); fnr fn/(fn+tp); f1 2tp/(2tp+fp+fn);
  selection_rate (tp+fp)/n;
* roc_auc: the probability that a positive scores above a negative, ties counting half;
* log_loss: the mean of -(y log p + (1-y) log(1-p)), p clipped to [eps, 1-eps] with eps
  the float64 machine epsilon; brier_score: the mean of (p-y)^2;
* expected_calibration_error: sum over the bins of (rows in bin / n) * |observed rate -
  mean score|, with scikit-learn ``calibration_curve``'s uniform bins (n_bins=10, a score
  s goes to bin ``searchsorted(edges[1:-1], s)``);
* mae, rmse for regression (y_true and y_pred numbers);
* across the slices of one attribute: demographic_parity_difference (max - min selection
  rate) and _ratio (min / max), equal_opportunity_difference (max - min tpr),
  equalized_odds_difference (the larger of the tpr and the fpr differences).

A metric that is undefined for a slice (a division by zero: no positives, one class only)
is left out for that slice, with the reason in :attr:`Table.undefined`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
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
class View:
    """One grouping's own cells: rows alike for its slices, label, class and score merged.

    ``of_cell`` maps each cell of :class:`Data` to one of these, so a replicate's weights
    reach them with a single ``bincount``; the metrics then run on far fewer values.
    """

    grouping: Grouping
    index: Ints
    of_cell: Ints | None
    y: Floats
    pred: Floats | None
    score: Floats | None
    score_group: Ints | None
    bins: Ints | None
    square: Floats | None
    loss: Floats | None

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
    exactly resampling the rows with replacement.
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
    index = np.zeros(len(groupings[0].index), dtype=np.int64)
    for g in groupings:
        index = index * g.size + g.index
    used, dense = np.unique(index, return_inverse=True)
    labels = []
    for packed in used:
        code = int(packed)
        parts = []
        for g in reversed(groupings):
            parts.append(g.labels[code % g.size])
            code //= g.size
        labels.append("&".join(reversed(parts)))
    return Grouping("&".join(g.key for g in groupings), tuple(labels), dense.astype(np.int64))


def prepare(
    y_true: Floats,
    y_pred: Floats | None,
    y_score: Floats | None,
    groupings: list[Grouping],
    regression: bool = False,
) -> Data:
    rows = len(y_true)
    overall = Grouping("", ("",), np.zeros(rows, dtype=np.int64))
    groups = (overall, *groupings)
    score_group, count = None, 0
    if y_score is not None:
        distinct, score_group = np.unique(y_score, return_inverse=True)
        count = len(distinct)
    keep = np.arange(rows)
    base = np.ones(rows)
    inverse = None
    if not regression:
        key = np.zeros(rows, dtype=np.int64)
        for g in groupings:
            key = key * g.size + g.index
        key = key * 2 + y_true.astype(np.int64)
        if y_pred is not None:
            key = key * 2 + y_pred.astype(np.int64)
        if score_group is not None:
            key = key * max(count, 1) + score_group
        _, keep, inverse, counts = np.unique(
            key, return_index=True, return_inverse=True, return_counts=True
        )
        base = counts.astype(np.float64)
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


def _view(g: Grouping, d: Data) -> View:
    if d.regression:
        return View(g, g.index, None, d.y_true, d.y_pred, None, None, None, d.square, None)
    key = g.index * 2 + d.y_true.astype(np.int64)
    if d.y_pred is not None:
        key = key * 2 + d.y_pred.astype(np.int64)
    if d.score_group is not None:
        key = key * max(d.score_groups, 1) + d.score_group
    _, first, of_cell = np.unique(key, return_index=True, return_inverse=True)

    def pick(values: Floats | None) -> Floats | None:
        return values[first] if values is not None else None

    return View(
        g,
        g.index[first],
        of_cell.astype(np.int64),
        d.y_true[first],
        pick(d.y_pred),
        pick(d.y_score),
        pick(d.score_group),
        pick(d.bins),
        pick(d.square),
        pick(d.loss),
    )


@dataclass
class Table:
    """Metric values: ``(metric, slice_key, slice_value) -> value``, and the rows behind them."""

    values: dict[tuple[str, str, str], float] = field(default_factory=dict)
    counts: dict[tuple[str, str], int] = field(default_factory=dict)  # (key, value) -> rows
    undefined: dict[tuple[str, str, str], str] = field(default_factory=dict)


def _ratio(num: Floats, den: Floats) -> Floats:
    with np.errstate(divide="ignore", invalid="ignore"):
        out: Floats = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    return out


def _classification(v: View, w: Floats) -> dict[str, Floats]:
    assert v.pred is not None
    g = v.grouping
    cell = v.index * 4 + (2 * v.y + v.pred).astype(np.int64)
    counts = np.bincount(cell, weights=w, minlength=4 * g.size).reshape(g.size, 4)
    tn, fp, fn, tp = counts[:, 0], counts[:, 1], counts[:, 2], counts[:, 3]
    n = tn + fp + fn + tp
    tpr, tnr = _ratio(tp, tp + fn), _ratio(tn, tn + fp)
    return {
        "accuracy": _ratio(tp + tn, n),
        "balanced_accuracy": (tpr + tnr) / 2,
        "precision": _ratio(tp, tp + fp),
        "recall": tpr,
        "tpr": tpr,
        "fpr": _ratio(fp, fp + tn),
        "fnr": _ratio(fn, fn + tp),
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        "selection_rate": _ratio(tp + fp, n),
    }


def _scored(v: View, w: Floats, groups: int) -> dict[str, Floats]:
    assert v.score is not None and v.score_group is not None and v.bins is not None
    assert v.square is not None and v.loss is not None
    g, index = v.grouping, v.index
    y, p = v.y, v.score
    n = np.bincount(index, weights=w, minlength=g.size)
    brier = np.bincount(index, weights=w * v.square, minlength=g.size)
    logloss = np.bincount(index, weights=w * v.loss, minlength=g.size)
    wy = w * y
    cell = index * N_BINS + v.bins
    size = g.size * N_BINS
    bin_y = np.bincount(cell, weights=wy, minlength=size).reshape(g.size, N_BINS)
    bin_p = np.bincount(cell, weights=w * p, minlength=size).reshape(g.size, N_BINS)
    ece = _ratio(np.abs(bin_y - bin_p).sum(axis=1), n)  # bin_n * |observed - predicted|
    cell = index * groups + v.score_group
    pos = np.bincount(cell, weights=wy, minlength=g.size * groups).reshape(g.size, groups)
    neg = np.bincount(cell, weights=w - wy, minlength=g.size * groups).reshape(g.size, groups)
    below = np.cumsum(neg, axis=1) - neg
    wins = (pos * (below + 0.5 * neg)).sum(axis=1)
    total_pos, total_neg = pos.sum(axis=1), neg.sum(axis=1)
    return {
        "roc_auc": _ratio(wins, total_pos * total_neg),
        "log_loss": _ratio(logloss, n),
        "brier_score": _ratio(brier, n),
        "expected_calibration_error": ece,
    }


def _regression(v: View, w: Floats) -> dict[str, Floats]:
    assert v.pred is not None and v.square is not None
    g = v.grouping
    n = np.bincount(v.index, weights=w, minlength=g.size)
    abs_err = np.bincount(v.index, weights=w * np.abs(v.pred - v.y), minlength=g.size)
    sq = np.bincount(v.index, weights=w * v.square, minlength=g.size)
    return {"mae": _ratio(abs_err, n), "rmse": np.sqrt(_ratio(sq, n))}


def _fairness(per: dict[str, Floats]) -> dict[str, float]:
    def spread(values: Floats) -> float:
        ok = values[~np.isnan(values)]
        return float(ok.max() - ok.min()) if len(ok) >= 2 else float("nan")

    out: dict[str, float] = {}
    if "selection_rate" in per:
        rates = per["selection_rate"][~np.isnan(per["selection_rate"])]
        out["demographic_parity_difference"] = spread(per["selection_rate"])
        top = rates.max() if len(rates) >= 2 else 0.0
        out["demographic_parity_ratio"] = float(rates.min() / top) if top > 0 else float("nan")
        out["equal_opportunity_difference"] = spread(per["tpr"])
        out["equalized_odds_difference"] = max(spread(per["tpr"]), spread(per["fpr"]))
    return out


def _per_slice(v: View, d: Data, w: Floats) -> dict[str, Floats]:
    if d.regression:
        return _regression(v, w)
    per: dict[str, Floats] = {}
    if v.pred is not None:
        per.update(_classification(v, w))
    if v.score is not None:
        per.update(_scored(v, w, d.score_groups))
    return per


def compute(d: Data, w: Floats | None = None) -> Table:
    """Every metric for every slice of every grouping, with cell weights ``w`` (rows)."""
    weights = d.base if w is None else w
    table = Table()
    for view in d.views:
        g = view.grouping
        mine = view.weights(weights)
        per = _per_slice(view, d, mine)
        n = np.bincount(view.index, weights=mine, minlength=g.size)
        for i, label in enumerate(g.labels):
            table.counts[(g.key, label)] = round(float(n[i]))
            for name, values in per.items():
                _put(table, (name, g.key, label), float(values[i]), "a division by zero")
        if g.key:
            for name, value in _fairness(per).items():
                _put(table, (name, g.key, ""), value, "fewer than two slices with a value")
    return table


def _put(table: Table, key: tuple[str, str, str], value: float, why: str) -> None:
    if np.isnan(value):
        table.undefined[key] = f"undefined ({why}: one class only?)"
    else:
        table.values[key] = value


def bootstrap(
    d: Data, replicates: int, seed: int, level: float = 0.95
) -> dict[tuple[str, str, str], tuple[float, float]]:
    """Percentile intervals: rows resampled with replacement, ``replicates`` times, seeded."""
    rng = np.random.default_rng(seed)
    draws: dict[tuple[str, str, str], list[float]] = {}
    share = d.base / d.rows
    for _ in range(replicates):
        counts = rng.multinomial(d.rows, share).astype(np.float64)
        for key, value in compute(d, counts).values.items():
            draws.setdefault(key, []).append(value)
    tail = (1 - level) / 2 * 100
    out = {}
    for key, values in draws.items():
        low, high = np.percentile(np.asarray(values), [tail, 100 - tail])
        out[key] = (float(low), float(high))
    return out


__all__ = ["ALL", "Data", "Grouping", "Table", "bootstrap", "compute", "intersect", "prepare"]
