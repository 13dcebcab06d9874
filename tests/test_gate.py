"""``aigov gate`` end to end: built-in checks, decisions, stages, usage errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import gate_repo as g
from conftest import EXAMPLES, MODEL, WriteRepo, invoke, run_aigov

AS_OF = "2026-06-01"


def gate(repo: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = invoke("gate", "--repo", str(repo), "--as-of", AS_OF, "--format", "json", *args)
    return result.exit_code, json.loads(result.output)


def rules(report: dict[str, Any]) -> list[str]:
    return [f["rule_id"] for f in report["findings"]]


def finding(report: dict[str, Any], rule: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [f for f in report["findings"] if f["rule_id"] == rule]
    assert found, f"{rule} not in {rules(report)}"
    return found[0]


def test_clean_repo_passes_merge_and_production(write_repo: WriteRepo) -> None:
    repo = write_repo(g.repo_files())
    code, report = gate(repo)
    assert (code, report["decision"], report["findings"]) == (0, "passed", [])
    assert "metric.disparity" in report["models"][0]["evaluated"]
    code, report = gate(repo, "--stage", "deploy", "--environment", "production")
    assert (code, report["decision"]) == (0, "passed")
    assert report["production"] is True


def test_metric_below_threshold_points_at_the_value(write_repo: WriteRepo) -> None:
    repo = write_repo(g.repo_files({"tests/run-2.0.0.yaml": g.run(auc=0.70)}))
    code, report = gate(repo)
    assert code == 1
    f = finding(report, "metric.threshold")
    assert (f["path"], f["line"], f["severity"]) == ("tests/run-2.0.0.yaml", 14, "high")
    assert "auc is 0.7, the plan requires auc >= 0.75" in f["message"]
    assert f["model"] == "scorer@2.0.0" and f["blocking"] is True


def test_optional_test_failure_is_low_and_does_not_block(write_repo: WriteRepo) -> None:
    repo = write_repo(g.repo_files({"tests/run-2.0.0.yaml": g.run(drop=0.2)}))
    code, report = gate(repo)
    f = finding(report, "metric.threshold")
    assert (code, f["severity"], f["blocking"]) == (0, "low", False)


def test_four_fifths_rule_across_slices(write_repo: WriteRepo) -> None:
    repo = write_repo(g.repo_files({"tests/run-2.0.0.yaml": g.run(female=0.35)}))
    code, report = gate(repo)
    f = finding(report, "metric.disparity")
    assert code == 1
    assert "ratio across sex is 0.700 (sex=female 0.35 vs sex=male 0.5)" in f["message"]
    assert f["line"] == 17  # the worst slice's value
    assert "metric.threshold" not in rules(report)  # each slice passes on its own


def test_a_passed_claim_is_recomputed(write_repo: WriteRepo) -> None:
    text = g.run(auc=0.70).replace(
        "{name: auc, value: 0.7}", "{name: auc, value: 0.7, passed: true}"
    )
    repo = write_repo(g.repo_files({"tests/run-2.0.0.yaml": text}))
    _code, report = gate(repo)
    f = finding(report, "test.claim-contradiction")
    assert "recorded as passed but fails" in f["message"]


def test_missing_metric_and_missing_required_test(write_repo: WriteRepo) -> None:
    text = g.run().replace(
        "        - {name: auc, value: 0.8}\n", "        - {name: gini, value: 0.6}\n"
    )
    text = text.split("    - test_name: fairness")[0]
    repo = write_repo(g.repo_files({"tests/run-2.0.0.yaml": text}))
    code, report = gate(repo)
    assert code == 1
    assert "metric.missing" in rules(report)
    assert (
        "required test 'fairness' has no result"
        in finding(report, "test.required-missing")["message"]
    )


def test_only_completed_runs_count(write_repo: WriteRepo) -> None:
    repo = write_repo(g.repo_files({"tests/run-2.0.0.yaml": g.run(status="failed")}))
    code, report = gate(repo)
    assert code == 1
    assert (
        "1 run(s) of this version did not complete"
        in finding(report, "test.missing-run")["message"]
    )
    assert finding(report, "test.run-not-completed")["severity"] == "info"


def test_latest_completed_run_of_the_exact_version_counts(write_repo: WriteRepo) -> None:
    files = g.repo_files(
        {
            "tests/run-2.0.0.yaml": g.run(auc=0.70, finished="2026-01-01T00:00:00Z"),
            "tests/run-2.0.0-b.yaml": g.run(finished="2026-03-01T00:00:00Z").replace(
                "scorer-2.0.0-run", "scorer-2.0.0-rerun"
            ),
        }
    )
    code, report = gate(write_repo(files))
    assert (code, report["findings"]) == (0, [])


def test_regression_against_the_previous_version(write_repo: WriteRepo) -> None:
    files = g.repo_files(
        {
            "tests/run-2.0.0.yaml": g.run(auc=0.78),
            "tests/run-1.9.0.yaml": g.run(
                version="1.9.0", auc=0.82, finished="2025-12-01T00:00:00Z"
            ),
        }
    )
    code, report = gate(write_repo(files))
    f = finding(report, "metric.regression")
    assert code == 1
    assert "0.04 worse than 0.82 in scorer-1.9.0-run (1.9.0); allowed: 0.01" in f["message"]


def test_high_risk_model_needs_an_assessment_for_its_version(write_repo: WriteRepo) -> None:
    files = g.repo_files({"risk/scorer.yaml": g.risk().replace('"2.0.0"', '"1.9.0"')})
    code, report = gate(write_repo(files))
    f = finding(report, "risk.assessment-missing")
    assert (code, f["path"], f["line"]) == (1, "models/scorer.yaml", 8)


def test_overdue_review_warns_at_merge_and_blocks_production(write_repo: WriteRepo) -> None:
    repo = write_repo(g.repo_files({"risk/scorer.yaml": g.risk(review="2026-05-01")}))
    code, report = gate(repo)
    f = finding(report, "risk.review-overdue")
    assert (code, f["severity"], f["blocking"]) == (0, "medium", False)
    assert "was due 2026-05-01 (31 day(s) ago)" in f["message"]
    code, report = gate(repo, "--stage", "deploy", "-e", "production")
    assert code == 1 and finding(report, "deploy.review-overdue")["blocking"]
    code, _ = gate(repo, "--fail-on", "medium")
    assert code == 1


def test_review_due_from_frequency_when_no_date(write_repo: WriteRepo) -> None:
    text = g.risk().replace(f"  next_review_date: {g.REVIEW}\n", "  review_frequency_months: 3\n")
    _code, report = gate(write_repo(g.repo_files({"risk/scorer.yaml": text})))
    assert "was due 2026-04-10" in finding(report, "risk.review-overdue")["message"]


def test_production_needs_approval_and_conditions(write_repo: WriteRepo) -> None:
    text = g.risk(status="under_review", prod=False, met=False)
    repo = write_repo(g.repo_files({"risk/scorer.yaml": text}))
    assert gate(repo)[0] == 0
    assert gate(repo, "--stage", "deploy", "-e", "staging")[0] == 0
    code, report = gate(repo, "--stage", "deploy", "-e", "production")
    assert code == 1
    assert {
        "deploy.not-approved",
        "deploy.production-not-approved",
        "deploy.condition-unmet",
    } <= set(rules(report))
    assert (
        "condition not met: Shadow run for four weeks."
        in finding(report, "deploy.condition-unmet")["message"]
    )


def test_deploy_needs_passing_required_tests(write_repo: WriteRepo) -> None:
    repo = write_repo(g.repo_files({"tests/run-2.0.0.yaml": g.run(auc=0.6)}))
    code, report = gate(repo, "--stage", "deploy", "-e", "staging")
    assert code == 1
    assert (
        "required tests not passing: accuracy" in finding(report, "deploy.tests-failing")["message"]
    )


def test_model_declares_the_pii_and_classification_of_its_data(write_repo: WriteRepo) -> None:
    files = g.repo_files({"models/scorer.yaml": g.model(pii=False, classification="internal")})
    code, report = gate(write_repo(files))
    assert code == 1
    assert "uses personal data (loans)" in finding(report, "data.pii-undeclared")["message"]
    assert "set data_classification: confidential" in finding(report, "data.classification")["hint"]


def test_inline_secret_is_critical_and_never_printed(write_repo: WriteRepo) -> None:
    connector = """\
apiVersion: aigov/v1
kind: ConnectorConfig
metadata: {name: registry}
spec:
  connector_type: mlflow
  configuration:
    url: https://mlflow.example
    api_token: s3cr3t-value-123
    headers: {X-Auth: ghp_abcdefghijklmnopqrstuvwxyz0123456789}
    password_env: ${MLFLOW_PASSWORD}
"""
    repo = write_repo(g.repo_files({"integrations/registry.yaml": connector}))
    result = invoke("gate", "--repo", str(repo), "--as-of", AS_OF)
    assert result.exit_code == 1
    assert "s3cr3t" not in result.output and "ghp_abc" not in result.output
    _code, report = gate(repo)
    secrets = [f for f in report["findings"] if f["rule_id"] == "secret.inline"]
    assert [(f["line"], f["severity"]) for f in secrets] == [(8, "critical"), (9, "critical")]
    assert invoke("validate", "--repo", str(repo)).exit_code == 1


def test_no_policies_is_never_a_silent_pass(write_repo: WriteRepo) -> None:
    repo = write_repo(g.repo_files({".aigov.yaml": g.CONFIG + "policy_packs: []\n"}))
    code, report = gate(repo)
    assert code == 1
    assert finding(report, "gate.no-policies")["path"] == ".aigov.yaml"


def test_model_without_any_check_is_a_finding(write_repo: WriteRepo) -> None:
    files: dict[str, str | bytes] = {
        ".aigov.yaml": "policy_packs: []\n",
        "m.yaml": MODEL.format(name="lonely"),
        "p.yaml": POLICY.format(rule="true", extra="  applies_to: {kinds: [Dataset]}\n"),
    }
    code, report = gate(write_repo(files))
    assert code == 1
    assert "gate.model-unchecked" in rules(report)


def test_empty_repo_and_repo_without_models_block(write_repo: WriteRepo, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    code, report = gate(empty)
    assert (code, rules(report)) == (1, ["load.no-documents"])
    repo = write_repo({"d.yaml": g.DATASET})
    code, report = gate(repo)
    assert code == 1 and "gate.no-models" in rules(report)


def test_model_version_selects_that_versions_evidence(write_repo: WriteRepo) -> None:
    files = g.repo_files({"tests/run-1.9.0.yaml": g.run(version="1.9.0", auc=0.6)})
    repo = write_repo(files)
    code, report = gate(repo, "--model", "scorer@1.9.0")
    assert code == 1
    assert report["models"][0]["version"] == "1.9.0"
    assert {"metric.threshold", "risk.assessment-missing"} <= set(rules(report))
    assert gate(repo, "--model", "scorer")[0] == 0


def test_usage_errors_exit_2_with_a_hint(write_repo: WriteRepo) -> None:
    repo = write_repo(g.repo_files())
    cases = [
        (["--stage", "deploy"], "--stage deploy needs --environment"),
        (["--stage", "deploy", "-e", "prod"], "did you mean 'production'?"),
        (["-e", "production"], "--environment production is for a deploy gate"),
        (["--model", "scorr"], "did you mean 'scorer'?"),
        (["--output", "pdf=x.pdf"], "is not FORMAT=PATH"),
        (["--base", "main"], "not inside a Git repository"),
    ]
    for args, text in cases:
        result = run_aigov("gate", "--repo", str(repo), *args)
        assert result.returncode == 2, (args, result.stderr)
        assert text in result.stderr
        assert "Traceback" not in result.stderr


def test_unknown_pack_is_a_configuration_error(write_repo: WriteRepo) -> None:
    repo = write_repo(g.repo_files({".aigov.yaml": "policy_packs: [baseline, eu-act]\n"}))
    result = run_aigov("gate", "--repo", str(repo))
    assert result.returncode == 2
    assert (
        "unknown policy pack 'eu-act'" in result.stderr and "eu-ai-act-high-risk" in result.stderr
    )


def test_example_merge_passes_and_production_is_blocked_with_reasons() -> None:
    repo = EXAMPLES / "credit-scoring"
    code, report = gate(repo)
    assert (code, report["decision"]) == (0, "passed")
    assert report["summary"]["policies"] >= 15
    code, _report = gate(repo, "--stage", "deploy", "-e", "staging")
    assert code == 0
    code, report = gate(repo, "--stage", "deploy", "-e", "production")
    assert code == 1
    blocking = sorted(f["rule_id"] for f in report["findings"] if f["blocking"])
    assert blocking == [
        "deploy.condition-unmet",
        "deploy.not-approved",
        "deploy.production-not-approved",
        "eu-ai-act.art14-human-oversight",
    ]


def test_problem_example_is_blocked() -> None:
    code, report = gate(EXAMPLES / "problems")
    assert code == 1
    assert {"secret.inline", "yaml.unsafe-tag", "ref.missing", "evidence.digest-mismatch"} <= set(
        rules(report)
    )


POLICY = """\
apiVersion: aigov/v1
kind: Policy
metadata: {{name: p}}
spec:
  title: A test policy
  severity: high
  rule: {rule}
  message: "{{{{model.metadata.name}}}} fails"
{extra}"""
