"""Statistics that hold (issue 39): valid intervals at small n and at zero disparity,
Bonferroni over the lines reported, honest n, exact slice labels, bounded memory and a
seeded bootstrap that does not depend on how many processes share it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import gate_repo as g
import numpy as np
import pytest
from conftest import WriteRepo, invoke

from aigov_gate.errors import UsageError
from aigov_gate.measure import engine, resample, table
from aigov_gate.measure.intervals import Settings, assemble, clopper_pearson, newcombe, wilson

Key = tuple[str, str, str]


def _no_boot(only: Any, level: float) -> dict[Key, tuple[float, float]]:
    raise AssertionError("these metrics need no bootstrap")


def _slices(rng: np.random.Generator, slices: int, n: int, tpr: float, fpr: float) -> Any:
    rows = slices * n
    y = (rng.random(rows) < 0.3).astype(float)
    pred = (rng.random(rows) < np.where(y == 1, tpr, fpr)).astype(float)
    index = np.repeat(np.arange(slices), n)
    grouping = engine.Grouping("g", tuple(f"s{i:03}" for i in range(slices)), index)
    return engine.compute(engine.prepare(y, pred, None, [grouping]))


# -- Wilson ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611),
     (1, 29, 0.0061, 0.1718)],
)  # fmt: skip
def test_wilson_matches_newcombe_1998(k: int, n: int, low: float, high: float) -> None:
    """Newcombe, Statistics in Medicine 17 (1998) 857-872, Table II, method 3."""
    found = wilson(k / n, n, 0.95)
    assert found == pytest.approx((low, high), abs=1e-4)


@pytest.mark.parametrize(("k", "n"), [(0, 20), (81, 263), (1, 29), (20, 20), (7, 1_000_000)])
def test_clopper_pearson_matches_scipy_s_beta_quantiles(k: int, n: int) -> None:
    beta = pytest.importorskip("scipy.stats").beta  # a test oracle only
    low = beta.ppf(0.025, k, n - k + 1) if k else 0.0
    high = beta.ppf(0.975, k + 1, n - k) if k < n else 1.0
    assert clopper_pearson(k / n, n, 0.95) == pytest.approx((low, high), abs=1e-12)


def test_clopper_pearson_on_request_is_exact_and_recorded() -> None:
    values = _slices(np.random.default_rng(12), 40, 15, tpr=0.8, fpr=0.2)
    keys = [k for k in values.values if k[0] == "fpr" and k[1] == "g"]
    exact, _ = assemble(keys, values, Settings(rates="clopper-pearson"), _no_boot)
    score, _ = assemble(keys, values, Settings(), _no_boot)
    for key in keys:
        low, high, provenance = exact[key]
        assert provenance.method == "clopper-pearson" and low <= values.values[key] <= high
        assert high - low >= score[key][1] - score[key][0] - 1e-12  # exact is the wider


@pytest.mark.parametrize(("n", "target"), [(15, 0.90), (30, 0.93)])
def test_rate_intervals_cover_at_small_slices(n: int, target: float) -> None:
    rng = np.random.default_rng(39)
    marks: dict[str, list[int]] = {"accuracy": [], "fpr": []}
    truth = {"accuracy": 0.3 * 0.8 + 0.7 * 0.8, "fpr": 0.2}
    for _ in range(8):
        values = _slices(rng, 100, n, tpr=0.8, fpr=0.2)
        keys = [k for k in values.values if k[0] in truth and k[1] == "g"]
        intervals, _ = assemble(keys, values, Settings(), _no_boot)
        for key, (low, high, provenance) in intervals.items():
            assert provenance.method == "wilson" and low <= values.values[key] <= high
            t = truth[key[0]]
            marks[key[0]].append(0 if t < low else 1 if t > high else 2)
    for metric, found in marks.items():
        counts = np.bincount(found, minlength=3) / len(found)
        assert counts[2] >= target, (metric, counts)
        assert counts[0] <= 0.05 and counts[1] <= 0.05, (metric, counts)  # each side


# -- disparity ---------------------------------------------------------------------------


def _groups(rng: np.random.Generator, n: int, rates: list[float]) -> engine.Table:
    k = len(rates)
    y = (rng.random(k * n) < 0.5).astype(float)
    pred = (rng.random(k * n) < np.repeat(rates, n)).astype(float)
    grouping = engine.Grouping("g", tuple(f"s{i}" for i in range(k)), np.repeat(np.arange(k), n))
    return engine.compute(engine.prepare(y, pred, None, [grouping]))


@pytest.mark.parametrize("rate", [0.1, 0.2, 0.5])
def test_a_disparity_interval_reaches_no_disparity_when_there_is_none(rate: float) -> None:
    rng = np.random.default_rng(int(rate * 100))
    reached = dict.fromkeys(engine.FAIRNESS, 0)
    total = dict.fromkeys(engine.FAIRNESS, 0)
    for _ in range(150):
        values = _groups(rng, 30, [rate, rate])
        keys = [(name, "g", "") for name in engine.FAIRNESS]
        intervals, _ = assemble(keys, values, Settings(), _no_boot)
        for (name, _k, _v), (low, high, provenance) in intervals.items():
            ratio = name == "demographic_parity_ratio"
            assert provenance.method == ("simultaneous-wilson" if ratio else "newcombe-difference")
            assert low <= values.values[(name, "g", "")] <= high
            none = 1.0 if name == "demographic_parity_ratio" else 0.0
            reached[name] += low <= none <= high
            total[name] += 1
    for name in engine.FAIRNESS:
        assert reached[name] / total[name] >= 0.90, (name, reached[name], total[name])


@pytest.mark.parametrize(
    ("a", "m", "b", "n", "low", "high"),
    [(56, 70, 48, 80, 0.0524, 0.3339), (9, 10, 3, 10, 0.1705, 0.8090),
     (5, 56, 0, 29, -0.0381, 0.1926), (0, 10, 0, 20, -0.1611, 0.2775),
     (10, 10, 0, 20, 0.6791, 1.0)],
)  # fmt: skip
def test_two_slices_use_newcombe_s_hybrid_score_interval(
    a: int, m: int, b: int, n: int, low: float, high: float
) -> None:
    """Newcombe, Statistics in Medicine 17 (1998) 873-890, Table II, method 10."""
    assert newcombe((a / m, m), (b / n, n), 0.95) == pytest.approx((low, high), abs=1e-4)


@pytest.mark.parametrize("rate", [0.1, 0.5])
def test_three_slices_use_simultaneous_intervals_that_reach_zero(rate: float) -> None:
    rng = np.random.default_rng(int(rate * 1000))
    reached = 0
    for _ in range(100):
        values = _groups(rng, 30, [rate, rate, rate])
        key = ("equal_opportunity_difference", "g", "")
        found, _ = assemble([key], values, Settings(), _no_boot)
        low, high, provenance = found[key]
        assert provenance.method == "simultaneous-wilson"
        assert low <= values.values[key] <= high
        reached += low == 0.0
    assert reached >= 90


def test_a_real_disparity_is_still_bracketed_and_its_n_is_the_smallest_slice() -> None:
    rng = np.random.default_rng(5)
    y = (rng.random(300) < 0.5).astype(float)
    pred = (rng.random(300) < np.r_[np.full(100, 0.1), np.full(200, 0.6)]).astype(float)
    grouping = engine.Grouping("g", ("a", "b"), np.r_[np.zeros(100), np.ones(200)].astype(int))
    values = engine.compute(engine.prepare(y, pred, None, [grouping]))
    key = ("demographic_parity_difference", "g", "")
    assert values.counts[key] == 100  # the smaller slice's rows, not 300
    eo = ("equal_opportunity_difference", "g", "")
    assert values.counts[eo] == min(
        values.counts[("tpr", "g", "a")], values.counts[("tpr", "g", "b")]
    )
    intervals, _ = assemble([key], values, Settings(), _no_boot)
    low, high, _p = intervals[key]
    assert 0 < low <= values.values[key] <= high  # the gap is real: 0 is excluded


# -- Bonferroni over the intervals reported ------------------------------------------------


def test_bonferroni_counts_every_line_with_an_interval() -> None:
    values = _slices(np.random.default_rng(1), 6, 40, tpr=0.8, fpr=0.2)
    keys = sorted(k for k in values.values if k[0] == "accuracy" and k[1] == "g")
    plain, _ = assemble(keys, values, Settings(), _no_boot)
    wide, _ = assemble(keys, values, Settings(adjust="bonferroni"), _no_boot)
    for key in keys:
        assert wide[key][2].intervals == 6 and wide[key][2].adjustment == "bonferroni"
        assert wide[key][2].line_level == pytest.approx(1 - 0.05 / 6)
        assert wide[key][1] - wide[key][0] > (plain[key][1] - plain[key][0]) * 1.2


def test_metrics_without_a_closed_form_need_replicates_and_say_so() -> None:
    rng = np.random.default_rng(2)
    y = (rng.random(400) < 0.4).astype(float)
    score = np.clip(y * 0.3 + rng.random(400) * 0.7, 0, 1)
    data = engine.prepare(y, (score >= 0.5).astype(float), score, [])
    values = engine.compute(data)
    keys: list[Key] = [("roc_auc", "", ""), ("expected_calibration_error", "", "")]
    found, without = assemble(keys, values, Settings(), _no_boot)
    assert found == {} and without == keys

    def boot(only: dict[str, frozenset[str]], level: float) -> Any:
        assert only == {"": frozenset({"roc_auc", "expected_calibration_error"})}
        return resample.bootstrap(data, 100, 3, level, only)

    found, without = assemble(keys, values, Settings(replicates=100, seed=3), boot)
    assert without == []
    for key in keys:
        low, high, provenance = found[key]
        assert low <= values.values[key] <= high  # widened to hold the point (ECE is biased)
        assert (provenance.method, provenance.seed, provenance.replicates) == (
            "percentile-bootstrap",
            3,
            100,
        )


# -- honest n --------------------------------------------------------------------------------


def test_n_is_the_denominator_of_each_metric() -> None:
    y = np.array([1, 1, 1, 0, 0, 0, 0, 0, 0, 0], dtype=float)
    pred = np.array([1, 1, 0, 1, 0, 0, 0, 0, 0, 0], dtype=float)
    values = engine.compute(engine.prepare(y, pred, None, []))
    expect = {"accuracy": 10, "fpr": 7, "tpr": 3, "fnr": 3, "precision": 3, "selection_rate": 10}
    assert {m: values.counts[(m, "", "")] for m in expect} == expect
    assert values.counts[("balanced_accuracy", "", "")] == 3
    assert values.counts[("f1", "", "")] == 4  # tp 2 + fp 1 + fn 1: true negatives do not count


# -- bootstrap ---------------------------------------------------------------------------------


def test_the_bootstrap_is_the_same_on_one_or_two_processes_and_only_does_what_is_asked() -> None:
    rng = np.random.default_rng(4)
    y = (rng.random(3000) < 0.4).astype(float)
    score = np.clip(y * 0.3 + rng.random(3000) * 0.7, 0, 1)  # unrounded: no ties
    sex = engine.Grouping("sex", ("f", "m"), (rng.random(3000) < 0.5).astype(np.int64))
    data = engine.prepare(y, (score >= 0.5).astype(float), score, [sex])
    only = {"sex": frozenset({"roc_auc"})}
    one = resample.draws(data, 120, 9, only, jobs=1)
    two = resample.draws(data, 120, 9, only, jobs=2)
    assert set(one) == {("roc_auc", "sex", "f"), ("roc_auc", "sex", "m")}
    for key, values in one.items():
        assert len(values) == 120 and np.array_equal(values, two[key])
    other = resample.draws(data, 120, 10, only, jobs=1)
    assert not np.array_equal(other[("roc_auc", "sex", "f")], one[("roc_auc", "sex", "f")])


def test_a_replicate_is_a_resample_of_the_rows() -> None:
    rng = np.random.default_rng(6)
    y = (rng.random(500) < 0.4).astype(float)
    score = rng.random(500).round(1)  # few cells: drawn per cell
    data = engine.prepare(y, (score >= 0.5).astype(float), score, [])
    assert len(data.base) * 8 < data.rows
    for seed in range(5):
        w = resample.weights(data, np.random.default_rng(seed))
        assert w.sum() == 500 and (w >= 0).all() and np.array_equal(w, np.round(w))
    unrounded = engine.prepare(y, (y > 0).astype(float), rng.random(500), [])
    w = resample.weights(unrounded, np.random.default_rng(1))
    assert w.sum() == 500 and len(w) == len(unrounded.base)


# -- many groups ---------------------------------------------------------------------------------


def test_sixty_thousand_groups_with_unrounded_scores_fit_in_memory() -> None:
    """The old AUC table was groups x distinct scores: 60,000 x 120,000 floats, 58 GB."""
    rng = np.random.default_rng(7)
    groups, rows = 60_000, 120_000
    index = np.repeat(np.arange(groups), 2)
    y = np.tile([0.0, 1.0], groups)
    score = rng.random(rows)
    labels = tuple(str(i) for i in range(groups))
    data = engine.prepare(
        y, (score >= 0.5).astype(float), score, [engine.Grouping("id", labels, index)]
    )
    values = engine.compute(data, only={"id": frozenset({"roc_auc"})})
    for i in (0, 1234, 59_999):
        neg, pos = score[2 * i], score[2 * i + 1]
        expect = 1.0 if pos > neg else 0.0
        assert values.values[("roc_auc", "id", str(i))] == expect
        assert values.counts[("roc_auc", "id", str(i))] == 1


def test_keys_too_wide_for_int64_are_packed_without_overflow() -> None:
    rng = np.random.default_rng(8)
    rows = 5000
    groupings = []
    for key in ("a", "b", "c", "d"):
        index = rng.integers(0, 3000, rows)
        groupings.append(engine.Grouping(key, tuple(str(i) for i in range(3000)), index))
    y = (rng.random(rows) < 0.5).astype(float)
    score = rng.random(rows)
    data = engine.prepare(y, (score >= 0.5).astype(float), score, groupings)
    # 3000^4 x 5000 scores x 4 > 2^63: without packing, distinct rows would share a cell
    assert len(data.base) == rows
    joined = engine.intersect(groupings)
    assert joined.size == len({tuple(g.index[r] for g in groupings) for r in range(rows)})


# -- exact labels ----------------------------------------------------------------------------------


def test_csv_labels_are_their_text_and_empty_is_named(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("y_true,y_pred,grp\n1,1,1000001\n0,1,1000002\n1,0,\n0,0,1e6\n")
    found = table.read(path, {"y_true": None, "y_pred": None, "y_score": None}, ["grp"])
    assert found.groupings[0].labels == ("(empty)", "1000001", "1000002", "1e6")
    path.write_text("y_true,y_pred,grp\n1,1,(empty)\n0,1,\n")
    with pytest.raises(UsageError, match=r"both print as '\(empty\)'"):
        table.read(path, {"y_true": None, "y_pred": None}, ["grp"])


def test_parquet_labels_are_exact_and_null_is_named(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "p.parquet"
    columns = {
        "y_true": [1, 0, 1, 0, 1],
        "y_pred": [1, 1, 0, 0, 1],
        "id": [1000001, 1000002, 1000001, None, 1000002],
        "x": [0.1 + 0.2, 0.3, 0.3, 0.3, 1e-300],
        "s": ["a", "", None, "a", "b"],
    }
    pq.write_table(pa.table(columns), path)
    found = table.read(path, {"y_true": None, "y_pred": None}, ["id", "x", "s"])
    by = {grp.key: grp for grp in found.groupings}
    assert sorted(by["id"].labels) == ["(null)", "1000001", "1000002"]
    assert sorted(by["x"].labels) == ["0.3", "0.30000000000000004", "1e-300"]
    assert sorted(by["s"].labels) == ["(empty)", "(null)", "a", "b"]
    assert [by["id"].labels[i] for i in by["id"].index] == [
        "1000001", "1000002", "1000001", "(null)", "1000002"
    ]  # fmt: skip


def test_a_parquet_column_that_cannot_be_a_slice_is_a_usage_error(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"y_true": [1, 0], "y_pred": [1, 0], "tags": [[1], [2]]}), path)
    with pytest.raises(UsageError, match="tags: cannot slice by a column of type list"):
        table.read(path, {"y_true": None, "y_pred": None}, ["tags"])


def test_intersections_that_would_print_the_same_are_refused() -> None:
    a = engine.Grouping("a", ("x&y", "x"), np.array([0, 1]))
    b = engine.Grouping("b", ("z", "y&z"), np.array([0, 1]))
    joined = engine.intersect([a, b])
    assert joined.labels == ("x&y&z", "x&y&z")
    with pytest.raises(UsageError, match="both print as 'x&y&z'"):
        table.exact(joined, "p.csv")


# -- the command ---------------------------------------------------------------------------------

PLAN = """\
apiVersion: aigov/v1
kind: TestPlan
metadata: {name: p}
spec:
  applies_to: {models: [scorer]}
  tests:
    - name: t
      metrics:
        - {name: fpr, operator: "<=", threshold: 0.3, slice_key: grp}
        - {name: demographic_parity_difference, operator: "<=", threshold: 0.3, slice_key: grp}
        - {name: roc_auc, operator: ">=", threshold: 0.5}
"""


def _repo(write_repo: WriteRepo, csv: str) -> Path:
    repo: Path = write_repo(g.repo_files({"tests/p.yaml": PLAN, "scores.csv": csv}))
    return repo


def _csv(rows: int = 120) -> str:
    lines = ["y_true,y_pred,y_score,grp"]
    for i in range(rows):
        label = int(i % 3 == 0)
        score = ((i * 7919) % 1000) / 1000
        lines.append(f"{label},{int(score >= 0.5)},{score},{'' if i % 2 else 'b'}")
    return "\n".join(lines) + "\n"


def test_the_documented_column_defaults_apply_and_empty_groups_are_named(
    write_repo: WriteRepo,
) -> None:
    repo = _repo(write_repo, _csv())
    done = invoke(
        "metrics",
        "compute",
        str(repo / "scores.csv"),
        "--repo",
        str(repo),
        "--plan",
        "p",
        "--intervals",
    )
    assert done.exit_code == 0, done.output
    lines = [json.loads(x) for x in done.stdout.splitlines()]
    fpr = {x["slice_value"]: x for x in lines if x.get("name") == "fpr" and "slice_value" in x}
    assert set(fpr) == {"(empty)", "b"}
    assert fpr["b"]["n"] == 40  # the negatives of the 60 rows of b
    dpd = [x for x in lines if x.get("name") == "demographic_parity_difference"]
    assert dpd[0]["n"] == 60 and "slice_value" not in dpd[0]
    assert dpd[0]["interval"]["intervals"] == 3  # two fpr slices and the disparity
    assert "roc_auc: no interval (it needs --bootstrap N)" in done.stderr
    args = ("--plan", "p", "--intervals", "--rate-interval", "clopper-pearson")
    done = invoke("metrics", "compute", str(repo / "scores.csv"), "--repo", str(repo), *args)
    lines = [json.loads(x) for x in done.stdout.splitlines()]
    exact = [x for x in lines if x.get("name") == "fpr"]
    assert {x["interval"]["method"] for x in exact} == {"clopper-pearson"}


def test_a_file_with_no_predictions_is_refused(write_repo: WriteRepo) -> None:
    repo = _repo(write_repo, "y_true,grp\n1,a\n0,b\n")
    done = invoke(
        "metrics", "compute", str(repo / "scores.csv"), "--repo", str(repo), "--plan", "p"
    )
    assert done.exit_code == 2
    assert "no predictions: no y_pred or y_score column" in done.output


def test_lines_without_an_interval_are_one_warning_per_metric() -> None:
    from aigov_gate.measure.compute import _no_interval

    keys: list[Key] = [("roc_auc", "id", str(i)) for i in range(60_000)]
    keys += [("roc_auc", "", ""), ("log_loss", "sex", "f")]
    assert _no_interval(keys) == [
        "roc_auc for 60000 slices of id: no interval (it needs --bootstrap N)",
        "roc_auc: no interval (it needs --bootstrap N)",
        "log_loss for sex=f: no interval (it needs --bootstrap N)",
    ]
