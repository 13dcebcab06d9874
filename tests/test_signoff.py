"""Risk sign-off: recorded approvals, GitHub reviews and GitLab approvals.

GitHub and GitLab are a real HTTP server on 127.0.0.1 (tests/forge.py); repositories are
real Git repositories in temp dirs; aigov runs as the installed command.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gate_repo as g
import pytest
from conftest import WriteRepo, git, run_aigov
from forge import GL_TOKEN, TOKEN, Forge, Reply, serve

#: Gates and keys here run on today's date (no --as-of): CI runs them under a fake clock too.
pytestmark = pytest.mark.dated

RISK = "risk/scorer.yaml"

GH_CONFIG = (
    g.CONFIG.replace("risk_approver: [miguel]", 'risk_approver: [miguel, "@acme/risk-office"]')
    + "signoff:\n  provider: github\n  max_retries: 1\n"
)
GL_CONFIG = GH_CONFIG.replace("provider: github", "provider: gitlab")


@pytest.fixture
def forge() -> Iterator[tuple[Forge, str]]:
    state = Forge()
    yield from ((state, base) for base in serve(state))


def gh_env(base: str, **extra: str) -> dict[str, str]:
    return {"GITHUB_API_URL": base, "GITHUB_REPOSITORY": "acme/gov", "GITHUB_TOKEN": TOKEN, **extra}


def gl_env(base: str, **extra: str) -> dict[str, str]:
    return {
        "CI_API_V4_URL": base + "/api/v4",
        "CI_PROJECT_ID": "42",
        "GITLAB_TOKEN": GL_TOKEN,
        **extra,
    }


def pr_repo(write_repo: WriteRepo, config: str = GH_CONFIG) -> tuple[Path, str]:
    """main: the assessment under review; branch 'change': it says approved. -> (repo, head)."""
    repo = write_repo(
        g.repo_files(
            {".aigov.yaml": config, RISK: g.risk(status="under_review", approvers=()), **g.DEPLOYED}
        )
    )
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "change")
    (repo / RISK).write_text(g.risk(approvers=()), encoding="utf-8")
    git(repo, "commit", "-q", "-am", "approve the assessment")
    return repo, git(repo, "rev-parse", "HEAD")


def github_pr(write_repo: WriteRepo, state: Forge) -> tuple[Path, str]:
    """The pull request #7 of :func:`pr_repo`, by lena, changing the assessment."""
    repo, head = pr_repo(write_repo)
    state.pull(7, author="lena", head=head)
    state.files[7] = [RISK]
    return repo, head


def gate(repo: Path, env: dict[str, str], *args: str) -> tuple[int, dict[str, Any], str]:
    done = run_aigov("gate", "--repo", str(repo), "--format", "json", *args, env=env)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout), done.stderr


def rules(report: dict[str, Any]) -> list[str]:
    return [f["rule_id"] for f in report["findings"] if f["rule_id"].startswith("signoff.")]


def signoff(report: dict[str, Any]) -> dict[str, Any]:
    [entry] = report["signoff"]
    assert isinstance(entry, dict)
    return entry


def test_github_pr_blocks_until_two_people_in_the_right_roles_approve_the_head(
    write_repo: WriteRepo, forge: tuple[Forge, str]
) -> None:
    state, base = forge
    repo, head = pr_repo(write_repo)
    state.pull(7, author="lena", head=head)
    state.files[7] = [RISK, "models/scorer.yaml"]
    env = gh_env(base)
    args = ("--base", "main", "--pr", "7")

    code, report, _ = gate(repo, env, *args)
    assert code == 1 and rules(report) == ["signoff.unverified"]
    entry = signoff(report)
    assert entry["ref"] == "PR #7" and entry["head"] == head and entry["approved"] == []
    assert entry["missing"] == [
        "1 more risk_approver (any of miguel, @acme/risk-office)",
        "1 more approval from risk_approver or security_admin",
    ]

    state.review(7, "miguel", "APPROVED", head)
    state.review(7, "lena", "APPROVED", head)  # the author
    state.review(7, "dana", "APPROVED", head)  # the assessor
    state.review(7, "olga", "APPROVED", head)  # no approver role
    state.review(7, "sam", "APPROVED", "1" * 40)  # an earlier commit
    code, report, _ = gate(repo, env, *args)
    entry = signoff(report)
    assert code == 1
    assert entry["approved"] == [{"user": "miguel", "role": "risk_approver"}]
    assert entry["missing"] == ["1 more approval from risk_approver or security_admin"]
    assert {d["user"]: d["reason"] for d in entry["not_counted"]} == {
        "lena": "authored the pull request (separation of duties)",
        "dana": "is the assessor (separation of duties)",
        "olga": "holds none of the approver roles (risk_approver, security_admin)",
        "sam": f"approved 1111111, not the head {head[:7]} (stale)",
    }
    [finding] = [f for f in report["findings"] if f["rule_id"] == "signoff.unverified"]
    assert (finding["path"], finding["line"]) == (RISK, 11)
    assert any(d.startswith("still needed: 1 more approval") for d in finding["details"])
    # five reviews at two per page: the Link header was followed to page 3
    assert any(path.endswith("/reviews?page=3") for path, _ in state.requests)

    state.review(7, "sam", "APPROVED", head)
    code, report, _ = gate(repo, env, *args)
    assert (code, rules(report)) == (0, [])
    assert signoff(report)["approved"] == [
        {"user": "miguel", "role": "risk_approver"},
        {"user": "sam", "role": "security_admin"},
    ]
    done = run_aigov("gate", "--repo", str(repo), "--format", "markdown", *args, env=env)
    assert "### Risk sign-off" in done.stdout
    assert "miguel (risk_approver), sam (security_admin)" in done.stdout
    assert TOKEN not in done.stdout + done.stderr


def test_github_latest_review_decides_and_teams_come_from_the_teams_api(
    write_repo: WriteRepo, forge: tuple[Forge, str]
) -> None:
    state, base = forge
    repo, head = github_pr(write_repo, state)
    state.teams["acme/risk-office"] = ["ana", "tess", "bo"]
    state.review(7, "tess", "APPROVED", head)
    state.review(7, "tess", "COMMENTED", head)  # a later comment keeps the approval
    state.review(7, "sam", "APPROVED", head)
    state.review(7, "sam", "DISMISSED", head)
    state.review(7, "miguel", "APPROVED", head)
    state.review(7, "miguel", "CHANGES_REQUESTED", head)
    code, report, _ = gate(repo, gh_env(base), "--pr", "7")  # files from the API
    entry = signoff(report)
    assert code == 1
    assert entry["approved"] == [{"user": "tess", "role": "risk_approver"}]
    assert {d["user"]: d["reason"] for d in entry["not_counted"]} == {
        "sam": "review dismissed",
        "miguel": "latest review is changes_requested",
    }
    assert any("/orgs/acme/teams/risk-office/members" in p for p, _ in state.requests)


def test_github_rate_limits_are_waited_out_and_errors_fail_closed(
    write_repo: WriteRepo, forge: tuple[Forge, str]
) -> None:
    state, base = forge
    repo, head = github_pr(write_repo, state)
    state.review(7, "miguel", "APPROVED", head)
    state.review(7, "sam", "APPROVED", head)
    reviews = "/repos/acme/gov/pulls/7/reviews"
    limited = {"X-RateLimit-Remaining": "0", "Retry-After": "1"}
    state.fail(reviews, Reply(403, {"message": "API rate limit exceeded"}, limited))
    code, report, _ = gate(repo, gh_env(base), "--pr", "7")
    assert (code, rules(report)) == (0, [])

    state.fail(reviews, Reply(429, {"message": "slow down"}, {"Retry-After": "3600"}))
    code, report, _ = gate(repo, gh_env(base), "--pr", "7")
    [f] = report["findings"]
    assert (code, f["rule_id"]) == (1, "signoff.unavailable")
    assert "429: rate limited: slow down" in f["message"] and "retry after 3600 s" in f["hint"]

    state.fail(reviews, *[Reply(500, {"message": "Server Error"})] * 2)
    code, report, _ = gate(repo, gh_env(base), "--pr", "7")
    [f] = report["findings"]
    assert f["rule_id"] == "signoff.unavailable" and "500: Server Error" in f["message"]

    code, report, _ = gate(repo, gh_env(base), "--pr", "99")
    [f] = report["findings"]
    assert "GET /repos/acme/gov/pulls/99 -> 404: not found: Not Found" in f["message"]

    env = gh_env(base, GITHUB_TOKEN="ghp_wrong_token_also_secret")
    done = run_aigov("gate", "--repo", str(repo), "--pr", "7", env=env)
    assert done.returncode == 1
    assert "the token was rejected: Bad credentials" in done.stdout
    assert "ghp_wrong_token_also_secret" not in done.stdout + done.stderr

    code, report, _ = gate(repo, {"GITHUB_REPOSITORY": "acme/gov"}, "--pr", "7")
    [f] = report["findings"]
    assert "no GitHub token" in f["message"] and "GITHUB_TOKEN" in f["hint"]


def test_github_event_file_names_the_pull_request_and_the_evaluated_head(
    write_repo: WriteRepo, forge: tuple[Forge, str], tmp_path: Path
) -> None:
    state, base = forge
    repo, head = pr_repo(write_repo)
    newer = "2" * 40  # pushed after this run started: reviews on it are for other content
    state.pull(7, author="lena", head=newer)
    state.files[7] = [RISK]
    state.review(7, "miguel", "APPROVED", head)
    state.review(7, "sam", "APPROVED", head)
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps({"action": "submitted", "pull_request": {"number": 7, "head": {"sha": head}}})
    )
    code, report, _ = gate(repo, gh_env(base, GITHUB_EVENT_PATH=str(event)))
    assert (code, rules(report), signoff(report)["head"]) == (0, [], head)


def test_merge_without_a_pull_request_is_noted_not_guessed(write_repo: WriteRepo) -> None:
    repo = write_repo(g.repo_files({".aigov.yaml": GH_CONFIG, RISK: g.risk(approvers=())}))
    code, report, _ = gate(repo, {})
    assert (code, rules(report)) == (0, ["signoff.not-checked"])


def test_deploy_gate_reverifies_through_the_pull_request_that_last_changed_it(
    write_repo: WriteRepo, forge: tuple[Forge, str]
) -> None:
    state, base = forge
    repo, head = pr_repo(write_repo)
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "-m", "Merge pull request #7", "change")
    merge = git(repo, "rev-parse", "HEAD")
    (repo / "models/notes.txt").write_text("unrelated\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "later, unrelated")
    state.pull(7, author="lena", head=head, merged=True)
    state.files[7] = [RISK]
    state.commit_pulls[head] = [7]
    state.commit_pulls[merge] = [7]
    state.review(7, "miguel", "APPROVED", head)
    deploy = ("--stage", "deploy", "-e", "production")
    code, report, _ = gate(repo, gh_env(base), *deploy)
    assert code == 1 and rules(report) == ["signoff.unverified"]
    assert signoff(report)["ref"] == "PR #7"

    state.review(7, "sam", "APPROVED", head)
    code, report, _ = gate(repo, gh_env(base), *deploy)
    assert (code, rules(report)) == (0, [])
    assert any(f"/commits/{head}/pulls" in p for p, _ in state.requests)

    # an edit straight on main, with no pull request: nothing verifies it
    (repo / RISK).write_text(
        g.risk(approvers=()).replace("four weeks", "five weeks"), encoding="utf-8"
    )
    git(repo, "commit", "-q", "-am", "direct edit")
    code, report, _ = gate(repo, gh_env(base), *deploy)
    [f] = [f for f in report["findings"] if f["rule_id"].startswith("signoff.")]
    assert f["rule_id"] == "signoff.unavailable"
    assert "came from no merged pull request that changed it" in f["message"]


def test_approvals_status_command(write_repo: WriteRepo, forge: tuple[Forge, str]) -> None:
    state, base = forge
    repo, head = github_pr(write_repo, state)
    state.review(7, "miguel", "APPROVED", head)
    state.review(7, "lena", "APPROVED", head)
    done = run_aigov(
        "approvals", "status", "--repo", str(repo), "--pr", "7", env=gh_env(base), process=True
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines()[0] == "sign-off (github, PR #7)"
    assert "      approved: miguel as risk_approver" in done.stdout
    assert "      still needed: 1 more approval from risk_approver or security_admin" in done.stdout
    assert (
        "      not counted: lena: authored the pull request (separation of duties)" in done.stdout
    )
    done = run_aigov("approvals", "status", "--repo", str(repo), "--pr", "8", env=gh_env(base))
    assert done.returncode == 2
    assert done.stderr.startswith("error: GitHub API: GET /repos/acme/gov/pulls/8 -> 404")


def test_gitlab_approvals_with_reset_on_push(
    write_repo: WriteRepo, forge: tuple[Forge, str]
) -> None:
    state, base = forge
    repo, head = pr_repo(write_repo, GL_CONFIG)
    state.mr(5, author="lena", head=head)
    state.files[5] = [RISK]
    state.groups["acme/risk-office"] = ["tess"]
    state.approve(5, "lena", "2026-02-02T10:00:00.000Z")
    state.approve(5, "tess", "2026-02-02T11:00:00.000Z")
    env = gl_env(base, CI_MERGE_REQUEST_IID="5")
    code, report, _ = gate(repo, env)
    entry = signoff(report)
    assert code == 1 and entry["ref"] == "MR !5"
    assert entry["approved"] == [{"user": "tess", "role": "risk_approver"}]
    assert entry["not_counted"] == [
        {"user": "lena", "reason": "authored the pull request (separation of duties)"}
    ]
    state.approve(5, "sam", "2026-02-02T12:00:00.000Z")
    assert gate(repo, env)[0] == 0


def test_gitlab_without_reset_on_push_counts_only_approvals_after_the_last_push(
    write_repo: WriteRepo, forge: tuple[Forge, str]
) -> None:
    state, base = forge
    repo, head = pr_repo(write_repo, GL_CONFIG)
    state.reset_on_push = False
    state.mr(5, author="lena", head=head)
    state.files[5] = [RISK]
    state.versions[5] = ["2026-02-01T10:00:00.000Z", "2026-02-03T10:00:00.000Z"]
    state.approve(5, "miguel", "2026-02-02T10:00:00.000Z")  # before the second push
    state.approve(5, "sam", None)  # an older GitLab: no time given
    code, report, _ = gate(repo, gl_env(base, CI_MERGE_REQUEST_IID="5"))
    entry = signoff(report)
    assert code == 1 and entry["approved"] == []
    reasons = {d["user"]: d["reason"] for d in entry["not_counted"]}
    assert reasons["miguel"].endswith("before the latest push at 2026-02-03T10:00:00+00:00 (stale)")
    assert "turn on reset_approvals_on_push" in reasons["sam"]
    state.approvals[5] = []
    state.approve(5, "miguel", "2026-02-04T10:00:00.000Z")
    state.approve(5, "sam", "2026-02-04T11:00:00.000Z")
    assert gate(repo, gl_env(base, CI_MERGE_REQUEST_IID="5"))[0] == 0


def test_recorded_approvals_bind_to_the_content(write_repo: WriteRepo) -> None:
    repo = write_repo(g.repo_files())
    code, report, _ = gate(repo, {})
    assert (code, rules(report)) == (0, [])
    assert signoff(report)["provider"] == "recorded"

    # an edit after approval makes both approvals stale
    edited = (repo / RISK).read_text().replace("Shadow run for four weeks.", "Two weeks.")
    (repo / RISK).write_text(edited)
    code, report, _ = gate(repo, {})
    entry = signoff(report)
    assert code == 1 and rules(report) == ["signoff.unverified"]
    assert all("edited after approval (stale)" in d["reason"] for d in entry["not_counted"])

    # re-approving the new digest (shown by approvals status) verifies again
    done = run_aigov("approvals", "status", "--repo", str(repo))
    new = done.stdout.split("digest to record: ")[1].split()[0]
    text = g.RISK.format(status="approved", prod="true", review=g.REVIEW, met="true")
    text = text.replace("Shadow run for four weeks.", "Two weeks.")
    (repo / RISK).write_text(
        g.record(text, (("miguel", "risk_approver"), ("sam", "security_admin")), new)
    )
    assert gate(repo, {})[0] == 0


def test_recorded_roles_and_counting(write_repo: WriteRepo) -> None:
    config = g.CONFIG.replace("security_admin: [sam]", "security_admin: [sam, miguel]")
    critical = g.RISK.replace("risk_level: high", "risk_level: critical")
    text = critical.format(status="approved", prod="true", review=g.REVIEW, met="true")
    files = {".aigov.yaml": config}
    # miguel holds both roles but counts once; sam fills security_admin, miguel risk_approver
    files[RISK] = g.record(
        text, (("sam", "security_admin"), ("miguel", "risk_approver"), ("miguel", "security_admin"))
    )
    code, report, _ = gate(write_repo(g.repo_files(files)), {})
    entry = signoff(report)
    assert (code, entry["approved"]) == (
        0,
        [
            {"user": "sam", "role": "security_admin"},
            {"user": "miguel", "role": "risk_approver"},
        ],
    )
    assert entry["not_counted"] == [{"user": "miguel", "reason": "already counted once"}]
    assert (
        entry["required"]
        == "critical risk needs 2 approvals, at least 1 risk_approver and 1 security_admin"
    )

    # a role the approver does not hold, and a role that may not approve
    files[RISK] = g.record(text, (("sam", "risk_approver"), ("dana", "risk_assessor")))
    code, report, _ = gate(write_repo(g.repo_files(files)), {})
    reasons = {d["user"]: d["reason"] for d in signoff(report)["not_counted"]}
    assert code == 1
    assert reasons == {
        "sam": "is not a risk_approver in .aigov.yaml",
        "dana": "is the assessor (separation of duties)",
    }


def test_signoff_config_errors_name_the_line(write_repo: WriteRepo) -> None:
    bad = (
        g.CONFIG
        + "signoff:\n  required:\n"
        + "    high: {approvals: 1, roles: {risk_approver: 1, security_admin: 1}}\n"
    )
    done = run_aigov("gate", "--repo", str(write_repo(g.repo_files({".aigov.yaml": bad}))))
    assert done.returncode == 2
    assert (
        f".aigov.yaml:{g.CONFIG.count(chr(10)) + 3}:5:" in done.stderr  # the 'high:' line
        and "role minimums add up to more than approvals" in done.stderr
    )
    typo = g.CONFIG.replace("risk_approver: [miguel]", "risk_aprover: [miguel]")
    done = run_aigov("gate", "--repo", str(write_repo(g.repo_files({".aigov.yaml": typo}))))
    assert done.returncode == 2 and "risk_aprover" in done.stderr and "risk_approver" in done.stderr
