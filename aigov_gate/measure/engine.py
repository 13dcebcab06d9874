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
is left out for that slice, with the reason in :attr:`Table.undefined`. Each value also
has its *denominator* (:attr:`Table.counts`): the rows a rate divides by (negatives for
fpr, positives for tpr, predicted positives for precision), the smaller class for
roc_auc and balanced_accuracy, the actual or predicted positives for f1, the rows of the
slice otherwise; for a disparity, the
smallest such count among the slices it compares.

Memory is linear in the cells: the ROC AUC of every slice comes from one pass over the
cells sorted by slice then score (sorted once, in :func:`prepare`), never from a table of
slices x distinct scores.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from aigov_gate.measure.cells import (
    ALL,
    CLASSIFICATION,
    FAIRNESS,
    N_BINS,
    RATES,
    REGRESSION,
    SCORED,
    Data,
    Floats,
    Grouping,
    View,
    intersect,
    pack,
    prepare,
)


@dataclass
class Table:
    """Metric values: ``(metric, slice_key, slice_value) -> value``, and their denominators."""

    values: dict[tuple[str, str, str], float] = field(default_factory=dict)
    counts: dict[tuple[str, str, str], int] = field(default_factory=dict)  # denominators
    undefined: dict[tuple[str, str, str], str] = field(default_factory=dict)


def _ratio(num: Floats, den: Floats) -> Floats:
    with np.errstate(divide="ignore", invalid="ignore"):
        out: Floats = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    return out


Per = dict[str, tuple[Floats, Floats]]  # metric -> (value per slice, denominator per slice)


def _classification(v: View, w: Floats) -> Per:
    assert v.pred is not None
    g = v.grouping
    cell = v.index * 4 + (2 * v.y + v.pred).astype(np.int64)
    counts = np.bincount(cell, weights=w, minlength=4 * g.size).reshape(g.size, 4)
    tn, fp, fn, tp = counts[:, 0], counts[:, 1], counts[:, 2], counts[:, 3]
    n, pos, neg = tn + fp + fn + tp, tp + fn, tn + fp
    tpr, tnr = _ratio(tp, pos), _ratio(tn, neg)
    return {
        "accuracy": (_ratio(tp + tn, n), n),
        "balanced_accuracy": ((tpr + tnr) / 2, np.minimum(pos, neg)),
        "precision": (_ratio(tp, tp + fp), tp + fp),
        "recall": (tpr, pos),
        "tpr": (tpr, pos),
        "fpr": (_ratio(fp, neg), neg),
        "fnr": (_ratio(fn, pos), pos),
        "f1": (_ratio(2 * tp, 2 * tp + fp + fn), tp + fp + fn),  # rows f1 can see
        "selection_rate": (_ratio(tp + fp, n), n),
    }


def _auc(v: View, w: Floats) -> tuple[Floats, Floats]:
    """Per slice: wins of positives over negatives (ties half), one pass over sorted cells.

    The cells are sorted by slice, then score; a positive beats the negatives before it
    in its slice: the running sum of negatives less that sum where its slice starts.
    """
    r = v.ranks
    assert r is not None
    pos = w * v.y
    neg = w - pos
    if r.count != len(w):  # ties: merge the cells of one slice and score
        pos = np.bincount(r.tie, weights=pos, minlength=r.count)
        neg = np.bincount(r.tie, weights=neg, minlength=r.count)
    before = np.cumsum(neg)
    before -= neg  # negatives in earlier ties (of any slice)
    start = before[r.first_tie]
    gain = neg * 0.5
    gain += before
    gain *= pos
    total_pos = np.add.reduceat(pos, r.first_tie)
    total_neg = np.add.reduceat(neg, r.first_tie)
    wins = np.add.reduceat(gain, r.first_tie) - start * total_pos
    return _ratio(wins, total_pos * total_neg), np.minimum(total_pos, total_neg)


def _scored(v: View, w: Floats, only: frozenset[str] | None) -> Per:
    assert v.score is not None and v.bins is not None
    assert v.square is not None and v.loss is not None
    g, index = v.grouping, v.index
    out: Per = {}
    if only is None or "roc_auc" in only:
        out["roc_auc"] = _auc(v, w)
    if only is not None and not only & {"log_loss", "brier_score", "expected_calibration_error"}:
        return out
    n = np.bincount(index, weights=w, minlength=g.size)
    brier = np.bincount(index, weights=w * v.square, minlength=g.size)
    logloss = np.bincount(index, weights=w * v.loss, minlength=g.size)
    cell = index * N_BINS + v.bins
    size = g.size * N_BINS
    bin_y = np.bincount(cell, weights=w * v.y, minlength=size).reshape(g.size, N_BINS)
    bin_p = np.bincount(cell, weights=w * v.score, minlength=size).reshape(g.size, N_BINS)
    ece = _ratio(np.abs(bin_y - bin_p).sum(axis=1), n)  # bin_n * |observed - predicted|
    out["log_loss"] = (_ratio(logloss, n), n)
    out["brier_score"] = (_ratio(brier, n), n)
    out["expected_calibration_error"] = (ece, n)
    return out


def _regression(v: View, w: Floats) -> Per:
    assert v.pred is not None and v.square is not None
    g = v.grouping
    n = np.bincount(v.index, weights=w, minlength=g.size)
    abs_err = np.bincount(v.index, weights=w * np.abs(v.pred - v.y), minlength=g.size)
    sq = np.bincount(v.index, weights=w * v.square, minlength=g.size)
    return {"mae": (_ratio(abs_err, n), n), "rmse": (np.sqrt(_ratio(sq, n)), n)}


def _spread(per: Per, name: str) -> tuple[float, float]:
    values, counts = per[name]
    ok = ~np.isnan(values)
    if ok.sum() < 2:
        return float("nan"), 0.0
    return float(values[ok].max() - values[ok].min()), float(counts[ok].min())


def _fairness(per: Per) -> dict[str, tuple[float, float]]:
    """Each disparity, with the smallest denominator among the slices it compares."""
    if "selection_rate" not in per:
        return {}
    rates, counts = per["selection_rate"]
    ok = ~np.isnan(rates)
    top = rates[ok].max() if ok.sum() >= 2 else 0.0
    ratio = float(rates[ok].min() / top) if top > 0 else float("nan")
    tpr, fpr = _spread(per, "tpr"), _spread(per, "fpr")
    odds = max(tpr[0], fpr[0]) if not np.isnan(tpr[0] + fpr[0]) else float("nan")
    return {
        "demographic_parity_difference": _spread(per, "selection_rate"),
        "demographic_parity_ratio": (ratio, float(counts[ok].min()) if ok.any() else 0.0),
        "equal_opportunity_difference": tpr,
        "equalized_odds_difference": (odds, min(tpr[1], fpr[1])),
    }


def _per_slice(v: View, d: Data, w: Floats, only: frozenset[str] | None) -> Per:
    if d.regression:
        return _regression(v, w)
    per: Per = {}
    if v.pred is not None and (only is None or only - set(SCORED)):
        per.update(_classification(v, w))
    if v.score is not None and (only is None or only & set(SCORED)):
        per.update(_scored(v, w, only))
    return per


def compute(
    d: Data, w: Floats | None = None, only: dict[str, frozenset[str]] | None = None
) -> Table:
    """Every metric for every slice of every grouping, with cell weights ``w`` (rows).

    ``only`` (slice key -> metric names) limits the work to those, e.g. in a replicate.
    """
    weights = d.base if w is None else w
    table = Table()
    for view in d.views:
        g = view.grouping
        wanted = only.get(g.key) if only is not None else None
        if only is not None and wanted is None:
            continue
        mine = view.base if w is None else view.weights(weights)
        per = _per_slice(view, d, mine, _needs(wanted))
        for name, (values, counts) in per.items():
            if wanted is not None and name not in wanted:
                continue
            for i, label in enumerate(g.labels):
                _put(table, (name, g.key, label), float(values[i]), counts[i])
        if g.key:
            for name, (value, count) in _fairness(per).items():
                if wanted is None or name in wanted:
                    _put(table, (name, g.key, ""), value, count, "fewer than two slices")
    return table


def _needs(wanted: frozenset[str] | None) -> frozenset[str] | None:
    if wanted is None or not wanted & set(FAIRNESS):
        return wanted
    return wanted | {"selection_rate", "tpr", "fpr"}


def _put(
    table: Table,
    key: tuple[str, str, str],
    value: float,
    count: float,
    why: str = "a division by zero",
) -> None:
    table.counts[key] = round(float(count))
    if np.isnan(value):
        table.undefined[key] = f"undefined ({why}: one class only?)"
    else:
        table.values[key] = value


__all__ = [
    "ALL",
    "CLASSIFICATION",
    "FAIRNESS",
    "RATES",
    "REGRESSION",
    "SCORED",
    "Data",
    "Grouping",
    "Table",
    "compute",
    "intersect",
    "pack",
    "prepare",
]
