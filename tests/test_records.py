"""Incident (Art. 73 clocks) and ImpactAssessment (Art. 27) records and what the gate
finds about them (issue 42). Every day is an explicit as-of, never today."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from conftest import EXAMPLES, git, invoke

from aigov_gate.config import find_config, load_config
from aigov_gate.gate import GateOptions, build, run_gate
from aigov_gate.gate.checks import Records
from aigov_gate.result import Finding
from aigov_gate.webhooks.events import gate_events

NOW = datetime(2026, 12, 8, tzinfo=UTC)
FRIA = "governance/records/credit-scoring-fria.yaml"


def example(tmp_path: Path) -> Path:
    repo = tmp_path / "credit-scoring"
    shutil.copytree(EXAMPLES / "credit-scoring", repo)
    return repo


def incident(repo: Path, name: str = "inc-1", **fields: str) -> Path:
    spec = {
        "model": "credit-scoring",
        "incident_type": "serious_harm_to_health",
        "description": "A decline linked to harm.",
        "aware_on": "2028-01-01",
        **fields,
    }
    body = "".join(f"  {k}: {v}\n" for k, v in spec.items())
    path = repo / "governance/incidents" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"apiVersion: aigov/v1\nkind: Incident\nmetadata:\n  name: {name}\n"
        f"  organization: acme-bank\nspec:\n{body}"
    )
    return path


def records(repo: Path, day: str, stage: str = "merge", env: str | None = None) -> list[Finding]:
    config = load_config(find_config(repo))
    options = GateOptions(stage=stage, environment=env, as_of=date.fromisoformat(day))  # type: ignore[arg-type]
    return list(Records().evaluate(build(repo, config, options, NOW, {})))


def rules(found: list[Finding]) -> list[tuple[str, str]]:
    return [(f.rule_id, f.message) for f in found]


@pytest.mark.parametrize(
    ("fields", "last_day", "clause"),
    [
        ({}, "2028-01-16", "Art. 73(2)"),
        ({"incident_type": "death"}, "2028-01-11", "Art. 73(4)"),
        ({"incident_type": "critical_infrastructure"}, "2028-01-03", "Art. 73(3)"),
        ({"incident_type": "fundamental_rights", "widespread": "true"}, "2028-01-03", "Art. 73(3)"),
    ],
)
def test_each_clock_runs_to_its_last_day_and_is_overdue_the_day_after(
    tmp_path: Path, fields: dict[str, str], last_day: str, clause: str
) -> None:
    repo = example(tmp_path)
    incident(repo, **fields)
    (on_time,) = records(repo, last_day)
    assert (on_time.rule_id, on_time.message) == (
        "incident.report-due",
        f"Serious incident inc-1: report due in 0 day(s), by {last_day}",
    )
    after = date.fromisoformat(last_day).toordinal() + 1
    (late,) = records(repo, date.fromordinal(after).isoformat())
    assert (late.rule_id, late.message) == (
        "incident.report-overdue",
        "Serious incident inc-1: report overdue by 1 day(s)",
    )
    assert late.clauses == (f"eu-ai-act:{clause}",)
    assert late.details[0].endswith(f"({clause}); due {last_day}")
    assert str(late.location) == "governance/incidents/inc-1.yaml:10:13"


def test_a_report_made_in_time_is_quiet_and_a_late_one_is_recorded(tmp_path: Path) -> None:
    repo = example(tmp_path)
    incident(repo, reported_on="2028-01-16")
    assert records(repo, "2028-06-01") == []
    incident(repo, reported_on="2028-01-19")
    assert rules(records(repo, "2028-06-01")) == [
        ("incident.reported-late", "Serious incident inc-1: reported 3 day(s) late")
    ]


def test_no_clock_before_art_73_applies_or_for_a_model_below_high_risk(tmp_path: Path) -> None:
    repo = example(tmp_path)
    incident(repo, aware_on="2027-12-01")  # the Omnibus's Annex III date is 2027-12-02
    assert records(repo, "2028-06-01") == []
    incident(repo)
    model = repo / "governance/models/credit-scoring.yaml"
    model.write_text(model.read_text().replace("risk_tier: high", "risk_tier: limited"))
    assert records(repo, "2028-06-01") == []


def test_an_overdue_report_blocks_the_gate_and_is_announced(tmp_path: Path) -> None:
    repo = example(tmp_path)
    incident(repo)
    config = load_config(find_config(repo))
    options = GateOptions(as_of=date(2028, 2, 1))
    result = run_gate(build(repo, config, options, NOW, {}))
    assert not result.passed
    assert [f.rule_id for f in result.blocking] == ["incident.report-overdue"]
    events = gate_events(result, "acme-bank", {"commit": "c0ffee"}, NOW)
    (event,) = [e for e in events if e.type == "incident.overdue"]
    assert event.data["incident"] == "Incident/inc-1"
    assert event.data["message"] == "Serious incident inc-1: report overdue by 16 day(s)"
    assert event.data["details"][0].startswith("aware on 2028-01-01;")


def test_dates_out_of_order_are_a_schema_error_with_the_place(tmp_path: Path) -> None:
    repo = example(tmp_path)
    incident(repo, reported_on="2027-12-30")
    done = invoke("validate", "--repo", str(repo))
    assert done.exit_code == 1
    assert "governance/incidents/inc-1.yaml:" in done.output
    assert "reported_on is before aware_on" in done.output


def test_the_example_records_its_fria_and_the_gate_wants_one_at_a_production_deploy(
    tmp_path: Path,
) -> None:
    repo = example(tmp_path)
    production = {"stage": "deploy", "env": "production"}
    assert records(repo, "2027-12-10", **production) == []
    fria = repo / FRIA
    fria.write_text(fria.read_text().replace("  notified_on: 2026-10-09\n", ""))
    (found,) = records(repo, "2027-12-10", **production)
    assert found.rule_id == "eu-ai-act.fria-not-notified"
    assert str(found.location).startswith(FRIA)
    fria.unlink()
    (found,) = records(repo, "2027-12-10", **production)
    assert (found.rule_id, found.message) == (
        "eu-ai-act.fria-missing",
        "No fundamental rights impact assessment for credit-scoring@2.3.0",
    )
    assert found.details == (
        "Annex III point 5(b) is an Art. 27(1) case, and credit-scoring is deployed",
    )
    # not before Art. 27 applies, not at a merge, not outside the points Art. 27 names
    assert records(repo, "2027-12-01", **production) == []
    assert records(repo, "2027-12-10") == []
    model = repo / "governance/models/credit-scoring.yaml"
    model.write_text(
        model.read_text().replace("annex_iii_category: 5(b)", "annex_iii_category: 4(a)")
    )
    assert records(repo, "2027-12-10", **production) == []


SPECIAL = """\
apiVersion: aigov/v1
kind: SpecialCategoryProcessing
metadata: {{name: cs-ethnicity, organization: acme-bank}}
spec:
  model: credit-scoring
  categories: [{category}]
  datasets: [loan-applications-2024]
  purpose: Detect and correct approval-rate bias by ethnic origin.
  strict_necessity: Synthetic data does not reproduce the proxy effects being measured.
  pseudonymisation: Keyed hash of the applicant id; the key held by the DPO.
  access_limits: Two named analysts, through the audited bias workspace only.
  deletion_date: 2028-06-30
"""


def test_a_special_category_among_the_attributes_needs_its_safeguards_recorded(
    tmp_path: Path,
) -> None:
    repo = example(tmp_path)
    data = repo / "governance/datasets/loan-applications-2024.yaml"
    data.write_text(data.read_text().replace("nationality]", "nationality, ethnic_origin]"))
    assert "ethnic_origin" in data.read_text()
    (found,) = records(repo, "2027-01-10")
    assert (found.rule_id, found.message) == (
        "data.special-category-unrecorded",
        "`ethnic_origin` is a special category (racial or ethnic origin) with no record of "
        "safeguards",
    )
    assert str(found.location).startswith("governance/datasets/loan-applications-2024.yaml:")
    record = repo / "governance/records/special.yaml"
    record.write_text(SPECIAL.format(category="health"))  # the wrong category covers nothing
    assert [f.rule_id for f in records(repo, "2027-01-10")] == ["data.special-category-unrecorded"]
    record.write_text(SPECIAL.format(category="racial_or_ethnic_origin"))
    assert records(repo, "2027-01-10") == []
    (kept,) = records(repo, "2028-07-02")
    assert (kept.rule_id, kept.details) == (
        "data.special-category-retained",
        ("2 day(s) past the deletion date",),
    )


def test_sex_age_and_nationality_are_not_special_categories() -> None:
    from aigov_gate.dossier.special import category

    assert [category(a) for a in ("sex", "age_band", "nationality", "gender")] == [None] * 4
    assert category("Health-Status") == "health"
    assert category("sexual_orientation") == "sex_life_or_sexual_orientation"


def test_the_dossier_states_the_fria_and_the_incidents_with_their_sources(tmp_path: Path) -> None:
    from aigov_gate.dossier.assemble import annex_iv

    repo = example(tmp_path)
    incident(repo, reported_on="2028-01-05", authority="Bundesnetzagentur")
    dossier = annex_iv(repo, load_config(find_config(repo)), "credit-scoring", date(2028, 2, 1))
    risk, post = dossier.points[4], dossier.points[8]
    (fria,) = [s for s in risk.statements if "Art. 27" in s.text]
    assert fria.text.startswith(
        "Fundamental rights impact assessment (Art. 27) `credit-scoring-fria-2026`"
    )
    assert str(fria.source) == f"{FRIA}:30:16"
    (told,) = [s for s in post.statements if "Serious incident" in s.text]
    assert told.text == (
        "Serious incident `inc-1` (serious harm to health), aware 2028-01-01: "
        "reported 2028-01-05 to Bundesnetzagentur."
    )
    assert str(told.source) == "governance/incidents/inc-1.yaml:10:13"


# -- with --base, a recorded incident stays on record (attack review, wave 3) -----------


def _based_with_incident(tmp_path: Path) -> tuple[Path, Path]:
    """The example with an overdue incident on ``main``, checked out on a branch."""
    repo = example(tmp_path)
    path = incident(repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base: an incident on record")
    git(repo, "checkout", "-q", "-b", "change")
    return repo, path


def based_gate(repo: Path, day: str) -> list[Finding]:
    config = load_config(find_config(repo))
    options = GateOptions(base="main", as_of=date.fromisoformat(day))
    return list(run_gate(build(repo, config, options, NOW, {})).blocking)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (None, None),  # deleted
        ("aware_on: 2028-01-01", "aware_on: 2028-01-30"),  # the clock restarted
        ("serious_harm_to_health", "fundamental_rights\n  reported_on: 2028-01-02"),
    ],
    ids=["deleted", "aware_on moved", "retyped and backdated"],
)
def test_an_incident_the_base_has_cannot_be_deleted_or_rewritten_to_silence_its_clock(
    tmp_path: Path, old: str | None, new: str | None
) -> None:
    repo, path = _based_with_incident(tmp_path)
    assert [f.rule_id for f in based_gate(repo, "2028-02-01")] == ["incident.report-overdue"]
    if old is None or new is None:
        path.unlink()
    else:
        path.write_text(path.read_text().replace(old, new))
    git(repo, "commit", "-q", "-am", "the incident goes away")
    blocked = based_gate(repo, "2028-02-01")
    assert [(f.rule_id, f.target) for f in blocked] == [("incident.rewritten", "Incident/inc-1")]
    assert "Incident inc-1 is on record at main" in blocked[0].message


def test_recording_the_report_of_an_incident_the_base_has_is_no_rewrite(tmp_path: Path) -> None:
    repo, path = _based_with_incident(tmp_path)
    path.write_text(path.read_text() + "  reported_on: 2028-01-20\n  authority: MSA\n")
    git(repo, "commit", "-q", "-am", "reported")
    assert based_gate(repo, "2028-02-01") == []


@pytest.mark.parametrize("tier", ["minimal", "limited"])
def test_lowering_the_risk_tier_of_a_model_the_base_has_needs_sign_off(
    tmp_path: Path, tier: str
) -> None:
    """One edited line stopped every high-risk check, the incident clock included."""
    repo, _ = _based_with_incident(tmp_path)
    model = repo / "governance/models/credit-scoring.yaml"
    model.write_text(model.read_text().replace("risk_tier: high", f"risk_tier: {tier}"))
    git(repo, "commit", "-q", "-am", "a lower tier")
    blocked = based_gate(repo, "2028-02-01")
    assert [(f.rule_id, f.target) for f in blocked] == [
        ("risk.tier-lowered", "Model/credit-scoring")
    ]
    assert f"lowers its risk_tier high -> {tier}" in blocked[0].message
    assert blocked[0].message.endswith(f"(now {tier}); it stands only with sign-off")


def test_raising_the_risk_tier_is_no_authority_change(tmp_path: Path) -> None:
    repo = example(tmp_path)
    model = repo / "governance/models/credit-scoring.yaml"
    model.write_text(model.read_text().replace("risk_tier: high", "risk_tier: limited"))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    model.write_text(model.read_text().replace("risk_tier: limited", "risk_tier: high"))
    assert [f for f in based_gate(repo, "2026-12-08") if f.rule_id == "risk.tier-lowered"] == []


MODEL = "governance/models/credit-scoring.yaml"
DATA = "governance/datasets/loan-applications-2024.yaml"


@pytest.mark.parametrize(
    ("path", "old", "new", "target", "field"),
    [
        (MODEL, "    annex_iii_category: 5(b)\n", "", "Model/credit-scoring", "annex_iii_category"),
        (MODEL, "annex_iii_category: 5(b)", "annex_iii_category: 5(a)", "Model/credit-scoring",
         "annex_iii_category"),
        (MODEL, "frameworks: [acme-model-risk]", "frameworks: []", "Model/credit-scoring",
         "frameworks"),
        (MODEL, "contains_pii: true", "contains_pii: false", "Model/credit-scoring",
         "contains_pii"),
        (DATA, "contains_pii: true", "contains_pii: false", "Dataset/loan-applications-2024",
         "contains_pii"),
        (DATA, "protected_attributes: [sex, age_band, nationality]",
         "protected_attributes: [age_band]", "Dataset/loan-applications-2024",
         "protected_attributes"),
    ],
    ids=["annex dropped", "annex changed", "framework removed", "model pii", "dataset pii",
         "protected narrowed"],
)  # fmt: skip
def test_narrowing_what_judges_a_model_or_dataset_the_base_has_needs_sign_off(
    tmp_path: Path, path: str, old: str, new: str, target: str, field: str
) -> None:
    """One edited line switched off the checks that follow from the field."""
    repo, _ = _based_with_incident(tmp_path)
    file = repo / path
    text = file.read_text()
    assert old in text
    file.write_text(text.replace(old, new))
    git(repo, "commit", "-q", "-am", "a narrower scope")
    narrowed = [f for f in based_gate(repo, "2027-01-01") if f.rule_id == "scope.narrowed"]
    assert [(f.target, f.location.path) for f in narrowed] == [(target, path)]
    (finding,) = narrowed
    marker = new.strip() or "role: provider"  # a dropped field: the block that held it
    lines = file.read_text().splitlines()
    assert finding.location.line == next(i for i, t in enumerate(lines, 1) if marker in t)
    assert f"narrows {field}" in finding.message
    assert finding.message.endswith("; it stands only with sign-off")
    assert finding.details[0].startswith("was: ") and finding.details[1].startswith("now: ")
    assert finding.details[0] != finding.details[1]


@pytest.mark.parametrize(
    ("path", "target"),
    [(MODEL, "Model/credit-scoring"), (DATA, "Dataset/loan-applications-2024")],
)
def test_deleting_a_model_or_dataset_the_base_has_needs_sign_off(
    tmp_path: Path, path: str, target: str
) -> None:
    repo, _ = _based_with_incident(tmp_path)
    git(repo, "rm", "-q", path)
    git(repo, "commit", "-q", "-m", "gone")
    narrowed = [f for f in based_gate(repo, "2027-01-01") if f.rule_id == "scope.narrowed"]
    assert [(f.target, f.location.path, f.details[1]) for f in narrowed] == [
        (target, path, "now: deleted")
    ]
    assert "deletes or renames it" in narrowed[0].message


def test_widening_the_scope_is_no_authority_change(tmp_path: Path) -> None:
    repo, _ = _based_with_incident(tmp_path)
    model, data = repo / MODEL, repo / DATA
    model.write_text(
        model.read_text()
        .replace("frameworks: [acme-model-risk]", "frameworks: [acme-model-risk, eu-ai-act]")
        .replace("annex_iii_category: 5(b)\n", "annex_iii_category: 5(b)\n    gpai: true\n")
    )
    data.write_text(
        data.read_text().replace(
            "[sex, age_band, nationality]", "[sex, age_band, nationality, race]"
        )
    )
    git(repo, "commit", "-q", "-am", "wider")
    found = based_gate(repo, "2027-01-01")
    assert [f for f in found if f.rule_id in ("scope.narrowed", "authority.changed")] == []


SHEET = "governance/evidence/loan-applications-data-sheet.yaml"
HOLDOUT = (
    '    - name: loan-applications-holdout-2025\n      version: "2025-03"\n      purpose: test\n'
)


@pytest.mark.parametrize(
    ("path", "old", "new", "target", "field", "marker"),
    [
        (MODEL, "role: provider", "role: deployer", "Model/credit-scoring", "role",
         "role: deployer"),
        (MODEL, HOLDOUT, "", "Model/credit-scoring", "datasets",
         "- name: loan-applications-2024"),
        (MODEL, "data_classification: confidential", "data_classification: internal",
         "Model/credit-scoring", "data_classification", "data_classification: internal"),
        (SHEET, "contains_pii: true", "contains_pii: false",
         "EvidenceArtifact/loan-applications-data-sheet", "contains_pii", "contains_pii: false"),
    ],
    ids=["role changed", "dataset removed", "classification lowered", "evidence pii"],
)  # fmt: skip
def test_narrowing_role_datasets_classification_or_evidence_pii_needs_sign_off(
    tmp_path: Path, path: str, old: str, new: str, target: str, field: str, marker: str
) -> None:
    """Provider -> deployer switches off Annex IV; a dropped dataset, a lower
    classification or an artifact's pii turned off switches off what judged them."""
    repo, _ = _based_with_incident(tmp_path)
    file = repo / path
    text = file.read_text()
    assert old in text
    file.write_text(text.replace(old, new))
    git(repo, "commit", "-q", "-am", "a narrower scope")
    narrowed = [f for f in based_gate(repo, "2027-01-01") if f.rule_id == "scope.narrowed"]
    assert [(f.target, f.location.path) for f in narrowed] == [(target, path)]
    (finding,) = narrowed
    lines = file.read_text().splitlines()
    assert finding.location.line == next(i for i, t in enumerate(lines, 1) if marker in t)
    assert f"narrows {field}" in finding.message
    assert finding.details[0].startswith("was: ") and finding.details[1].startswith("now: ")
    assert finding.details[0] != finding.details[1]


def test_raising_classification_or_adding_a_dataset_is_no_authority_change(
    tmp_path: Path,
) -> None:
    repo, _ = _based_with_incident(tmp_path)
    model, sheet = repo / MODEL, repo / SHEET
    model.write_text(
        model.read_text()
        .replace("data_classification: confidential", "data_classification: restricted")
        .replace(HOLDOUT, HOLDOUT + "    - name: loan-applications-2024\n      purpose: other\n")
        .replace('version: "2025-03"', 'version: "2025-04"')
    )
    sheet.write_text(sheet.read_text().replace("confidential", "restricted"))
    git(repo, "commit", "-q", "-am", "wider")
    found = based_gate(repo, "2027-01-01")
    assert [f for f in found if f.rule_id in ("scope.narrowed", "authority.changed")] == []
