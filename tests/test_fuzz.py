"""Property-based fuzzing (hypothesis) of the YAML loader and of `aigov validate` / `gate`.

The properties: parsing never raises, whatever the text (every problem is a Problem with a
position); the CLI never exits 3 (an internal error) and never prints a traceback. The
examples mix YAML's own hazards into governance-shaped documents: tags, anchors and
aliases, merge keys, odd scalars, deep nesting, control and look-alike characters. CI runs
a bounded number of examples (``AIGOV_FUZZ_EXAMPLES``, default 150); a long local run
raises it.
"""

from __future__ import annotations

import os
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
