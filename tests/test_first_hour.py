"""Issue 37, a newcomer's first hour: what every report says was judged, the compliance
diff of a version bump, the compliance report's every clause, findings with details.
Each test drives the real CLI (in-process through click, or the console script)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import gate_repo as g
from conftest import WriteRepo, invoke

AS_OF = "2026-06-01"


def test_every_report_names_the_run_the_assessment_its_digest_and_the_waivers(
    write_repo: WriteRepo, tmp_path: Path
) -> None:
    waiver = g.waiver("metric.disparity", "2027-12-31")
    risk = g.risk()
    repo = write_repo(
        g.repo_files({"waivers/w.yaml": waiver, "tests/run-2.0.0.yaml": g.run(female=0.2)})
    )
    (repo / "risk/scorer.yaml").write_text(risk)
    outputs = {f: tmp_path / f"out.{f}" for f in ("sarif", "junit", "markdown", "html")}
    args = ["gate", "--repo", str(repo), "--as-of", AS_OF, "--format", "json"]
    args += [a for f, p in outputs.items() for a in ("--output", f"{f}={p}")]
    done = invoke(*args)
    report = json.loads(done.output)
    assert report["schema_version"] == 2
    waived = [f for f in report["findings"] if f["waived_by"]]
    assert waived and {f["waived_by"] for f in waived} == {"Waiver/w"}
    (model,) = report["models"]
    judged = model["judged_on"]
    assert judged["test_run"]["name"] == "scorer-2.0.0-run"
    assert judged["test_run"]["status"] == "completed"
    assert judged["test_run"]["path"] == "tests/run-2.0.0.yaml"
    assert judged["risk_assessment"]["name"] == "scorer-risk"
    digest = g.assessment_digest(risk)
    assert judged["risk_assessment"]["digest"] == f"sha256:{digest}"
    assert judged["waivers"] == ["w"]

    text = invoke("gate", "--repo", str(repo), "--as-of", AS_OF).output
    block = text.split("judged on\n", 1)[1].splitlines()[:3]
    assert " ".join(block[0].split()) == (
        "test run: TestRun/scorer-2.0.0-run (completed, finished 2026-02-01T10:00:00+00:00)"
    )
    assert f"RiskAssessment/scorer-risk (approved, sha256:{digest[:12]})" in block[1]
    assert block[2].split() == ["waivers:", "Waiver/w"]

    sarif = json.loads(outputs["sarif"].read_text())
    (entry,) = sarif["runs"][0]["properties"]["judgedOn"]
    assert entry["model"] == "scorer@2.0.0" and entry["waivers"] == ["w"]
    assert entry["risk_assessment"]["digest"] == f"sha256:{digest}"
    suite = ET.parse(outputs["junit"]).getroot().find("testsuite")
    assert suite is not None
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["aigov.judged_on.test_run"] == "scorer-2.0.0-run"
    assert props["aigov.judged_on.risk_assessment.digest"] == f"sha256:{digest}"
    assert props["aigov.judged_on.waivers"] == "w"
    markdown = outputs["markdown"].read_text()
    assert "| Judged on |" in markdown and "waivers: Waiver/w" in markdown
    html = outputs["html"].read_text()
    assert "<dt>Judged on: test run</dt><dd>TestRun/scorer-2.0.0-run (completed" in html
    assert f"sha256:{digest[:12]}" in html


def test_judged_on_says_so_when_there_is_no_run_and_no_assessment(write_repo: WriteRepo) -> None:
    repo = write_repo(g.repo_files({"tests/run-2.0.0.yaml": g.run(status="failed")}))
    (repo / "risk/scorer.yaml").unlink()
    report = json.loads(invoke("gate", "--repo", str(repo), "--format", "json").output)
    judged = report["models"][0]["judged_on"]
    assert judged == {"test_run": None, "risk_assessment": None, "waivers": []}
    text = invoke("gate", "--repo", str(repo)).output
    assert "test run:        none completed for this version" in text
    assert "risk assessment: none for this version" in text
