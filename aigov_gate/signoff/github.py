"""GitHub pull-request reviews as sign-off (REST API, ``requests``).

Each user's latest review that is not COMMENTED (or PENDING) decides: APPROVED on the
commit under evaluation counts; APPROVED on an earlier commit is stale; DISMISSED and
CHANGES_REQUESTED do not count. Teams (``@org/team``) are resolved with the teams API,
which needs a token that may read the organization (``read:org``).
"""

from __future__ import annotations

from typing import Any

from aigov_gate.config import SignOffConfig
from aigov_gate.errors import ProviderError
from aigov_gate.result import Discarded
from aigov_gate.signoff.context import Context
from aigov_gate.signoff.http import Api
from aigov_gate.signoff.model import Request, Source, Vote

SKIPPED = ("COMMENTED", "PENDING")


class GitHub:
    service = "GitHub"

    def __init__(self, context: Context, config: SignOffConfig) -> None:
        if not context.token:
            raise ProviderError(
                "no GitHub token: none of " + ", ".join(context.tried) + " is set",
                hint="in a workflow add  env: GITHUB_TOKEN: ${{ github.token }}  "
                "(with permissions: pull-requests: read); locally export a token",
            )
        if context.repository.count("/") != 1:
            raise ProviderError(
                f"GitHub repository {context.repository or '(unset)'} is not OWNER/NAME",
                hint="GITHUB_REPOSITORY is set in Actions; elsewhere export it",
            )
        self.repo = context.repository
        self.api = Api(
            "GitHub",
            context.api_url,
            {
                "Authorization": f"Bearer {context.token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "aigov-gate",
            },
            timeout=config.timeout_seconds,
            retries=config.max_retries,
            token_hint=f"check {context.token_env}: it is expired, revoked or not a GitHub token",
        )
        self._teams: dict[str, frozenset[str]] = {}

    def request(self, number: int) -> Request:
        pull = self.api.get(f"/repos/{self.repo}/pulls/{number}")
        return _pull(pull)

    def source(self, pr: Request, head: str = "") -> Source:
        """Votes on ``head`` (default: the pull request's current head)."""
        head = head or pr.head
        reviews = list(self.api.pages(f"/repos/{self.repo}/pulls/{pr.number}/reviews"))
        latest: dict[str, dict[str, Any]] = {}
        for review in sorted(reviews, key=lambda r: (r.get("submitted_at") or "", r["id"])):
            user = review.get("user") or {}
            if review.get("state") in SKIPPED or not user.get("login"):
                continue
            latest[user["login"].casefold()] = review
        votes, discarded = [], []
        for review in latest.values():
            login = review["user"]["login"]
            state = review.get("state")
            commit = review.get("commit_id") or ""
            if state == "APPROVED" and commit == head:
                votes.append(Vote(login, review.get("submitted_at") or ""))
            elif state == "APPROVED":
                discarded.append(
                    Discarded(login, f"approved {commit[:7]}, not the head {head[:7]} (stale)")
                )
            elif state == "DISMISSED":
                discarded.append(Discarded(login, "review dismissed"))
            else:
                discarded.append(Discarded(login, f"latest review is {str(state).lower()}"))
        return Source(
            "github",
            pr.label,
            tuple(votes),
            tuple(discarded),
            author=pr.author,
            head=head,
            url=pr.url,
            teams=self.team,
        )

    def changed_files(self, number: int) -> list[str]:
        files = self.api.pages(f"/repos/{self.repo}/pulls/{number}/files")
        out = []
        for f in files:
            out.append(f["filename"])
            if f.get("previous_filename"):
                out.append(f["previous_filename"])
        return out

    def merged_requests(self, sha: str) -> list[Request]:
        """Merged pull requests that contain ``sha`` (the commit's pulls endpoint)."""
        pulls = self.api.pages(f"/repos/{self.repo}/commits/{sha}/pulls")
        return [_pull(p) for p in pulls if p.get("merged_at")]

    def team(self, team: str) -> frozenset[str]:
        if team not in self._teams:
            org, _, slug = team.lstrip("@").partition("/")
            try:
                members = self.api.pages(f"/orgs/{org}/teams/{slug}/members")
                self._teams[team] = frozenset(m["login"] for m in members)
            except ProviderError as exc:
                raise ProviderError(
                    f"{exc.message} (team {team})",
                    hint="reading teams needs a token with read:org (the workflow's "
                    "GITHUB_TOKEN cannot); or list the users by name in .aigov.yaml",
                ) from None
        return self._teams[team]


def _pull(pull: dict[str, Any]) -> Request:
    return Request(
        label=f"PR #{pull['number']}",
        number=pull["number"],
        author=(pull.get("user") or {}).get("login", ""),
        head=(pull.get("head") or {}).get("sha", ""),
        url=pull.get("html_url", ""),
        merged=bool(pull.get("merged_at")),
    )
