"""Partial statistics: shards' cells merge to the lines of one run; mismatched ones are refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gate_repo as g
import pytest
from conftest import WriteRepo, invoke

pytest.importorskip("numpy")
pytest.importorskip("duckdb")
pytest.importorskip("pyarrow")

from test_metrics_duckdb import rows, write_csv, write_parquet

PLAN = """\
apiVersion: aigov/v1
kind: TestPlan
metadata: {name: p}
spec:
  applies_to: {models: [scorer]}
  tests:
    - name: quality
      metrics:
        - {name: roc_auc, operator: ">=", threshold: 0.6}
        - {name: log_loss, operator: "<=", threshold: 0.9}
        - {name: accuracy, operator: ">=", threshold: 0.5}
    - name: fairness
      metrics:
        - {name: approval_rate, operator: ">=", threshold: 0.1, slice_key: sex}
        - {name: demographic_parity_ratio, operator: ">=", threshold: 0.5, slice_key: sex}
        - {name: roc_auc, operator: ">=", threshold: 0.5, slice_key: band}
"""
COLS = ("--columns", "y_true=label,y_score=score", "--metric", "approval_rate=selection_rate")
BOOT = ("--bootstrap", "100", "--seed", "5", "--intervals", "--jobs", "1")


@pytest.fixture
def repo(write_repo: WriteRepo) -> Path:
    root = write_repo(g.repo_files({"tests/p.yaml": PLAN}))
    data = rows(2400)
    (root / "preds").mkdir()
    for i in range(4):
        write_parquet(root / "preds" / f"part-{i}.parquet", data[i * 600 : (i + 1) * 600])
    write_csv(root / "whole.csv", data)
    return root


def aigov(repo: Path, *args: str) -> Any:
    cols = COLS if args[1] == "compute" else COLS[2:]  # merge: the partials know the columns
    return invoke(*args, "--repo", str(repo), "--plan", "p", *cols)


def partial(repo: Path, i: int, *extra: str) -> Path:
    # a file per option set: the same name twice would need --force (and once, unseen,
    # overwrote the precision-15 partials the last assertion below means to merge)
    out = repo / f"part-{i}{''.join(extra).replace('-', '_')}.json"
    result = aigov(
        repo,
        "metrics",
        "compute",
        str(repo / "preds" / f"part-{i}.parquet"),
        "--partial",
        str(out),
        *extra,
    )
    assert result.exit_code == 0, result.output
    return out


def metric_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith('{"name"')]


def test_shards_merge_to_the_lines_of_one_run_intervals_included(repo: Path) -> None:
    whole = aigov(repo, "metrics", "compute", str(repo / "preds" / "*.parquet"), *BOOT)
    assert whole.exit_code == 0, whole.output
    parts = [str(partial(repo, i, "--score-precision", "15")) for i in range(4)]
    parts_full = [str(partial(repo, i)) for i in range(4)]
    merged = aigov(repo, "metrics", "merge", *parts_full[::-1], *BOOT)  # any order
    assert merged.exit_code == 0, merged.output
    lines = metric_lines(whole.output)
    assert len(lines) > 8 and any('"ci_low"' in line and "roc_auc" in line for line in lines)
    assert metric_lines(merged.output) == lines  # the same text: values and intervals
    binding = next(json.loads(x) for x in merged.output.splitlines() if '"predictions"' in x)
    one = next(json.loads(x) for x in whole.output.splitlines() if '"predictions"' in x)
    assert binding["predictions"]["sha256"] == one["predictions"]["sha256"]
    assert binding["predictions"]["rows"] == 2400
    # the same rows in one CSV file: the same lines again
    csv = aigov(repo, "metrics", "compute", str(repo / "whole.csv"), *BOOT)
    assert metric_lines(csv.output) == lines
    # precision 15 keeps these 3-decimal scores: the same cells, the same lines
    assert metric_lines(aigov(repo, "metrics", "merge", *parts, *BOOT).output) == lines


def test_a_partial_holds_cells_and_the_bindings(repo: Path) -> None:
    doc = json.loads(partial(repo, 0, "--score-precision", "2").read_text(encoding="utf-8"))
    assert doc["kind"] == "aigov-metrics-partial" and doc["score_precision"] == 2
    assert doc["plan"]["name"] == "p" and len(doc["plan"]["sha256"]) == 64
    assert doc["predictions"]["rows"] == sum(doc["cells"]["n"]) == 600
    assert doc["protected"] == ["sex", "band"]
    labels = doc["cells"]["labels"][1]
    assert set(labels) == {"01", "1", "10"} and len(labels) == 3
    assert {labels[c] for c in doc["cells"]["codes"][1]} == {"01", "1", "10"}
    assert all(round(s, 2) == s for s in doc["cells"]["y_score"])


def test_min_cell_count_refuses_small_cells_and_writes_nothing(repo: Path) -> None:
    out = repo / "small.json"
    args = ("metrics", "compute", str(repo / "preds" / "part-0.parquet"), "--partial", str(out))
    refused = aigov(repo, *args, "--min-cell-count", "5")
    assert refused.exit_code == 2
    assert "cells hold fewer than 5 rows" in refused.output and not out.exists()
    assert aigov(repo, *args, "--score-precision", "0").exit_code == 0
    smallest = min(json.loads(out.read_text(encoding="utf-8"))["cells"]["n"])
    out.unlink()
    coarse = (*args, "--score-precision", "0", "--min-cell-count")
    assert aigov(repo, *coarse, str(smallest + 1)).exit_code == 2 and not out.exists()
    kept = aigov(repo, *coarse, str(smallest))
    assert kept.exit_code == 0, kept.output
    assert min(json.loads(out.read_text(encoding="utf-8"))["cells"]["n"]) == smallest


def refused(repo: Path, *args: str) -> str:
    result = aigov(repo, "metrics", "merge", *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return str(result.output)


def test_merge_refuses_partials_of_another_plan(repo: Path) -> None:
    a, b = partial(repo, 0), partial(repo, 1)
    plan = repo / "tests" / "p.yaml"
    plan.write_text(PLAN.replace("threshold: 0.6", "threshold: 0.5"), encoding="utf-8")
    assert "recompute the partial with this plan" in refused(repo, str(a), str(b))


def test_merge_refuses_partials_counted_differently(repo: Path) -> None:
    a = partial(repo, 0)
    b = partial(repo, 1, "--score-precision", "2")
    assert "score precision is 2" in refused(repo, str(a), str(b))
    c = repo / "c.json"
    args = ("metrics", "compute", str(repo / "preds" / "part-2.parquet"), "--partial", str(c))
    assert aigov(repo, *args, "--protected", "band,sex").exit_code == 0
    assert "protected" in refused(repo, str(a), str(c))
    doc = json.loads(a.read_text(encoding="utf-8"))
    doc["columns"]["y_score"] = "other"
    doc["predictions"]["sha256"] = "0" * 64
    (repo / "d.json").write_text(json.dumps(doc), encoding="utf-8")
    assert "columns is" in refused(repo, str(a), str(repo / "d.json"))


def test_merge_refuses_a_shard_twice_and_tampered_partials(repo: Path) -> None:
    a = partial(repo, 0)
    assert "pass each shard's partial once" in refused(repo, str(a), str(a))
    doc = json.loads(a.read_text(encoding="utf-8"))
    bad = repo / "bad.json"
    changes: list[tuple[Callable[[dict[str, Any]], object], str]] = [
        (lambda d: d["cells"]["n"].__setitem__(0, d["cells"]["n"][0] + 1), "cells hold 601 rows"),
        (lambda d: d["cells"]["y_true"].__setitem__(0, 2), "'y_true' is not 0 or 1"),
        (lambda d: d["cells"]["y_score"].__setitem__(0, 1.5), "outside [0, 1]"),
        (lambda d: d["cells"]["n"].__setitem__(0, -1), "not a positive whole number"),
        (lambda d: d.__setitem__("version", 9), "version 9"),
        (lambda d: d["cells"]["labels"].pop(), "one list per protected column"),
        (lambda d: d["cells"]["codes"][0].__setitem__(0, 7), "outside its labels"),
        (lambda d: d["cells"]["codes"][0].__setitem__(0, True), "not a list of whole numbers"),
        (lambda d: d["cells"]["labels"][0].__setitem__(0, 3), "lists of text or null"),
        (lambda d: d.__setitem__("version", 1), "compute them again"),
    ]
    for change, message in changes:
        copy = json.loads(json.dumps(doc))
        change(copy)
        bad.write_text(json.dumps(copy), encoding="utf-8")
        assert message in refused(repo, str(bad))
    bad.write_text('{"kind": "aigov-metrics-partial", "version": 2, "x": NaN}', encoding="utf-8")
    assert "not JSON" in refused(repo, str(bad))
    assert "over the limit" in refused(repo, str(a), "--max-bytes", "100")


def test_partial_options_that_do_not_fit_are_refused(repo: Path) -> None:
    src = str(repo / "preds" / "part-0.parquet")
    out = str(repo / "x.json")
    result = aigov(repo, "metrics", "compute", src, "--partial", out, "--bootstrap", "10")
    assert result.exit_code == 2 and "give --bootstrap" in result.output
    result = aigov(repo, "metrics", "compute", src, "--min-cell-count", "3")
    assert result.exit_code == 2 and "goes with --partial" in result.output
    result = aigov(repo, "metrics", "compute", src, "--engine", "numpy", "--score-precision", "2")
    assert result.exit_code == 2 and "needs --engine duckdb" in result.output


def test_a_partial_or_the_lines_are_not_written_over_without_force(repo: Path) -> None:
    first = partial(repo, 0)
    before = first.read_bytes()
    again = aigov(
        repo, "metrics", "compute", str(repo / "preds" / "part-1.parquet"), "--partial", str(first)
    )
    assert again.exit_code == 2 and "already exists; not overwriting it" in again.output
    assert first.read_bytes() == before  # refused before anything was counted
    lines = repo / "lines.jsonl"
    args = ("metrics", "compute", str(repo / "preds" / "part-1.parquet"), "-o", str(lines))
    assert aigov(repo, *args).exit_code == 0 and lines.read_text().count("\n") > 3
    assert aigov(repo, *args).exit_code == 2
    assert aigov(repo, *args, "--force").exit_code == 0


def test_parquet_partials_merge_like_json_ones_and_mix_with_them(repo: Path) -> None:
    whole = aigov(repo, "metrics", "compute", str(repo / "preds" / "*.parquet"), *BOOT)
    out = [repo / f"part-{i}.parquet" for i in range(4)]
    for i, path in enumerate(out):
        args = ("metrics", "compute", str(repo / "preds" / f"part-{i}.parquet"))
        assert aigov(repo, *args, "--partial", str(path)).exit_code == 0
        assert path.read_bytes()[:4] == b"PAR1"
    merged = aigov(repo, "metrics", "merge", *map(str, out), *BOOT)
    assert merged.exit_code == 0, merged.output
    assert metric_lines(merged.output) == metric_lines(whole.output)
    mixed = [str(out[0]), str(out[1]), str(partial(repo, 2)), str(partial(repo, 3))]
    assert metric_lines(aigov(repo, "metrics", "merge", *mixed, *BOOT).output) == metric_lines(
        whole.output
    )


def test_tampered_parquet_partials_are_refused(repo: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    good = repo / "good.parquet"
    args = ("metrics", "compute", str(repo / "preds" / "part-0.parquet"), "--partial", str(good))
    assert aigov(repo, *args).exit_code == 0
    table = pq.read_table(good)
    bad = repo / "bad.parquet"
    n = table["n"].to_pylist()
    changes: list[tuple[Any, str]] = [
        (table.replace_schema_metadata({}), "no 'aigov.partial' metadata"),
        (table.drop_columns(["g0"]), "expected g0, g1"),
        (table.drop_columns(["g1"]), "one list per protected column"),
        (table.set_column(table.column_names.index("n"), "n", pa.array([n[0] + 1, *n[1:]])), "601"),
        (table.set_column(0, "g0", pa.array(range(table.num_rows))), "column g0 is not text"),
    ]
    for changed, message in changes:
        pq.write_table(changed, bad)
        assert message in refused(repo, str(bad))
    bad.write_bytes(b"PAR1" + b"\0" * 40)
    assert "not Parquet" in refused(repo, str(bad))


def test_cells_from_raw_values_measure_like_coded_ones(tmp_path: Path) -> None:
    import numpy as np

    from aigov_gate.measure import counted, duck

    path = tmp_path / "p.parquet"
    write_parquet(path, rows(300))
    cols: dict[str, str | None] = {"y_true": "label", "y_pred": None, "y_score": "score"}
    coded = duck.count(str(path), cols, ["sex", "band"])
    raw = [
        [labels[c] for c in codes] for labels, codes in zip(coded.labels, coded.codes, strict=True)
    ]
    head = (coded.pattern, coded.sha256, coded.declared, coded.columns, coded.protected)
    again = counted.Cells.of_values(head, raw, coded.numbers, coded.counts)
    a, b = counted.predictions(coded), counted.predictions(again)
    assert [g.labels for g in a.groupings] == [g.labels for g in b.groupings]
    assert all(
        np.array_equal(x.index, y.index) for x, y in zip(a.groupings, b.groupings, strict=True)
    )
    assert a.counts is not None and b.counts is not None
    assert a.y_score is not None and b.y_score is not None
    assert np.array_equal(a.counts, b.counts) and np.array_equal(a.y_score, b.y_score)
    assert a.rows == 300 and "01" in a.groupings[1].labels
