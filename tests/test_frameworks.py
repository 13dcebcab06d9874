"""Built-in framework catalogs: exact ids and counts, valid documents, resolvable links."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from conftest import ROOT, WriteRepo, invoke

from aigov_gate.catalog import RULES
from aigov_gate.frameworks import BUILTIN_FRAMEWORKS, builtin_catalog, crosswalk
from aigov_gate.packs import load_pack

CATALOGS = ROOT / "frameworks"


def numbers(name: str) -> list[str]:
    return list(builtin_catalog(name).clauses)


def test_eu_ai_act_articles_points_and_dates() -> None:
    catalog = builtin_catalog("eu-ai-act")
    ids = numbers("eu-ai-act")
    assert [n for n in ids if n.startswith("Art. 5(1)")] == [f"Art. 5(1)({p})" for p in "abcdefghi"]
    assert [n for n in ids if n.startswith("Annex III(")] == [
        f"Annex III({i})" for i in range(1, 9)
    ]
    assert [n for n in ids if n.startswith("Annex IV(")] == [f"Annex IV({i})" for i in range(1, 10)]
    assert [n for n in ids if n.startswith("Art. 17(1)")] == [
        f"Art. 17(1)({p})" for p in "abcdefghijklm"
    ]
    assert [n for n in ids if n.startswith("Art. 50(")] == [f"Art. 50({i})" for i in range(1, 5)]
    for article in (5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 26, 27, 50, 72, 73):
        assert f"Art. {article}" in ids
    assert all(
        re.fullmatch(r"(Art\. \d+(\(\d+\))?(\([a-m]\))?|Annex (III|IV)(\(\d\))?)", n) for n in ids
    )
    # Dates are data: children inherit them unless they set their own.
    assert str(catalog.applies("Art. 5(1)(c)").since) == "2025-02-02"
    assert str(catalog.applies("Art. 10").since) == "2026-08-02"
    assert str(catalog.applies("Art. 6(1)").since) == "2027-08-02"
    # ... and so are amendments: the law as it stood on each day (the Digital Omnibus).
    omnibus = "Regulation (EU) 2026/1744 (Digital Omnibus on AI)"
    art10 = catalog.applies("Art. 10")
    assert art10.since_on(date(2026, 7, 1), None) == (date(2026, 8, 2), None)
    assert art10.since_on(date(2026, 7, 24), None) == (date(2027, 12, 2), omnibus)
    assert catalog.applies("Annex III(5)").since_on(date(2026, 9, 1), None)[0] == date(2027, 12, 2)
    assert catalog.applies("Art. 6(1)").since_on(date(2026, 9, 1), None)[0] == date(2028, 8, 2)
    marking = catalog.applies("Art. 50(2)")
    assert marking.since_on(date(2026, 9, 1), date(2026, 5, 1)) == (date(2026, 12, 2), omnibus)
    assert marking.since_on(date(2026, 9, 1), date(2026, 9, 1)) == (date(2026, 8, 2), None)
    assert marking.since_on(date(2026, 9, 1), None) == (date(2026, 8, 2), None)  # unknown: earlier
    assert catalog.applies("Art. 50(1)").since_on(date(2026, 9, 1), None)[0] == date(2026, 8, 2)
    added = catalog.applies("Art. 5(1)(i)")
    assert (added.law_from, added.added_by, added.since) == (
        date(2026, 7, 24),
        omnibus,
        date(2026, 12, 2),
    )
    assert catalog.applies("Art. 26").to.roles == ["deployer"]
    assert catalog.applies("Art. 50(2)").to.roles == ["provider"]
    assert catalog.applies("Annex III(5)").to.annex_iii_areas == ["5"]
    assert catalog.applies("Annex III(5)").to.risk_tiers == ["high"]


def test_nist_ai_600_1_has_the_twelve_generative_ai_risks_crosswalked_to_ai_rmf() -> None:
    catalog = builtin_catalog("nist-ai-600-1")
    assert list(catalog.clauses) == [f"2.{i}" for i in range(1, 13)]
    assert catalog.clauses["2.2"].title == "Confabulation"
    rmf = builtin_catalog("nist-ai-rmf").clauses
    links = crosswalk({"nist-ai-600-1": catalog, "nist-ai-rmf": builtin_catalog("nist-ai-rmf")})
    for number, clause in catalog.clauses.items():
        assert clause.equivalents, number
        for ref in clause.equivalents:
            assert ref.framework == "nist-ai-rmf" and ref.clause in rmf  # AI RMF 1.0 ids
            assert ("nist-ai-rmf", ref.clause) in links[("nist-ai-600-1", number)]


def test_nist_ai_rmf_has_4_functions_19_categories_72_subcategories() -> None:
    catalog = builtin_catalog("nist-ai-rmf")
    ids = numbers("nist-ai-rmf")
    functions = [n for n in ids if " " not in n]
    categories = [n for n in ids if re.fullmatch(r"[A-Z]+ \d+", n)]
    subcategories = [n for n in ids if re.fullmatch(r"[A-Z]+ \d+\.\d+", n)]
    assert functions == ["GOVERN", "MAP", "MEASURE", "MANAGE"]
    assert len(categories) == 19 and len(subcategories) == 72 and len(ids) == 95
    per_function = {f: sum(n.startswith(f + " ") for n in subcategories) for f in functions}
    assert per_function == {"GOVERN": 19, "MAP": 18, "MEASURE": 22, "MANAGE": 13}
    assert subcategories[0] == "GOVERN 1.1" and subcategories[-1] == "MANAGE 4.3"
    assert "MEASURE 2.13" in ids and "MEASURE 2.14" not in ids
    assert sorted(catalog.leaves()) == sorted(subcategories)
    for sub in subcategories:
        assert catalog.ancestors(sub) == [sub.split(".")[0], sub.split(" ")[0]]


def test_iso_42001_annex_a_has_9_objectives_and_38_controls() -> None:
    catalog = builtin_catalog("iso-iec-42001")
    ids = numbers("iso-iec-42001")
    objectives = catalog.roots()
    assert objectives == [f"A.{i}" for i in range(2, 11)]
    controls = catalog.leaves()
    assert len(controls) == 38
    assert controls[0] == "A.2.2" and controls[-1] == "A.10.4"
    assert all(re.fullmatch(r"A\.(\d+)\.\d+(\.\d+)?", c) for c in controls)
    assert "A.6.1" in ids and "A.6.2" in ids  # the two sub-objectives of A.6
    assert not any(n.startswith("A.11") or n == "A.1" for n in ids)


def test_iso_27001_2022_controls_and_2013_ids() -> None:
    catalog = builtin_catalog("iso-iec-27001")
    controls = catalog.leaves()
    assert all(re.fullmatch(r"A\.[5-8]\.\d+", c) for c in controls)
    assert len(controls) == 30
    superseded = {n: c.superseded_by for n, c in catalog.clauses.items() if c.superseded_by}
    assert superseded == {"A.10.1.1": "A.8.24", "A.12.1.1": "A.5.37", "A.16.1.1": "A.5.24"}


def test_gdpr_and_soc2_selections() -> None:
    assert numbers("gdpr") == [f"Art. {n}" for n in (5, 6, 9, 13, 14, 15, 22, 25, 30, 32, 35)]
    soc2 = builtin_catalog("soc2").leaves()
    assert [c for c in soc2 if c.startswith("CC6.")] == [f"CC6.{i}" for i in range(1, 9)]
    assert [c for c in soc2 if c.startswith("CC7.")] == [f"CC7.{i}" for i in range(1, 6)]
    assert "CC8.1" in soc2
    assert all(re.fullmatch(r"CC\d\.\d", c) for c in soc2)


@pytest.mark.parametrize("name", BUILTIN_FRAMEWORKS)
def test_catalog_carries_source_version_and_date(name: str) -> None:
    spec = builtin_catalog(name).framework.spec
    assert spec.source is not None and spec.source.date and spec.source.url
    assert spec.version and spec.title
    assert all(c.title for c in spec.clauses)


def test_catalogs_validate_as_user_documents(tmp_path: Path) -> None:
    """Copied into a repository, the catalogs pass `aigov validate` (parents, links, schema)."""
    for name in BUILTIN_FRAMEWORKS:
        shutil.copy(CATALOGS / f"{name}.yaml", tmp_path)
    result = invoke("validate", "--repo", str(tmp_path))
    assert result.exit_code == 0, result.output


def test_crosswalk_is_symmetric_and_resolves() -> None:
    catalogs = {n: builtin_catalog(n) for n in BUILTIN_FRAMEWORKS}
    links = crosswalk(catalogs)
    declared = sum(len(c.equivalents.get(n, [])) for c in catalogs.values() for n in c.clauses)
    assert declared >= 30
    for (fw, clause), others in links.items():
        assert clause in catalogs[fw].clauses
        for other in others:
            assert (fw, clause) in links[other]
    assert ("iso-iec-42001", "A.5.2") in links[("eu-ai-act", "Art. 9")]
    assert ("eu-ai-act", "Art. 10") in links[("nist-ai-rmf", "MEASURE 2.11")]


def test_every_clause_named_by_packs_and_builtin_rules_exists() -> None:
    refs = {c for rule in RULES.values() for c in rule.clauses}
    for pack in ("baseline", "eu-ai-act-high-risk", "nist-ai-rmf", "iso-42001"):
        for doc in load_pack(pack):
            refs |= {f"{c.framework}:{c.clause}" for c in doc.model.spec.clauses}
    assert len(refs) > 20
    missing = [r for r in refs if r.split(":", 1)[1] not in numbers(r.split(":", 1)[0])]
    assert missing == []


def test_references_to_builtin_clauses_resolve_with_did_you_mean(write_repo: WriteRepo) -> None:
    mapping = (
        "apiVersion: aigov/v1\nkind: ComplianceMapping\nmetadata: {name: m}\nspec:\n"
        "  framework: nist-ai-rmf\n  clause: {clause}\n  satisfied_by: {{}}\n"
    )
    repo = write_repo(
        {
            "ok.yaml": mapping.replace("{clause}", "MEASURE 2.11").replace("{{}}", "{}"),
            "bad.yaml": mapping.replace("{clause}", "MEASURE 2.1.1")
            .replace("{{}}", "{}")
            .replace("name: m", "name: n"),
        }
    )
    result = invoke("validate", "--repo", str(repo))
    assert result.exit_code == 1
    assert "bad.yaml:6:11: error [ref.unknown-clause]" in result.output
    assert "framework 'nist-ai-rmf' has no clause 'MEASURE 2.1.1'" in result.output
    assert "did you mean 'MEASURE 2.11'?" in result.output
    assert "ok.yaml" not in result.output


def test_framework_parent_and_superseded_by_must_exist(write_repo: WriteRepo) -> None:
    repo = write_repo(
        {
            "fw.yaml": "apiVersion: aigov/v1\nkind: Framework\nmetadata: {name: own}\n"
            "spec:\n  title: Own\n  version: '1'\n  clauses:\n"
            "    - {clause_number: R1, title: One, parent: R2}\n"
            "    - {clause_number: R2, title: Two, parent: R1}\n"
            "    - {clause_number: R3, title: Three, parent: R-4}\n"
            "    - {clause_number: R-4, title: Four, superseded_by: R5}\n"
        }
    )
    result = invoke("validate", "--repo", str(repo))
    assert result.exit_code == 1
    out = result.output
    assert "fw.yaml:11:56: error [framework.unknown-clause] superseded_by 'R5'" in out
    assert "[framework.parent-cycle] clauses are their own ancestors: R1 -> R2 -> R1" in out
    assert out.count("framework.parent-cycle") == 1
