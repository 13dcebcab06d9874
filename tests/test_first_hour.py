"""Issue 37, a newcomer's first hour: what every report says was judged, the compliance
diff of a version bump, the compliance report's every clause, findings with details.
Each test drives the real CLI (in-process through click, or the console script)."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import gate_repo as g
from conftest import EXAMPLES, WriteRepo, git, invoke

AS_OF = "2026-06-01"


def test_every_report_names_the_run_the_assessment_its_digest_and_the_waivers(
    write_repo: WriteRepo, tmp_path: Path
) -> None:
    waiver = g.waiver("metric.disparity", "2026-07-31")  # approved on AS_OF, not after
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
    assert judged["test_run"]["class"] == "claimed"  # hand-written: no attestation (issue 34)
    assert judged["risk_assessment"]["name"] == "scorer-risk"
    digest = g.assessment_digest(risk)
    assert judged["risk_assessment"]["digest"] == f"sha256:{digest}"
    assert judged["waivers"] == ["w"]

    text = invoke("gate", "--repo", str(repo), "--as-of", AS_OF).output
    block = text.split("judged on\n", 1)[1].splitlines()[:3]
    assert " ".join(block[0].split()) == (
        "test run: TestRun/scorer-2.0.0-run (completed, finished 2026-02-01T10:00:00+00:00, "
        "claimed)"
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
    assert props["aigov.judged_on.test_run.class"] == "claimed"
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


def _example_at_base(tmp_path: Path) -> Path:
    repo = tmp_path / "credit-scoring"
    shutil.copytree(EXAMPLES / "credit-scoring", repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    return repo


def test_a_version_bump_compares_each_clause_with_the_old_version(tmp_path: Path) -> None:
    """1.0.0 -> 1.0.1 is one model: only the clauses whose status moved are listed (the
    example lists 3; before, every clause came twice, 164 rows), and in the Markdown
    summary they come after the decision and the blocking findings."""
    repo = _example_at_base(tmp_path)
    model = repo / "governance/models/credit-scoring.yaml"
    model.write_text(model.read_text().replace('  version: "2.3.0"\n', '  version: "2.3.1"\n', 1))
    args = ("gate", "--repo", str(repo), "--base", "main", "--as-of", "2028-01-01")
    report = json.loads(invoke(*args, "--format", "json").output)
    changes = report["compliance_changes"]
    assert 0 < len(changes) <= 10
    assert {c["model"] for c in changes} == {"credit-scoring@2.3.1"}
    assert all(c["before"] and c["after"] for c in changes)  # paired, never one-sided
    markdown = invoke(*args, "--format", "markdown").output
    assert markdown.index("### Blocking") < markdown.index("### Compliance changes since")
    assert markdown.index("| Model | Decision") < markdown.index("### Compliance changes since")


def test_the_compliance_diff_is_cut_at_fifty_rows_in_markdown(tmp_path: Path) -> None:
    repo = _example_at_base(tmp_path)
    model = (repo / "governance/models/credit-scoring.yaml").read_text()
    twin = model.replace("name: credit-scoring\n", "name: credit-scoring-twin\n", 1)
    (repo / "governance/models/twin.yaml").write_text(twin)  # each of its clauses is new
    args = ("gate", "--repo", str(repo), "--base", "main", "--as-of", "2028-01-01")
    report = json.loads(invoke(*args, "--format", "json").output)
    gone = len(report["compliance_changes"])
    assert gone > 50
    markdown = invoke(*args, "--format", "markdown").output
    section = markdown.split("### Compliance changes since", 1)[1].split("\n### ", 1)[0]
    rows = [line for line in section.splitlines() if "| `credit-scoring-twin@" in line]
    assert len(rows) == 50
    assert f"… and {gone - 50} more (see the JSON report)" in section


def test_the_compliance_report_lists_every_clause_with_its_status_and_date() -> None:
    """Articles 9-15, 26, 27 and 72 apply from 2027-12-02 (as amended): before that day
    they are listed as `later`, with the date, instead of dropped; after it, assessed."""
    args = ["compliance", "report", "--repo", str(EXAMPLES / "credit-scoring")]
    text = invoke(*args, "--framework", "eu-ai-act", "--as-of", "2026-12-07").output
    lines = text.splitlines()
    for number in ("Art. 9", "Art. 10", "Art. 14", "Art. 15", "Art. 26", "Art. 27", "Art. 72"):
        (i,) = [i for i, line in enumerate(lines) if f" {number}  " in line]
        assert lines[i].split()[0] == "later", lines[i]
        assert lines[i + 1].strip().startswith("applies from 2027-12-02 as amended by")
    report = json.loads(
        invoke(
            *args, "--framework", "eu-ai-act", "--as-of", "2026-12-07", "--format", "json"
        ).output
    )
    every = {c["clause"] for fw in report["frameworks"] for c in fw["clauses"]}
    assert all(f" {c}  " in text for c in every)  # the text hides no clause the JSON has
    later = invoke(*args, "--framework", "eu-ai-act", "--as-of", "2028-01-05").output
    art9 = next(line for line in later.splitlines() if " Art. 9  " in line)
    assert art9.split()[0] in ("ok", "partial", "FAIL", "none")
    # a clause in force says since when: the amended date, or the date as enacted
    assert art9.endswith("(applies since 2027-12-02)"), art9
    art5 = next(line for line in lines if " Art. 5(1)(a)  " in line)
    assert art5.endswith("(applies since 2025-02-02)"), art5
    since = {c["clause"]: c["applies_since"] for fw in report["frameworks"] for c in fw["clauses"]}
    assert since["Art. 5(1)(a)"] == "2025-02-02"
    assert since["Art. 9"] is None and since["Annex III(1)"] is None  # later; does not apply
    markdown = invoke(
        *args, "--framework", "eu-ai-act", "--as-of", "2026-12-07", "--format", "markdown"
    )
    assert "| Art. 10 Data and data governance | ⏳ not yet in force | applies from 2027-12-02" in (
        markdown.output
    )


def test_frameworks_show_gives_each_clause_its_date_as_the_law_stood_that_day() -> None:
    args = ["frameworks", "show", "eu-ai-act", "--repo", str(EXAMPLES / "credit-scoring")]
    before = invoke(*args, "--as-of", "2026-06-01").output
    after = invoke(*args, "--as-of", "2026-12-07").output
    assert "dates as the law stood on 2026-06-01" in before
    art10 = next(line for line in before.splitlines() if line.startswith("Art. 10  "))
    assert "[not yet in force; applies from 2026-08-02;" in art10  # before the Omnibus
    art10 = next(line for line in after.splitlines() if line.startswith("Art. 10  "))
    # (the regulation's number is left out: the PII masking of main takes "2026/1744" for
    # a phone number and prints [redacted]; reported in notes/37.md)
    assert "not yet in force; applies from 2027-12-02 as amended by Regulation (EU)" in art10
    assert "(enacted: 2026-08-02)" in art10
    art5 = next(line for line in after.splitlines() if line.startswith("Art. 5  "))
    assert "[applies from 2025-02-02;" in art5
    bad = invoke(*args, "--as-of", "2026-13-01")
    assert bad.exit_code == 2 and "2026-13-01" in bad.output


def test_a_waiver_for_a_rule_that_runs_only_at_deploy_is_not_called_unused_at_merge(
    write_repo: WriteRepo,
) -> None:
    """A waiver of the deploy-only ``deploy.condition-unmet`` waives at production deploy;
    at every merge it used to say "matched no finding ... delete the waiver". Now it is a
    note that the rule does not run there; a waiver whose rule ran and found nothing still
    says to delete it."""
    oversight = g.waiver("deploy.condition-unmet", "2026-12-31", name="conditions")
    stale = g.waiver("metric.threshold", "2026-12-31", name="old-threshold")
    repo = write_repo(
        g.repo_files(
            {
                "risk/scorer.yaml": g.risk(met=False),
                "waivers/conditions.yaml": oversight,
                "waivers/stale.yaml": stale,
            }
        )
    )
    base = ("gate", "--repo", str(repo), "--as-of", "2026-11-15", "--format", "json")
    merge = json.loads(invoke(*base).output)
    unused = {f["target"]: f for f in merge["findings"] if f["rule_id"] == "waiver.unused"}
    note = unused["Waiver/conditions"]
    assert note["severity"] == "info" and "not needed at merge" in note["message"]
    assert "delete" not in note["hint"] and "keep the waiver" in note["hint"]
    assert note["details"] and "runs only at another stage" in note["details"][0]
    assert unused["Waiver/old-threshold"]["severity"] == "low"
    assert "delete the waiver" in unused["Waiver/old-threshold"]["hint"]
    deploy = json.loads(invoke(*base, "--stage", "deploy", "--environment", "production").output)
    waived = [f for f in deploy["findings"] if f["waived_by"] == "Waiver/conditions"]
    assert [f["rule_id"] for f in waived] == ["deploy.condition-unmet"]
    assert deploy["models"][0]["judged_on"]["waivers"] == ["conditions"]
    assert not [f for f in deploy["findings"] if f["target"] == "Waiver/conditions"]


def test_findings_have_a_short_message_and_pack_messages_name_the_part_that_failed(
    write_repo: WriteRepo,
) -> None:
    config = g.CONFIG + "policy_packs: [baseline, eu-ai-act-high-risk, iso-42001]\n"
    repo = write_repo(
        g.repo_files({".aigov.yaml": config, "risk/scorer.yaml": g.risk(approvers=())})
    )
    args = ("gate", "--repo", str(repo), "--as-of", "2026-11-15")
    report = json.loads(invoke(*args, "--format", "json").output)
    by_rule = {f["rule_id"]: f for f in report["findings"]}
    unverified = by_rule["signoff.unverified"]
    assert len(unverified["message"]) < 120, unverified["message"]
    assert unverified["details"][0].startswith("required: high risk needs 2 approvals")
    assert "approved: no approval counted" in unverified["details"]
    assert any(d.startswith("still needed: ") for d in unverified["details"])
    messages = {rule: f["message"] for rule, f in by_rule.items()}
    assert messages["eu-ai-act.art9-risk-management"] == (
        "scorer: the risk assessment lists no risks"
    )
    assert messages["eu-ai-act.art10-data-governance"] == (
        "scorer: datasets without sources or known limitations: loans (no known limitations)"
    )
    assert messages["iso-42001.a7-data-provenance"] == (
        "datasets of scorer without sources or collection period: loans (no collection period)"
    )
    assert messages["eu-ai-act.art15-accuracy-robustness"].startswith("scorer: its test plans have")
    text = invoke(*args).output  # the details are lines of their own under the message
    at = text.index("[high signoff.unverified]")
    below = text[at:].splitlines()[1:4]
    assert below[0].strip().startswith("required: ") and below[1].strip().startswith("approved: ")
    (repo / "data/loans.yaml").write_text(g.DATASET.replace("  license: internal\n", ""))
    text = invoke(*args).output
    assert "dataset loans does not record its licence (spec.license)" in text
    (repo / "risk/scorer.yaml").unlink()
    text = invoke(*args).output
    assert "scorer: no risk assessment for this version" in text
