"""The bundled examples behave as the README says."""

from __future__ import annotations

import json

import pytest
from conftest import EXAMPLES, invoke, run_aigov

#: Gates and keys here run on today's date (no --as-of): CI runs them under a fake clock too.
pytestmark = pytest.mark.dated


def test_clean_example_validates() -> None:
    result = invoke("validate", "--repo", str(EXAMPLES / "credit-scoring"))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: 20 document(s) in 20 file(s) valid")


def test_problem_example_output_is_exactly_the_documented_one() -> None:
    expected = (EXAMPLES / "problems" / "expected-output.txt").read_text(encoding="utf-8")
    result = run_aigov("validate", cwd=EXAMPLES / "problems")
    assert result.returncode == 1
    assert result.stdout == expected
    assert "Traceback" not in result.stderr


def test_problem_example_lists_every_documented_problem() -> None:
    result = invoke("validate", "--repo", str(EXAMPLES / "problems"), "--format", "json")
    report = json.loads(result.output)
    rules = [f["rule_id"] for f in report["findings"]]
    assert report["passed"] is False
    assert len(rules) == 16
    assert rules.count("ref.missing") == 3
    for rule in (
        "yaml.duplicate-key",
        "yaml.unsafe-tag",
        "ref.duplicate-name",
        "ref.unknown-clause",
        "evidence.digest-mismatch",
        "schema.missing-field",
    ):
        assert rule in rules


def test_inline_secret_value_is_never_printed() -> None:
    result = invoke("validate", "--repo", str(EXAMPLES / "problems"))
    assert "whsec_do-not-commit-me" not in result.output
    assert "unknown field 'secret'" in result.output


def test_every_example_document_has_a_schema_modeline() -> None:
    root = EXAMPLES / "credit-scoring"
    for path in root.rglob("*.yaml"):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        if path.relative_to(root).parts[0] == ".aigov" or first.startswith(
            "# Written by aigov test run "
        ):
            continue  # aigov's keyring; a run as aigov wrote it (its bytes are attested)
        assert first.startswith("# yaml-language-server: $schema="), path
        schema = (path.parent / first.split("=", 1)[1]).resolve()
        assert schema.is_file(), f"{path}: modeline points at missing {schema}"


@pytest.mark.parametrize("as_of", ["2027-06-01", "2028-12-01", "2029-09-01"])
def test_the_quickstart_gate_passes_for_years(as_of: str) -> None:
    # The README's run command on the example, on the dates CI's fake clock uses and after.
    result = invoke("gate", "--repo", str(EXAMPLES / "credit-scoring"), "--as-of", as_of)
    assert result.exit_code == 0, result.output
    assert "PASSED: 1 model(s)" in result.output
    assert "risk.review-overdue]" not in result.output and "risk.review-due]" not in result.output


def test_the_example_review_still_becomes_overdue() -> None:
    # Its review is scheduled far out, not switched off.
    result = invoke("gate", "--repo", str(EXAMPLES / "credit-scoring"), "--as-of", "2029-11-01")
    assert "[medium risk.review-overdue] the risk review of credit-scoring@2.3.0 was due " in (
        result.output
    )
    assert "2029-10-06 (26 day(s) ago)" in result.output
