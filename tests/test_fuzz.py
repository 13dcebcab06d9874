"""Property-based fuzzing (hypothesis) of the YAML loader and of `aigov validate` / `gate`.

The properties: parsing never raises, whatever the text (every problem is a Problem with a
position); the CLI never exits 3 (an internal error) and never prints a traceback. The
examples mix YAML's own hazards into governance-shaped documents: tags, anchors and
aliases, merge keys, odd scalars, deep nesting, control and look-alike characters. CI runs
a bounded number of examples (``AIGOV_FUZZ_EXAMPLES``, default 150); a long local run
raises it.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from aigov_gate.cli.main import cli  # noqa: E402
from aigov_gate.loading.safe_yaml import Limits, parse_text  # noqa: E402

EXAMPLES = int(os.environ.get("AIGOV_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=True,  # the same examples every run: CI stays stable, failures reproduce
)

HAZARDS = [
    "!!int x",
    "!!float .",
    "!!bool maybe",
    "!!timestamp 2026-13-45",
    "!!python/object:os.system ls",
    "!custom x",
    "&a [1, 2]",
    "*a",
    "*nope",
    "<<: *a",
    ".inf",
    "-.nan",
    "1e309",
    "9" * 5000,
    "~",
    "'unterminated",
    '"\\x00"',
    "d\u0430na",
    "\u202e",
    "[" * 50 + "]" * 50,
    "{a: {b: {c: [1, {d: *a}]}}}",
    "2026-02-30",
    "0x1F",
    "0o17",
    "yes",
    "- - -",
]
KINDS = ["Model", "Dataset", "TestPlan", "TestRun", "RiskAssessment", "Policy", "Waiver", "Bogus"]

scalars = st.one_of(
    st.sampled_from(HAZARDS),
    st.text(max_size=20),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.sampled_from(["name", "spec", "model", "metrics", "value", "x"]), inner, max_size=4
        ),
    ),
    max_leaves=12,
)


def _document(kind: str, spec: Any, raw: str) -> str:
    body = yaml.safe_dump({"spec": spec}, allow_unicode=True, default_flow_style=True)
    return f"apiVersion: aigov/v1\nkind: {kind}\nmetadata: {{name: m}}\n{body}{raw}\n"


documents = st.builds(_document, st.sampled_from(KINDS), values, st.sampled_from(["", *HAZARDS]))
files = st.lists(documents, min_size=1, max_size=3).map("---\n".join)
texts = st.one_of(
    files, st.text(max_size=400), st.binary(max_size=200).map(lambda b: b.decode("latin-1"))
)


@FUZZ
@given(texts)
def test_parsing_never_raises(text: str) -> None:
    parsed = parse_text(text, Limits(max_file_bytes=1 << 20, max_depth=64, max_alias_nodes=5000))
    for problem in parsed.problems:
        assert problem.code and problem.message


@FUZZ
@given(st.lists(st.one_of(files, st.text(max_size=200)), min_size=1, max_size=3))
def test_validate_and_gate_never_crash(
    tmp_path_factory: pytest.TempPathFactory, contents: list[str]
) -> None:
    from click.testing import CliRunner

    repo = tmp_path_factory.mktemp("fuzz")
    (repo / ".aigov.yaml").write_text(
        "organization: acme\nenvironments: {production: {production: true}}\n"
    )
    for i, text in enumerate(contents):
        Path(repo / f"d{i}.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
    runner = CliRunner()
    for args in (
        ["validate"],
        ["gate", "--as-of", "2026-06-01"],
        ["gate", "--stage", "deploy", "-e", "production"],
    ):
        result = runner.invoke(cli, [*args, "--repo", str(repo)], catch_exceptions=True)
        assert result.exit_code in (0, 1), (args, result.output, result.exception)
        assert "Traceback" not in result.output


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789 -.:@aZ+()/\n_x", max_size=120))
def test_pii_matches_carry_their_true_line_and_column(text: str) -> None:
    # Lines are counted once through the text (not from the start for every match, which
    # was quadratic in the number of matches); each must equal the direct count.
    from aigov_gate.pii import Scanner

    scanner = Scanner()
    pieces, at = [], 0
    for m in scanner.find(text):
        assert m.line == text.count("\n", 0, m.start) + 1
        assert m.column == m.start - (text.rfind("\n", 0, m.start) + 1) + 1
        pieces += [text[at : m.start], f"[redacted:{m.kind}]"]
        at = m.end
    assert scanner.mask(text) == "".join([*pieces, text[at:]])


# -- every entry point where JSON (and Parquet) comes in --------------------------------------
#
# One target per entry point: result files, imports, the keys' audit log, MLflow answers and
# stores, Parquet. The property is the same everywhere: the entry point returns, or raises the
# error it documents (a UsageError, exit 2), never anything else (exit 3). The values are JSON
# with the hazards that broke readers before: deep nesting, wrong types where objects are
# expected, huge and non-finite numbers, text that is not UTF-8.

FIELDS = [
    "name", "value", "n", "ci_low", "ci_high", "slice_key", "slice_value", "predictions",
    "results", "n-samples", "effective", "gid", "cid", "output", "run", "runs", "info", "data",
    "params", "metrics", "tags", "key", "start_time", "end_time", "timestamp", "step",
    "experiment", "experiment_id", "run_id", "status", "components", "type", "bom-ref",
    "modelCard", "seq", "prev", "operation", "key_id", "time",
]  # fmt: skip
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([10**30, 10**400, -1, 0, 2**63]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["x", "NaN", "1e999", "3", "2026-11-20", "\udcff"[:0] + "é"]),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(FIELDS), inner, max_size=5)
    ),
    max_leaves=20,
)
JSON_HAZARDS = ["[" * 50_000, "[" * 200 + "]" * 200, "NaN", "-Infinity", "9" * 5000, '{"a":', ""]


def _json_text(value: Any, hazard: str, where: int) -> str:
    text = json.dumps(value)
    at = where % (len(text) + 1)
    return text[:at] + hazard + text[at:] if hazard else text


json_texts = st.one_of(
    json_values.map(json.dumps),
    st.builds(_json_text, json_values, st.sampled_from(JSON_HAZARDS), st.integers(0, 500)),
)


@FUZZ
@given(st.lists(json_texts, min_size=1, max_size=4).map("\n".join))
def test_result_file_readers_never_raise(text: str) -> None:
    from aigov_gate.runner.formats import FORMATS, bindings

    for fmt, (reader, _) in FORMATS.items():
        metrics, problems = reader(text, "r")
        assert all(isinstance(p, str) and p for p in problems), fmt
        assert all(math.isfinite(m["value"]) for m in metrics), fmt
    assert isinstance(bindings(text), list)


def _bom(components: Any) -> str:
    return json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": components})


@FUZZ
@given(
    st.one_of(
        json_texts,
        json_values.map(_bom),
        st.lists(json_values).map(_bom),
        json_values.map(lambda v: json.dumps({"mapping-collection": {"mappings": [v]}})),
    )
)
def test_imports_never_raise_but_usage_errors(text: str) -> None:
    from aigov_gate.compliance.mapping import frameworks_named, import_mapping, read_mapping
    from aigov_gate.errors import UsageError
    from aigov_gate.frameworks import builtin_catalog
    from aigov_gate.interchange.cyclonedx_in import import_bom, read_bom

    try:
        import_bom(read_bom(text, "bom.json"), "minimal", "1.0")
    except UsageError as exc:
        assert exc.message
    path = Path(tempfile.mkdtemp()) / "mapping.json"
    path.write_text(text, encoding="utf-8")
    try:
        collection = read_mapping(path)
        frameworks_named(collection)
        import_mapping(collection, builtin_catalog("nist-ai-600-1"), builtin_catalog("nist-ai-rmf"))
    except UsageError as exc:
        assert exc.message


@FUZZ
@given(st.lists(st.one_of(json_texts, st.binary(max_size=40).map(repr)), max_size=4))
def test_the_audit_log_reader_never_raises(lines: list[str]) -> None:
    from aigov_gate.evidence import audit

    path = Path(tempfile.mkdtemp()) / "audit.jsonl"
    path.write_bytes("\n".join(lines).encode("utf-8", "surrogatepass") + b"\xff\n")
    problems: list[str] = []
    entries = audit.chain(path, problems)
    assert len(entries) + len(problems) >= 1 and all(isinstance(p, str) for p in problems)


class _Answers:
    """A loopback MLflow server answering every request with the current ``body``."""

    body = b"{}"

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def _answer(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(200)
                self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                self.wfile.write(outer.body)

            do_GET = do_POST = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


_ANSWERS: list[_Answers] = []


@FUZZ
@given(
    st.one_of(json_texts, json_values.map(lambda v: json.dumps({"run": v}))),
    st.sampled_from(["r1", None]),
)
def test_mlflow_answers_never_raise_but_usage_errors(body: str, run_id: str | None) -> None:
    from aigov_gate.errors import UsageError
    from aigov_gate.interchange import mlflow

    if not _ANSWERS:
        _ANSWERS.append(_Answers())
    server = _ANSWERS[0]
    server.body = body.encode("utf-8", "surrogatepass")
    selection = mlflow.Selection(run_id=run_id, experiment=None if run_id else "exp")
    try:
        for run in mlflow.read_runs(server.url, selection, {}):
            mlflow.to_testrun(run, "m", "1", None, [])
    except UsageError as exc:
        assert exc.message


@FUZZ
@given(
    st.dictionaries(st.sampled_from(["start_time", "end_time", "status", "run_id"]), json_scalars),
    st.lists(st.text(alphabet="0123456789 .-eNa\n", max_size=30), max_size=3),
    st.binary(max_size=8),
)
def test_mlflow_file_stores_never_raise_but_usage_errors(
    meta: dict[str, Any], metric_lines: list[str], param: bytes
) -> None:
    from aigov_gate.errors import UsageError
    from aigov_gate.interchange import mlflow

    root = Path(tempfile.mkdtemp()) / "mlruns"
    run = root / "1" / "r1"
    (run / "metrics").mkdir(parents=True)
    (run / "params").mkdir()
    (root / "1" / "meta.yaml").write_text("name: exp\n")
    (run / "meta.yaml").write_text(yaml.safe_dump(meta))
    (run / "metrics" / "auc").write_text("\n".join(metric_lines))
    (run / "params" / "lr").write_bytes(param)
    try:
        for found in mlflow.read_runs(str(root), mlflow.Selection(experiment="exp"), {}):
            mlflow.to_testrun(found, "m", "1", None, [])
    except UsageError as exc:
        assert exc.message


@FUZZ
@given(
    st.one_of(
        st.lists(st.floats(), max_size=30), st.lists(st.integers(-(2**63), 2**63 - 1), max_size=30)
    ),
    st.lists(st.one_of(st.none(), st.text(max_size=5)), max_size=30),
    st.integers(0, 4000),
    st.binary(min_size=0, max_size=4),
)
def test_parquet_reading_never_raises_but_usage_errors(
    numbers: list[float], labels: list[str | None], at: int, damage: bytes
) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    from aigov_gate.errors import UsageError
    from aigov_gate.measure import table

    rows = min(len(numbers), len(labels))
    path = Path(tempfile.mkdtemp()) / "p.parquet"
    columns = {"y": pa.array(numbers[:rows]), "g": pa.array(labels[:rows], pa.string())}
    pq.write_table(pa.table(columns), path, compression="zstd")
    data = bytearray(path.read_bytes())
    data[at % len(data) : at % len(data) + len(damage)] = damage  # maybe damage a byte or few
    path.write_bytes(bytes(data))
    try:
        read = table.read(path, {"y_true": "y"}, ["g"], regression=True, max_bytes=100_000)
    except UsageError as exc:
        assert exc.message
    else:
        assert read.rows == len(read.y_true) > 0
