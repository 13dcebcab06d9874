"""Roles, separation of duties and required counts, applied to a provider's votes.

>>> from aigov_gate.config import SignOffConfig
>>> SignOffConfig().requirement("critical").roles
{'risk_approver': 1, 'security_admin': 1}
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from aigov_gate.config import AigovConfig, Requirement
from aigov_gate.documents.base import Approval
from aigov_gate.documents.policy import Waiver
from aigov_gate.documents.risk import RiskAssessment
from aigov_gate.documents.testing import TestPlan, TestRun
from aigov_gate.errors import ProviderError
from aigov_gate.identity import normalise, same
from aigov_gate.references import Checked
from aigov_gate.result import Counted, Discarded, Location, SignOff
from aigov_gate.signoff.model import Source, TeamLookup

#: Fields of ``spec`` left out of the digest: approving must not change what was approved.
APPROVAL_FIELDS = ("approvals", "approval_status")


def digest(data: Mapping[str, Any]) -> str:
    """sha256 of the document's content without its approval fields (canonical JSON).

    The JSON has sorted keys, no spaces, UTF-8, and dates in ISO 8601. Comments, key order
    and quoting do not change it; any value outside ``spec.approvals`` and
    ``spec.approval_status`` does.
    """
    spec = data.get("spec")
    content = dict(data)
    if isinstance(spec, Mapping):
        content["spec"] = {k: v for k, v in spec.items() if k not in APPROVAL_FIELDS}
    text = json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _iso(value: object) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"cannot digest {type(value).__name__}")


def describe(level: str, req: Requirement, roles: Sequence[str] = ()) -> str:
    """``high risk needs 2 approvals, at least 1 risk_approver``; a waiver names its roles."""
    plural = "s" if req.approvals > 1 else ""
    if level in ("waiver", "plan", "run"):
        what = {"waiver": "a waiver", "plan": "a loosened test plan", "run": "a test run"}[level]
        return f"{what} needs {req.approvals} approval{plural} from {' or '.join(roles)}"
    text = f"{level} risk needs {req.approvals} approval{plural}"
    if req.roles:
        text += ", at least " + " and ".join(f"{n} {role}" for role, n in req.roles.items())
    return text


@dataclass(frozen=True, slots=True)
class Subject:
    """What is signed off (a RiskAssessment, a Waiver, a loosened TestPlan, an authority
    change), and by whom.

    ``excluded`` are people who may not approve it, each with the reason (the assessor of
    an assessment; for a waiver, the assessor of the waived model and its owner).
    """

    kind: str
    name: str
    organization: str
    level: str
    requirement: Requirement
    approver_roles: tuple[str, ...]
    excluded: tuple[tuple[str, str], ...]
    claimed: bool
    location: Location
    digest: str
    path: str  # the file holding its recorded approvals
    approvals: tuple[Approval, ...] = ()

    @property
    def required(self) -> str:
        return describe(self.level, self.requirement, self.approver_roles)


def subject_of(
    doc: Checked, aigov: AigovConfig, assessors: Mapping[str, str] | None = None
) -> Subject:
    """The sign-off ``doc`` needs under ``aigov`` (``assessors``: model name -> assessor)."""
    model = doc.model
    if isinstance(model, Waiver):
        spec = model.spec
        excluded: list[tuple[str, str]] = []
        if spec.target.kind == "Model" and assessors and spec.target.name in assessors:
            who = assessors[spec.target.name]
            excluded.append((who, "assessed the waived model (separation of duties)"))
        if model.metadata.owner:
            excluded.append((model.metadata.owner, "owns the waiver (separation of duties)"))
        return Subject(
            "Waiver",
            model.metadata.name,
            doc.organization,
            "waiver",
            Requirement(approvals=aigov.waivers.approvals),
            tuple(aigov.waivers.approver_roles),
            tuple(excluded),
            True,
            doc.raw.locate(("spec", "approved_by"), key=True),
            digest(doc.raw.data),
            doc.raw.source.path,
            tuple(spec.approvals),
        )
    if isinstance(model, TestPlan | TestRun):  # a loosened plan; a run vouched for by people
        return _test_subject(doc, model, aigov)
    assert isinstance(model, RiskAssessment)
    risk = model.spec
    location = (
        doc.raw.locate(("spec", "approval_status"), key=True)
        if "approval_status" in risk.model_fields_set
        else doc.raw.locate(("metadata", "name"))
    )
    return Subject(
        "RiskAssessment",
        model.metadata.name,
        doc.organization,
        risk.risk_level,
        aigov.signoff.requirement(risk.risk_level),
        tuple(aigov.signoff.approver_roles),
        ((risk.assessor, "is the assessor (separation of duties)"),),
        risk.approval_status == "approved",
        location,
        digest(doc.raw.data),
        doc.raw.source.path,
        tuple(risk.approvals),
    )


def _test_subject(doc: Checked, model: TestPlan | TestRun, aigov: AigovConfig) -> Subject:
    """A TestPlan loosened with new results (the waiver approvers sign it), or a TestRun
    (``testing.attestation``'s approvers, docs/testing.md)."""
    if isinstance(model, TestPlan):
        kind, level, roles = "TestPlan", "plan", aigov.waivers.approver_roles
        needed = aigov.waivers.approvals
    else:
        wanted = aigov.testing.attestation
        kind, level, roles, needed = "TestRun", "run", wanted.approver_roles, wanted.approvals
    return Subject(
        kind,
        model.metadata.name,
        doc.organization,
        level,
        Requirement(approvals=needed),
        tuple(roles),
        (),
        True,
        doc.raw.locate(("metadata", "name")),
        digest(doc.raw.data),
        doc.raw.source.path,
        tuple(model.spec.approvals),
    )


class _Roles:
    """Which approver roles a user holds, with teams looked up once each."""

    def __init__(
        self, roles: Mapping[str, Sequence[str]], approver: Sequence[str], teams: TeamLookup | None
    ) -> None:
        self.roles = roles
        self.approver = approver
        self.teams = teams
        self._members: dict[str, frozenset[str] | str] = {}
        self.notes: list[str] = []

    def _team(self, team: str) -> frozenset[str] | str:
        if team not in self._members:
            if self.teams is None:
                found: frozenset[str] | str = (
                    "teams are resolved only by the github and gitlab providers"
                )
            else:
                try:
                    found = frozenset(normalise(u) for u in self.teams(team))
                except ProviderError as exc:
                    found = exc.message
            self._members[team] = found
            if isinstance(found, str):
                self.notes.append(f"members of {team} unknown: {found}")
        return self._members[team]

    def holds(self, user: str, role: str) -> bool:
        who = normalise(user)
        for member in self.roles.get(role, ()):
            if member.startswith("@"):
                members = self._team(member)
                if not isinstance(members, str) and who in members:
                    return True
            elif normalise(member) == who:
                return True
        return False

    def held(self, user: str) -> list[str]:
        return [role for role in self.approver if self.holds(user, role)]


def _assign(eligible: dict[str, list[str]], slots: list[str]) -> dict[int, str]:
    """Fill role slots with distinct people (maximum bipartite matching, Kuhn's method)."""
    match: dict[int, str] = {}

    def place(user: str, seen: set[int]) -> bool:
        for i, role in enumerate(slots):
            if role in eligible[user] and i not in seen:
                seen.add(i)
                if i not in match or place(match[i], seen):
                    match[i] = user
                    return True
        return False

    for user in eligible:
        place(user, set())
    return match


def evaluate(subject: Subject, aigov: AigovConfig, source: Source) -> SignOff:
    """The verdict on ``source``'s votes for ``subject``, by ``aigov``'s roles and counts."""
    roles: dict[str, list[str]] = {str(role): list(who) for role, who in aigov.roles.items()}
    req = subject.requirement
    approver = subject.approver_roles
    lookup = _Roles(roles, approver, source.teams)
    discarded = list(source.discarded)
    eligible: dict[str, list[str]] = {}
    seen: set[str] = set()
    excluded = list(subject.excluded)
    if source.author:
        excluded.insert(0, (source.author, "authored the pull request (separation of duties)"))
    for vote in source.votes:
        who = normalise(vote.user)
        if who in seen:
            discarded.append(Discarded(vote.user, "already counted once"))
            continue
        seen.add(who)
        reason = next((why for person, why in excluded if same(person, vote.user)), None)
        held = lookup.held(vote.user)
        if reason is None and vote.role is not None:
            reason = _claimed(vote.role, held, approver)
            held = [vote.role] if reason is None else held
        if reason is None and not held:
            reason = f"holds none of the approver roles ({', '.join(approver)})"
        if reason is not None:
            discarded.append(Discarded(vote.user, reason))
        else:
            eligible[vote.user] = held
    slots: list[str] = [role for role, n in req.roles.items() for _ in range(n)]
    match = _assign(eligible, slots)
    as_role = {user: slots[i] for i, user in match.items()}
    counted = tuple(Counted(user, as_role.get(user, held[0])) for user, held in eligible.items())
    taken = {normalise(p) for p, _ in excluded} | {normalise(u) for u in eligible}
    missing = _missing(req, slots, match, len(eligible), approver, roles, taken)
    return SignOff(
        assessment=subject.name,
        organization=subject.organization,
        location=subject.location,
        risk_level=subject.level,
        claimed=subject.claimed,
        provider=source.provider,
        ref=source.ref,
        url=source.url,
        head=source.head,
        required=subject.required,
        counted=counted,
        discarded=tuple(discarded),
        missing=missing,
        digest=subject.digest,
        notes=tuple(lookup.notes) + source.notes,
        kind=subject.kind,
    )


def _claimed(role: str, held: list[str], approver: Sequence[str]) -> str | None:
    if role not in approver:
        return f"{role} is not an approver role ({', '.join(approver)})"
    if role not in held:
        return f"is not a {role} in .aigov.yaml"
    return None


def _missing(
    req: Requirement,
    slots: list[str],
    match: dict[int, str],
    count: int,
    approver: Sequence[str],
    roles: Mapping[str, Sequence[str]],
    taken: set[str],
) -> tuple[str, ...]:
    open_slots: dict[str, int] = {}
    for i, role in enumerate(slots):
        if i not in match:
            open_slots[role] = open_slots.get(role, 0) + 1
    out = []
    for role, n in open_slots.items():
        out.append(f"{n} more {role} ({_candidates(roles.get(role, ()), taken)})")
    extra = max(req.approvals - count, sum(open_slots.values())) - sum(open_slots.values())
    if extra:
        names = " or ".join(approver)
        out.append(f"{extra} more approval{'s' if extra > 1 else ''} from {names}")
    return tuple(out)


def _candidates(members: Sequence[str], taken: set[str]) -> str:
    free = [m for m in members if normalise(m) not in taken]
    return "any of " + ", ".join(free) if free else "nobody else in .aigov.yaml holds it"
