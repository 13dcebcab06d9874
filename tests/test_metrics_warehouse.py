"""``--connection URL --table NAME``: the GROUP BY runs in the warehouse (Ibis), and the lines
are the ones DuckDB prints for the same rows in a file.

Ibis against DuckDB in-process (``duckdb://``) runs in the ordinary suite; against a real
PostgreSQL (``.ci/postgres``: on 127.0.0.1, password authentication) in the ``postgres``
group, skipped when ``AIGOV_TEST_POSTGRES_URL`` is not set.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import gate_repo as g
import pytest
from conftest import WriteRepo, invoke

np = pytest.importorskip("numpy")
duckdb = pytest.importorskip("duckdb")
pq = pytest.importorskip("pyarrow.parquet")
ibis = pytest.importorskip("ibis")

from test_metrics_duckdb import rows, write_parquet  # noqa: E402
from test_metrics_partials import BOOT, COLS, PLAN, metric_lines  # noqa: E402

from aigov_gate.errors import UsageError  # noqa: E402
from aigov_gate.measure import remote, warehouse  # noqa: E402

SLICE = ("--protected", "sex,band")


@pytest.fixture
def repo(write_repo: WriteRepo) -> Path:
    root = write_repo(g.repo_files({"tests/p.yaml": PLAN}))
    write_parquet(root / "preds.parquet", rows(1500))
    con = duckdb.connect(str(root / "w.db"))
    con.execute(
        "CREATE TABLE preds AS SELECT * FROM read_parquet(?)", [str(root / "preds.parquet")]
    )
    con.execute("CREATE TABLE bad AS SELECT * REPLACE (label + 1 AS label) FROM preds")
    con.close()
    return root


def aigov(repo: Path, *args: str) -> Any:
    return invoke("metrics", "compute", *args, "--repo", str(repo), "--plan", "p", *COLS, *SLICE)


def binding(output: str) -> dict[str, Any]:
    found = [json.loads(x) for x in output.splitlines() if x.startswith('{"predictions"')]
    assert len(found) == 1, output
    return dict(found[0]["predictions"])


def compare(repo: Path, url: str, *extra: str) -> dict[str, Any]:
    """The table's lines equal the file's (intervals included); the table's binding."""
    whole = aigov(repo, str(repo / "preds.parquet"), *BOOT, *extra)
    table = aigov(repo, "--connection", url, "--table", "preds", *BOOT, *extra)
    assert whole.exit_code == 0, whole.output
    assert table.exit_code == 0, table.output
    assert metric_lines(table.output) == metric_lines(whole.output)
    assert len(metric_lines(whole.output)) >= 10
    return binding(table.output)


def test_a_duckdb_table_gives_the_lines_of_the_file_and_binds_the_table(repo: Path) -> None:
    url = f"duckdb://{repo / 'w.db'}"
    bound = compare(repo, url)
    source = bound["source"]
    assert bound["path"] == "preds" and bound["rows"] == source["rows"] == 1500
    assert source["connection"] == url and source["table"] == "preds"
    assert source["query"].startswith("SELECT") and "GROUP BY" in source["query"]
    assert "snapshot" not in source and "no snapshot id" in source["unbound"]
    rounded = compare(repo, url, "--score-precision", "2")
    assert rounded["sha256"] != bound["sha256"]  # the digest is of the cells counted


def test_bad_values_in_a_table_are_refused_with_what_is_wrong(repo: Path) -> None:
    result = aigov(repo, "--connection", f"duckdb://{repo / 'w.db'}", "--table", "bad")
    assert result.exit_code == 2
    assert "bad: label is 2, not 0 or 1" in result.output
    missing = aigov(repo, "--connection", f"duckdb://{repo / 'w.db'}", "--table", "nope")
    assert missing.exit_code == 2 and "--table nope: no such table" in missing.output


def test_the_source_options_that_do_not_fit_are_refused(repo: Path) -> None:
    url = f"duckdb://{repo / 'w.db'}"
    cases = [
        (("--connection", url), "--connection and --table go together"),
        (("--table", "preds"), "--connection and --table go together"),
        ((str(repo / "preds.parquet"), "--connection", url, "--table", "preds"), "no PREDICTIONS"),
        ((), "no predictions: pass PREDICTIONS"),
        ((str(repo / "preds.parquet"), "--spark-master", "local[1]"), "goes with --engine spark"),
        (("--connection", url, "--table", "preds", "--partial", "x.json"), "counted from files"),
    ]
    for args, message in cases:
        result = aigov(repo, *args)
        assert result.exit_code == 2 and message in result.output, (args, result.output)


def test_a_credential_in_the_url_is_refused_and_never_printed(repo: Path) -> None:
    for url, what in [
        ("postgres://alice:s3cr3t-pw@127.0.0.1:1/db", "holds a password"),
        ("postgres://127.0.0.1:1/db?password=s3cr3t-pw", "the parameter password"),
        ("snowflake://alice@acct/db?private_key=s3cr3t-pw", "the parameter private_key"),
    ]:
        result = aigov(repo, "--connection", url, "--table", "preds")
        assert result.exit_code == 2 and what in result.output, result.output
        assert "s3cr3t" not in result.output and "alice" not in result.output
        assert "PGPASSWORD" in result.output  # where the credential goes instead
    assert warehouse.shown("postgres://alice@db.example:5432/x?sslmode=require") == (
        "postgres://db.example:5432/x"
    )


def test_the_rounding_is_duckdbs_exactly() -> None:
    """``remote.rounded`` (IEEE operations only) rounds as DuckDB's ``round``: the double's
    exact value, half away from zero (0.85 is 0.8499... so 0.8), ties included."""
    rng = np.random.default_rng(4)
    x = np.concatenate(
        [rng.random(20000), np.round(rng.random(20000), 5), np.arange(0, 1, 1 / 1024), [0.85]]
    )
    x = np.concatenate([x, -x])
    con = duckdb.connect()
    for p in (0, 1, 2, 4, 7):
        sql = f"SELECT round(x, {p}) AS r FROM (SELECT unnest(?::DOUBLE[]) AS x)"
        want = np.asarray(con.execute(sql, [x.tolist()]).fetchnumpy()["r"])
        got = remote.rounded(x, p, np.floor, lambda c: c.astype(np.float64))
        assert np.array_equal(got, want), p
    assert remote.rounded(np.array([0.85, 0.125]), 1, np.floor, lambda c: c * 1.0)[0] == 0.8


POSTGRES = os.environ.get("AIGOV_TEST_POSTGRES_URL")


@pytest.mark.postgres
@pytest.mark.skipif(
    not POSTGRES, reason="no PostgreSQL: set AIGOV_TEST_POSTGRES_URL (.ci/postgres)"
)
def test_postgres_counts_the_cells_duckdb_counts(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert POSTGRES is not None
    password = os.environ["AIGOV_TEST_POSTGRES_PASSWORD"]
    monkeypatch.setenv("PGPASSWORD", password)
    table = f"preds_{os.getpid()}_{repo.name}".replace("-", "_").lower()
    con = ibis.connect(POSTGRES)
    con.create_table(table, pq.read_table(repo / "preds.parquet"))
    try:
        for extra in ((), ("--score-precision", "3")):
            whole = aigov(repo, str(repo / "preds.parquet"), *BOOT, *extra)
            there = aigov(repo, "--connection", POSTGRES, "--table", table, *BOOT, *extra)
            assert there.exit_code == 0, there.output
            assert metric_lines(there.output) == metric_lines(whole.output)
        duck = binding(
            aigov(repo, "--connection", f"duckdb://{repo / 'w.db'}", "--table", "preds").output
        )
        pg = binding(aigov(repo, "--connection", POSTGRES, "--table", table).output)
        assert pg["sha256"] == duck["sha256"]  # the same cells, whatever the warehouse
        assert pg["source"]["connection"] == POSTGRES.replace("postgres@", "")
        assert password not in json.dumps(pg)
        monkeypatch.setenv("PGPASSWORD", password + "-wrong")
        refused = aigov(repo, "--connection", POSTGRES, "--table", table)
        assert refused.exit_code == 2 and "cannot connect" in refused.output
        assert password not in refused.output
    finally:
        con.raw_sql(f'DROP TABLE "{table}"').close()  # Ibis 12's drop_table loses the name


def test_a_table_binding_reaches_the_test_run_record() -> None:
    from aigov_gate.documents.testing import PredictionsRef
    from aigov_gate.runner.formats import bindings

    line = {
        "predictions": {
            "path": "preds",
            "sha256": "a" * 64,
            "rows": 3,
            "source": {
                "connection": "postgres://h:1/d",
                "table": "preds",
                "query": "SELECT 1",
                "rows": 3,
                "unbound": "no snapshot",
            },
        }
    }
    found = bindings(json.dumps(line))
    assert found == [line["predictions"]]
    ref = PredictionsRef.model_validate(found[0])
    assert ref.source is not None and ref.source.table == "preds"
    with pytest.raises(UsageError):
        warehouse.check_url("not a url")
