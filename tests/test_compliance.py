"""Derived clause status, evidence freshness, compliance findings, reports and OSCAL."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import gate_repo as g
import pytest
import yaml
from conftest import ROOT, WriteRepo, git, invoke

AS_OF = "2027-12-10"
CARD = "# Model card\nscorer 2.0.0, decision support for loan officers.\n"
CARD_SHA = hashlib.sha256(CARD.encode()).hexdigest()


def config(extra: str = "", frameworks: str = "[eu-ai-act]") -> str:
    return g.CONFIG + f"frameworks: {frameworks}\n" + extra


def evidence(name: str = "scorer-card", **fields: str) -> str:
    spec = {
        "artifact_type": "model_card",
        "path": "docs/card.md",
        "sha256": CARD_SHA,
        "models": "[scorer]",
        "created": "2026-03-01",
        **fields,
    }
    body = "".join(f"  {k}: {v}\n" for k, v in spec.items())
    return f"apiVersion: aigov/v1\nkind: EvidenceArtifact\nmetadata:\n  name: {name}\nspec:\n{body}"


def mapping(
    clause: str,
    *,
    framework: str = "eu-ai-act",
    name: str | None = None,
    by: str = "{test_plans: [scorer-plan], evidence: [scorer-card]}",
    status: str = "not_assessed",
    kind: str = "direct",
) -> str:
    slug = name or re.sub(r"[^a-z0-9]+", "-", f"{framework}-{clause}".lower()).strip("-")
    return (
        f"apiVersion: aigov/v1\nkind: ComplianceMapping\nmetadata:\n  name: {slug}\nspec:\n"
        f"  framework: {framework}\n  clause: {clause}\n  models: [scorer]\n"
        f"  mapping_type: {kind}\n  compliance_status: {status}\n  satisfied_by: {by}\n"
    )


def repo(write_repo: WriteRepo, changes: dict[str, str] | None = None) -> Path:
    files: dict[str, str] = {
        ".aigov.yaml": config(),
        "docs/card.md": CARD,
        "evidence/card.yaml": evidence(),
        "mappings/art10.yaml": mapping("Art. 10"),
    }
    files.update(changes or {})
    return write_repo(g.repo_files(files))


def report(path: Path, *args: str, as_of: str = AS_OF) -> dict[str, Any]:
    result = invoke(
        "compliance", "report", "--repo", str(path), "--as-of", as_of, "--format", "json", *args
    )
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    return data


def clause(data: dict[str, Any], framework: str, number: str) -> dict[str, Any]:
    for fc in data["frameworks"]:
        if fc["framework"] == framework:
            for c in fc["clauses"]:
                if c["clause"] == number:
                    found: dict[str, Any] = c
                    return found
    raise AssertionError(f"{framework}:{number} not in report")


def gate_json(path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = invoke("gate", "--repo", str(path), "--as-of", AS_OF, "--format", "json", *args)
    return result.exit_code, json.loads(result.output)


def rules(data: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [f for f in data["findings"] if f["rule_id"] == rule]


def test_direct_mapping_with_passing_run_and_fresh_evidence_is_compliant(
    write_repo: WriteRepo,
) -> None:
    data = report(repo(write_repo))
    art10 = clause(data, "eu-ai-act", "Art. 10")
    assert art10["status"] == "compliant", art10
    outcomes = {(b["source"], b["name"]): b["outcome"] for b in art10["basis"]}
    assert outcomes[("test_plan", "scorer-plan")] == "passed"
    assert outcomes[("evidence", "scorer-card")] == "passed"
    assert clause(data, "eu-ai-act", "Art. 12")["status"] == "not_assessed"
    # Deployer-only, not yet applicable, and Annex III areas the model is not in.
    assert clause(data, "eu-ai-act", "Art. 26")["status"] == "not_applicable"
    assert "deployers; scorer is a provider" in clause(data, "eu-ai-act", "Art. 26")["reason"]
    assert clause(data, "eu-ai-act", "Art. 6(1)")["reason"] == (
        "applies from 2028-08-02 as amended by Regulation (EU) 2026/1744 (Digital Omnibus on AI)"
    )
    fc = data["frameworks"][0]
    assert fc["model"] == "scorer@2.0.0" and 0 < fc["coverage"] < 100
    counted = [c for c in fc["clauses"] if c["counted"]]
    assessed = [c for c in counted if c["status"] not in ("not_assessed", "not_applicable")]
    assert fc["coverage"] == round(100 * len(assessed) / len(counted), 1)


def test_the_law_is_evaluated_as_it_stood_on_the_day(write_repo: WriteRepo) -> None:
    # The Digital Omnibus (in force 2026-07-24) moved Annex III high-risk obligations from
    # 2026-08-02 to 2027-12-02 and added an Art. 5 prohibition from 2026-12-02.
    path = repo(write_repo)

    def reason(day: str, number: str) -> str:
        found = clause(report(path, as_of=day), "eu-ai-act", number)
        return f"{found['status']}: {found['reason']}"

    omnibus = "Regulation (EU) 2026/1744 (Digital Omnibus on AI)"
    assert reason("2026-07-01", "Art. 10") == "not_applicable: applies from 2026-08-02"
    assert reason("2026-11-22", "Art. 10") == (
        f"not_applicable: applies from 2027-12-02 as amended by {omnibus}"
    )
    assert reason("2027-12-10", "Art. 10").startswith("compliant")
    assert reason("2026-07-01", "Art. 5(1)(i)") == (
        f"not_applicable: not yet law: added by {omnibus}, in force from 2026-07-24"
    )
    assert reason("2026-10-01", "Art. 5(1)(i)") == "not_applicable: applies from 2026-12-02"
    assert reason("2026-12-02", "Art. 5(1)(i)").startswith("not_assessed")


OVERRIDE = """\
compliance:
  applies_from:
    eu-ai-act:
      Art. 10: {applies_from: 2026-08-02, reason: "Counsel: on the market before"}
      Art. 99: {applies_from: 2026-08-02, reason: "a clause that does not exist"}
"""


def test_a_date_set_in_the_config_wins_and_every_report_says_so(write_repo: WriteRepo) -> None:
    path = repo(write_repo, {".aigov.yaml": config(OVERRIDE)})
    art10 = clause(report(path, as_of="2026-11-22"), "eu-ai-act", "Art. 10")
    assert art10["status"] == "compliant"
    art9 = clause(report(path, as_of="2026-11-22"), "eu-ai-act", "Art. 9")
    assert art9["status"] == "not_applicable"  # only Art. 10 was overridden
    result = invoke("gate", "--repo", str(path), "--as-of", "2026-11-22", "--format", "json")
    found = rules(json.loads(result.output), "compliance.date-overridden")
    by_severity = {f["severity"]: f["message"] for f in found}
    assert by_severity["info"].startswith(
        "eu-ai-act Art. 10 applies from 2026-08-02 by .aigov.yaml, not 2026-08-02"
    )
    assert "clause 'Art. 99' of eu-ai-act, which does not exist" in by_severity["high"]
    assert result.exit_code == 1  # the misspelt one blocks; a silent no-op would not


def test_a_date_override_in_a_change_is_an_authority_change(write_repo: WriteRepo) -> None:
    # Clause dates decide what is owed: like roles, they come from the base revision.
    path = repo(write_repo)
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-qm", "base")
    (path / ".aigov.yaml").write_text(config(OVERRIDE.split("      Art. 99", maxsplit=1)[0]))
    code, data = gate_json(path, "--base", "main")
    assert code == 1
    changed = rules(data, "authority.changed")
    assert changed and "compliance" in changed[0]["message"]
    assert not rules(data, "compliance.date-overridden")  # the base's config is in force


def test_failing_run_makes_the_clause_non_compliant(
    write_repo: WriteRepo,
) -> None:
    path = repo(write_repo, {"tests/run-2.0.0.yaml": g.run(auc=0.60)})
    data = report(path)
    art10 = clause(data, "eu-ai-act", "Art. 10")
    assert art10["status"] == "non_compliant"
    assert "test_plan scorer-plan failed: run scorer-2.0.0-run" in art10["reason"]


def test_before_the_application_date_nothing_high_risk_applies(write_repo: WriteRepo) -> None:
    path = repo(write_repo)
    data = report(path, "-f", "eu-ai-act", as_of="2025-06-01")
    assert clause(data, "eu-ai-act", "Art. 10")["status"] == "not_applicable"
    assert clause(data, "eu-ai-act", "Art. 5(1)(a)")["status"] == "not_assessed"  # since 2025-02-02


def test_risk_tier_and_personal_data_decide_applicability(write_repo: WriteRepo) -> None:
    model = g.model(pii=False).replace("risk_tier: high", "risk_tier: minimal")
    dataset = g.DATASET.replace("contains_pii: true", "contains_pii: false")
    path = repo(
        write_repo,
        {
            ".aigov.yaml": config(frameworks="[eu-ai-act, gdpr]"),
            "models/scorer.yaml": model,
            "data/loans.yaml": dataset,
        },
    )
    data = report(path)
    assert (
        "for high-risk systems; scorer is minimal" in clause(data, "eu-ai-act", "Art. 10")["reason"]
    )
    assert (
        clause(data, "gdpr", "Art. 22")["reason"]
        == "scorer does not process personal data (contains_pii)"
    )
    # Transparency for AI that interacts with people applies whatever the tier.
    assert clause(data, "eu-ai-act", "Art. 50(1)")["status"] == "not_assessed"


def test_crosswalk_counts_as_supporting_and_never_makes_compliant(write_repo: WriteRepo) -> None:
    path = repo(write_repo, {".aigov.yaml": config(frameworks="[nist-ai-rmf, iso-iec-42001]")})
    data = report(path)
    assert clause(data, "nist-ai-rmf", "MEASURE 2.11")["status"] == "compliant"  # metric.disparity
    measure = clause(data, "nist-ai-rmf", "MAP 2.3")
    assert measure["status"] == "partially_compliant"
    assert {b["via"] for b in measure["basis"]} == {"crosswalk eu-ai-act:Art. 10"}
    assert all(b["mapping_type"] == "supporting" for b in measure["basis"])
    assert clause(data, "iso-iec-42001", "A.7.4")["status"] == "partially_compliant"


def test_parent_mapping_reaches_children_and_2013_ids_reach_successors(
    write_repo: WriteRepo,
) -> None:
    path = repo(
        write_repo,
        {
            ".aigov.yaml": config(frameworks="[eu-ai-act, iso-iec-27001]"),
            "mappings/art17.yaml": mapping("Art. 17", by="{evidence: [scorer-card]}"),
            "mappings/crypto.yaml": mapping(
                "A.10.1.1", framework="iso-iec-27001", by="{evidence: [scorer-card]}"
            ),
        },
    )
    data = report(path)
    point = clause(data, "eu-ai-act", "Art. 17(1)(m)")
    assert point["status"] == "compliant" and point["basis"][0]["via"] == "parent Art. 17"
    assert clause(data, "eu-ai-act", "Art. 17")["status"] == "compliant"
    successor = clause(data, "iso-iec-27001", "A.8.24")
    assert successor["status"] == "compliant"
    assert successor["basis"][0]["via"] == "replaces A.10.1.1"
    assert clause(data, "iso-iec-27001", "A.10.1.1")["reason"] == "superseded by A.8.24"


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"docs/card.md": CARD + "edited\n"}, "its file no longer matches its sha256"),
        ({"evidence/card.yaml": evidence(model_version='"1.9.0"')}, "written for version 1.9.0"),
        (
            {"evidence/card.yaml": evidence(max_age_days="30")},
            "model_card evidence counts for 30 days",
        ),
        (
            {
                "models/scorer.yaml": g.model().replace(
                    'version: "2.0.0"', 'version: "2.0.0"\n  released: 2026-04-01'
                )
            },
            "created 2026-03-01, before version 2.0.0 was released (2026-04-01)",
        ),
        (
            {".aigov.yaml": config("evidence:\n  max_age_days: {default: 100}\n")},
            "days ago; model_card evidence counts for 100 days",
        ),
    ],
)
def test_stale_evidence_stops_counting_and_says_why(
    write_repo: WriteRepo, changes: dict[str, str], why: str
) -> None:
    path = repo(
        write_repo,
        {"mappings/art10.yaml": mapping("Art. 18", by="{evidence: [scorer-card]}"), **changes},
    )
    data = report(path)
    art18 = clause(data, "eu-ai-act", "Art. 18")  # no rule or crosswalk reaches Art. 18
    assert art18["status"] == "non_compliant"
    assert art18["basis"][0]["outcome"] == "stale" and why in art18["basis"][0]["detail"]
    assert "nothing that would prove it counts: evidence scorer-card" in art18["reason"]
    _, gate = gate_json(path)
    stale = rules(gate, "evidence.stale")
    assert len(stale) == 1 and why in stale[0]["message"]
    assert stale[0]["path"] == "evidence/card.yaml" and stale[0]["model"] == "scorer@2.0.0"


def test_overclaimed_status_is_a_blocking_finding_at_the_declaration(write_repo: WriteRepo) -> None:
    path = repo(
        write_repo,
        {
            "tests/run-2.0.0.yaml": g.run(auc=0.60),
            "mappings/art10.yaml": mapping("Art. 10", status="compliant"),
            "mappings/art12.yaml": mapping(
                "Art. 12", by="{evidence: [scorer-card]}", status="partially_compliant"
            ),
        },
    )
    code, data = gate_json(path)
    assert code == 1
    over = rules(data, "compliance.overclaimed")
    assert len(over) == 1 and over[0]["blocking"]
    assert (over[0]["path"], over[0]["line"]) == ("mappings/art10.yaml", 10)
    assert "declared compliant for scorer@2.0.0, but derives as non_compliant" in over[0]["message"]
    under = rules(data, "compliance.understated")
    assert len(under) == 1 and under[0]["severity"] == "info"
    assert data["compliance"][0]["framework"] == "eu-ai-act"


def test_min_coverage_and_unknown_framework(write_repo: WriteRepo) -> None:
    path = repo(
        write_repo,
        {
            ".aigov.yaml": config(
                "compliance: {min_coverage: 90}\n", frameworks="[eu-ai-act, eu-ai-acts]"
            )
        },
    )
    code, data = gate_json(path)
    below = rules(data, "compliance.coverage-below")
    assert len(below) == 1 and "below 90%" in below[0]["message"]
    unknown = rules(data, "compliance.unknown-framework")
    assert len(unknown) == 1 and "did you mean 'eu-ai-act'?" in unknown[0]["hint"]
    assert code == 1
    bad = invoke("compliance", "report", "--repo", str(path), "-f", "nope")
    assert bad.exit_code == 2 and "unknown framework 'nope'" in bad.output


def test_text_and_markdown_reports(write_repo: WriteRepo) -> None:
    path = repo(write_repo)
    text = invoke("compliance", "report", "--repo", str(path), "--as-of", AS_OF)
    assert text.exit_code == 0
    assert re.search(
        r"eu-ai-act for scorer@2\.0\.0: coverage \d+% \(\d+/\d+\); \d+ compliant", text.output
    )
    assert "  ok      Art. 10  Data and data governance" in text.output
    md = invoke(
        "compliance", "report", "--repo", str(path), "--as-of", AS_OF, "--format", "markdown"
    )
    assert "| eu-ai-act | `scorer@2.0.0` |" in md.output
    gate_text = invoke("gate", "--repo", str(path), "--as-of", AS_OF)
    assert "compliance\n  eu-ai-act for scorer@2.0.0: coverage" in gate_text.output


def test_oscal_assessment_results_ids_and_uuids(write_repo: WriteRepo, tmp_path: Path) -> None:
    path = repo(write_repo)
    out = tmp_path / "ar.json"
    result = invoke(
        "compliance",
        "report",
        "--repo",
        str(path),
        "--as-of",
        AS_OF,
        "--format",
        "oscal",
        "-o",
        str(out),
    )
    assert result.exit_code == 0
    doc = json.loads(out.read_text())["assessment-results"]
    assert doc["import-ap"]["href"] == "#" + doc["back-matter"]["resources"][0]["uuid"]
    uuid_v5 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
    res = doc["results"][0]
    ids = [
        c["control-id"]
        for c in res["reviewed-controls"]["control-selections"][0]["include-controls"]
    ]
    assert "art-10" in ids and "art-5-1-a" in ids
    assert all(re.fullmatch(r"[a-z][a-z0-9._-]*", i) for i in ids)
    uuids = [
        doc["uuid"],
        res["uuid"],
        *(o["uuid"] for o in res["observations"]),
        *(f["uuid"] for f in res["findings"]),
    ]
    assert all(uuid_v5.match(u) for u in uuids) and len(set(uuids)) == len(uuids)
    art10 = next(f for f in res["findings"] if f["target"]["target-id"] == "art-10_smt")
    assert art10["target"]["status"] == {"state": "satisfied", "reason": "pass"}
    again = invoke(
        "compliance", "report", "--repo", str(path), "--as-of", AS_OF, "--format", "oscal"
    )
    assert json.loads(again.output) == json.loads(out.read_text())  # same inputs, same document


TRESTLE = os.environ.get("AIGOV_TRESTLE_PYTHON")


def _trestle(model: str, then: str, path: Path) -> str:
    """Load ``path`` with compliance-trestle's ``model`` (as m), run ``then``, return stdout."""
    check = (
        "import json, sys\n"
        f"from trestle.oscal.{model} import Model\n"
        "m = Model.model_validate(json.load(open(sys.argv[1])))\n" + then
    )
    assert TRESTLE is not None
    done = subprocess.run(
        [TRESTLE, "-c", check, str(path)], check=False, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.skipif(
    not TRESTLE,
    reason="set AIGOV_TRESTLE_PYTHON (.ci/run does) to a python with compliance-trestle",
)
def test_oscal_output_loads_in_compliance_trestle(write_repo: WriteRepo, tmp_path: Path) -> None:
    """compliance-trestle (in its own virtualenv: it pins its own cryptography) parses it."""
    path = repo(write_repo, {"tests/run-2.0.0.yaml": g.run(auc=0.60)})
    out = tmp_path / "ar.json"
    invoke("gate", "--repo", str(path), "--as-of", AS_OF, "--output", f"oscal={out}")
    printed = _trestle(
        "assessment_results",
        "r = m.assessment_results.results[0]\n"
        "print(len(r.findings), r.findings[0].target.status.state.value)\n",
        out,
    )
    count, state = printed.split()
    assert int(count) > 40 and state in ("satisfied", "not-satisfied")


def test_crosswalks_round_trip_as_oscal_mapping_collections(
    write_repo: WriteRepo, tmp_path: Path
) -> None:
    from aigov_gate.frameworks import builtin_catalog, builtin_text, crosswalk

    path = repo(write_repo)
    out = tmp_path / "eu-to-42001.json"
    done = invoke(
        "frameworks",
        "export-mapping",
        "eu-ai-act",
        "iso-iec-42001",
        "--repo",
        str(path),
        "-o",
        str(out),
    )
    assert done.exit_code == 0, done.output
    collection = json.loads(out.read_text())["mapping-collection"]
    maps = collection["mappings"][0]["maps"]
    eu, iso = builtin_catalog("eu-ai-act"), builtin_catalog("iso-iec-42001")
    expected = {
        (a, b)
        for (fw, a), links in crosswalk({"eu-ai-act": eu, "iso-iec-42001": iso}).items()
        if fw == "eu-ai-act"
        for _, b in links
    }
    assert len(maps) == len(expected) > 10
    art9 = next(m for m in maps if m["props"][0]["value"] == "Art. 9")
    assert art9["sources"] == [{"type": "control", "id-ref": "art-9"}]
    assert art9["relationship"] == "intersects-with"
    # every "#uuid" points at a back-matter resource (OSCAL's internal references)
    resources = {r["uuid"]: r for r in collection["back-matter"]["resources"]}
    hrefs = [
        collection["mappings"][0][side]["href"] for side in ("source-resource", "target-resource")
    ]
    assert all(h.startswith("#") and h[1:] in resources for h in hrefs), hrefs
    assert [resources[h[1:]]["title"] for h in hrefs] == [
        eu.framework.spec.title,
        iso.framework.spec.title,
    ]
    again = invoke(
        "frameworks", "export-mapping", "eu-ai-act", "iso-iec-42001", "--repo", str(path)
    )
    assert json.loads(again.output) == json.loads(out.read_text())  # same inputs, same bytes
    # Back in: an EU AI Act without its own equivalents regains exactly those links.
    bare = yaml.safe_load(builtin_text("eu-ai-act"))
    for clause in bare["spec"]["clauses"]:
        clause.pop("equivalents", None)
    path = repo(write_repo, {"frameworks/eu-ai-act.yaml": yaml.safe_dump(bare, sort_keys=False)})
    done = invoke("frameworks", "import-mapping", str(out), "--repo", str(path))
    assert done.exit_code == 0, done.output
    assert "added " in done.output and "name no clause" not in done.output
    text = done.output.split("added ")[0]
    clauses = yaml.safe_load(text)["spec"]["clauses"]
    back = {
        (c["clause_number"], e["clause"])
        for c in clauses
        for e in c.get("equivalents", [])
        if e["framework"] == "iso-iec-42001"
    }
    iso_side = {
        (b, a) for (fw, a), links in crosswalk({"iso-iec-42001": iso}).items() for _, b in links
    }
    assert back | iso_side >= expected and back <= expected


def test_mapping_import_errors_say_where(tmp_path: Path) -> None:
    bad = tmp_path / "m.json"
    bad.write_text('{"mapping-collection": {"mappings": [,]}}')
    done = invoke("frameworks", "import-mapping", str(bad))
    assert done.exit_code == 2 and "m.json:1:38: not valid JSON" in done.output
    bad.write_text('{"catalog": {}}')
    done = invoke("frameworks", "import-mapping", str(bad))
    assert done.exit_code == 2 and "not an OSCAL mapping-collection" in done.output
    done = invoke("frameworks", "export-mapping", "eu-ai-act", "gdpr-x")
    assert done.exit_code == 2 and "unknown framework 'gdpr-x'" in done.output


@pytest.mark.skipif(
    not TRESTLE,
    reason="set AIGOV_TRESTLE_PYTHON (.ci/run does) to a python with compliance-trestle",
)
def test_mapping_collection_loads_in_compliance_trestle(tmp_path: Path) -> None:
    out = tmp_path / "map.json"
    done = invoke("frameworks", "export-mapping", "nist-ai-600-1", "nist-ai-rmf", "-o", str(out))
    assert done.exit_code == 0, done.output
    printed = _trestle(
        "mapping",
        "c = m.mapping_collection\nprint(len(c.mappings[0].maps), len(c.back_matter.resources))\n",
        out,
    )
    assert printed.split() == ["13", "2"]  # twelve risks, one with two AI RMF subcategories


CSF = ROOT / "tests" / "data" / "oscal" / "NIST_CSF_v2.0_catalog-min.json"


def test_import_real_csf_2_catalog(tmp_path: Path) -> None:
    out = tmp_path / "frameworks" / "csf.yaml"
    result = invoke("frameworks", "import-oscal", str(CSF), "--name", "nist-csf", "-o", str(out))
    assert result.exit_code == 0, result.output
    import yaml

    clauses = yaml.safe_load(out.read_text())["spec"]["clauses"]
    current = [c["clause_number"] for c in clauses if "superseded_by" not in c]
    assert [c for c in current if "." not in c] == ["GV", "ID", "PR", "DE", "RS", "RC"]
    assert len([c for c in current if re.fullmatch(r"[A-Z]{2}\.[A-Z]{2}", c)]) == 22
    assert len([c for c in current if re.fullmatch(r"[A-Z]{2}\.[A-Z]{2}-\d{2}", c)]) == 106
    moved = {c["clause_number"]: c["superseded_by"] for c in clauses if "superseded_by" in c}
    # every successor of a withdrawn item, not only the first
    assert moved["ID.AM-06"] == ["GV.RR-02", "GV.SC-02"] and moved["PR.AC"] == "PR.AA"
    assert len([m for m in moved.values() if isinstance(m, list)]) == 34
    by_number = {c["clause_number"]: c for c in clauses}
    assert by_number["GV.OC-01"]["oscal"] == {
        "control_id": "GV.OC-01",
        "statement_id": "GV.OC-01_statement",
    }
    assert invoke("validate", "--repo", str(tmp_path)).exit_code == 0
    shown = invoke("frameworks", "show", "nist-csf", "--repo", str(tmp_path))
    assert "    GV.OC-01  GV.OC-01" in shown.output


def test_oscal_export_uses_the_imported_catalogs_own_ids(
    write_repo: WriteRepo, tmp_path: Path
) -> None:
    # A catalog imported from OSCAL is reported back in its own ids: GV.OC-01, not gv.oc-01.
    path = repo(
        write_repo,
        {
            ".aigov.yaml": config(frameworks="[nist-csf]"),
            "mappings/art10.yaml": mapping("GV.OC-01", framework="nist-csf"),
        },
    )
    imported = invoke(
        "frameworks", "import-oscal", str(CSF), "--name", "nist-csf", "-o", str(path / "csf.yaml")
    )
    assert imported.exit_code == 0, imported.output
    result = invoke(
        "compliance", "report", "--repo", str(path), "--as-of", AS_OF, "--format", "oscal"
    )
    assert result.exit_code == 0, result.output
    res = json.loads(result.output)["assessment-results"]["results"][0]
    ids = [
        c["control-id"]
        for c in res["reviewed-controls"]["control-selections"][0]["include-controls"]
    ]
    catalog_ids: set[str] = set()

    def collect(item: dict[str, Any]) -> None:
        for child in item.get("groups", []) + item.get("controls", []):
            catalog_ids.add(child["id"])
            collect(child)

    collect(json.loads(CSF.read_text())["catalog"])
    assert "GV.OC-01" in ids and set(ids) <= catalog_ids
    finding = next(f for f in res["findings"] if f["target"]["target-id"] == "GV.OC-01_statement")
    assert finding["target"]["type"] == "statement-id"


def test_import_sp800_53_structure_enhancements_and_withdrawn(tmp_path: Path) -> None:
    source = ROOT / "tests" / "data" / "oscal" / "sp800-53-structure.json"
    result = invoke("frameworks", "import-oscal", str(source), "--name", "sp800-53")
    assert result.exit_code == 0
    assert (
        "3 group(s), 9 control(s); 2 withdrawn control(s) without a successor left out"
        in result.output
    )
    import yaml

    text = result.output.split("imported sp800-53")[0]
    clauses = {c["clause_number"]: c for c in yaml.safe_load(text)["spec"]["clauses"]}
    assert clauses["AC-1"]["parent"] == "ac"  # the plain label wins over the sp800-53a one
    assert clauses["AC-2(1)"]["parent"] == "AC-2"
    assert clauses["AC-2(10)"]["superseded_by"] == "AC-2"  # incorporated into a statement part
    assert "AC-2(14)" not in clauses
    assert clauses["SR-1"]["parent"] == "sr-sub" and clauses["sr-sub"]["parent"] == "sr"
    # under a withdrawn group left out, a control moves up to the nearest kept ancestor
    assert "sr-old" not in clauses and clauses["SR-2"]["parent"] == "sr"
    # parameters read the way NIST prints them, not as raw {{ insert: param, ... }} markup
    assert clauses["AC-1"]["description"] == (
        "Develop, document, and disseminate to [Assignment: organization-defined personnel or "
        "roles]: [Selection (one or more): Organization-level; Mission/business process-level; "
        "System-level] access control policy."
    )
    assert clauses["AC-2(1)"]["oscal"] == {"control_id": "ac-2.1", "statement_id": "ac-2.1_smt"}
    # AC-2(3) and AC-4(4) as NIST publishes them: a lead-in with its items, and a parameter
    # inside a selection's choice; AC-2's statement is only its items
    assert clauses["AC-2(3)"]["description"] == (
        "Disable accounts within [Assignment: time period] when the accounts: (a) Have "
        "expired; (b) Are no longer associated with a user or individual; (c) Are in "
        "violation of organizational policy; or (d) Have been inactive for [Assignment: time "
        "period]."
    )
    assert "{{" not in clauses["AC-4(4)"]["description"]
    assert (
        "[Assignment: organization-defined procedure or method]]"
        in (clauses["AC-4(4)"]["description"])
    )
    assert clauses["AC-2"]["description"] == (
        "Establish and implement a process for changing shared or group account authenticators."
    )
    as_yaml = tmp_path / "c.yaml"
    as_yaml.write_text(yaml.safe_dump(json.loads(source.read_text())))
    again = invoke("frameworks", "import-oscal", str(as_yaml), "--name", "sp800-53")
    assert again.output == result.output.replace(source.name, as_yaml.name)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("bad.json", '{"catalog": {\n  "uuid": }', "bad.json:2:11: not valid JSON"),
        ("profile.json", '{"profile": {}}', "not an OSCAL catalog (top-level key 'profile')"),
        ("bad.yaml", "catalog:\n  - [unclosed\n", "bad.yaml:3:1: not valid YAML"),
    ],
)
def test_import_errors_are_usage_errors(
    tmp_path: Path, name: str, content: str, expected: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    result = invoke("frameworks", "import-oscal", str(path))
    assert result.exit_code == 2 and expected in result.output
    missing = invoke("frameworks", "import-oscal", str(tmp_path / "nope.json"))
    assert missing.exit_code == 2 and "no such file" in missing.output


def test_frameworks_list_and_show(tmp_path: Path) -> None:
    listed = invoke("frameworks", "list", "--repo", str(tmp_path), "--format", "json")
    rows = {r["id"]: r for r in json.loads(listed.output)["frameworks"]}
    assert rows["nist-ai-rmf"]["leaves"] == 72 and rows["iso-iec-42001"]["leaves"] == 38
    shown = invoke(
        "frameworks", "show", "eu-ai-act", "--repo", str(tmp_path), "--as-of", "2026-06-01"
    )
    assert (
        "Art. 9  Risk management system  [not yet in force; applies from 2026-08-02; tiers high; "
        "roles provider;" in shown.output
    )
    assert "nist-ai-rmf:MAP 5.1" in shown.output
    bad = invoke("frameworks", "show", "eu-ai-ac", "--repo", str(tmp_path))
    assert bad.exit_code == 2 and "did you mean 'eu-ai-act'?" in bad.output


def test_sarif_rules_link_to_clauses_through_taxonomies(write_repo: WriteRepo) -> None:
    path = repo(write_repo, {"tests/run-2.0.0.yaml": g.run(auc=0.60)})
    result = invoke("gate", "--repo", str(path), "--as-of", AS_OF, "--format", "sarif")
    run = json.loads(result.output)["runs"][0]
    taxonomies = {t["name"]: t for t in run["taxonomies"]}
    assert "eu-ai-act" in taxonomies
    assert {"name": "eu-ai-act"} in run["tool"]["driver"]["supportedTaxonomies"]
    rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "metric.threshold")
    targets = {
        (x["target"]["toolComponent"]["name"], x["target"]["id"]) for x in rule["relationships"]
    }
    assert ("eu-ai-act", "Art. 15") in targets
    taxa = {t["id"]: t for t in taxonomies["eu-ai-act"]["taxa"]}
    assert taxa["Art. 15"]["shortDescription"]["text"] == "Accuracy, robustness and cybersecurity"


def test_a_waived_policy_and_a_plan_that_does_not_apply_count_as_such(
    write_repo: WriteRepo,
) -> None:
    # The mapped test fails and is waived: the clause is partial (waived), not compliant.
    waiver = g.waiver("metric.threshold", "2028-01-31")
    by = "{policies: [metric.threshold], evidence: [scorer-card]}"
    path = repo(
        write_repo,
        {
            "mappings/art10.yaml": mapping("Art. 10", by=by),
            "tests/run-2.0.0.yaml": g.run(auc=0.7),
            "w.yaml": waiver,
        },
    )
    art10 = clause(report(path), "eu-ai-act", "Art. 10")
    assert art10["status"] == "partially_compliant"
    assert "metric.threshold waived: waived by Waiver/w" in art10["reason"]
    # A plan that does not apply to the model proves nothing for it.
    path = repo(write_repo, {"mappings/art10.yaml": mapping("Art. 10", by="{test_plans: [other]}")})
    art10 = clause(report(path), "eu-ai-act", "Art. 10")
    assert art10["status"] == "partially_compliant"  # only what the crosswalks bring
    missing = [b for b in art10["basis"] if b["source"] == "test_plan"]
    assert missing == [
        {
            "source": "test_plan",
            "name": "other",
            "outcome": "missing",
            "detail": "the plan does not apply to scorer",
            "mapping": "eu-ai-act-art-10",
            "mapping_type": "direct",
            "via": None,
        }
    ]


def _committed_example(tmp_path: Path) -> Path:
    path = tmp_path / "credit-scoring"
    shutil.copytree(ROOT / "examples" / "credit-scoring", path)
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-qm", "base")
    return path


def test_a_pull_request_shows_which_clauses_it_moves_and_what_went_stale(tmp_path: Path) -> None:
    path = _committed_example(tmp_path)
    card = path / "docs" / "evidence" / "credit-scoring-model-card.md"
    card.write_text(card.read_text() + "\nEdited without updating its sha256.\n")
    git(path, "commit", "-qam", "edit the model card")
    day = ("--as-of", "2027-12-10")  # the Annex III obligations apply (Digital Omnibus)
    done = invoke("gate", "--repo", str(path), "--base", "HEAD~1", *day, "--format", "json")
    data = json.loads(done.output)
    assert data["compliance_changes"] == [
        {
            "framework": "eu-ai-act",
            "model": "credit-scoring@2.3.0",
            "clause": "Art. 13",
            "title": "Transparency and provision of information to deployers",
            "before": "compliant",
            "after": "partially_compliant",
            "worse": True,
            "better": False,
            "reason": "evidence credit-scoring-model-card stale: its file no longer matches "
            "its sha256",
        }
    ]
    stale = {(e["framework"], e["clause"], e["evidence"]) for e in data["stale_evidence"]}
    assert stale == {
        ("eu-ai-act", "Art. 13", "credit-scoring-model-card"),
        ("acme-model-risk", "MRS-2", "credit-scoring-model-card"),
    }
    md = invoke("gate", "--repo", str(path), "--base", "HEAD~1", *day, "--format", "markdown")
    text = md.output
    # after the decision and the blocking findings (issue 37), before the rest
    assert text.index("| Model |") < text.index("### Compliance changes since `HEAD~1`")
    assert "| ⬇️ worse | eu-ai-act | `credit-scoring@2.3.0` | Art. 13 " in text
    assert "- `credit-scoring-model-card` for eu-ai-act Art. 13" in text
    # Undo the edit: nothing moves, and the summary says so.
    git(path, "checkout", "-q", "HEAD~1", "--", ".")
    same = invoke("gate", "--repo", str(path), "--base", "HEAD~1", *day, "--format", "markdown")
    assert "No clause changes status and no evidence stops counting." in same.output
    # Without --base there is nothing to compare with, and the report has no such keys.
    alone = json.loads(invoke("gate", "--repo", str(path), *day, "--format", "json").output)
    assert "compliance_changes" not in alone and "stale_evidence" not in alone
