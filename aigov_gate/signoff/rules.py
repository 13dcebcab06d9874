"""Roles, separation of duties and required counts, applied to a provider's votes.

>>> from aigov_gate.config import SignOffConfig
>>> SignOffConfig().requirement("critical").roles
{'risk_approver': 1, 'security_admin': 1}
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from aigov_gate.config import AigovConfig, Requirement, SignOffConfig
from aigov_gate.documents.risk import RiskAssessment
from aigov_gate.errors import ProviderError
from aigov_gate.references import Checked
from aigov_gate.result import Counted, Discarded, SignOff
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


def describe(level: str, req: Requirement) -> str:
    """``high risk needs 2 approvals, at least 1 risk_approver``."""
    text = f"{level} risk needs {req.approvals} approval{'s' if req.approvals > 1 else ''}"
    if req.roles:
        text += ", at least " + " and ".join(f"{n} {role}" for role, n in req.roles.items())
    return text


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
                    found = frozenset(u.casefold() for u in self.teams(team))
                except ProviderError as exc:
                    found = exc.message
            self._members[team] = found
            if isinstance(found, str):
                self.notes.append(f"members of {team} unknown: {found}")
        return self._members[team]

    def holds(self, user: str, role: str) -> bool:
        who = user.casefold()
        for member in self.roles.get(role, ()):
            if member.startswith("@"):
                members = self._team(member)
                if not isinstance(members, str) and who in members:
                    return True
            elif member.casefold() == who:
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


def evaluate(assessment: Checked, aigov: AigovConfig, source: Source) -> SignOff:
    """The verdict on ``source``'s votes for ``assessment``, by ``aigov``'s roles and counts."""
    config = aigov.signoff
    roles: dict[str, list[str]] = {role: list(who) for role, who in aigov.roles.items()}
    risk = assessment.model
    assert isinstance(risk, RiskAssessment)
    spec = risk.spec
    req = config.requirement(spec.risk_level)
    lookup = _Roles(roles, config.approver_roles, source.teams)
    discarded = list(source.discarded)
    eligible: dict[str, list[str]] = {}
    seen: set[str] = set()
    for vote in source.votes:
        who = vote.user.casefold()
        if who in seen:
            discarded.append(Discarded(vote.user, "already counted once"))
            continue
        seen.add(who)
        reason = _separation(vote.user, source.author, spec.assessor)
        held = lookup.held(vote.user)
        if reason is None and vote.role is not None:
            reason = _claimed(vote.role, held, config.approver_roles)
            held = [vote.role] if reason is None else held
        if reason is None and not held:
            reason = f"holds none of the approver roles ({', '.join(config.approver_roles)})"
        if reason is not None:
            discarded.append(Discarded(vote.user, reason))
        else:
            eligible[vote.user] = held
    slots: list[str] = [role for role, n in req.roles.items() for _ in range(n)]
    match = _assign(eligible, slots)
    as_role = {user: slots[i] for i, user in match.items()}
    counted = tuple(Counted(user, as_role.get(user, held[0])) for user, held in eligible.items())
    taken = {source.author.casefold(), spec.assessor.casefold(), *(u.casefold() for u in eligible)}
    missing = _missing(req, slots, match, len(eligible), config, roles, taken)
    return SignOff(
        assessment=risk.metadata.name,
        organization=assessment.organization,
        location=assessment.raw.locate(("spec", "approval_status"), key=True)
        if "approval_status" in spec.model_fields_set
        else assessment.raw.locate(("metadata", "name")),
        risk_level=spec.risk_level,
        claimed=spec.approval_status == "approved",
        provider=source.provider,
        ref=source.ref,
        url=source.url,
        head=source.head,
        required=describe(spec.risk_level, req),
        counted=counted,
        discarded=tuple(discarded),
        missing=missing,
        digest=digest(assessment.raw.data),
        notes=tuple(lookup.notes),
    )


def _separation(user: str, author: str, assessor: str) -> str | None:
    who = user.casefold()
    if author and who == author.casefold():
        return "authored the pull request (separation of duties)"
    if who == assessor.casefold():
        return "is the assessor (separation of duties)"
    return None


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
    config: SignOffConfig,
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
        names = " or ".join(config.approver_roles)
        out.append(f"{extra} more approval{'s' if extra > 1 else ''} from {names}")
    return tuple(out)


def _candidates(members: Sequence[str], taken: set[str]) -> str:
    free = [m for m in members if m.casefold() not in taken]
    return "any of " + ", ".join(free) if free else "nobody else in .aigov.yaml holds it"
