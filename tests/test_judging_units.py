"""The pieces that judge a change, in-process: waiver dates and approvers, whose keys count,
and how names are compared (issue 33, items 4 to 6). The attacks themselves, on real Git
repositories, are in test_base_judges.py; these pin the edges (one day more or less, the
order of checks) that mutation testing found untested.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path

import gate_repo as g
import pytest
import sshsign
from conftest import WriteRepo, git

from aigov_gate.authority import from_base, from_worktree
from aigov_gate.config import load_config, parse_config
from aigov_gate.documents.policy import WaiverSpec
from aigov_gate.errors import ConfigError
from aigov_gate.git import open_base
from aigov_gate.graph import Graph
from aigov_gate.identity import invisible, lookalike, mixed, script
from aigov_gate.policy.waivers import apply_waivers, dated, vet
from aigov_gate.result import Finding, Location, Severity, Situation
from aigov_gate.signoff.check import assessors
from aigov_gate.validation import validate_repo

DAY = date(2026, 6, 1)
SHA = "ab" * 32


def spec(approved: date, expires: date, *signed: date) -> WaiverSpec:
    approvals = [
        {"approver": "miguel", "role": "risk_approver", "date": d, "digest": SHA} for d in signed
    ]
    return WaiverSpec.model_validate(
        {
            "policy": "metric.threshold",
            "target": {"kind": "Model", "name": "scorer"},
            "justification": "Accepted by the model risk committee until the retrain.",
            "approved_by": ["miguel"],
            "approved_at": approved,
            "expires": expires,
            "approvals": approvals,
        }
    )


def test_waiver_dates_at_each_edge() -> None:
    ninety = DAY + timedelta(days=90)
    assert dated(spec(DAY, ninety, DAY), 90, DAY) == []
    assert dated(spec(DAY, ninety), 90, DAY) == []  # no recorded approvals: today bounds it
    [(path, why)] = dated(spec(DAY, ninety, DAY), 90, DAY - timedelta(days=1))
    assert path == ("spec", "approved_at") and why == f"approved_at {DAY} is after today"
    early, late = DAY - timedelta(days=9), DAY - timedelta(days=1)
    [(path, why)] = dated(spec(DAY, ninety, early, late), 90, DAY)
    assert why == f"approved_at {DAY} is after its approvals were signed ({late})"
    assert dated(spec(late, ninety, early, late), 91, DAY) == []  # the latest signature
    [(path, why)] = dated(spec(DAY, ninety + timedelta(days=1), DAY), 90, DAY)
    assert (path, why) == (
        ("spec", "expires"),
        "expires 91 days after approved_at (waivers.max_days is 90)",
    )
    found = dated(spec(DAY, DAY - timedelta(days=1), DAY), 90, DAY)
    assert found == [(("spec", "approved_at"), "approved_at is after expires")]


def _graph(write_repo: WriteRepo, files: Mapping[str, str | bytes]) -> tuple[Graph, Path]:
    repo = write_repo(g.repo_files(files))
    return Graph(validate_repo(repo, load_config(repo / ".aigov.yaml")).documents), repo


def test_who_may_approve_a_waiver(write_repo: WriteRepo) -> None:
    config = g.CONFIG.replace("risk_approver: [miguel]", "risk_approver: [miguel, dana, lena]")
    waiver = g.waiver("metric.threshold", "2026-07-01", approved_at="2026-06-01").replace(
        "metadata: {name: w}", "metadata: {name: w, owner: lena}"
    )
    names = "[dana, lena, rita, m\u0456guel, miguel]"
    graph, repo = _graph(
        write_repo,
        {".aigov.yaml": config, "w.yaml": waiver.replace("[miguel]", names, 1)},
    )
    aigov = load_config(repo / ".aigov.yaml")
    reasons = [
        f.message.split(": ", 1)[1] for f in vet(graph.waivers, aigov, assessors(graph), DAY)
    ]
    assert reasons == [
        "dana assessed scorer: nobody accepts the risk of their own assessment",
        "lena owns the waiver",
        "rita holds none of risk_approver",
        "'m\u0456guel': U+0456 (CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I) looks like "
        "'i': 'm\u0456guel' imitates 'miguel'",
    ]
    unwaivable = g.waiver("risk.workflow", "2026-07-01", approved_by="[rita]")
    graph, _ = _graph(write_repo, {".aigov.yaml": config, "w.yaml": unwaivable})
    assert vet(graph.waivers, aigov, {}, DAY) == []  # waiver.not-allowed says it
    teams = config.replace("risk_approver: [miguel, dana, lena]", "risk_approver: ['@acme/risk']")
    forge = teams + "signoff: {provider: github}\n"
    rita = g.waiver(
        "metric.threshold", "2026-07-01", approved_at="2026-06-01", approved_by="[rita]"
    )
    graph, repo = _graph(write_repo, {".aigov.yaml": forge, "w.yaml": rita})
    assert vet(graph.waivers, load_config(repo / ".aigov.yaml"), {}, DAY) == []  # the forge asks
    graph, repo = _graph(write_repo, {".aigov.yaml": teams, "w.yaml": rita})
    [f] = vet(graph.waivers, load_config(repo / ".aigov.yaml"), {}, DAY)
    assert "rita holds none of risk_approver" in f.message


def _finding(rule: str, model: str = "", target: str = "") -> Finding:
    return Finding(rule, Severity.HIGH, "m", Location("x.yaml", 1, 1), target, model=model)


def test_what_a_waiver_matches(write_repo: WriteRepo) -> None:
    at = '{kind: Model, name: scorer, version: "2.0.0"}'
    files = {
        "w.yaml": g.waiver("metric.threshold", "2026-07-01", at, approved_at="2026-06-01"),
        "v.yaml": g.waiver(
            "dataset.license", "2026-07-01", "{kind: Dataset, name: loans}", name="v"
        ),
    }
    graph, _ = _graph(write_repo, files)
    findings = [
        _finding("metric.threshold", "scorer@2.0.0"),
        _finding("metric.threshold", "scorer@1.9.0"),
        _finding("metric.disparity", "scorer@2.0.0"),
        _finding("metric.threshold", "other@2.0.0"),
        _finding("dataset.license", target="Dataset/loans"),
        _finding("dataset.license", target="Dataset/other"),
    ]
    situation = Situation("merge", None, False, DAY)
    out = apply_waivers(findings, graph.waivers, situation, 14)
    assert [f.waived_by for f in out[: len(findings)]] == [
        "Waiver/w",
        "",
        "",
        "",
        "Waiver/v",
        "",
    ]


# -- whose keys count ------------------------------------------------------------------


def test_a_symlinked_or_missing_signers_file(write_repo: WriteRepo, tmp_path: Path) -> None:
    repo = write_repo(g.repo_files())
    config = load_config(repo / ".aigov.yaml")
    assert from_worktree(repo, config).signers is not None
    (repo / g.SIGNERS_FILE).unlink()
    trust = from_worktree(repo, config)
    assert trust.signers_text is None and trust.signers is None
    (tmp_path / "keys").write_text(sshsign.allowed_signers(), encoding="utf-8")
    (repo / g.SIGNERS_FILE).symlink_to(tmp_path / "keys")
    with pytest.raises(ConfigError, match="is a symbolic link"):
        from_worktree(repo, config)


def test_the_base_signers_file_has_a_size_limit(write_repo: WriteRepo) -> None:
    line = sshsign.allowed_signers(("miguel",))
    big = line * ((1 << 20) // len(line)) + "#" * ((1 << 20) % len(line))
    assert len(big.encode()) == 1 << 20
    repo = write_repo(g.repo_files({g.SIGNERS_FILE: big}))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a signers file of 1 MiB")
    config = load_config(repo / ".aigov.yaml")
    assert from_base(repo, config, open_base(repo, "main")).signers_text == big
    (repo / g.SIGNERS_FILE).write_text(big + "#", encoding="utf-8")
    git(repo, "commit", "-q", "-am", "one byte more")
    with pytest.raises(ConfigError, match="larger than 1048576 bytes"):
        from_base(repo, config, open_base(repo, "main"))


# -- names -----------------------------------------------------------------------------


def test_scripts_and_invisible_characters() -> None:
    assert [script(c) for c in "a\u0430\u0578\u5c71\u305f1.\u0301"] == [
        "Latn",
        "Cyrl",
        "Armn",
        "Hani",
        "Hira",
        "",
        "",
        "",
    ]
    assert invisible("a\u200bb\u00adc") == ["\u200b", "\u00ad"] and invisible("abc") == []
    assert mixed("dana") is None and mixed("\u5c71\u7530\u305f\u308d\u3046") is None
    assert mixed("\ud55c\u5c71") is None and mixed("\u3105\u5c71") is None
    assert (
        mixed("da\u0578a")
        == "it mixes scripts: U+0578 (ARMENIAN SMALL LETTER VO) is Armn, 'd' is Latn"
    )
    assert mixed("\u5c71a") is not None and mixed("\ud55c\u305f") is not None
    assert lookalike("\u0441\u0430m", ["sam"]) is not None  # all Cyrillic, imitates sam
    assert lookalike("\u0441\u0430\u0441", ["sam"]) is None  # all Cyrillic, imitates nobody


def test_a_waiver_waives_on_its_last_day_and_not_after(write_repo: WriteRepo) -> None:
    text = g.waiver("metric.threshold", "2026-06-01", approved_at="2026-05-01")
    graph, _ = _graph(write_repo, {"w.yaml": text})
    finding = _finding("metric.threshold", "scorer@2.0.0")
    [waived, expiring] = apply_waivers(
        [finding], graph.waivers, Situation("merge", None, False, DAY), 14
    )
    assert waived.waived_by == "Waiver/w" and expiring.rule_id == "waiver.expiring"
    later = Situation("merge", None, False, DAY + timedelta(days=1))
    [kept, expired] = apply_waivers([finding], graph.waivers, later, 14)
    assert kept.waived_by == "" and expired.rule_id == "waiver.expired"


# -- what an authority approval signs --------------------------------------------------


def test_the_authority_digest_is_sha256_of_canonical_json() -> None:
    import hashlib

    from aigov_gate.authority import digest_of

    text = '{"allowed_signers":"k","base":"b","runs":["r"],"settings":{"a":1,"é":[1,2]}}'
    expected = hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert digest_of({"é": [1, 2], "a": 1}, "k", base="b", runs=["r"]) == expected
    empty = '{"allowed_signers":null,"base":null,"runs":[],"settings":{}}'
    assert digest_of({}, None) == hashlib.sha256(empty.encode()).hexdigest()
    # the control documents' digest joins when they were read (the gate's --base run)
    controls = '{"allowed_signers":null,"base":null,"controls":"c","runs":[],"settings":{}}'
    assert digest_of({}, None, "c") == hashlib.sha256(controls.encode()).hexdigest()


def test_what_an_authority_change_says_and_where(write_repo: WriteRepo) -> None:
    repo = write_repo(g.repo_files())
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    many = ", ".join(f"approver{i:02d}" for i in range(30))
    config = g.CONFIG.replace("risk_approver: [miguel]", f"risk_approver: [miguel, {many}]")
    (repo / ".aigov.yaml").write_text(config, encoding="utf-8")
    (repo / g.SIGNERS_FILE).unlink()
    trust = from_base(repo, load_config(repo / ".aigov.yaml"), open_base(repo, "main"))
    roles, keys = trust.changes
    assert (roles.what, roles.location.path, roles.location.line) == ("roles", ".aigov.yaml", 5)
    assert (
        roles.before
        == '{"risk_approver":["miguel"],"risk_assessor":["dana"],"security_admin":["sam"]}'
    )
    assert len(roles.after) == 160 and roles.after.endswith("...")
    assert roles.after.startswith('{"risk_approver":["miguel","approver00",')
    assert (keys.what, keys.location.line, keys.location.column) == ("allowed_signers", 0, 0)
    assert (keys.before, keys.after) == ("6 line(s)", "0 line(s)")
    assert trust.digest() != from_worktree(repo, load_config(repo / ".aigov.yaml")).digest()
    assert trust.proposed_signers is None and trust.signers_text == sshsign.allowed_signers()
    (repo / ".aigov.yaml").unlink()
    trust = from_base(repo, parse_config(g.CONFIG, ".aigov.yaml"), open_base(repo, "main"))
    assert [(c.what, c.location.line) for c in trust.changes] == [("allowed_signers", 0)]


def test_only_rewritten_runs_are_listed_in_the_authority_digest(write_repo: WriteRepo) -> None:
    from dataclasses import replace

    from aigov_gate.authority import FIELDS, RULE, AuthorityChange, digest_of
    from aigov_gate.result import Location as Where

    repo = write_repo(g.repo_files())
    trust = from_worktree(repo, load_config(repo / ".aigov.yaml"))
    plain = trust.digest()
    where = Where(".aigov.yaml", 1, 1)
    trust.changes.append(AuthorityChange("roles", where, "a", "b"))
    assert trust.digest() == plain  # a setting is in the digest through its new value
    run = AuthorityChange("TestRun/r", where, "old", "deleted", "test.run-rewritten", "n")
    trust.changes.append(run)
    assert trust.digest() != plain and RULE == "authority.changed"
    trust.changes.append(replace(run, what="TestRun/a"))
    listed = ["TestRun/a: old -> deleted", "TestRun/r: old -> deleted"]
    full = trust.config.model_dump(mode="json", include=set(FIELDS))
    assert trust.digest() == digest_of(full, trust.proposed_signers, runs=listed)
