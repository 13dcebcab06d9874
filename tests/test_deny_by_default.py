"""Deny by default (issue 33, item 1): with ``--base``, everything that judges a change is
the base's: every section of ``.aigov.yaml``, discovery, and the control documents.

Each test is an attack from the issue, on a real Git repository: the example, committed
on ``main``, then edited on a branch as the author of a pull request would. On 4b97236 each
of them opened the gate or went unnoticed; now the base's settings apply and the edit is
``authority.changed`` at its line. The gate runs in-process through the CLI.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, git, invoke

POLICY = """apiVersion: aigov/v1
kind: Policy
metadata: {name: owned-by-the-committee, organization: acme-bank}
spec:
  title: Models are owned by the model risk committee
  severity: high
  applies_to: {kinds: [Model]}
  rule: model.metadata.owner == "model-risk-committee"
  message: "{{model.metadata.name}} is not owned by the model risk committee"
  stages: [merge, deploy]
"""
CONFIG = ".aigov.yaml"
RUN = "governance/tests/credit-scoring-2.3.0-run-1.yaml"


def _repo(
    tmp_path: Path, *, policy: bool = False, failing_run: bool = False, config: str = ""
) -> Path:
    """The example on ``main`` (with a repository policy its model fails, or a failing
    metric), and a branch ``change`` checked out."""
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLES / "credit-scoring", repo)
    if policy:
        (repo / "policies/owned-by-the-committee.yaml").write_text(POLICY, encoding="utf-8")
    if config:
        with (repo / CONFIG).open("a", encoding="utf-8") as handle:
            handle.write(config)
    if failing_run:  # run-1, edited to fail, is judged once the shipped attested run is gone
        shutil.rmtree(repo / "governance/runs")
        text = (repo / RUN).read_text(encoding="utf-8")
        (repo / RUN).write_text(text.replace("value: 0.781", "value: 0.701"), encoding="utf-8")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "change")
    return repo


def _commit(repo: Path) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "the change")


def _gate(repo: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = invoke(
        "gate", "--repo", str(repo), "--base", "main", "--as-of", "2026-11-01",
        "--format", "json", *args,
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def _found(report: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["rule_id"] == rule]


def _line(repo: Path, path: str, text: str) -> int:
    lines = (repo / path).read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.startswith(text))


def _append(repo: Path, text: str) -> None:
    with (repo / CONFIG).open("a", encoding="utf-8") as handle:
        handle.write(text)


def test_the_unchanged_example_passes_against_its_base(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    code, report = _gate(repo)
    assert code == 0 and _found(report, "authority.changed") == []


def _said(finding: dict[str, Any]) -> str:
    """A finding's message with its detail lines (was, now, the sign-off), as printed."""
    return "\n".join([finding["message"], *finding["details"]])


def test_fail_on_in_the_change_does_not_lower_the_bar(tmp_path: Path) -> None:
    repo = _repo(tmp_path, failing_run=True)
    _append(repo, "gate:\n  fail_on: critical\n")
    _commit(repo)
    code, report = _gate(repo)
    assert code == 1
    assert report["fail_on"] == "high"  # the base's, not the change's
    assert any(f["blocking"] for f in _found(report, "metric.threshold"))
    [changed] = _found(report, "authority.changed")
    assert changed["line"] == _line(repo, CONFIG, "gate:")
    assert "gate" in changed["message"]


@pytest.mark.parametrize(
    ("section", "text"),
    [
        (
            "gate",
            "gate:\n  insufficient_evidence: info\n  insufficient_evidence_production: info\n",
        ),
        ("pii", "pii:\n  masking: false\n"),
        ("retention", "retention:\n  test_runs: 1\n"),
        ("webhooks", "webhooks:\n  outbox: governance/outbox.sqlite\n"),
        ("exclude", "exclude: ['governance/risk/**']\n"),
    ],
)
def test_a_setting_the_change_adds_is_an_authority_change_at_its_line(
    tmp_path: Path, section: str, text: str
) -> None:
    repo = _repo(tmp_path)
    _append(repo, text)
    _commit(repo)
    code, report = _gate(repo)
    assert code == 1
    [changed] = _found(report, "authority.changed")
    assert changed["blocking"]
    assert changed["path"] == CONFIG
    assert changed["line"] == _line(repo, CONFIG, f"{section}:")
    assert changed["message"].startswith(f"{section} changed: ")


def test_ssrf_protection_stays_on(tmp_path: Path) -> None:
    repo = _repo(tmp_path, config="webhooks:\n  block_private_addresses: true\n")
    text = (repo / CONFIG).read_text(encoding="utf-8")
    (repo / CONFIG).write_text(text.replace("addresses: true", "addresses: false"), "utf-8")
    _commit(repo)
    code, report = _gate(repo)
    assert code == 1
    [changed] = _found(report, "authority.changed")
    assert changed["line"] == _line(repo, CONFIG, "webhooks:")
    assert '"block_private_addresses":true' in changed["details"][0]  # was: the base's


def test_the_production_flag_stays_the_bases(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    text = (repo / CONFIG).read_text(encoding="utf-8")
    edited = text.replace("    production: true\n", "    production: false\n")
    assert edited != text
    (repo / CONFIG).write_text(edited, encoding="utf-8")
    _commit(repo)
    code, report = _gate(repo)
    assert code == 1
    [changed] = _found(report, "authority.changed")
    assert changed["line"] == _line(repo, CONFIG, "environments:")
    code, deploy = _gate(repo, "--stage", "deploy", "--environment", "production")
    assert deploy["production"] is True


def test_a_deleted_section_is_named_at_the_bases_line(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    base_line = _line(repo, CONFIG, "frameworks:")
    text = (repo / CONFIG).read_text(encoding="utf-8")
    (repo / CONFIG).write_text(text.replace("frameworks: [eu-ai-act, gdpr]\n", ""), "utf-8")
    _commit(repo)
    code, report = _gate(repo)
    assert code == 1
    [changed] = _found(report, "authority.changed")
    assert (changed["path"], changed["line"], changed["column"]) == (CONFIG, base_line, 1)
    assert "now: deleted" in _said(changed)
    assert any(c["framework"] == "gdpr" for c in report["compliance"])  # still assessed


def test_paths_that_hide_documents_do_not_hide_them_from_the_gate(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    text = (repo / CONFIG).read_text(encoding="utf-8")
    hidden = text.replace("paths: [governance, policies, frameworks]", "paths: [frameworks]")
    assert hidden != text
    (repo / CONFIG).write_text(hidden, encoding="utf-8")
    _commit(repo)
    code, report = _gate(repo)
    assert code == 1
    assert [m["name"] for m in report["models"]] == ["credit-scoring"]  # found as at the base
    [changed] = _found(report, "authority.changed")
    assert changed["line"] == _line(repo, CONFIG, "paths:")


@pytest.mark.parametrize("attack", ["rewritten", "deleted", "excluded"])
def test_a_policy_of_the_base_applies_whatever_the_change_does_to_it(
    tmp_path: Path, attack: str
) -> None:
    repo = _repo(tmp_path, policy=True)
    path = "policies/owned-by-the-committee.yaml"
    base_line = _line(repo, path, "metadata:")
    if attack == "rewritten":
        text = (repo / path).read_text(encoding="utf-8")
        rule = '  rule: model.metadata.owner == "model-risk-committee"\n'
        (repo / path).write_text(text.replace(rule, '  rule: "true"\n'), encoding="utf-8")
    elif attack == "deleted":
        (repo / path).unlink()
    else:
        _append(repo, f"exclude: ['{path}']\n")
    _commit(repo)
    code, report = _gate(repo)
    assert code == 1
    violated = _found(report, "owned-by-the-committee")
    assert violated and violated[0]["blocking"]
    changes = {(c["path"], c["line"]) for c in _found(report, "authority.changed")}
    if attack == "excluded":
        assert changes == {(CONFIG, _line(repo, CONFIG, "exclude:"))}
    else:
        assert changes == {(path, base_line)}  # the base's file, where it is named
        [changed] = _found(report, "authority.changed")
        word = "now: deleted" if attack == "deleted" else "now: edited"
        assert "Policy owned-by-the-committee" in changed["message"] and word in _said(changed)


def test_a_framework_named_like_a_built_in_is_an_authority_change(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    framework = """apiVersion: aigov/v1
kind: Framework
metadata: {name: eu-ai-act}
spec:
  title: EU AI Act (as the author would like it)
  version: "2099"
  clauses:
    - clause_number: Art. 9
      title: Risk management
      applies_from: 2099-01-01
"""
    (repo / "frameworks/eu-ai-act.yaml").write_text(framework, encoding="utf-8")
    _commit(repo)
    code, report = _gate(repo)
    assert code == 1
    changed = _found(report, "authority.changed")
    assert [(c["path"], c["line"]) for c in changed] == [("frameworks/eu-ai-act.yaml", 3)]
    sources = {c["framework"]: c["source"] for c in report["compliance"]}
    assert sources["eu-ai-act"] == "@aigov/frameworks/eu-ai-act.yaml"  # the built-in


def test_reports_are_masked_with_the_bases_pii_settings(tmp_path: Path) -> None:
    from aigov_gate.app.gate import GateRequest, run
    from aigov_gate.config import find_config, load_config

    repo = _repo(tmp_path)
    _append(repo, "pii:\n  masking: false\n")
    _commit(repo)
    config = load_config(find_config(repo))
    assert config.pii.masking is False  # what the change asks for
    gate = run(GateRequest(repo, config, base="main"), {})
    assert gate.config.pii.masking is True
    assert "lena.martin@acme-bank.example" not in gate.mask("ask lena.martin@acme-bank.example")
    assert "lena.martin@acme-bank.example" not in gate.report("json")
