"""Hostile data from outside the YAML documents: result files, imports, the audit log, MLflow
stores, Parquet files, policy messages. Each was an internal error (exit 3) once; each must
be a problem in the report or a clear exit 2 that says where and what.

JSON enters through one reader (``loading/safe_json``); these tests send it what broke the
readers before it: 50,000 nested ``[``, wrong shapes, bytes that are not UTF-8.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import ROOT, WriteRepo, invoke, run_aigov

from aigov_gate.errors import UsageError
from aigov_gate.interchange import mlflow
from aigov_gate.loading.safe_json import JsonError, JsonLimits, loads
from aigov_gate.runner.formats import read_aiverify, read_jsonl, read_lm_eval

DEEP = "[" * 50_000 + "]" * 50_000


# -- the reader itself -----------------------------------------------------------------------


def test_deep_json_is_refused_where_it_crosses_the_limit() -> None:
    with pytest.raises(JsonError) as caught:
        loads('{"a":\n  ' + DEEP + "}")
    assert (caught.value.line, caught.value.column) == (2, 3 + 127)
    assert "nested deeper than 128 levels" in caught.value.message
    # brackets inside strings do not count, so a long string of them is fine
    assert loads(json.dumps({"s": DEEP})) == {"s": DEEP}
    assert loads("[" * 128 + "]" * 128) is not None


def test_size_shape_utf8_and_constants_are_errors_with_a_place() -> None:
    with pytest.raises(JsonError, match="over the limit of 10"):
        loads("[" + "1," * 10 + "1]", JsonLimits(max_bytes=10))
    with pytest.raises(JsonError, match="expected an object, found an array") as shape:
        loads("\n  [1]", expect=dict)
    assert (shape.value.line, shape.value.column) == (2, 3)
    with pytest.raises(JsonError, match="not UTF-8") as utf8:
        loads(b'{"a":\n"\xff"}')
    assert (utf8.value.line, utf8.value.column) == (2, 2)
    with pytest.raises(JsonError, match="NaN is not a JSON number") as nan:
        loads('{"NaN": 1, "b": NaN}', constants=False)
    assert nan.value.column == 17
    with pytest.raises(JsonError, match="4300 digits"):
        loads("9" * 5000)


# -- item 8: deep JSON in result files, imports and the audit log ----------------------------


@pytest.mark.parametrize("reader", [read_jsonl, read_lm_eval, read_aiverify])
def test_a_deep_result_file_is_a_problem_not_a_crash(reader: object) -> None:
    metrics, problems = reader(DEEP, "r.json")  # type: ignore[operator]
    assert metrics == []
    assert "nested deeper" in problems[0] or "not a JSON object" in problems[0]


def test_test_run_writes_its_testrun_when_a_result_file_is_deep(write_repo: WriteRepo) -> None:
    script = (
        "import os\n"
        "with open(os.environ['AIGOV_RESULT_FILE'], 'w') as f:\n"
        "    f.write('{\"name\": \"score\", \"value\": 0.9}\\n' + '[' * 50000 + '\\n')\n"
    )
    repo = write_repo(
        {
            ".aigov.yaml": "organization: acme\n",
            "m.yaml": (
                "apiVersion: aigov/v1\nkind: Model\nmetadata: {name: m, owner: lena}\n"
                'spec: {model_type: tabular, version: "1.0.0", risk_tier: minimal}\n'
            ),
            "p.yaml": (
                "apiVersion: aigov/v1\nkind: TestPlan\nmetadata: {name: p}\nspec:\n"
                "  applies_to: {models: [m]}\n  tests:\n"
                f"    - name: deep\n      command: [{json.dumps(sys.executable)}, deep.py]\n"
                '      metrics: [{name: score, operator: ">=", threshold: 0.5}]\n'
            ),
            "deep.py": script,
        }
    )
    done = run_aigov("test", "run", "--repo", str(repo))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr
    assert "deep: result.jsonl:2: not a JSON object" in done.stdout
    [written] = sorted(repo.rglob("runs/*.yaml")) or sorted(repo.rglob("*testrun*.yaml"))
    text = written.read_text()
    assert "value: 0.9" in text and "status: failed" in text


def test_import_cyclonedx_of_deep_json_is_exit_2_with_the_place(tmp_path: Path) -> None:
    bom = tmp_path / "bom.json"
    bom.write_text('{"bomFormat": "CycloneDX",\n "components": ' + DEEP + "}")
    (tmp_path / ".aigov.yaml").write_text("organization: acme\n")
    done = invoke("import", "cyclonedx", str(bom), "--repo", str(tmp_path))
    assert done.exit_code == 2, done.output
    assert f"{bom}:2:" in done.output and "nested deeper than 48 levels" in done.output


def test_a_deep_or_binary_audit_line_is_tampering_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / ".aigov.yaml").write_text("organization: acme\n")
    env = {"AIGOV_PRIVATE_KEY_DIR": str(tmp_path / "private")}
    assert run_aigov("keys", "generate", "--repo", str(tmp_path), env=env).returncode == 0
    log = tmp_path / ".aigov/keys/audit.jsonl"
    good = log.read_bytes()
    for bad in (DEEP.encode() + b"\n", b'{"seq": 2, "note": "\xff"}\n'):
        log.write_bytes(good + bad)
        audit = run_aigov("keys", "audit", "--verify", cwd=tmp_path, env=env)
        assert audit.returncode == 1, audit.stdout + audit.stderr
        assert "audit.jsonl:3: not" in audit.stderr
        doctor = run_aigov("doctor", "--repo", str(tmp_path), env=env)
        assert doctor.returncode in (0, 1), doctor.stdout + doctor.stderr
        assert "internal error" not in doctor.stderr + doctor.stdout


# -- item 9: MLflow stores and servers of the wrong shape ------------------------------------


def _file_store(root: Path, meta: str, **files: bytes) -> Path:
    run = root / "mlruns" / "1" / "r1"
    run.mkdir(parents=True)
    (root / "mlruns/1/meta.yaml").write_text("name: exp\n")
    (run / "meta.yaml").write_text("run_id: r1\nstatus: 3\n" + meta)
    for name, data in files.items():
        kind, _, key = name.partition("__")
        (run / kind).mkdir(exist_ok=True)
        (run / kind / key).write_bytes(data)
    return root / "mlruns"


FILE_STORES = {
    "start_time-text": ("start_time: x\n", {}, "start_time is 'x', not a time"),
    "start_time-huge": (f"start_time: {10**30}\n", {}, "not a time in milliseconds"),
    "bad-metric-line": ("", {"metrics__auc": b"123 0.8 1\nnot a line\n"}, "metrics/auc:2: not"),
    "non-utf8-param": ("", {"params__lr": b"\xff\xfe"}, "params/lr: not UTF-8"),
}


@pytest.mark.parametrize("case", FILE_STORES)
def test_an_mlflow_file_store_of_the_wrong_shape_is_a_usage_error(
    tmp_path: Path, case: str
) -> None:
    meta, files, message = FILE_STORES[case]
    store = _file_store(tmp_path, meta, **files)
    with pytest.raises(UsageError) as caught:
        mlflow.read_runs(str(store), mlflow.Selection(experiment="exp"), {})
    assert message in caught.value.message


class _Server:
    """A loopback HTTP server answering every request with ``body``."""

    def __init__(self) -> None:
        self.body = b"{}"
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def _answer(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                body = outer.body
                if self.path.startswith("/api/2.0/mlflow/experiments/get?"):
                    body = b'{"experiment": {"name": "exp"}}'
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def server() -> Iterator[_Server]:
    s = _Server()
    yield s
    s.server.shutdown()


def _run(info: object = None, data: object = None) -> bytes:
    run = {"info": info or {"run_id": "r1", "experiment_id": "1"}, "data": data or {}}
    return json.dumps({"run": run}).encode()


SERVER_ANSWERS = {
    "start_time-text": (_run({"run_id": "r1", "start_time": "x"}), "start_time is 'x'"),
    "start_time-huge": (_run({"run_id": "r1", "start_time": 10**30}), "not a time in"),
    "run-is-a-list": (b'{"run": [1, 2]}', "run is an array, not an object"),
    "param-without-key": (_run(data={"params": [{"value": "1"}]}), "an entry without a key"),
    "metric-not-a-number": (
        _run(data={"metrics": [{"key": "auc", "value": "high"}]}),
        "metric 'auc' is 'high', not a number",
    ),
    "huge-metric": (_run(data={"metrics": [{"key": "auc", "value": 10**400}]}), "not a number"),
    "deep": (DEEP.encode(), "nested deeper than 128 levels"),
    "not-utf8": (b'{"run": "\xff"}', "not UTF-8"),
}


@pytest.mark.parametrize("case", SERVER_ANSWERS)
def test_an_mlflow_server_of_the_wrong_shape_is_a_usage_error(server: _Server, case: str) -> None:
    server.body, message = SERVER_ANSWERS[case]
    with pytest.raises(UsageError) as caught:
        mlflow.read_runs(server.url, mlflow.Selection(run_id="r1"), {})
    assert message in caught.value.message


def test_an_mlflow_sqlite_store_with_a_text_start_time_is_a_usage_error(tmp_path: Path) -> None:
    fixture = Path(__file__).parent / "data/mlflow/mlflow-3.17.2.sql"
    db = tmp_path / "mlflow.db"
    with sqlite3.connect(db) as connection:
        connection.executescript(fixture.read_text())
        connection.execute("UPDATE runs SET start_time = 'x'")
    with pytest.raises(UsageError, match="start_time is 'x'"):
        mlflow.read_runs(f"sqlite:///{db}", mlflow.Selection(experiment="credit-scoring"), {})


# -- item 10: a Parquet file that expands --------------------------------------------------------


def test_a_parquet_file_is_bounded_by_its_decoded_size_and_rows(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    import numpy as np

    from aigov_gate.measure import table

    zeros = np.zeros(1_000_000)
    path = tmp_path / "bomb.parquet"
    pq.write_table(
        pa.table({"y": zeros, "p": zeros}), path, compression="zstd", use_dictionary=False
    )
    assert path.stat().st_size < 64_000  # 16 MB of columns in a few kilobytes
    columns: dict[str, str | None] = {"y_true": "y", "y_pred": "p"}
    with pytest.raises(UsageError, match="bytes once decompressed, over --max-bytes 10000000"):
        table.read(path, columns, [], max_bytes=10_000_000)
    with pytest.raises(UsageError, match="1000000 rows, over --max-bytes 4000000"):
        table.read(path, columns, [], max_bytes=4_000_000)
    assert table.read(path, columns, [], max_bytes=20_000_000).rows == 1_000_000
    # a text column of one long value repeated is held once, not once a row
    long = tmp_path / "long.parquet"
    labels = pa.array(["x" * 100_000] * 2_000).dictionary_encode()
    pq.write_table(pa.table({"y": np.zeros(2_000), "g": labels}), long, compression="zstd")
    only: dict[str, str | None] = {"y_true": "y", "y_pred": "y"}
    read = table.read(long, only, ["g"], max_bytes=20_000_000)
    assert read.groupings[0].labels == ("x" * 100_000,)


@pytest.mark.parametrize("protected", [["g"], []])
def test_a_parquet_text_column_that_is_not_utf8_is_a_usage_error(
    tmp_path: Path, protected: list[str]
) -> None:
    # Found by the 20,000-example fuzz run: a damaged string column gave UnicodeDecodeError
    # (exit 3) when its values were read as slice labels or as text.
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    from aigov_gate.measure import table

    labels = pa.array([b"ok", b"\x80", b"x"], pa.binary()).view(pa.string())  # not checked
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"y": [0.0, 1.0, 0.5], "g": labels}), path)
    columns: dict[str, str | None] = {"y_true": "y", "y_pred": "g"}
    with pytest.raises(UsageError, match=r"not Parquet: .*Invalid UTF8"):
        table.read(path, columns, protected, regression=True, max_bytes=100_000)


def test_a_parquet_footer_that_aborts_pyarrow_is_a_usage_error() -> None:
    # Found by the same fuzz run (the example it was writing when the process died): asked
    # for this damaged column chunk's metadata, pyarrow 26 throws a C++ exception that
    # nothing catches and the interpreter aborts (exit 134). The footer check no longer asks.
    pytest.importorskip("pyarrow")
    from aigov_gate.measure import table

    path = ROOT / "tests" / "data" / "parquet" / "damaged-histogram.parquet"
    with pytest.raises(UsageError, match="not Parquet: Definition level histogram"):
        table.read(path, {"y_true": "y"}, ["g"], regression=True, max_bytes=100_000)


# -- item 11: a mapping with an int key and a str key in a policy message -------------------


def test_a_mixed_key_mapping_renders_in_a_policy_message() -> None:
    from aigov_gate.policy.expressions import render

    shown = render("limits: {{x}}", [{1: "a", "b": "c", None: {2: 1, "z": [{"q": 1, 3: 2}]}}])
    assert shown == 'limits: {"1": "a", "b": "c", "null": {"2": 1, "z": [{"3": 2, "q": 1}]}}'
