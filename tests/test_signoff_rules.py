"""The sign-off rules on their own: roles, teams, separation of duties, counts.

``evaluate`` gets a real assessment validated from YAML and a provider's votes as plain
data (``Source``), with a team lookup standing in for the GitHub/GitLab API: the API
itself is tested against a real HTTP server in test_signoff.py. These cases are the ones
the mutation sample of signoff/rules.py showed nothing else would catch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import gate_repo as g
import pytest
from conftest import WriteRepo

from aigov_gate.config import AigovConfig, load_config
from aigov_gate.errors import ProviderError
from aigov_gate.references import Checked
from aigov_gate.result import SignOff
from aigov_gate.signoff.model import Source, TeamLookup, Vote
from aigov_gate.signoff.rules import describe, digest, evaluate, subject_of
from aigov_gate.validation import validate_repo

ROLES = """\
organization: acme
roles:
  risk_assessor: [dana]
  risk_approver: [miguel, "@acme/risk-office"]
  security_admin: [sam, "@acme/security"]
"""

TEAMS: Mapping[str, tuple[str, ...]] = {
    "@acme/risk-office": ("Tess", "rita"),
    "@acme/security": ("sec.one",),
}


def _assessment(write_repo: WriteRepo, level: str = "high") -> tuple[Checked, AigovConfig]:
    risk = g.risk(approvers=()).replace("risk_level: high", f"risk_level: {level}")
    repo: Path = write_repo({".aigov.yaml": ROLES, "risk.yaml": risk})
    config = load_config(repo / ".aigov.yaml")
    [doc] = validate_repo(repo, config).documents
    return doc, config


def _lookup(teams: Mapping[str, tuple[str, ...]]) -> TeamLookup:
    """A team lookup answering from ``teams``; ``@acme/broken`` fails as an API would."""

    def members(team: str) -> frozenset[str]:
        if team == "@acme/broken":
            raise ProviderError("GET /orgs/acme/teams/broken/members -> 403: forbidden")
        return frozenset(teams.get(team, ()))

    return members


_teams = _lookup(TEAMS)


def _verdict(
    write_repo: WriteRepo,
    *users: str,
    author: str = "lena",
    level: str = "high",
    teams: Mapping[str, tuple[str, ...]] | None = TEAMS,
) -> SignOff:
    doc, config = _assessment(write_repo, level)
    votes = tuple(Vote(u) for u in users)
    lookup = None if teams is None else _lookup(teams)
    source = Source("github", "PR #7", votes, author=author, teams=lookup)
    return evaluate(subject_of(doc, config), config, source)


def _counted(verdict: SignOff) -> dict[str, str]:
    return {c.user: c.role for c in verdict.counted}


def _discarded(verdict: SignOff) -> dict[str, str]:
    return {d.user: d.reason for d in verdict.discarded}


def test_a_team_member_counts_and_a_stranger_does_not(write_repo: WriteRepo) -> None:
    verdict = _verdict(write_repo, "tess", "sam", "mallory")
    assert _counted(verdict) == {"tess": "risk_approver", "sam": "security_admin"}
    assert _discarded(verdict) == {
        "mallory": "holds none of the approver roles (risk_approver, security_admin)"
    }
    assert verdict.missing == ()


def test_a_team_membership_that_cannot_be_resolved_counts_nobody(write_repo: WriteRepo) -> None:
    verdict = _verdict(write_repo, "tess", "sam", teams=None)
    assert "tess" in _discarded(verdict) and _counted(verdict) == {"sam": "security_admin"}
    assert verdict.notes[0] == (
        "members of @acme/risk-office unknown: teams are resolved only by the github and "
        "gitlab providers"
    )
    assert verdict.missing == ("1 more risk_approver (any of miguel, @acme/risk-office)",)


def test_the_author_and_the_assessor_cannot_approve(write_repo: WriteRepo) -> None:
    verdict = _verdict(write_repo, "Miguel", "DANA", "sam", author="miguel")
    assert _discarded(verdict) == {
        "Miguel": "authored the pull request (separation of duties)",
        "DANA": "is the assessor (separation of duties)",
    }
    assert _counted(verdict) == {"sam": "security_admin"}
    # nobody else named holds risk_approver but the team, and miguel is taken
    assert verdict.missing == ("1 more risk_approver (any of @acme/risk-office)",)


def test_one_person_counts_once(write_repo: WriteRepo) -> None:
    verdict = _verdict(write_repo, "sam", "SAM", "miguel")
    assert _discarded(verdict) == {"SAM": "already counted once"}
    assert len(verdict.counted) == 2 and verdict.missing == ()


def test_two_people_fill_two_slots_whatever_order_they_vote_in(write_repo: WriteRepo) -> None:
    # critical: 1 risk_approver and 1 security_admin. sam holds only security_admin;
    # a member of both teams must take risk_approver for both slots to be filled.
    teams = {**TEAMS, "@acme/security": ("sec.one", "tess")}
    verdict = _verdict(write_repo, "tess", "sam", level="critical", teams=teams)
    assert _counted(verdict) == {"tess": "risk_approver", "sam": "security_admin"}
    assert verdict.missing == ()


def test_missing_counts_say_how_many_and_who(write_repo: WriteRepo) -> None:
    verdict = _verdict(write_repo)
    assert verdict.required == "high risk needs 2 approvals, at least 1 risk_approver"
    assert verdict.missing == (
        "1 more risk_approver (any of miguel, @acme/risk-office)",
        "1 more approval from risk_approver or security_admin",
    )
    verdict = _verdict(write_repo, "miguel")
    assert verdict.missing == ("1 more approval from risk_approver or security_admin",)


def test_a_claimed_role_must_be_held(write_repo: WriteRepo) -> None:
    doc, config = _assessment(write_repo)
    votes = (
        Vote("sam", role="risk_approver"),
        Vote("miguel", role="risk_assessor"),
        Vote("rita", role="risk_approver"),
    )
    verdict = evaluate(
        subject_of(doc, config), config, Source("recorded", "YAML", votes, teams=_teams)
    )
    assert _discarded(verdict) == {
        "sam": "is not a risk_approver in .aigov.yaml",
        "miguel": "risk_assessor is not an approver role (risk_approver, security_admin)",
    }
    assert _counted(verdict) == {"rita": "risk_approver"}


def test_a_team_lookup_error_is_a_note_not_a_member(write_repo: WriteRepo) -> None:
    doc, config = _assessment(write_repo)
    config.roles["risk_approver"] = ["@acme/broken"]
    verdict = evaluate(
        subject_of(doc, config), config, Source("github", "PR #7", (Vote("tess"),), teams=_teams)
    )
    assert "tess" in _discarded(verdict)
    assert verdict.notes == (
        "members of @acme/broken unknown: GET /orgs/acme/teams/broken/members -> 403: forbidden",
    )


def test_the_verdict_names_the_claim_and_the_digest(write_repo: WriteRepo) -> None:
    doc, _ = _assessment(write_repo)
    verdict = _verdict(write_repo)
    assert verdict.claimed is True  # approval_status: approved
    assert verdict.digest == digest(doc.raw.data) and len(verdict.digest) == 64


def test_describe_uses_singular_and_plural() -> None:
    from aigov_gate.config import Requirement

    assert describe("low", Requirement(approvals=1)) == "low risk needs 1 approval"
    assert describe("high", Requirement(approvals=2, roles={"risk_approver": 1})) == (
        "high risk needs 2 approvals, at least 1 risk_approver"
    )


@pytest.mark.parametrize("field", ["approvals", "approval_status"])
def test_the_digest_leaves_out_only_the_approval_fields(field: str) -> None:
    spec: dict[str, Any] = {"model": "m", "approvals": [], "approval_status": "a"}
    base: dict[str, Any] = {"kind": "RiskAssessment", "spec": spec}
    changed = {**base, "spec": {**spec, field: "other"}}
    assert digest(base) == digest(changed)
    assert digest(base) != digest({**base, "spec": {**spec, "model": "n"}})
    reordered = {"spec": dict(reversed(list(spec.items()))), "kind": "RiskAssessment"}
    assert digest(reordered) == digest(base)  # key order is not content


def test_the_digest_is_sha256_of_the_documented_canonical_json() -> None:
    # docs: sorted keys, no spaces, UTF-8 (not \u escapes), dates in ISO 8601
    from datetime import date

    doc = {"spec": {"model": "modèle", "approvals": [1], "due": date(2027, 1, 2)}, "kind": "R"}
    canonical = '{"kind":"R","spec":{"due":"2027-01-02","model":"modèle"}}'.encode()
    assert digest(doc) == hashlib.sha256(canonical).hexdigest()
