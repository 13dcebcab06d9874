"""Imports onto a plan's tests (--plan, --test, --metric), and the warning when an
imported run becomes the one the gate judges (issue 38). In-process, on the example."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from conftest import ROOT, invoke

EXAMPLE = ROOT / "examples" / "credit-scoring"
MLRUNS = Path(__file__).parent / "data" / "mlflow" / "mlruns"
RUN = "governance/runs/credit-scoring-2.3.0-mlflow-e1bd6917e2e5.yaml"


def _repo(tmp_path: Path) -> Path:
    """The example without its attested run of 2026-12-08, which is newer than the MLflow
    run imported here (an import that is not the newest run warns of nothing)."""
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo)
    for path in (repo / "governance" / "runs").glob("*-run-20261208t*"):
        path.unlink()
    return repo


def _import(repo: Path, *args: str) -> tuple[int, str]:
    done = invoke(
        "import", "mlflow", "--repo", str(repo), "--tracking-uri", str(MLRUNS), "--experiment",
        "credit-scoring", "--latest", "-m", "credit-scoring", "--version", "2.3.0", *args,
    )  # fmt: skip
    return done.exit_code, done.stderr


def _gate(repo: Path) -> list[tuple[str, str]]:
    done = invoke("gate", "--repo", str(repo), "--format", "json", "--as-of", "2026-12-05")
    import json

    report = json.loads(done.stdout)
    return sorted((f["rule_id"], f["message"]) for f in report["findings"] if f["blocking"])


def test_an_unmapped_import_warns_that_it_becomes_the_judged_run(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    assert _gate(repo) == []
    code, err = _import(repo)
    assert code == 0, err
    assert (
        "warning: TestRun 'credit-scoring-2.3.0-mlflow-e1bd6917e2e5' is now the run the gate "
        "judges for credit-scoring@2.3.0" in err
    )
    assert "'discrimination' (plan credit-scoring-plan)" in err and "--plan PLAN" in err
    # ... and the gate does what the warning said.
    blocking = _gate(repo)
    assert {rule for rule, _ in blocking} == {"test.required-missing"}
    assert len(blocking) == 3  # discrimination, fairness-sex, fairness-age


def test_plan_puts_each_metric_under_the_tests_that_ask_for_it(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    code, err = _import(repo, "--plan", "credit-scoring-plan")
    assert code == 0, err
    spec = yaml.safe_load((repo / RUN).read_text())["spec"]
    assert spec["test_plan"] == "credit-scoring-plan"
    assert list(spec)[:3] == ["model", "model_version", "test_plan"]
    by_test = {
        r["test_name"]: [(m["name"], m.get("slice_value")) for m in r["metrics"]]
        for r in spec["results"]
    }
    assert by_test == {
        "discrimination": [("auc", None), ("brier_score", None)],
        "fairness-sex": [("approval_rate", "female"), ("approval_rate", "male")],
    }
    # what it could not map is said, slice included, and the one test left is named
    assert "test 'fairness-age' asks for metric 'approval_rate' per age_band" in err
    assert "required test(s) 'fairness-age' (plan credit-scoring-plan)" in err
    assert [m for _, m in _gate(repo)] == [
        "required test 'fairness-age' has no result in credit-scoring-2.3.0-mlflow-e1bd6917e2e5"
    ]


def test_metric_renames_and_test_alone_takes_every_metric(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    code, err = _import(repo, "--test", "smoke", "--metric", "roc_auc=auc")
    assert code == 0, err
    (result,) = yaml.safe_load((repo / RUN).read_text())["spec"]["results"]
    assert result["test_name"] == "smoke"
    assert [m["name"] for m in result["metrics"]] == [
        "approval_rate", "approval_rate", "roc_auc", "brier_score"
    ]  # fmt: skip
    # A second import onto the same file needs --force, and changes nothing without it.
    before = (repo / RUN).read_bytes()
    code, err = _import(repo, "--plan", "credit-scoring-plan", "--test", "discrimination")
    assert code == 2 and "already exists; not overwriting it" in err and "--force" in err
    assert (repo / RUN).read_bytes() == before
    code, err = _import(
        repo, "--plan", "credit-scoring-plan", "--test", "discrimination", "--force"
    )
    assert code == 0, err
    spec = yaml.safe_load((repo / RUN).read_text())["spec"]
    assert [r["test_name"] for r in spec["results"]] == ["discrimination", "mlflow run train-2.3.0"]
    assert "no test asks for approval_rate; kept under 'mlflow run train-2.3.0'" in err


def test_mapping_options_that_cannot_work_are_usage_errors(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    cases = {
        ("--plan", "nope"): "no TestPlan named 'nope'",
        ("--plan", "credit-scoring-plan", "--test", "fairnes-sex"): "has no test 'fairnes-sex'",
        ("--test", "a", "--test", "b"): "without --plan, give one --test",
        ("--metric", "a=b"): "--metric renames metrics for --plan or --test",
        ("--test", "a", "--metric", "oops"): "--metric 'oops': expected PLAN_NAME=IMPORTED",
    }
    for args, message in cases.items():
        code, err = _import(repo, *args)
        assert code == 2 and message in err, (args, err)
        assert not (repo / RUN).exists()
