"""SP 800-53 compliance semantics on NIST's own HIGH baseline catalog (issue 36, item 1).

In SP 800-53 a control enhancement (AC-2(1)) is a requirement of its own, which the base
control (AC-2) does not satisfy; the base control is a requirement too. So a mapping to
AC-2 makes AC-2 compliant and leaves AC-2(1)..(13) unassessed, and AC-2 is counted and
listed in the OSCAL ``reviewed-controls``. NIST CSF's categories (GV.OC over GV.OC-01) stay
roll-ups whose mapping reaches their subcategories.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, WriteRepo, invoke
from test_compliance import config, mapping, repo

OSCAL = ROOT / "tests" / "data" / "oscal"
SP800_53 = OSCAL / "NIST_SP-800-53_rev5_HIGH-baseline-resolved-profile_catalog-min.json.gz"
CSF = OSCAL / "NIST_CSF_v2.0_catalog-min.json"
AS_OF = "2027-12-10"


def _controls(catalog: dict[str, Any]) -> set[str]:
    """Every control id in an OSCAL catalog (controls and enhancements, not groups)."""
    found: set[str] = set()

    def walk(item: dict[str, Any]) -> None:
        for control in item.get("controls", []):
            found.add(control["id"])
            walk(control)
        for group in item.get("groups", []):
            walk(group)

    walk(catalog)
    return found


@pytest.fixture(scope="module")
def sp800_53(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[str]]:
    """A repository that imported the HIGH baseline and maps AC-2 and the AU family."""
    root = tmp_path_factory.mktemp("sp800-53-semantics")
    catalog_file = root / "high.json"
    catalog_file.write_bytes(gzip.decompress(SP800_53.read_bytes()))
    controls = _controls(json.loads(catalog_file.read_text(encoding="utf-8"))["catalog"])

    def write_repo(files: dict[str, str | bytes]) -> Path:
        path = root / "repo"
        for name, text in files.items():
            (path / name).parent.mkdir(parents=True, exist_ok=True)
            (path / name).write_bytes(text.encode() if isinstance(text, str) else text)
        return path

    path = repo(
        write_repo,
        {
            ".aigov.yaml": config(frameworks="[sp800-53]"),
            "mappings/ac-2.yaml": mapping("AC-2", framework="sp800-53"),
            "mappings/au.yaml": mapping("au", framework="sp800-53"),
        },
    )
    done = invoke(
        "frameworks", "import-oscal", str(catalog_file), "--name", "sp800-53",
        "-o", str(path / "sp800-53.yaml"),
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    return path, controls


def _report(path: Path, fmt: str) -> dict[str, Any]:
    done = invoke("compliance", "report", "--repo", str(path), "--as-of", AS_OF, "--format", fmt)
    assert done.exit_code == 0, done.output
    data: dict[str, Any] = json.loads(done.output)
    return data


def _clauses(report: dict[str, Any], framework: str) -> dict[str, dict[str, Any]]:
    [found] = [f for f in report["frameworks"] if f["framework"] == framework]
    return {c["clause"]: c for c in found["clauses"]}


def test_a_base_control_does_not_satisfy_its_enhancements(
    sp800_53: tuple[Path, set[str]],
) -> None:
    path, _ = sp800_53
    clauses = _clauses(_report(path, "json"), "sp800-53")
    base = clauses["AC-2"]
    assert (base["status"], base["leaf"], base["counted"]) == ("compliant", True, True)
    assert [b["via"] for b in base["basis"]] == [None, None]  # its own mapping, not a roll-up
    for number in ("AC-2(1)", "AC-2(5)", "AC-2(13)"):
        enhancement = clauses[number]
        assert enhancement["status"] == "not_assessed", number
        assert enhancement["basis"] == [] and enhancement["counted"]
    # the family rolls up over its requirements: base controls and enhancements alike
    family = clauses["ac"]
    assert (family["leaf"], family["counted"], family["status"]) == (
        False,
        False,
        "partially_compliant",
    )
    assert family["reason"].startswith("1 of ")


def test_a_mapping_to_a_family_still_reaches_its_controls(
    sp800_53: tuple[Path, set[str]],
) -> None:
    path, _ = sp800_53
    clauses = _clauses(_report(path, "json"), "sp800-53")
    for number in ("AU-6", "AU-6(1)", "AU-2"):
        assert clauses[number]["status"] == "compliant", number
        assert {b["via"] for b in clauses[number]["basis"]} == {"parent au"}
    assert clauses["au"]["status"] == "compliant" and not clauses["au"]["counted"]


def test_every_control_of_the_catalog_is_a_reviewed_control(
    sp800_53: tuple[Path, set[str]],
) -> None:
    path, controls = sp800_53
    [result] = _report(path, "oscal")["assessment-results"]["results"]
    [selection] = result["reviewed-controls"]["control-selections"]
    reviewed = [c["control-id"] for c in selection["include-controls"]]
    assert len(reviewed) == len(set(reviewed)) == len(controls) == 370
    assert set(reviewed) == controls and "ac-2" in reviewed
    targets = {f["target"]["target-id"] for f in result["findings"]}
    assert "ac-2_smt" in targets and "ac-2.1_smt" in targets


def test_csf_categories_stay_roll_ups_that_reach_their_subcategories(
    write_repo: WriteRepo,
) -> None:
    path = repo(
        write_repo,
        {
            ".aigov.yaml": config(frameworks="[nist-csf]"),
            "mappings/gv-oc.yaml": mapping("GV.OC", framework="nist-csf"),
        },
    )
    done = invoke(
        "frameworks", "import-oscal", str(CSF), "--name", "nist-csf", "-o", str(path / "csf.yaml")
    )
    assert done.exit_code == 0, done.output
    clauses = _clauses(_report(path, "json"), "nist-csf")
    assert (clauses["GV.OC"]["leaf"], clauses["GV.OC"]["counted"]) == (False, False)
    assert clauses["GV.OC"]["status"] == "compliant"
    for number in ("GV.OC-01", "GV.OC-05"):
        assert clauses[number]["status"] == "compliant"
        assert {b["via"] for b in clauses[number]["basis"]} == {"parent GV.OC"}
