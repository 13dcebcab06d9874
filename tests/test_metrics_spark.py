"""``--engine spark``: PySpark in local mode counts the cells DuckDB counts, so the lines are
string-equal (intervals included), at full precision and at a score precision.

A marked group (``-m spark``): it needs the spark extra and Java 17, which ``.ci/run``
installs; it is skipped without them. One local SparkSession serves every test (Spark
starts in tens of seconds); the engine reuses the active session.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("numpy")
pytest.importorskip("duckdb")
pytest.importorskip("pyarrow")
pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip("--engine spark needs Java 17 (.ci/run installs it)", allow_module_level=True)

import gate_repo as g
from conftest import WriteRepo
from test_metrics_duckdb import rows, write_csv, write_parquet
from test_metrics_partials import BOOT, PLAN, metric_lines, partial
from test_metrics_partials import aigov as run

from aigov_gate.errors import UsageError
from aigov_gate.measure import spark

pytestmark = pytest.mark.spark


@pytest.fixture(scope="session", autouse=True)
def session() -> Iterator[Any]:
    from pyspark.sql import SparkSession

    started = (
        SparkSession.builder.master("local[2]")
        .appName("aigov tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    started.sparkContext.setLogLevel("ERROR")
    yield started
    started.stop()


@pytest.fixture
def repo(write_repo: WriteRepo) -> Path:
    """The plan of test_metrics_partials, four Parquet shards and the same rows as one CSV."""
    root = write_repo(g.repo_files({"tests/p.yaml": PLAN}))
    data = rows(1200)
    (root / "preds").mkdir()
    for i in range(4):
        write_parquet(root / "preds" / f"part-{i}.parquet", data[i * 300 : (i + 1) * 300])
    write_csv(root / "whole.csv", data)
    return root


def test_spark_prints_the_lines_duckdb_prints(repo: Path) -> None:
    glob = str(repo / "preds" / "*.parquet")
    # each format once (Spark is slow to schedule): Parquet shards, a CSV at a precision
    for source, extra in ((glob, ()), (str(repo / "whole.csv"), ("--score-precision", "2"))):
        duck = run(repo, "metrics", "compute", source, *BOOT, *extra)
        ours = run(repo, "metrics", "compute", source, "--engine", "spark", *BOOT, *extra)
        assert duck.exit_code == 0, duck.output
        assert ours.exit_code == 0, ours.output
        assert metric_lines(ours.output) == metric_lines(duck.output)
        assert len(metric_lines(duck.output)) >= 8
        assert ours.output.splitlines()[-1] == duck.output.splitlines()[-1]  # the binding


def test_spark_partials_merge_with_duckdbs(repo: Path) -> None:
    whole = run(repo, "metrics", "compute", str(repo / "preds" / "*.parquet"), *BOOT)
    parts = [partial(repo, i, *(("--engine", "spark") if i % 2 else ())) for i in range(4)]
    merged = run(repo, "metrics", "merge", *map(str, parts), *BOOT)
    assert merged.exit_code == 0, merged.output
    assert metric_lines(merged.output) == metric_lines(whole.output)


def test_spark_refuses_bad_rows_with_the_file_and_line(tmp_path: Path) -> None:
    data = rows(50)
    data[6]["score"] = "1.5"
    path = write_csv(tmp_path / "bad.csv", data)
    cols: dict[str, str | None] = {"y_true": "label", "y_pred": None, "y_score": "score"}
    with pytest.raises(UsageError, match="outside"):
        spark.count(str(path), cols, ["sex"])
    data[6]["score"] = "0.5"
    data[9]["label"] = "yes"
    write_csv(path, data)
    with pytest.raises(UsageError, match=r"bad\.csv:11: label is 'yes', not a number"):
        spark.count(str(path), cols, ["sex"])
