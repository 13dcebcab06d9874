"""One convention across commands (issue 38): -o/--output with deprecated aliases, --force
on writers, the --format json envelope, schema export --repo. In-process (CliRunner)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import WriteRepo, invoke


def test_schema_export_goes_to_the_repository_never_to_a_subfolder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    sub = repo / "governance" / "models"
    sub.mkdir(parents=True)
    (repo / ".aigov.yaml").write_text("organization: acme\n")
    monkeypatch.chdir(sub)
    done = invoke("schema", "export")
    assert done.exit_code == 0, done.output
    assert (repo / ".aigov" / "schemas" / "model.json").is_file()
    assert not (sub / ".aigov").exists()
    # --repo names it from anywhere; --check reads the same place.
    monkeypatch.chdir(tmp_path)
    assert invoke("schema", "export", "--repo", str(repo), "--check").exit_code == 0
    other = tmp_path / "other"
    other.mkdir()
    assert invoke("schema", "export", "--repo", str(other)).exit_code == 0
    assert (other / ".aigov" / "schemas" / "test-run.json").is_file()


def test_schema_export_overwrites_a_changed_schema_only_with_force(tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    assert invoke("schema", "export", "-o", str(out)).exit_code == 0
    assert invoke("schema", "export", "-o", str(out)).exit_code == 0  # same bytes: nothing lost
    (out / "model.json").write_text("{}", encoding="utf-8")
    refused = invoke("schema", "export", "-o", str(out))
    assert refused.exit_code == 2
    assert f"{out / 'model.json'} already exists; not overwriting it" in refused.stderr
    assert "pass --force" in refused.stderr
    assert (out / "model.json").read_text() == "{}"
    assert invoke("schema", "export", "-o", str(out), "--force").exit_code == 0
    assert invoke("schema", "export", "-o", str(out), "--check").exit_code == 0


def test_the_old_out_still_works_and_says_it_is_deprecated(tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    done = invoke("schema", "export", "--out", str(out))
    assert done.exit_code == 0 and (out / "model.json").is_file()
    assert "note: --out is deprecated; use -o/--output (same meaning)" in done.stderr
    assert "deprecated" not in invoke("schema", "export", "-o", str(out)).stderr
    both = invoke("schema", "export", "-o", str(out), "--out", str(tmp_path / "x"))
    assert both.exit_code == 2 and "-o/--output and --out name the same thing" in both.stderr
    # hidden from --help, which shows the one spelling
    shown = invoke("schema", "export", "--help").stdout
    assert "-o, --output" in shown and "--out " not in shown


def _envelope(command: str, *args: str) -> dict[str, object]:
    done = invoke(*command.split(), *args, "--format", "json")
    assert done.exit_code in (0, 1), done.output
    body: dict[str, object] = json.loads(done.stdout)
    assert body["schema_version"] == 1
    assert body["tool"] == {"name": "aigov-gate", "version": body["tool"]["version"]}  # type: ignore[index]
    assert body["command"] == command
    return body


def test_frameworks_list_prints_the_envelope() -> None:
    body = _envelope("frameworks list")
    ids = [f["id"] for f in body["frameworks"]]  # type: ignore[attr-defined]
    assert "eu-ai-act" in ids and "iso-iec-42001" in ids


def test_writers_refuse_to_overwrite_before_doing_anything(tmp_path: Path) -> None:
    """Every writer checks before it runs: the file is left byte for byte."""
    from conftest import ROOT

    example = str(ROOT / "examples" / "credit-scoring")
    target = tmp_path / "taken"
    target.write_text("mine")
    commands = [
        ["export", "model-card", "credit-scoring", "--repo", example, "-o", str(target)],
        ["export", "cyclonedx", "--repo", example, "-o", str(target)],
        ["compliance", "report", "--repo", example, "-o", str(target)],
        ["report", "html", "--repo", example, "-o", str(target)],
        ["gate", "--repo", example, "-o", f"json={target}"],
        ["gate", "--repo", example, "--evidence", str(target)],
        ["evidence", "build", "--repo", example, "-o", str(target)],
        ["frameworks", "export-mapping", "eu-ai-act", "iso-iec-42001", "-o", str(target)],
    ]
    for args in commands:
        done = invoke(*args)
        assert done.exit_code == 2, (args, done.output)
        assert f"{target} already exists; not overwriting it" in done.stderr, args
        assert target.read_text() == "mine", args
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]


def test_explain_prints_one_rule_or_the_list_in_the_envelope() -> None:
    body = _envelope("explain", "test.required-missing")
    rule = body["rule"]
    assert rule["id"] == "test.required-missing" and rule["builtin"] is True  # type: ignore[index]
    assert rule["help_uri"].endswith("#testrequired-missing")  # type: ignore[index]
    listed = _envelope("explain", "--list")
    ids = [r["id"] for r in listed["rules"]]  # type: ignore[attr-defined]
    assert ids == sorted(ids) and "test.required-missing" in ids


def test_policy_test_prints_cases_and_the_verdict_in_the_envelope(write_repo: WriteRepo) -> None:
    from conftest import ROOT

    body = _envelope("policy test", "--pack", "eu-ai-act-high-risk")
    summary = body["summary"]
    assert body["passed"] is True and summary["failed"] == 0  # type: ignore[index]
    assert summary["passed"] == len(body["cases"]) > 0  # type: ignore[index, arg-type]
    config = "organization: acme\npolicy_packs: []\n"
    repo = write_repo({".aigov.yaml": config, "p.yaml": FAILING_POLICY})
    done = invoke("policy", "test", "--repo", str(repo), "--format", "json")
    assert done.exit_code == 1
    body = json.loads(done.stdout)
    (case,) = body["cases"]
    assert body["passed"] is False and case["passed"] is False
    assert (case["policy"], case["name"], case["path"]) == ("always-fails", "says ok", "p.yaml")
    assert ROOT.name not in done.stdout  # repository-relative paths


FAILING_POLICY = """\
apiVersion: aigov/v1
kind: Policy
metadata: {name: always-fails}
spec:
  title: Always fails
  severity: high
  applies_to: {kinds: [Model]}
  rule: "false"
  message: never
  tests:
    - name: says ok
      given:
        model:
          metadata: {name: m, owner: lena}
          spec: {model_type: tabular, version: "1.0.0", risk_tier: minimal}
      expect: pass
"""


def test_test_run_prints_its_tests_and_runs_in_the_envelope(write_repo: WriteRepo) -> None:
    import sys

    emit = (
        "import json, os; open(os.environ['AIGOV_RESULT_FILE'], 'a')"
        ".write(json.dumps({'name': 'score', 'value': 0.9}) + '\\n')"
    )
    repo = write_repo({
        ".aigov.yaml": "organization: acme\n",
        "m.yaml": "apiVersion: aigov/v1\nkind: Model\nmetadata: {name: m, owner: lena}\n"
        "spec: {model_type: tabular, version: '1.0.0', risk_tier: minimal}\n",
        "p.yaml": "apiVersion: aigov/v1\nkind: TestPlan\nmetadata: {name: p}\nspec:\n"
        "  applies_to: {models: [m]}\n  tests:\n    - name: t\n"
        f"      command: [{json.dumps(sys.executable)}, -c, {json.dumps(emit)}]\n"
        "      metrics: [{name: score, operator: '>=', threshold: 0.5}]\n",
    })  # fmt: skip
    logs = repo / "logs"
    logs.mkdir()
    (logs / "old.log").write_text("kept")
    args = ("test", "run", "--repo", str(repo), "--isolation", "none", "-o", str(logs))
    refused = invoke(*args)
    assert refused.exit_code == 2 and "pass --force" in refused.stderr
    dry = json.loads(invoke(*args, "--dry-run", "--format", "json").stdout)
    assert dry["command"] == "test run" and [t["test"] for t in dry["would_run"]] == [
        "p/t for m@1.0.0"
    ]
    done = invoke(*args, "--force", "--format", "json")
    assert done.exit_code == 0, done.output
    body = json.loads(done.stdout)  # stdout holds the envelope and nothing else
    assert (body["schema_version"], body["command"], body["passed"]) == (1, "test run", True)
    (test,) = body["tests"]
    assert (test["test"], test["status"], test["metrics"]) == ("p/t for m@1.0.0", "passed", 1)
    (run,) = body["runs"]
    assert run["status"] == "completed" and (repo / run["path"]).is_file()
    assert body["logs"] == str(logs.absolute())


def test_keys_list_prints_the_keys_in_the_envelope(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".aigov.yaml").write_text("organization: acme\n")
    monkeypatch.setenv("AIGOV_PRIVATE_KEY_DIR", str(tmp_path / "private"))
    assert invoke("keys", "generate", "--repo", str(repo)).exit_code == 0
    body = _envelope("keys list", "--repo", str(repo))
    keys = body["keys"]
    assert isinstance(keys, list) and keys  # a key per purpose
    assert {(k["organization"], k["status"], k["rotation_due"]) for k in keys} == {
        ("acme", "active", False)
    }


def test_the_iso_pack_answers_to_its_framework_s_name_too(write_repo: WriteRepo) -> None:
    from aigov_gate.config import load_config

    repo = write_repo({".aigov.yaml": "organization: acme\npolicy_packs: [iso-iec-42001]\n"})
    assert load_config(repo / ".aigov.yaml").policy_packs == ["iso-42001"]
    both = "organization: acme\npolicy_packs: [iso-42001, iso-iec-42001, baseline]\n"
    (repo / ".aigov.yaml").write_text(both)
    assert load_config(repo / ".aigov.yaml").policy_packs == ["iso-42001", "baseline"]
    by_alias = _envelope("policy test", "--pack", "iso-iec-42001")
    by_name = _envelope("policy test", "--pack", "iso-42001")
    assert by_alias["cases"] == by_name["cases"] and by_alias["passed"] is True
    policies = {case["policy"] for case in by_alias["cases"]}  # type: ignore[attr-defined]
    assert policies and all(p.startswith("iso-42001.") for p in policies)
    (repo / ".aigov.yaml").write_text("organization: acme\npolicy_packs: [iso-4200]\n")
    done = invoke("validate", "--repo", str(repo))
    assert done.exit_code == 2 and "unknown policy pack 'iso-4200'" in done.output


def test_approvals_status_exits_2_when_it_could_not_ask_as_documented(tmp_path: Path) -> None:
    """docs/ci.md: 0 signed off, 1 not, 2 when the provider could not be asked."""
    import shutil

    from conftest import ROOT

    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "examples" / "credit-scoring", repo)
    risk = repo / "governance" / "risk" / "credit-scoring-2.3.0.yaml"
    done = invoke("approvals", "status", "--repo", str(repo))
    assert done.exit_code == 1 and "still needed: 1 more approval" in done.stdout  # not yet
    # github, no pull request: the approved assessment's merged PR is looked up in the Git
    # history, and there is none (no checkout): nothing could be checked
    config = repo / ".aigov.yaml"
    config.write_text(config.read_text() + "signoff:\n  provider: github\n")
    risk.write_text(
        risk.read_text().replace("approval_status: under_review", "approval_status: approved")
    )
    done = invoke("approvals", "status", "--repo", str(repo), "--format", "json")
    assert done.exit_code == 2, done.output
    (entry,) = json.loads(done.stdout)["signoff"]  # the report is still printed, whole
    assert entry["assessment"] == "credit-scoring-2.3.0"
    assert (
        "1 sign-off(s) could not be checked" in done.stderr
        and "not inside a Git repository" in done.stderr
    )
    # an assessment that does not exist is a usage error, not "nothing to show" and exit 0
    done = invoke("approvals", "status", "--repo", str(repo), "-a", "credit-scoring-2.3")
    assert done.exit_code == 2
    assert "no RiskAssessment named 'credit-scoring-2.3'" in done.stderr
    assert "did you mean 'credit-scoring-2.3.0'?" in done.stderr


def test_shell_completion_scripts_are_produced_and_complete() -> None:
    """docs/cli.md: click's own completion, through the environment variable."""
    from click.testing import CliRunner

    from aigov_gate.cli.main import cli

    def run(env: dict[str, str]) -> str:
        done = CliRunner().invoke(cli, [], env=env, prog_name="aigov")
        assert done.exit_code == 0, done.output
        return done.stdout

    assert "complete -o nosort -F _aigov_completion aigov" in run(
        {"_AIGOV_COMPLETE": "bash_source"}
    )
    assert "compdef _aigov_completion aigov" in run({"_AIGOV_COMPLETE": "zsh_source"})
    assert "complete --no-files --command aigov" in run({"_AIGOV_COMPLETE": "fish_source"})
    # the script asks aigov itself: a command name, then an option's choices
    words = run({"_AIGOV_COMPLETE": "bash_complete", "COMP_WORDS": "aigov sch", "COMP_CWORD": "1"})
    assert words.splitlines() == ["plain,schema"]
    words = run({
        "_AIGOV_COMPLETE": "bash_complete", "COMP_WORDS": "aigov gate --stage ", "COMP_CWORD": "3"
    })  # fmt: skip
    assert words.splitlines() == ["plain,merge", "plain,deploy"]


def test_the_field_reference_describes_every_field_and_is_committed(tmp_path: Path) -> None:
    from conftest import ROOT

    from aigov_gate.scaffold.fields import field_reference, undocumented

    assert undocumented() == []  # every field of every kind and of .aigov.yaml
    committed = (ROOT / "docs" / "fields.md").read_text(encoding="utf-8")
    assert committed == field_reference(), "run: aigov schema doc --force -o docs/fields.md"
    out = tmp_path / "fields.md"
    assert invoke("schema", "doc", "-o", str(out)).exit_code == 0
    assert out.read_text(encoding="utf-8") == committed
    assert "| `risk_tier` |" in committed and "### MetricRequirement" in committed
    assert invoke("schema", "doc", "-o", str(out), "--check").exit_code == 0
    out.write_text("old")
    stale = invoke("schema", "doc", "-o", str(out), "--check")
    assert stale.exit_code == 1 and "differs from the models" in stale.stdout
    refused = invoke("schema", "doc", "-o", str(out))
    assert refused.exit_code == 2 and "pass --force" in refused.stderr
    assert out.read_text() == "old"
    assert invoke("schema", "doc", "-o", str(out), "--force").exit_code == 0
    # to stdout it goes through the writer, which masks what looks like personal data
    # (the example phone numbers of pii.phone_regions' description)
    assert invoke("schema", "doc").stdout.startswith("# Field reference\n")
