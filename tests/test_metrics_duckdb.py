"""The DuckDB engine: the same cells, so the same lines (to 1e-12, intervals too) as numpy."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("duckdb")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from aigov_gate.errors import UsageError  # noqa: E402
from aigov_gate.measure import compute, duck, table  # noqa: E402
from aigov_gate.measure.intervals import Settings  # noqa: E402

COLUMNS: dict[str, str | None] = {"y_true": "label", "y_pred": None, "y_score": "score"}
WANTED = [
    compute.Request(name, metric, key)
    for name, metric, key in [
        ("roc_auc", "roc_auc", ""),
        ("accuracy", "accuracy", ""),
        ("log_loss", "log_loss", ""),
        ("ece", "expected_calibration_error", ""),
        ("approval", "selection_rate", "sex"),
        ("auc_by_band", "roc_auc", "band"),
        ("dpr", "demographic_parity_ratio", "sex"),
        ("eod", "equalized_odds_difference", "sex&band"),
        ("balanced", "balanced_accuracy", "band"),
    ]
]


def rows(n: int, seed: int = 7) -> list[dict[str, str]]:
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 2, n)
    score = np.round(np.clip(0.35 * label + rng.random(n) * 0.65, 0, 1), 3)
    sex = rng.choice(["female", "male", ""], n, p=[0.45, 0.45, 0.1])
    band = rng.choice(["01", "1", "10"], n)  # "01" and "1" are different slices
    return [
        {"label": str(a), "score": repr(float(b)), "sex": str(c), "band": str(d)}
        for a, b, c, d in zip(label, score, sex, band, strict=True)
    ]


def write_csv(path: Path, data: list[dict[str, str]]) -> Path:
    text = "label,score,sex,band\n" + "".join(
        f"{r['label']},{r['score']},{r['sex']},{r['band']}\n" for r in data
    )
    path.write_text(text, encoding="utf-8")
    return path


def write_parquet(
    path: Path, data: list[dict[str, str]], meta: dict[str, str] | None = None
) -> Path:
    t = pa.table(
        {
            "label": [int(r["label"]) for r in data],
            "score": [float(r["score"]) for r in data],
            "sex": [r["sex"] for r in data],
            "band": [r["band"] for r in data],
        }
    )
    pq.write_table(t.replace_schema_metadata(meta) if meta else t, path)
    return path


OPTIONS = compute.Options(
    intervals=True, settings=Settings(replicates=200, seed=3), jobs=1, intersectional=True
)


def measured(data: table.Predictions, options: compute.Options = OPTIONS) -> list[dict[str, Any]]:
    lines, _ = compute.measure(WANTED, data, options)
    return [json.loads(line) for line in lines]


def assert_same(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        if "predictions" in x:
            assert x["predictions"]["rows"] == y["predictions"]["rows"]
            continue
        assert x.keys() == y.keys()
        for key, value in x.items():
            if isinstance(value, float):
                assert value == pytest.approx(y[key], abs=1e-12, rel=0), (x, key)
            else:
                assert value == y[key], (x, key)


SLICES = ["sex", "band"]


def test_duckdb_gives_numpys_lines_and_intervals_on_a_csv(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", rows(3000))
    by_numpy = table.read(path, COLUMNS, SLICES)
    by_duckdb = duck.read(str(path), COLUMNS, SLICES)
    assert by_duckdb.counts is not None and len(by_duckdb.counts) < by_numpy.rows
    assert by_duckdb.rows == by_numpy.rows == 3000
    assert by_duckdb.sha256 == by_numpy.sha256
    assert by_duckdb.groupings[1].labels == by_numpy.groupings[1].labels == ("01", "1", "10")
    assert by_duckdb.groupings[0].labels == ("(empty)", "female", "male")
    one, other = measured(by_numpy), measured(by_duckdb)
    assert any("ci_low" in line and line["name"] == "roc_auc" for line in one)
    assert_same(one, other)


def test_the_existing_cli_data_measures_the_same_through_both_engines(tmp_path: Path) -> None:
    from test_metrics_cli import predictions

    path = tmp_path / "scores.csv"
    path.write_text(predictions(), encoding="utf-8")
    cols: dict[str, str | None] = {"y_true": "label", "y_pred": "approved", "y_score": "score"}
    by_numpy = table.read(path, cols, ["sex", "band"])
    by_duckdb = duck.read(str(path), cols, ["sex", "band"])
    assert_same(measured(by_numpy), measured(by_duckdb))


def test_a_glob_of_parquet_shards_is_the_whole_file_and_binds_every_shard(tmp_path: Path) -> None:
    data = rows(2000)
    whole = write_csv(tmp_path / "whole.csv", data)
    shards = tmp_path / "preds"
    shards.mkdir()
    for i in range(4):
        write_parquet(shards / f"part-{i}.parquet", data[i * 500 : (i + 1) * 500])
    glob = str(shards / "*.parquet")
    from_glob = duck.read(glob, COLUMNS, SLICES)
    assert from_glob.rows == 2000
    assert_same(measured(table.read(whole, COLUMNS, SLICES)), measured(from_glob))
    each = sorted(table.sha256(shards / f"part-{i}.parquet") for i in range(4))
    digests = "".join(d + "\n" for d in each).encode()
    assert from_glob.sha256 == hashlib.sha256(digests).hexdigest()
    write_parquet(shards / "part-3.parquet", data[1500:1999])  # one row fewer in one shard
    changed = duck.read(glob, COLUMNS, SLICES)
    assert changed.sha256 != from_glob.sha256 and changed.rows == 1999


def test_parquet_declared_digests_must_agree_across_a_glob(tmp_path: Path) -> None:
    data = rows(100)
    write_parquet(tmp_path / "a.parquet", data[:50], {"dataset_digest": "sha256:aa"})
    write_parquet(tmp_path / "b.parquet", data[50:], {"dataset_digest": "sha256:aa"})
    assert duck.read(str(tmp_path / "*.parquet"), COLUMNS, []).dataset_digest == "sha256:aa"
    write_parquet(tmp_path / "b.parquet", data[50:], {"dataset_digest": "sha256:bb"})
    with pytest.raises(UsageError, match="declare different datasets"):
        duck.read(str(tmp_path / "*.parquet"), COLUMNS, [])


def test_parquet_group_values_print_as_the_numpy_reader_prints_them(tmp_path: Path) -> None:
    t = pa.table(
        {
            "label": [1, 0, 1, 0],
            "score": [0.9, 0.2, 0.6, 0.4],
            "flag": [True, False, None, True],
            "code": ["01", "1", "", None],
            "age": [30, 41, 30, 41],
        }
    )
    pq.write_table(t, tmp_path / "p.parquet")
    slices = ["flag", "code", "age"]
    by_numpy = table.read(tmp_path / "p.parquet", COLUMNS, slices)
    by_duckdb = duck.read(str(tmp_path / "p.parquet"), COLUMNS, slices)
    for a, b in zip(by_numpy.groupings, by_duckdb.groupings, strict=True):
        assert sorted(a.labels) == sorted(b.labels)
    assert set(by_duckdb.groupings[1].labels) == {"01", "1", "(empty)", "(null)"}
    assert set(by_duckdb.groupings[0].labels) == {"True", "False", "(null)"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("label,score\n1,0.9\n0,high\n", "p.csv:3: score is 'high', not a number"),
        ("label,score\n1,0.9\n0,nan\n", "p.csv:3: score is nan"),
        ("label,score\n1,0.9\n2,0.1\n", "label is 2, not 0 or 1"),
        ("label,score\n1,1.5\n0,0.1\n", "values outside [0, 1]"),
        ("label,score\n1,0.9\n0,\n", "p.csv:3: score is '', not a number"),
        ("label,score\n", "has no rows"),
        ("label,sc\n1,0.9\n", "no column 'score'"),
    ],
)
def test_bad_predictions_are_the_numpy_readers_errors(
    text: str, message: str, tmp_path: Path
) -> None:
    (tmp_path / "p.csv").write_text(text, encoding="utf-8")
    with pytest.raises(UsageError, match=message.replace("[", r"\[").replace("]", r"\]")):
        duck.read(str(tmp_path / "p.csv"), COLUMNS, [])


def test_a_score_out_of_range_is_caught_even_when_rounding_would_hide_it(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text("label,score\n1,1.00001\n0,0.1\n", encoding="utf-8")
    with pytest.raises(UsageError, match="outside"):
        duck.read(str(tmp_path / "p.csv"), COLUMNS, [], precision=2)


def test_a_glob_that_matches_nothing_or_mixes_formats_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no file matches"):
        duck.read(str(tmp_path / "*.parquet"), COLUMNS, [])
    write_csv(tmp_path / "a.csv", rows(10))
    write_parquet(tmp_path / "a.parquet", rows(10))
    with pytest.raises(UsageError, match="mixes Parquet and CSV"):
        duck.read(str(tmp_path / "a.*"), COLUMNS, [])


def test_score_precision_rounds_before_counting(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", rows(3000))
    full = duck.read(str(path), COLUMNS, SLICES)
    rounded = duck.read(str(path), COLUMNS, SLICES, precision=1)
    assert rounded.counts is not None and full.counts is not None
    assert len(rounded.counts) < len(full.counts)
    assert rounded.y_score is not None
    assert set(np.round(rounded.y_score * 10, 9)) <= set(range(11))
    assert rounded.rows == full.rows


@pytest.mark.parametrize(
    ("score", "label", "message"),
    [
        (1.5, 1, "outside"),
        (float("nan"), 1, "score is nan"),
        (None, 1, "empty"),
        (0.4, 2, "0 or 1"),
    ],
)
def test_bad_numbers_in_a_parquet_file_are_refused(
    score: float | None, label: int, message: str, tmp_path: Path
) -> None:
    # a double score column is grouped by its raw value (no range columns): still checked
    path = tmp_path / "p.parquet"
    scores = pa.array([0.2, score, 0.9], pa.float64())
    pq.write_table(pa.table({"label": [0, label, 1], "score": scores}), path)
    for precision in (None, 2):
        with pytest.raises(UsageError, match=message):
            duck.read(str(path), COLUMNS, [], precision=precision)
