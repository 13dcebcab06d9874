"""The metrics engine against scikit-learn and fairlearn (test oracles only, never imported
by aigov): synthetic data with ties and slices, and a real public dataset with protected
attributes that scikit-lego ships inside its wheel (``load_arrests``: 5,226 arrests for
marijuana possession in Toronto, from the R package carData, GPL-2 or later)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

pytest.importorskip("sklearn")
pytest.importorskip("fairlearn")

from fairlearn import metrics as fm
from sklearn import metrics as sm
from sklearn.calibration import calibration_curve

from aigov_gate.measure import engine, resample

TOL = 1e-9


def grouping(key: str, values: np.ndarray[Any, Any]) -> engine.Grouping:
    labels, index = np.unique(values, return_inverse=True)
    return engine.Grouping(key, tuple(str(v) for v in labels), index.astype(np.int64))


def synthetic(n: int = 6000, seed: int = 3) -> dict[str, np.ndarray[Any, Any]]:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], n, p=[0.45, 0.55])
    band = rng.choice(["18-24", "25-44", "45-64", "65+"], n)
    y = (rng.random(n) < np.where(sex == "female", 0.35, 0.45)).astype(float)
    score = np.clip(0.3 * y + rng.beta(2, 3, n) * 0.7, 0, 1).round(2)  # many ties
    score[:5] = [0.0, 1.0, 0.0, 1.0, 0.5]  # the edges of the first and last bins
    pred = (score >= 0.5).astype(float)
    return {"y": y, "score": score, "pred": pred, "sex": sex, "band": band}


def ece_oracle(y: np.ndarray[Any, Any], p: np.ndarray[Any, Any]) -> float:
    """ECE from scikit-learn's calibration_curve (uniform, 10 bins), weighted by bin size.

    The bin sizes follow calibration_curve's own rule (``searchsorted(edges[1:-1], p)``: a
    score on an edge belongs to the lower bin), which np.histogram does not.
    """
    prob_true, prob_pred = calibration_curve(y, p, n_bins=10, strategy="uniform")
    counts = np.bincount(np.searchsorted(np.linspace(0, 1, 11)[1:-1], p), minlength=10)
    counts = counts[counts > 0]
    return float(np.sum(counts / len(p) * np.abs(prob_true - prob_pred)))


def oracle(y: Any, score: Any, pred: Any) -> dict[str, float]:
    tn, fp, fn, tp = sm.confusion_matrix(y, pred, labels=[0, 1]).ravel()
    return {
        "accuracy": sm.accuracy_score(y, pred),
        "balanced_accuracy": sm.balanced_accuracy_score(y, pred),
        "precision": sm.precision_score(y, pred),
        "recall": sm.recall_score(y, pred),
        "fpr": fp / (fp + tn),
        "fnr": fn / (fn + tp),
        "f1": sm.f1_score(y, pred),
        "selection_rate": float(np.mean(pred)),
        "roc_auc": sm.roc_auc_score(y, score),
        "log_loss": sm.log_loss(y, score),
        "brier_score": sm.brier_score_loss(y, score),
        "expected_calibration_error": ece_oracle(y, score),
    }


def test_every_metric_overall_and_per_slice_matches_scikit_learn() -> None:
    d = synthetic()
    groups = [grouping("sex", d["sex"]), grouping("age_band", d["band"])]
    data = engine.prepare(d["y"], d["pred"], d["score"], groups)
    table = engine.compute(data)
    expect = oracle(d["y"], d["score"], d["pred"])
    for name, value in expect.items():
        assert table.values[(name, "", "")] == pytest.approx(value, abs=TOL), name
    for key, column in (("sex", d["sex"]), ("age_band", d["band"])):
        for label in np.unique(column):
            rows = column == label
            sliced = oracle(d["y"][rows], d["score"][rows], d["pred"][rows])
            for name, value in sliced.items():
                got = table.values[(name, key, str(label))]
                assert got == pytest.approx(value, abs=TOL), (name, key, label)
            assert table.counts[("accuracy", key, str(label))] == int(rows.sum())


def test_fairness_metrics_match_fairlearn() -> None:
    d = synthetic()
    groups = [grouping("sex", d["sex"]), grouping("age_band", d["band"])]
    table = engine.compute(engine.prepare(d["y"], d["pred"], d["score"], groups))
    for key, column in (("sex", d["sex"]), ("age_band", d["band"])):
        args = (d["y"], d["pred"])
        expect = {
            "demographic_parity_difference": fm.demographic_parity_difference(
                *args, sensitive_features=column
            ),
            "demographic_parity_ratio": fm.demographic_parity_ratio(
                *args, sensitive_features=column
            ),
            "equalized_odds_difference": fm.equalized_odds_difference(
                *args, sensitive_features=column
            ),
            "equal_opportunity_difference": fm.equal_opportunity_difference(
                *args, sensitive_features=column
            ),
        }
        for name, value in expect.items():
            assert table.values[(name, key, "")] == pytest.approx(value, abs=TOL), (name, key)
        frame = fm.MetricFrame(
            metrics={"selection_rate": fm.selection_rate, "tpr": fm.true_positive_rate},
            y_true=d["y"],
            y_pred=d["pred"],
            sensitive_features=column,
        )
        for label, row in frame.by_group.iterrows():
            assert table.values[("selection_rate", key, str(label))] == pytest.approx(
                row["selection_rate"], abs=TOL
            )
            assert table.values[("tpr", key, str(label))] == pytest.approx(row["tpr"], abs=TOL)


def test_regression_metrics_match_scikit_learn() -> None:
    rng = np.random.default_rng(5)
    y = rng.normal(10, 3, 2000)
    pred = y + rng.normal(0, 1.5, 2000)
    band = rng.choice(["a", "b", "c"], 2000)
    table = engine.compute(engine.prepare(y, pred, None, [grouping("band", band)], True))
    assert table.values[("mae", "", "")] == pytest.approx(sm.mean_absolute_error(y, pred), abs=TOL)
    assert table.values[("rmse", "", "")] == pytest.approx(
        sm.root_mean_squared_error(y, pred), abs=TOL
    )
    rows = band == "b"
    assert table.values[("rmse", "band", "b")] == pytest.approx(
        sm.root_mean_squared_error(y[rows], pred[rows]), abs=TOL
    )


def test_weights_are_repeated_rows_so_the_bootstrap_shares_the_estimate_code() -> None:
    d = synthetic(800)
    groups = [grouping("sex", d["sex"])]
    counts = np.random.default_rng(1).integers(0, 4, 800)
    data = engine.prepare(d["y"], d["pred"], d["score"], groups)
    weighted = engine.compute(data, data.weigh(counts * 1.0))
    repeated = {k: np.repeat(v, counts) for k, v in d.items()}
    plain = engine.compute(
        engine.prepare(
            repeated["y"], repeated["pred"], repeated["score"], [grouping("sex", repeated["sex"])]
        )
    )
    assert weighted.values.keys() == plain.values.keys()
    for key, value in plain.values.items():
        assert weighted.values[key] == pytest.approx(value, abs=TOL), key


def test_the_bootstrap_is_seeded_and_covers_the_estimate() -> None:
    d = synthetic(1500)
    data = engine.prepare(d["y"], d["pred"], d["score"], [grouping("sex", d["sex"])])
    point = engine.compute(data).values
    first = resample.bootstrap(data, 200, seed=11)
    assert resample.bootstrap(data, 200, seed=11) == first
    other = resample.bootstrap(data, 200, seed=12)
    assert other[("roc_auc", "", "")] != first[("roc_auc", "", "")]
    low, high = first[("roc_auc", "", "")]
    assert low < point[("roc_auc", "", "")] < high
    narrow = resample.bootstrap(data, 200, seed=11, level=0.5)[("roc_auc", "", "")]
    assert low < narrow[0] < narrow[1] < high


def test_undefined_metrics_are_left_out_with_the_reason() -> None:
    y = np.array([1.0, 1.0, 0.0, 0.0])
    score = np.array([0.9, 0.8, 0.3, 0.2])
    pred = (score >= 0.5).astype(float)
    group = grouping("g", np.array(["a", "a", "b", "b"]))  # each slice holds one class
    table = engine.compute(engine.prepare(y, pred, score, [group]))
    assert ("roc_auc", "g", "a") not in table.values
    assert table.undefined[("roc_auc", "g", "a")].startswith("undefined")
    assert table.values[("roc_auc", "", "")] == 1.0
    both = engine.intersect([group, grouping("h", np.array(["x", "y", "x", "y"]))])
    assert (both.key, both.labels) == ("g&h", ("a&x", "a&y", "b&x", "b&y"))


def test_a_real_dataset_scikit_lego_arrests_matches_the_oracles() -> None:
    sklego = pytest.importorskip("sklego.datasets")
    from sklearn.linear_model import LogisticRegression

    frame = sklego.load_arrests(as_frame=True)
    assert len(frame) == 5226  # as carData documents the Arrests data
    y = (frame["released"] == "Yes").to_numpy(dtype=float)
    features = np.column_stack(
        [
            frame["checks"].to_numpy(dtype=float),
            (frame["employed"] == "Yes").to_numpy(dtype=float),
            (frame["citizen"] == "Yes").to_numpy(dtype=float),
            frame["age"].to_numpy(dtype=float),
        ]
    )
    score = LogisticRegression(max_iter=1000).fit(features, y).predict_proba(features)[:, 1]
    pred = (score >= 0.8).astype(float)
    colour, sex = frame["colour"].to_numpy(), frame["sex"].to_numpy()
    groups = [grouping("colour", colour), grouping("sex", sex)]
    table = engine.compute(engine.prepare(y, pred, score, groups))
    for name, value in oracle(y, score, pred).items():
        assert table.values[(name, "", "")] == pytest.approx(value, abs=TOL), name
    for label in ("Black", "White"):
        rows = colour == label
        assert table.values[("roc_auc", "colour", label)] == pytest.approx(
            sm.roc_auc_score(y[rows], score[rows]), abs=TOL
        )
    assert table.values[("demographic_parity_ratio", "colour", "")] == pytest.approx(
        fm.demographic_parity_ratio(y, pred, sensitive_features=colour), abs=TOL
    )
    assert table.values[("equalized_odds_difference", "sex", "")] == pytest.approx(
        fm.equalized_odds_difference(y, pred, sensitive_features=sex), abs=TOL
    )
