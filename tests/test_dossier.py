"""aigov report annex-iv: the nine points from the records, sources that resolve, gaps
named and counted, the lifecycle from Git (shallow or not), Markdown and HTML (issue 42)."""

from __future__ import annotations

import re
import shutil
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, MODEL, git, invoke

from aigov_gate.config import find_config, load_config
from aigov_gate.dossier.assemble import annex_iv
from aigov_gate.dossier.render import markdown, page

DAY = date(2026, 12, 8)
SOURCE = re.compile(r"\(([^()\s]+\.ya?ml):(\d+)\)$")


def example_in_git(tmp_path: Path) -> Path:
    """A copy of the example as its own Git repository (one commit)."""
    repo = tmp_path / "credit-scoring"
    shutil.copytree(EXAMPLES / "credit-scoring", repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Acme's governance records")
    return repo


def dossier_of(repo: Path, model: str, day: date = DAY):  # type: ignore[no-untyped-def]
    return annex_iv(repo, load_config(find_config(repo)), model, day)


def test_the_example_dossier_has_nine_points_in_order_and_every_source_resolves(
    tmp_path: Path,
) -> None:
    repo = example_in_git(tmp_path)
    text = markdown(dossier_of(repo, "credit-scoring"))
    headings = re.findall(r"^## (\d)\. (.+)$", text, re.M)
    assert [int(n) for n, _ in headings] == list(range(1, 10))
    assert headings[5][1] == "Relevant changes over the lifecycle"
    checked = 0
    for line in text.splitlines():
        found = SOURCE.search(line)
        if found is None:
            continue
        path, number = found.group(1), int(found.group(2))
        lines = (repo / path).read_text(encoding="utf-8").splitlines()
        assert 1 <= number <= len(lines), line
        checked += 1
    assert checked > 40
    # a few statements where their source says the same thing
    model = (repo / "governance/models/credit-scoring.yaml").read_text().splitlines()
    where = re.search(r"Version 2\.3\.0, a tabular model\. \(([^:]+):(\d+)\)", text)
    assert where is not None
    assert '"2.3.0"' in model[int(where.group(2)) - 1]
    assert "Caveat: The Digital Omnibus" in text and "Official Journal" in text
    assert "applies from 2027-12-02 as amended by Regulation (EU) 2026/1744" in text


def test_the_example_gaps_are_the_records_it_lacks(tmp_path: Path) -> None:
    dossier = dossier_of(example_in_git(tmp_path), "credit-scoring")
    named = {(n, g.what) for n, g in dossier.gaps}
    assert named == {
        (3, "No human oversight procedure (Art. 14) on record for `credit-scoring`"),
        (8, "No EU declaration of conformity for `credit-scoring@2.3.0`"),
        (9, "No post-market monitoring plan (Art. 72) for `credit-scoring`"),
    }
    assert "**Gaps: 3 (point 3, point 8, point 9)." in markdown(dossier)


def test_recording_the_missing_evidence_closes_those_gaps(tmp_path: Path) -> None:
    repo = example_in_git(tmp_path)
    docs = repo / "docs/evidence"
    for kind, name in (
        ("human_oversight_procedure", "oversight"),
        ("declaration_of_conformity", "doc"),
        ("monitoring_plan", "pmm"),
    ):
        body = f"{name} of credit-scoring 2.3.0\n"
        (docs / f"{name}.md").write_text(body)
        import hashlib

        digest = hashlib.sha256(body.encode()).hexdigest()
        (repo / f"governance/evidence/{name}.yaml").write_text(
            f"apiVersion: aigov/v1\nkind: EvidenceArtifact\nmetadata:\n  name: cs-{name}\n"
            f"  organization: acme-bank\nspec:\n  artifact_type: {kind}\n"
            f"  path: docs/evidence/{name}.md\n  sha256: {digest}\n"
            f'  models: [credit-scoring]\n  model_version: "2.3.0"\n  created: 2026-11-01\n'
        )
    dossier = dossier_of(repo, "credit-scoring")
    assert dossier.gaps == []
    text = markdown(dossier)
    assert "**Gaps: 0. Every point is filled from the records.**" in text
    assert "EU declaration of conformity: `cs-doc` (docs/evidence/doc.md" in text


BARE = {
    ".aigov.yaml": "organization: acme\n",
    "m.yaml": MODEL.format(name="bare").replace("risk_tier: minimal", "risk_tier: high"),
}


def test_a_repository_missing_each_kind_of_record_shows_exactly_those_gaps(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "bare"
    repo.mkdir()
    for rel, body in BARE.items():
        (repo / rel).write_text(body)
    dossier = dossier_of(repo, "bare")
    by_point: dict[int, list[str]] = {}
    for n, gap in dossier.gaps:
        by_point.setdefault(n, []).append(gap.what)
    assert by_point == {
        1: [
            "Model `bare` has no `spec.description`",
            "Model `bare` has no `spec.intended_use`",
            "Model `bare` records no EU AI Act role or Annex III category",
        ],
        2: [
            "Model `bare` names no training dataset",
            "No TestPlan covers `bare`",
            "No completed TestRun of `bare@1.0.0`",
        ],
        3: [
            "No per-group (sliced) results for `bare@1.0.0`",
            "No human oversight procedure (Art. 14) on record for `bare`",
        ],
        4: ["No metric requirement is recorded for `bare`"],
        5: ["No RiskAssessment of `bare@1.0.0`"],
        6: ["No Git history: the records are not in a Git checkout"],
        7: ["No ComplianceMapping says how `bare` meets a standard or specification"],
        8: ["No EU declaration of conformity for `bare@1.0.0`"],
        9: ["No post-market monitoring plan (Art. 72) for `bare`"],
    }
    assert len(dossier.gaps) == 14
    assert "Nothing in the records fills this point." in markdown(dossier)


RUN = """\
apiVersion: aigov/v1
kind: TestRun
metadata: {{name: bare-{v}}}
spec:
  model: bare
  model_version: "{v}"
  status: completed
  started_at: {day}T08:00:00Z
  finished_at: {day}T09:00:00Z
  results: []
"""


def two_versions(tmp_path: Path) -> Path:
    repo = tmp_path / "two"
    repo.mkdir()
    for rel, body in BARE.items():
        (repo / rel).write_text(body)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Model 1.0.0")
    (repo / "run-1.yaml").write_text(RUN.format(v="1.0.0", day="2026-01-10"))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Tested 1.0.0")
    model = repo / "m.yaml"
    model.write_text(model.read_text().replace('"1.0.0"', '"1.1.0"'))
    git(repo, "commit", "-q", "-am", "Retrained as 1.1.0")
    (repo / "run-2.yaml").write_text(RUN.format(v="1.1.0", day="2026-06-10"))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Tested 1.1.0")
    (repo / "unrelated.txt").write_text("not a record\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Unrelated change")
    return repo


def test_the_lifecycle_lists_the_commits_since_the_previous_version(tmp_path: Path) -> None:
    repo = two_versions(tmp_path)
    dossier = dossier_of(repo, "bare")
    point = dossier.points[5]
    subjects = [s.text.split(": ", 1)[1] for s in point.statements if s.source is None]
    assert subjects == ["Tested 1.1.0", "Retrained as 1.1.0"]
    versions = [s.text for s in point.statements if s.source is not None]
    assert versions[0].startswith("Version 1.0.0 tested in `bare-1.0.0`")
    assert versions[1].startswith("Version 1.1.0 tested in `bare-1.1.0`")
    assert point.gaps == ()
    assert "since commit" in point.notes[0] and "shallow" not in " ".join(point.notes)
    # the earlier version's own dossier starts at the beginning
    first = dossier_of(repo, "bare@1.0.0").points[5]
    assert "since the first commit" in first.notes[0]


def test_a_shallow_clone_says_what_it_cannot_show(tmp_path: Path) -> None:
    origin = two_versions(tmp_path)
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", origin.as_uri(), str(clone))
    point = dossier_of(clone, "bare").points[5]
    notes = " ".join(point.notes)
    assert "shallow clone" in notes and "fetch-depth: 0" in notes
    subjects = [s.text for s in point.statements if s.source is None]
    assert len(subjects) == 1 and subjects[0].endswith("Unrelated change")


def test_html_is_self_contained_escaped_and_has_the_nine_sections(tmp_path: Path) -> None:
    repo = example_in_git(tmp_path)
    model = repo / "governance/models/credit-scoring.yaml"
    model.write_text(
        model.read_text().replace(
            "Gradient-boosted scorecard", "<script>alert(1)</script> Gradient-boosted scorecard"
        )
    )
    text = page(dossier_of(repo, "credit-scoring"))

    class Sections(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.ids: list[str] = []
            self.scripts = 0
            self.remote = 0

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            values = dict(attrs)
            if tag == "section":
                self.ids.append(values.get("id") or "")
            self.scripts += tag == "script"
            self.remote += any(k in {"src", "href"} for k in values)

    parser = Sections()
    parser.feed(text)
    assert parser.ids == [f"point-{n}" for n in range(1, 10)]
    assert parser.scripts == 0 and parser.remote == 0
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "@media print" in text


def test_the_output_is_the_same_bytes_every_time(tmp_path: Path) -> None:
    repo = example_in_git(tmp_path)
    assert page(dossier_of(repo, "credit-scoring")) == page(dossier_of(repo, "credit-scoring"))


@pytest.mark.dated
def test_the_obligation_is_read_for_the_as_of_day(tmp_path: Path) -> None:
    repo = example_in_git(tmp_path)
    assert not dossier_of(repo, "credit-scoring", date(2027, 12, 1)).obliged
    assert dossier_of(repo, "credit-scoring", date(2027, 12, 2)).obliged
    # before the Omnibus was in force, the law said 2026-08-02
    early = dossier_of(repo, "credit-scoring", date(2026, 7, 1))
    assert early.applies == "applies from 2026-08-02"


def test_the_command_writes_markdown_or_html_and_refuses_unknown_models(tmp_path: Path) -> None:
    repo = example_in_git(tmp_path)
    out = tmp_path / "annex-iv.html"
    done = invoke(
        "report", "annex-iv", "credit-scoring@2.3.0", "--repo", str(repo),
        "--format", "html", "-o", str(out), "--as-of", "2026-12-08",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert "3 gap(s)" in done.stderr
    done = invoke(
        "report", "annex-iv", "credit-scoring", "--repo", str(repo), "--as-of", "2026-12-08"
    )
    assert done.exit_code == 0 and done.stdout.startswith("# Technical documentation")
    done = invoke("report", "annex-iv", "nope", "--repo", str(repo))
    assert done.exit_code == 2 and "no Model named 'nope'" in done.output
    assert "credit-scoring" in done.output  # the hint names what exists
    done = invoke("report", "annex-iv", "credit-scoring@9.9.9", "--repo", str(repo))
    assert done.exit_code == 2 and "no record of credit-scoring@9.9.9" in done.output


# -- the gate: eu-ai-act.annex-iv-incomplete ------------------------------------------


def gate_findings(repo: Path, stage: str, environment: str | None, day: date) -> list:  # type: ignore[type-arg]
    from datetime import UTC, datetime

    from aigov_gate.gate import GateOptions, build
    from aigov_gate.gate.checks import AnnexIv

    config = load_config(find_config(repo))
    options = GateOptions(stage=stage, environment=environment, as_of=day)  # type: ignore[arg-type]
    run = build(repo, config, options, datetime(2026, 12, 8, tzinfo=UTC), {})
    return list(AnnexIv().evaluate(run))


def test_a_production_deploy_with_gaps_is_blocked_from_the_day_annex_iv_applies(
    tmp_path: Path,
) -> None:
    repo = example_in_git(tmp_path)
    assert gate_findings(repo, "deploy", "production", date(2027, 12, 1)) == []
    (finding,) = gate_findings(repo, "deploy", "production", date(2027, 12, 2))
    assert finding.rule_id == "eu-ai-act.annex-iv-incomplete"
    assert (
        finding.message == "Annex IV technical documentation of credit-scoring@2.3.0 has 3 gap(s)"
    )
    assert finding.details == (
        "point 3: No human oversight procedure (Art. 14) on record for `credit-scoring`; "
        "to fill it: add an EvidenceArtifact with artifact_type: human_oversight_procedure",
        "point 8: No EU declaration of conformity for `credit-scoring@2.3.0`; to fill it: add "
        "an EvidenceArtifact with artifact_type: declaration_of_conformity (model_version set) "
        "once it is drawn up",
        "point 9: No post-market monitoring plan (Art. 72) for `credit-scoring`; to fill it: "
        "add an EvidenceArtifact with artifact_type: monitoring_plan",
    )
    assert str(finding.location) == "governance/models/credit-scoring.yaml:5:9"
    # not at a merge or a staging deploy, and not for a model below high risk
    assert gate_findings(repo, "merge", None, date(2028, 1, 1)) == []
    assert gate_findings(repo, "deploy", "staging", date(2028, 1, 1)) == []
    model = repo / "governance/models/credit-scoring.yaml"
    model.write_text(model.read_text().replace("risk_tier: high", "risk_tier: limited"))
    assert gate_findings(repo, "deploy", "production", date(2028, 1, 1)) == []


def test_the_date_annex_iv_applies_from_can_be_set_in_the_configuration(tmp_path: Path) -> None:
    repo = example_in_git(tmp_path)
    config = repo / ".aigov.yaml"
    config.write_text(
        config.read_text()
        + "compliance:\n  applies_from:\n    eu-ai-act:\n      Annex IV:\n"
        + "        applies_from: 2026-08-02\n        reason: counsel reads the original date\n"
    )
    (finding,) = gate_findings(repo, "deploy", "production", date(2026, 12, 8))
    assert finding.rule_id == "eu-ai-act.annex-iv-incomplete"


# -- in the real browser the dashboard tests use ---------------------------------------

from test_dashboard import Opened, browser, needs_browser  # noqa: E402, F401


@needs_browser
def test_the_html_opens_cleanly_and_prints_a_page_per_point(browser: Any, tmp_path: Path) -> None:  # noqa: F811
    repo = example_in_git(tmp_path)
    path = tmp_path / "annex-iv.html"
    path.write_text(page(dossier_of(repo, "credit-scoring")), encoding="utf-8")
    opened = Opened(browser, path)
    assert opened.errors == [] and opened.dialogs == []
    assert opened.requests == [opened.url]  # the file itself, nothing else
    assert opened.page.evaluate("window.__csp") == []
    headings = opened.page.locator("section h2").all_inner_texts()
    assert headings[0] == "1. General description of the AI system"
    assert len(headings) == 9
    assert "Gaps: 3" in opened.page.inner_text("#gap-count")
    pdf = opened.page.pdf(format="A4")
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert pages >= 9  # each point starts a page when printed
    opened.close()


# -- the evidence bundle's optional member ---------------------------------------------


def test_a_bundle_of_a_high_risk_model_carries_its_dossier_and_verifies(tmp_path: Path) -> None:
    import base64
    import json
    import tarfile

    from click.testing import CliRunner

    from aigov_gate.cli.main import cli

    repo = example_in_git(tmp_path)
    env = {"AIGOV_PRIVATE_KEY_DIR": str(tmp_path / "private")}
    runner = CliRunner()

    def aigov(*args: str) -> str:
        done = runner.invoke(cli, [*args, "--repo", str(repo)], env=env, catch_exceptions=False)
        assert done.exit_code == 0, done.output
        return done.output

    aigov("keys", "generate")
    bundle = tmp_path / "b.tar.gz"
    aigov(
        "gate",
        "--evidence",
        str(bundle),
        "--stage",
        "deploy",
        "-e",
        "staging",
        "--as-of",
        "2026-12-08",
    )
    with tarfile.open(bundle, "r:gz") as tar:
        found = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]
    member = found["evidence/annex-iv.md"].decode()
    assert member == markdown(dossier_of(repo, "credit-scoring@2.3.0"))
    envelope = json.loads(found["signature.dsse.json"])
    statement = json.loads(base64.b64decode(envelope["payload"]))
    assert statement["predicate"]["parts"]["annexIv"] == "annex-iv.md"
    assert "annex-iv.md" in {s["name"] for s in statement["subject"]}
    verify = runner.invoke(
        cli, ["evidence", "verify", str(bundle), "--keyring", str(repo / ".aigov/keys")], env=env
    )
    assert verify.exit_code == 0, verify.output


def test_a_change_cannot_postpone_annex_iv_for_itself(tmp_path: Path) -> None:
    """The date in force is the base's: a PR moving it in .aigov.yaml does not pass."""
    from datetime import UTC, datetime

    from aigov_gate.gate import GateOptions, build
    from aigov_gate.gate.checks import AnnexIv

    repo = example_in_git(tmp_path)
    git(repo, "checkout", "-q", "-b", "change")
    config = repo / ".aigov.yaml"
    config.write_text(
        config.read_text()
        + "compliance:\n  applies_from:\n    eu-ai-act:\n      Annex IV:\n"
        + "        applies_from: 2030-01-01\n        reason: our own reading\n"
    )
    git(repo, "commit", "-q", "-am", "Postpone Annex IV")

    def found(base: str | None) -> list[str]:
        options = GateOptions(
            stage="deploy", environment="production", as_of=date(2028, 1, 1), base=base
        )
        now = datetime(2026, 12, 8, tzinfo=UTC)
        run = build(repo, load_config(find_config(repo)), options, now, {})
        return [f.rule_id for f in AnnexIv().evaluate(run)]

    assert found(None) == []  # the change's own reading, when nothing else judges
    assert found("main") == ["eu-ai-act.annex-iv-incomplete"]
