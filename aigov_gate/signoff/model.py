"""Plain data of a sign-off: votes as a provider saw them, and the verdict on them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aigov_gate.result import Discarded

#: ``@org/team`` -> its members' user names; raises ``ProviderError`` when it cannot say.
TeamLookup = Callable[[str], frozenset[str]]


@dataclass(frozen=True, slots=True)
class Vote:
    """One person's approval that the provider considers current."""

    user: str
    at: str = ""
    role: str | None = None  # the role claimed (recorded approvals name one)


@dataclass(frozen=True, slots=True)
class Source:
    """Where approvals came from: a pull request, a merge request, or the YAML itself.

    ``author`` is the pull request's author (separation of duties); ``head`` is what the
    approvals are bound to: a commit sha or the assessment's digest.
    """

    provider: str
    ref: str
    votes: tuple[Vote, ...] = ()
    discarded: tuple[Discarded, ...] = ()
    author: str = ""
    head: str = ""
    url: str = ""
    teams: TeamLookup | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Request:
    """A pull request (GitHub) or merge request (GitLab) as the provider reported it."""

    label: str
    number: int
    author: str
    head: str
    url: str = ""
    merged: bool = False
