"""CEL policies (errors placed in the YAML, context, templates), waivers, --base with Git."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import gate_repo as g
import pytest
from conftest import ROOT, WriteRepo, git, invoke, run_aigov

AS_OF = "2026-06-01"


def gate(repo: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = invoke("gate", "--repo", str(repo), "--as-of", AS_OF, "--format", "json", *args)
    return result.exit_code, json.loads(result.output)


def by_rule(report: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["rule_id"] == rule]


def policy(
    rule: str, *, message: str = "{{model.metadata.name}} breaks it", extra: str = ""
) -> str:
    return (
        "apiVersion: aigov/v1\nkind: Policy\nmetadata:\n  name: p\nspec:\n"
        "  title: A test policy\n  severity: high\n"
        f"  rule: {rule}\n  message: {json.dumps(message)}\n{extra}"
    )


def test_violation_renders_the_message_and_names_the_clauses(write_repo: WriteRepo) -> None:
    text = policy(
        'model.spec.version != "2.0.0"',
        message="{{model.metadata.name}} is at {{model.spec.version}} "
        "since {{risk.spec.assessment_date}}",
        extra="  remediation: Bump it.\n  clauses:\n    - {framework: eu-ai-act, clause: Art. 9}\n",
    )
    files = g.repo_files({"policies/p.yaml": text, "fw.yaml": FRAMEWORK})
    code, report = gate(write_repo(files))
    [f] = by_rule(report, "p")
    assert code == 1
    assert f["message"] == "scorer is at 2.0.0 since 2026-01-10"
    assert (f["path"], f["line"], f["hint"]) == ("models/scorer.yaml", 4, "Bump it.")
    assert f["clauses"] == ["eu-ai-act:Art. 9"]


def test_syntax_error_is_reported_at_the_caret(write_repo: WriteRepo) -> None:
    files = g.repo_files({"policies/p.yaml": policy("model.spec.version == ")})
    code, report = gate(write_repo(files))
    [f] = by_rule(report, "policy.syntax-error")
    assert code == 1
    # YAML drops the trailing space: the caret is just after "==" (column 9 + 21)
    assert (f["path"], f["line"], f["column"]) == ("policies/p.yaml", 8, 30)
    assert "^" in f["hint"]


def test_syntax_error_in_a_block_scalar_maps_to_its_line(write_repo: WriteRepo) -> None:
    rule = ">-\n    model.spec.version != null &&\n    model.spec.risk_tier === 'high'"
    files = g.repo_files({"policies/p.yaml": policy(rule)})
    _code, report = gate(write_repo(files))
    [f] = by_rule(report, "policy.syntax-error")
    assert (f["line"], f["column"]) == (10, 28)  # the third "="


def test_unknown_variable_and_function_are_found_before_evaluation(write_repo: WriteRepo) -> None:
    files = g.repo_files(
        {
            "policies/p.yaml": policy("modle.spec.version != null"),
            "policies/q.yaml": policy("model.spec.version.shout() == ''").replace(
                "name: p", "name: q"
            ),
        }
    )
    _code, report = gate(write_repo(files))
    [var] = by_rule(report, "policy.unknown-variable")
    [fun] = by_rule(report, "policy.unknown-function")
    assert "unknown variable 'modle'" in var["message"]
    assert (var["line"], var["column"]) == (8, 9)
    assert "unknown function 'shout'" in fun["message"]
    assert (fun["line"], fun["column"]) == (8, 28)


def test_evaluation_error_fails_closed(write_repo: WriteRepo) -> None:
    files = g.repo_files({"policies/p.yaml": policy("model.spec.no_such_field == 1")})
    code, report = gate(write_repo(files))
    [f] = by_rule(report, "policy.eval-error")
    assert code == 1
    assert "no such field 'no_such_field'" in f["message"]
    # an extension function failing in Python (slice out of range) is the rule's error too
    files = g.repo_files({"policies/p.yaml": policy("size([1].slice(0, 5)) == 0")})
    code, report = gate(write_repo(files))
    assert code == 1 and by_rule(report, "policy.eval-error")


def test_selector_stage_and_environment_scope_a_policy(write_repo: WriteRepo) -> None:
    extra = (
        "  stages: [deploy]\n  environments: [production]\n"
        "  applies_to:\n    selector: model.spec.risk_tier == 'high'\n"
    )
    repo = write_repo(g.repo_files({"policies/p.yaml": policy("1 == 2", extra=extra)}))
    assert gate(repo)[0] == 0
    assert gate(repo, "--stage", "deploy", "-e", "staging")[0] == 0
    code, report = gate(repo, "--stage", "deploy", "-e", "production")
    assert code == 1 and by_rule(report, "p")


def test_context_variables_for_a_model(write_repo: WriteRepo) -> None:
    rule = (
        "run.spec.model_version == model.spec.version && size(datasets) == 1 && "
        "datasets[0].spec.contains_pii && size(plans) == 1 && risk.spec.next_review_date > now "
        "&& stage == 'deploy' && environment.name == 'production' && environment.production "
        "&& size(runs) == 1 && size(approvals) == 2 && approvals[0].role == 'risk_approver' "
        "&& organization == 'acme' && mappings == [] "
        "&& evidence == [] && doc == model"
    )
    repo = write_repo(g.repo_files({"policies/p.yaml": policy(json.dumps(rule))}))
    code, report = gate(repo, "--stage", "deploy", "-e", "production")
    assert (code, report["findings"]) == (0, [])


def test_policies_on_other_kinds_see_doc(write_repo: WriteRepo) -> None:
    text = policy(
        "size(doc.spec.known_limitations) > 0",
        message="dataset {{doc.metadata.name}} lists no limitations",
        extra="  applies_to: {kinds: [Dataset]}\n",
    )
    _code, report = gate(write_repo(g.repo_files({"policies/p.yaml": text})))
    [f] = by_rule(report, "p")
    assert (f["message"], f["path"], f["target"]) == (
        "dataset loans lists no limitations",
        "data/loans.yaml",
        "Dataset/loans",
    )


def waiver(policy_id: str, expires: str, target: str = "{kind: Model, name: scorer}") -> str:
    return g.waiver(policy_id, expires, target)


def test_a_waiver_keeps_the_finding_visible_but_not_blocking(write_repo: WriteRepo) -> None:
    files = g.repo_files(
        {"tests/run-2.0.0.yaml": g.run(auc=0.7), "w.yaml": waiver("metric.threshold", "2026-07-31")}
    )
    code, report = gate(write_repo(files))
    [f] = by_rule(report, "metric.threshold")
    assert code == 0
    assert (f["waived_by"], f["blocking"]) == ("Waiver/w", False)
    assert report["summary"]["waived"] == 1


def test_expired_waiver_stops_waiving_and_is_reported(write_repo: WriteRepo) -> None:
    files = g.repo_files(
        {"tests/run-2.0.0.yaml": g.run(auc=0.7), "w.yaml": waiver("metric.threshold", "2026-05-01")}
    )
    code, report = gate(write_repo(files))
    assert code == 1
    assert by_rule(report, "metric.threshold")[0]["waived_by"] == ""
    assert "expired on 2026-05-01" in by_rule(report, "waiver.expired")[0]["message"]


def test_expiring_and_unused_waivers_warn(write_repo: WriteRepo) -> None:
    files = g.repo_files(
        {"tests/run-2.0.0.yaml": g.run(auc=0.7), "w.yaml": waiver("metric.threshold", "2026-06-10")}
    )
    code, report = gate(write_repo(files))
    assert code == 0
    assert "(in 9 day(s))" in by_rule(report, "waiver.expiring")[0]["message"]
    files = g.repo_files({"w.yaml": waiver("metric.threshold", "2026-07-31")})
    _code, report = gate(write_repo(files))
    assert by_rule(report, "waiver.unused")


def test_a_waiver_for_another_version_does_not_apply(write_repo: WriteRepo) -> None:
    target = '{kind: Model, name: scorer, version: "1.9.0"}'
    files = g.repo_files(
        {
            "tests/run-2.0.0.yaml": g.run(auc=0.7),
            "w.yaml": waiver("metric.threshold", "2026-07-31", target),
        }
    )
    code, report = gate(write_repo(files))
    assert code == 1 and by_rule(report, "waiver.unused")


def test_a_waiver_cannot_hide_an_invalid_document(write_repo: WriteRepo) -> None:
    files = g.repo_files(
        {
            "bad.yaml": "apiVersion: aigov/v1\nkind: Dataset\nmetadata: {name: bad}\nspec: {}\n",
            "w.yaml": waiver("schema.missing-field", "2026-07-31", "{kind: Dataset, name: bad}"),
        }
    )
    code, report = gate(write_repo(files))
    assert code == 1
    assert all(not f["waived_by"] for f in by_rule(report, "schema.missing-field"))


def test_an_evaluation_error_takes_the_policys_severity_and_ignores_fail_on(
    write_repo: WriteRepo,
) -> None:
    critical = policy("model.spec.no_such_field == 1").replace(
        "severity: high", "severity: critical"
    )
    files = g.repo_files({"policies/p.yaml": critical})
    code, report = gate(write_repo(files), "--fail-on", "critical")
    [f] = by_rule(report, "policy.eval-error")
    assert (code, f["severity"], f["blocking"]) == (1, "critical", True)
    low = policy("model.spec.no_such_field == 1").replace("severity: high", "severity: low")
    code, report = gate(write_repo(g.repo_files({"policies/p.yaml": low})), "--fail-on", "critical")
    [f] = by_rule(report, "policy.eval-error")
    assert (code, f["severity"], f["blocking"]) == (1, "high", True)  # never below high


@pytest.mark.parametrize(
    ("rule", "files"),
    [
        ("policy.eval-error", {"policies/p.yaml": policy("model.spec.no_such_field == 1")}),
        ("signoff.unverified", {}),
        ("deploy.production-not-approved", {"risk/scorer.yaml": g.risk(status="under_review")}),
    ],
)
def test_what_a_waiver_can_never_open(
    rule: str, files: dict[str, str], write_repo: WriteRepo
) -> None:
    # The people being gated write waivers: these findings stay blocking, and the waiver
    # is a blocking finding of its own, at its policy line.
    repo = write_repo(g.repo_files({**files, "w.yaml": waiver(rule, "2026-07-31")}))
    code, report = gate(repo, "--stage", "deploy", "--environment", "production")
    assert code == 1
    [w] = by_rule(report, "waiver.not-allowed")
    assert (w["path"], w["line"], w["blocking"]) == ("w.yaml", 5, True)
    assert w["message"].startswith(f"{rule} can never be waived")
    assert not by_rule(report, "waiver.unused")
    assert all(not f["waived_by"] for f in report["findings"])


def test_base_ref_gives_baselines_and_changed_files_lead(write_repo: WriteRepo) -> None:
    repo = write_repo(g.repo_files({"tests/run-2.0.0.yaml": g.run(auc=0.82)}))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    (repo / "tests/run-2.0.0.yaml").write_text(g.run(auc=0.79), encoding="utf-8")
    (repo / "models/scorer.yaml").write_text(g.model(pii=False), encoding="utf-8")
    code, report = gate(repo, "--base", "main")
    assert code == 1
    assert report["changed"] == ["models/scorer.yaml", "tests/run-2.0.0.yaml"]
    regression = by_rule(report, "metric.regression")[0]
    assert "worse than 0.82 in scorer-2.0.0-run (2.0.0)" in regression["message"]
    paths = [f["path"] for f in report["findings"]]
    assert paths == sorted(paths, key=lambda p: p not in report["changed"])  # changed first
    result = run_aigov("gate", "--repo", str(repo), "--base", "no-such-ref")
    assert result.returncode == 2 and "fetch-depth: 0" in result.stderr


def test_base_works_when_the_governance_root_is_a_subfolder(write_repo: WriteRepo) -> None:
    top = write_repo({"README.md": "top\n"})
    sub = top / "governance"
    for rel, text in g.repo_files().items():
        path = sub / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(str(text), encoding="utf-8")
    git(top, "init", "-q", "-b", "main")
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", "base")
    (sub / "tests/run-2.0.0.yaml").write_text(g.run(auc=0.76), encoding="utf-8")
    code, report = gate(sub, "--base", "HEAD")
    assert code == 1
    assert report["changed"] == ["tests/run-2.0.0.yaml"]
    assert by_rule(report, "metric.regression")


def test_policy_test_command_runs_pack_and_repo_cases(write_repo: WriteRepo) -> None:
    result = invoke("policy", "test", "--all-packs")
    assert result.exit_code == 0, result.output
    assert "0 failed" in result.output
    broken = policy("model.spec.risk_tier == 'high'") + (
        "  tests:\n    - name: high passes\n      expect: pass\n"
        "      given: {model: {spec: {risk_tier: minimal}}}\n"
    )
    repo = write_repo({"p.yaml": broken})
    failed = run_aigov("policy", "test", "--repo", str(repo), str(repo / "p.yaml"), process=True)
    assert failed.returncode == 1
    assert "FAIL p.yaml:11:13: p > high passes: expected pass, got fail" in failed.stdout
    empty = write_repo({"p.yaml": policy("true")})
    nothing = run_aigov("policy", "test", "--repo", str(empty), str(empty / "p.yaml"))
    assert nothing.returncode == 1
    assert "no policy test cases found" in nothing.stderr


def test_explain_describes_rules_and_policies() -> None:
    result = invoke("explain", "metric.disparity")
    assert result.exit_code == 0
    assert "four-fifths" in result.output and "eu-ai-act:Art. 10" in result.output
    result = invoke("explain", "eu-ai-act.art27-fria")
    assert "eu-ai-act:Art. 27" in result.output
    unknown = run_aigov("explain", "metric.disparty", process=True)
    assert unknown.returncode == 2 and "did you mean metric.disparity" in unknown.stderr


def test_rules_page_is_generated_from_the_catalog() -> None:
    expected = invoke("explain", "--markdown").output
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == expected, (
        "docs/rules.md is stale: run aigov explain --markdown > docs/rules.md"
    )


FRAMEWORK = """\
apiVersion: aigov/v1
kind: Framework
metadata: {name: eu-ai-act}
spec:
  title: EU AI Act (excerpt)
  version: "2024/1689"
  clauses:
    - {clause_number: Art. 9, title: Risk management system}
"""
