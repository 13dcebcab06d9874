"""Gate reports: SARIF against the official schema, JUnit through a real parser, Code Quality,
Markdown, text; byte-identical output for identical inputs."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import gate_repo as g
import jsonschema
import pytest
from conftest import EXAMPLES, ROOT, WriteRepo, invoke, run_aigov
from junitparser import Failure, JUnitXml, Skipped

AS_OF = "2026-06-01"
SARIF_SCHEMA = json.loads((ROOT / "tests/schemas/sarif-schema-2.1.0.json").read_text("utf-8"))


def failing_repo(write_repo: WriteRepo) -> Path:
    """Blocking metric findings, a waived one, and a repository-level warning."""
    waiver = g.waiver("metric.disparity", "2026-07-31")
    dataset = g.DATASET.replace("  license: internal\n", "")
    return write_repo(
        g.repo_files(
            {
                "tests/run-2.0.0.yaml": g.run(auc=0.7, female=0.3, drop=0.2),
                "waivers/w.yaml": waiver,
                "data/loans.yaml": dataset,
            }
        )
    )


def report(repo: Path, fmt: str, *args: str) -> str:
    result = invoke("gate", "--repo", str(repo), "--as-of", AS_OF, "--format", fmt, *args)
    assert result.exit_code in (0, 1), result.output
    return result.output


def test_sarif_validates_and_carries_rules_locations_and_suppressions(
    write_repo: WriteRepo,
) -> None:
    sarif = json.loads(report(failing_repo(write_repo), "sarif"))
    jsonschema.validate(sarif, SARIF_SCHEMA)
    run = sarif["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert rules["metric.disparity"]["helpUri"].endswith("docs/rules.md#metricdisparity")
    assert "eu-ai-act:Art. 10" in rules["metric.disparity"]["properties"]["tags"]
    by_rule = {r["ruleId"]: r for r in run["results"]}
    threshold = next(r for r in run["results"] if "auc is 0.7" in r["message"]["text"])
    region = threshold["locations"][0]["physicalLocation"]["region"]
    assert threshold["level"] == "error"
    assert (region["startLine"], region["startColumn"]) == (14, 30)
    assert threshold["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "tests/run-2.0.0.yaml"
    )
    assert by_rule["metric.disparity"]["suppressions"][0]["justification"] == "waived by Waiver/w"
    assert all(r["ruleIndex"] == list(rules).index(r["ruleId"]) for r in run["results"])
    # GitHub code scanning: names that are not ids, no security score on governance rules
    # (a metric is not a vulnerability: its alert has its level), end of region,
    # primaryLocationLineHash, and %SRCROOT% declared
    assert rules["metric.disparity"]["name"] == "MetricDisparity"
    assert all(r["name"] != r["id"] for r in rules.values())
    assert rules["metric.threshold"]["defaultConfiguration"]["level"] == "error"
    assert all("security-severity" not in r["properties"] for r in rules.values())
    assert all("security-severity" not in r["properties"] for r in run["results"])
    assert (region["endLine"], region["endColumn"]) == (14, 31)
    assert all(":" in r["partialFingerprints"]["primaryLocationLineHash"] for r in run["results"])
    assert "%SRCROOT%" in run["originalUriBaseIds"]


def test_sarif_of_the_examples_validates() -> None:
    for repo in (EXAMPLES / "credit-scoring", EXAMPLES / "problems"):
        sarif = json.loads(
            report(repo, "sarif", "--stage", "deploy", "-e", "production")
            if repo.name == "credit-scoring"
            else report(repo, "sarif")
        )
        jsonschema.validate(sarif, SARIF_SCHEMA)
        assert sarif["runs"][0]["results"]


def test_junit_has_a_case_per_model_and_rule(write_repo: WriteRepo, tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(report(failing_repo(write_repo), "junit"), encoding="utf-8")
    xml = JUnitXml.fromfile(str(path))
    suites = {suite.name: suite for suite in xml}
    assert set(suites) == {"scorer@2.0.0", "repository"}
    cases = {case.name: case for case in suites["scorer@2.0.0"]}
    assert {"metric.threshold", "metric.disparity", "risk.assessment-missing"} <= set(cases)
    assert isinstance(cases["metric.threshold"].result[0], Failure)
    assert isinstance(cases["metric.disparity"].result[0], Skipped)
    assert cases["data.classification"].is_passed
    assert suites["scorer@2.0.0"].failures == 1
    assert sum(s.failures for s in xml) == 1
    failure = cases["metric.threshold"].result[0]
    assert failure.message.startswith("tests/run-2.0.0.yaml:14:30: ")


def _xsd(name: str) -> Any:
    import xmlschema

    return xmlschema.XMLSchema(ROOT / "tests" / "schemas" / name)


def test_junit_is_valid_under_the_ant_and_jenkins_schemas(write_repo: WriteRepo) -> None:
    repo = failing_repo(write_repo)
    text = report(repo, "junit")
    for name in ("junit-ant.xsd", "junit-jenkins-10.xsd"):
        errors = list(_xsd(name).iter_errors(text))
        assert not errors, f"{name}: {errors[0].reason} at {errors[0].path}"
    # GitLab's dialect adds the file each case is about: GitLab links it, Jenkins refuses it.
    gitlab = report(repo, "junit-gitlab")
    assert 'file="tests/run-2.0.0.yaml"' in gitlab
    assert list(_xsd("junit-jenkins-10.xsd").iter_errors(gitlab))
    suite = next(s for s in JUnitXml.fromstring(gitlab.encode()) if s.name == "scorer@2.0.0")
    case = next(c for c in suite if c.name == "metric.threshold")
    assert case._elem.get("file") == "tests/run-2.0.0.yaml"


def test_junit_writes_control_characters_as_text(write_repo: WriteRepo) -> None:
    # A policy message quotes an owner with \x12 in it; raw, it made the XML unparseable.
    files = g.repo_files({"policies/owner.yaml": OWNER_POLICY})
    owned = str(files["models/scorer.yaml"]).replace("owner: lena", 'owner: "lena\\x12"')
    files["models/scorer.yaml"] = owned
    text = report(write_repo(files), "junit")
    assert "\x12" not in text and "owner is lena\\x12" in text
    assert not list(_xsd("junit-ant.xsd").iter_errors(text))


OWNER_POLICY = """\
apiVersion: aigov/v1
kind: Policy
metadata: {name: acme.owner}
spec:
  title: Owner is named plainly
  severity: high
  rule: "false"
  message: "owner is {{model.metadata.owner}}"
"""


def test_codequality_fields_and_stable_fingerprints(write_repo: WriteRepo) -> None:
    repo = failing_repo(write_repo)
    issues: list[dict[str, Any]] = json.loads(report(repo, "codequality"))
    again: list[dict[str, Any]] = json.loads(report(repo, "codequality"))
    assert [i["fingerprint"] for i in issues] == [i["fingerprint"] for i in again]
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    first = next(
        i for i in issues if i["check_name"] == "metric.threshold" and "auc" in i["description"]
    )
    assert first["severity"] == "critical"
    assert first["location"] == {"path": "tests/run-2.0.0.yaml", "lines": {"begin": 14}}
    assert {i["severity"] for i in issues} <= {"info", "minor", "major", "critical", "blocker"}
    waived = next(i for i in issues if i["check_name"] == "metric.disparity")
    assert waived["severity"] == "info" and "waived by Waiver/w" in waived["description"]


def test_fingerprint_survives_moved_lines(write_repo: WriteRepo) -> None:
    repo = failing_repo(write_repo)
    before = {i["check_name"]: i["fingerprint"] for i in json.loads(report(repo, "codequality"))}
    run_file = repo / "tests/run-2.0.0.yaml"
    run_file.write_text("# a comment that moves every line\n" + run_file.read_text("utf-8"))
    after = {i["check_name"]: i["fingerprint"] for i in json.loads(report(repo, "codequality"))}
    assert before == after


def test_markdown_summary(write_repo: WriteRepo) -> None:
    text = report(failing_repo(write_repo), "markdown")
    assert text.startswith("## ❌ aigov gate: blocked (merge)")
    assert "| `scorer@2.0.0` | ❌ blocked |" in text
    assert "### Blocking (1)" in text
    assert "<summary>Waived (1)</summary>" in text
    assert "**What to do**" in text


def test_text_groups_by_model_without_colour_off_a_tty(write_repo: WriteRepo) -> None:
    text = report(failing_repo(write_repo), "text")
    assert "\x1b[" not in text
    assert "scorer@2.0.0  BLOCKED" in text
    assert "[waived by Waiver/w]" in text
    assert text.rstrip().splitlines()[-1].startswith("BLOCKED: 1 model(s)")


def test_several_outputs_in_one_run_are_byte_identical_across_runs(
    write_repo: WriteRepo, tmp_path: Path
) -> None:
    repo = failing_repo(write_repo)
    outputs: list[dict[str, bytes]] = []
    for attempt in ("a", "b"):
        folder = tmp_path / attempt
        args = [f"--output={fmt}={folder / fmt}" for fmt in ("json", "sarif", "junit")]
        result = run_aigov("gate", "--repo", str(repo), "--as-of", AS_OF, *args, process=True)
        assert result.returncode == 1, result.stderr
        outputs.append({fmt: (folder / fmt).read_bytes() for fmt in ("json", "sarif", "junit")})
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0]["json"])["decision"] == "blocked"


CODE_CLIMATE = {"Bug Risk", "Clarity", "Compatibility", "Complexity", "Duplication",
                "Performance", "Security", "Style"}  # fmt: skip


def test_codequality_and_sarif_paths_are_relative_to_the_project(
    write_repo: WriteRepo, tmp_path: Path
) -> None:
    from conftest import git, run_aigov

    project = tmp_path / "project"
    project.mkdir()
    sub = failing_repo(write_repo).rename(project / "governance")
    git(project, "init", "-q")
    for env in ({"CI_PROJECT_DIR": str(project)}, {}):  # GitLab, and a plain checkout
        done = run_aigov(
            "gate", "--repo", str(sub), "--as-of", AS_OF, "--format", "codequality", env=env
        )
        issues = json.loads(done.stdout)
        assert issues and all(i["location"]["path"].startswith("governance/") for i in issues)
        assert {c for i in issues for c in i["categories"]} <= CODE_CLIMATE
    done = run_aigov("gate", "--repo", str(sub), "--as-of", AS_OF, "--format", "sarif")
    results = json.loads(done.stdout)["runs"][0]["results"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert uris and all(u.startswith("governance/") for u in uris)
    # junit-gitlab's file attribute, in the same GitLab run, says the same paths
    env = {"CI_PROJECT_DIR": str(project)}
    done = run_aigov("gate", "--repo", str(sub), "--as-of", AS_OF, "--format", "junit-gitlab",
                     env=env)  # fmt: skip
    cases = ET.fromstring(done.stdout).iter("testcase")
    files = {str(c.get("file")) for c in cases if c.get("file")}
    assert files and all(f.startswith("governance/") for f in files), files
    assert files <= {i["location"]["path"] for i in issues}


def _multitool_findings(sarif: Path, tmp_path: Path) -> list[str]:
    """Rule ids SARIF Multitool's validator reports, with GitHub's rules and SARIF's own."""
    import os
    import subprocess

    tool = os.environ.get("AIGOV_SARIF_MULTITOOL")
    if not tool:
        pytest.skip("set AIGOV_SARIF_MULTITOOL (.ci/run installs it from npm)")
    out = tmp_path / (sarif.stem + ".validation.sarif")
    argv = [tool, "validate", str(sarif), "--rule-kind", "Gh;Sarif", "-o", str(out)]
    done = subprocess.run(
        [*argv, "--log", "ForceOverwrite"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    log = json.loads(out.read_text(encoding="utf-8-sig"))
    return [r["ruleId"] for r in log["runs"][0].get("results", [])]


def test_sarif_passes_sarif_multitool_with_github_rules(
    write_repo: WriteRepo, tmp_path: Path
) -> None:
    ours = tmp_path / "aigov.sarif"
    ours.write_text(report(failing_repo(write_repo), "sarif"), encoding="utf-8")
    assert _multitool_findings(ours, tmp_path) == []
    # The validator does judge: a rule whose name is its id is SARIF1001.
    bad = json.loads(ours.read_text(encoding="utf-8"))
    rule = bad["runs"][0]["tool"]["driver"]["rules"][0]
    rule["name"] = rule["id"]
    worse = tmp_path / "worse.sarif"
    worse.write_text(json.dumps(bad), encoding="utf-8")
    assert "SARIF1001" in _multitool_findings(worse, tmp_path)


def test_every_format_the_cli_offers_has_a_reporter_and_back() -> None:
    from aigov_gate.cli.gate import FORMATS
    from aigov_gate.reporters import GATE_REPORTER_BY_NAME

    assert list(FORMATS) == list(GATE_REPORTER_BY_NAME)
    assert all(callable(GATE_REPORTER_BY_NAME[name]) for name in FORMATS)


def _clauses(count: int) -> str:
    from aigov_gate.frameworks import builtin_catalog

    names = [c for c in builtin_catalog("nist-ai-rmf").clauses if "." in c][:count]
    return "".join(f"    - {{framework: nist-ai-rmf, clause: {c}}}\n" for c in names)


WIDE_POLICY = """\
apiVersion: aigov/v1
kind: Policy
metadata: {name: wide}
spec:
  title: A policy that names many clauses
  severity: high
  rule: model.spec.intended_use == "nothing at all"
  message: "{{model.metadata.name}} fails the wide policy"
  clauses:
"""


def test_sarif_for_github_code_scanning_tags_regions_and_category(
    write_repo: WriteRepo, tmp_path: Path
) -> None:
    repo = failing_repo(write_repo)
    (repo / "policies").mkdir()
    (repo / "policies/wide.yaml").write_text(WIDE_POLICY + _clauses(21))
    (repo / "stray.yaml").write_bytes(b"apiVersion: aigov/v1\n\x00")  # file.binary: no line
    (repo / "registry.yaml").write_text(
        "apiVersion: aigov/v1\nkind: ConnectorConfig\nmetadata: {name: registry}\n"
        "spec: {connector_type: mlflow, configuration: {api_token: s3cr3t-value-123}}\n"
    )
    text = report(repo, "sarif", "--stage", "deploy", "-e", "staging", "--model", "scorer")
    sarif = json.loads(text)
    jsonschema.validate(sarif, SARIF_SCHEMA)
    run = sarif["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    wide = rules["wide"]
    assert len(wide["properties"]["tags"]) == 20  # GitHub refuses more
    assert len(wide["relationships"]) == 21  # every clause is still there
    for rule in rules.values():  # GitHub reads security-severity only beside "security"
        tags = rule["properties"]["tags"]
        assert ("security-severity" in rule["properties"]) == ("security" in tags), rule["id"]
    assert "security-severity" not in rules["metric.threshold"]["properties"]
    secret = rules["secret.inline"]["properties"]  # a security problem: a security alert
    assert "security" in secret["tags"] and secret["security-severity"] == "9.5"
    regions = [r["locations"][0]["physicalLocation"].get("region") for r in run["results"]]
    assert all(regions) and {"startLine": 1} in regions
    assert run["automationDetails"]["id"] == "aigov-gate/deploy/env=staging/model=scorer/"
    merge = json.loads(report(repo, "sarif"))["runs"][0]["automationDetails"]["id"]
    assert merge == "aigov-gate/merge/"  # unchanged where there is no environment or model
    ours = tmp_path / "github.sarif"
    ours.write_text(text, encoding="utf-8")
    assert _multitool_findings(ours, tmp_path) == []
    # the validator does see a file-level finding without a region (SARIF2017 wants one)...
    bare = json.loads(text)
    for result in bare["runs"][0]["results"]:
        result["locations"][0]["physicalLocation"].pop("region", None)
    worse = tmp_path / "bare.sarif"
    worse.write_text(json.dumps(bare), encoding="utf-8")
    assert _multitool_findings(worse, tmp_path)
