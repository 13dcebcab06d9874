"""The gate's checks, in-process against a built Run (issue 31): the table, the Run, waivers
applied once, and the catalog holding each rule's whole meaning."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from aigov_gate.app.gate import GateRequest
from aigov_gate.app.gate import run as run_request
from aigov_gate.catalog import RULES, always_blocks, waivable
from aigov_gate.config import find_config, load_config
from aigov_gate.gate import GateOptions, Run, build, run_gate
from aigov_gate.gate.checks import AFTER_CHECKS, CHECKS, Coverage, Models, WaiverApprovals
from aigov_gate.policy.waivers import Waiving
from aigov_gate.result import Finding, Location, Severity, Situation
from aigov_gate.rules import SEVERITIES, STAGES

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "credit-scoring"
NOW = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)


def _example(tmp_path: Path, extra: dict[str, str] | None = None) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(EXAMPLE, root)
    for rel, text in (extra or {}).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def _run(root: Path, **options: object) -> Run:
    config = load_config(find_config(root))
    return build(root, config, GateOptions(**options), NOW, {})  # type: ignore[arg-type]


def test_every_catalog_rule_is_written_by_exactly_one_check_or_after_them() -> None:
    owners: dict[str, list[str]] = {}
    for check in CHECKS:
        for rule_id in check.rules:
            owners.setdefault(rule_id, []).append(check.name)
    for rule_id in AFTER_CHECKS:
        owners.setdefault(rule_id, []).append("after")
    assert {r: o for r, o in owners.items() if len(o) > 1} == {}
    assert sorted(set(RULES) - set(owners)) == []
    assert sorted(set(owners) - set(RULES)) == []
    assert len({check.name for check in CHECKS}) == len(CHECKS)


def test_the_catalog_holds_whether_a_rule_blocks_and_whether_it_can_be_waived() -> None:
    blocking = {r for r, info in RULES.items() if info.always_blocks}
    assert {"schema.invalid-value", "authority.changed", "waiver.not-allowed"} <= blocking
    assert all(not RULES[r].waivable for r in blocking)
    assert not RULES["deploy.production-not-approved"].waivable
    assert not RULES["deploy.production-not-approved"].always_blocks
    assert RULES["metric.threshold"].waivable and not always_blocks("metric.threshold")
    assert always_blocks("ref.missing") and not always_blocks("my-policy")
    # a policy's id is waivable, unless it borrows a reserved family or the config forbids it
    assert waivable("my-policy") and not waivable("my-policy", ["my-policy"])
    assert not waivable("signoff.my-own") and not waivable("authority.x")
    assert not waivable("metric.threshold", {"metric.threshold"})


def test_one_spelling_of_severities_and_stages() -> None:
    assert tuple(s.label for s in Severity) == SEVERITIES
    assert [Severity.parse(s) for s in SEVERITIES] == sorted(Severity)
    assert STAGES == ("merge", "deploy")


def test_the_run_is_immutable_and_reads_its_clock_from_the_snapshot(tmp_path: Path) -> None:
    run = _run(_example(tmp_path))
    assert run.situation == Situation("merge", None, False, NOW.date())
    with pytest.raises(dataclasses.FrozenInstanceError):
        run.root = tmp_path  # type: ignore[misc]
    assert run.models is run.models  # evaluated once
    pinned = _run(_example(tmp_path / "b"), as_of=date(2025, 1, 2))
    assert pinned.situation.today == date(2025, 1, 2)


def test_the_example_passes_and_each_check_reads_only_the_run(tmp_path: Path) -> None:
    run = _run(_example(tmp_path))
    result = run_gate(run)
    assert result.decision == "passed"
    assert [v.name for v in result.models] == ["credit-scoring"]
    assert list(Models().evaluate(run)) == run.models.findings
    assert Coverage().evaluate(run) == []


def test_coverage_reports_a_repository_without_models(tmp_path: Path) -> None:
    root = _example(tmp_path)
    (root / "governance/models/credit-scoring.yaml").unlink()
    run = _run(root)
    found = [f.rule_id for f in Coverage().evaluate(run)]
    assert found == ["gate.no-models"]
    assert run_gate(run).decision == "blocked"


def test_app_run_uses_the_injected_clock(tmp_path: Path) -> None:
    root = _example(tmp_path)
    config = load_config(find_config(root))
    gate = run_request(GateRequest(root, config, ci=False), {}, now=NOW)
    assert gate.result.situation.today == NOW.date()


WAIVER = """apiVersion: aigov/v1
kind: Waiver
metadata: {{name: {name}, owner: dana.k}}
spec:
  policy: {policy}
  target: {{kind: {kind}, name: {target}}}
  justification: Accepted by the model risk committee until the retrain lands.
  approved_by: [miguel.r]
  approved_at: 2026-10-20
  expires: {expires}
"""


def _waiver(name: str, policy: str, kind: str, target: str, expires: str = "2026-11-20") -> str:
    return WAIVER.format(name=name, policy=policy, kind=kind, target=target, expires=expires)


def _finding(rule: str, target: str, model: str = "") -> Finding:
    return Finding(rule, Severity.HIGH, "found", Location("x.yaml", 1, 1), target, model=model)


def test_a_waiver_on_a_dataset_waives_the_dataset_finding_even_when_it_names_a_model(
    tmp_path: Path,
) -> None:
    root = _example(
        tmp_path,
        {"governance/waivers/w.yaml": _waiver("w", "data-check", "Dataset", "loans")},
    )
    run = _run(root)
    waiving = Waiving(run.graph.waivers, run.situation, 14)
    on_dataset = _finding("data-check", "Dataset/loans", model="credit-scoring@2.3.0")
    elsewhere = _finding("data-check", "Dataset/other", model="loans@1.0")
    marked = waiving.mark([on_dataset, elsewhere])
    assert [f.waived_by for f in marked] == ["Waiver/w", ""]
    assert [f.rule_id for f in waiving.about()] == []  # used, and not expiring within 14 days


def test_waivers_are_applied_once_the_first_matching_waiver_takes_a_finding(
    tmp_path: Path,
) -> None:
    root = _example(
        tmp_path,
        {
            "governance/waivers/a.yaml": _waiver("a", "p", "Model", "credit-scoring"),
            "governance/waivers/b.yaml": _waiver("b", "p", "Model", "credit-scoring"),
            "governance/waivers/c.yaml": _waiver("c", "p", "Model", "other", "2026-10-30"),
            "governance/waivers/d.yaml": _waiver("d", "signoff.unverified", "Model", "x"),
            "governance/waivers/e.yaml": _waiver("e", "q", "Model", "credit-scoring", "2026-11-05"),
        },
    )
    run = _run(root)
    names = [w.raw.name for w in run.graph.waivers]
    waiving = Waiving(run.graph.waivers, run.situation, 14)
    one, other = sorted("ab", key=names.index)  # in the order the run lists them
    first = waiving.mark([_finding("p", "Model/credit-scoring", "credit-scoring@2.3.0")])
    assert first[0].waived_by == f"Waiver/{one}"
    assert waiving.mark(first) == first  # a waived finding is not taken again
    later = waiving.mark([_finding("q", "Model/credit-scoring", "credit-scoring@2.3.0")])
    assert later[0].waived_by == "Waiver/e"
    about = {f.target: f.rule_id for f in waiving.about()}
    assert about == {
        f"Waiver/{other}": "waiver.unused",
        "Waiver/c": "waiver.expired",
        "Waiver/d": "waiver.not-allowed",
        "Waiver/e": "waiver.expiring",
    }
    refused = {w.key for w in run.graph.waivers if w.raw.name == one}
    unusable = Waiving(run.graph.waivers, run.situation, 14, refused)
    taken = unusable.mark([_finding("p", "Model/credit-scoring", "credit-scoring@2.3.0")])
    assert taken[0].waived_by == f"Waiver/{other}"
    assert f"Waiver/{one}" not in {f.target for f in unusable.about()}  # its own finding says why


def test_waiver_approvals_check_reads_the_rules_in_force(tmp_path: Path) -> None:
    root = _example(
        tmp_path,
        {"governance/waivers/w.yaml": _waiver("w", "p", "Model", "credit-scoring", "2027-12-01")},
    )
    found = WaiverApprovals().evaluate(_run(root))
    assert [f.rule_id for f in found] == ["waiver.unapproved"]
    assert "waivers.max_days" in found[0].message
