"""GitLab merge-request approvals as sign-off (REST API v4, ``requests``).

GitLab's approvals carry no commit. When the project resets approvals on push, every
approval listed is for the current head. When it does not, an approval counts only if
GitLab says when it was given (``approved_at``) and that is after the merge request's
latest push (its newest diff version); otherwise it is stale.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from aigov_gate.config import SignOffConfig
from aigov_gate.errors import ProviderError
from aigov_gate.result import Discarded
from aigov_gate.signoff.context import Context
from aigov_gate.signoff.http import Api
from aigov_gate.signoff.model import Request, Source, Vote


class GitLab:
    service = "GitLab"

    def __init__(self, context: Context, config: SignOffConfig) -> None:
        if not context.token:
            raise ProviderError(
                "no GitLab token: none of " + ", ".join(context.tried) + " is set",
                hint="add a project access token with read_api as a masked CI/CD variable "
                "named GITLAB_TOKEN",
            )
        if not context.repository:
            raise ProviderError(
                "no GitLab project: CI_PROJECT_ID is not set",
                hint="run in GitLab CI, or export CI_PROJECT_ID (id or group/project)",
            )
        self.project = quote(context.repository, safe="")
        header = "JOB-TOKEN" if context.token_env == "CI_JOB_TOKEN" else "PRIVATE-TOKEN"
        self.api = Api(
            "GitLab",
            context.api_url,
            {header: context.token, "User-Agent": "aigov-gate"},
            timeout=config.timeout_seconds,
            retries=config.max_retries,
            token_hint=f"check {context.token_env}: it is expired, revoked or lacks read_api",
        )
        self._groups: dict[str, frozenset[str]] = {}

    def request(self, number: int) -> Request:
        return _mr(self.api.get(f"/projects/{self.project}/merge_requests/{number}"))

    def source(self, mr: Request, head: str = "") -> Source:
        base = f"/projects/{self.project}/merge_requests/{mr.number}"
        approvals = self.api.get(f"{base}/approvals")
        settings = self.api.get(f"/projects/{self.project}/approvals")
        reset = bool(settings.get("reset_approvals_on_push", True))
        last_push = None if reset else _latest_push(self.api.get(f"{base}/versions"))
        votes, discarded = [], []
        for entry in approvals.get("approved_by") or []:
            user = (entry.get("user") or {}).get("username", "")
            at = entry.get("approved_at") or ""
            if not user:
                continue
            if reset:
                votes.append(Vote(user, at))
            elif not at:
                discarded.append(
                    Discarded(
                        user,
                        "GitLab does not say when they approved and the project keeps "
                        "approvals after a push (turn on reset_approvals_on_push)",
                    )
                )
            elif last_push is not None and _time(at) < last_push:
                discarded.append(
                    Discarded(
                        user,
                        f"approved {at}, before the latest push at {last_push.isoformat()} (stale)",
                    )
                )
            else:
                votes.append(Vote(user, at))
        return Source(
            "gitlab",
            mr.label,
            tuple(votes),
            tuple(discarded),
            author=mr.author,
            head=head or mr.head,
            url=mr.url,
            teams=self.team,
        )

    def changed_files(self, number: int) -> list[str]:
        diffs = self.api.pages(f"/projects/{self.project}/merge_requests/{number}/diffs")
        return sorted({p for d in diffs for p in (d.get("new_path"), d.get("old_path")) if p})

    def merged_requests(self, sha: str) -> list[Request]:
        found = self.api.get(f"/projects/{self.project}/repository/commits/{sha}/merge_requests")
        return [_mr(m) for m in found if m.get("state") == "merged"]

    def team(self, team: str) -> frozenset[str]:
        """Members of a group or subgroup ``@group/sub``, inherited members included."""
        if team not in self._groups:
            path = quote(team.lstrip("@"), safe="")
            members = self.api.pages(f"/groups/{path}/members/all")
            self._groups[team] = frozenset(m["username"] for m in members)
        return self._groups[team]


def _mr(mr: dict[str, Any]) -> Request:
    return Request(
        label=f"MR !{mr['iid']}",
        number=mr["iid"],
        author=(mr.get("author") or {}).get("username", ""),
        head=mr.get("sha") or "",
        url=mr.get("web_url", ""),
        merged=mr.get("state") == "merged",
    )


def _time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ProviderError(
            f"GitLab API returned an unreadable time {text!r}",
            hint="this GitLab version's approvals API is not supported; report it",
        ) from None


def _latest_push(versions: Any) -> datetime | None:
    times = [_time(v["created_at"]) for v in versions or [] if v.get("created_at")]
    return max(times) if times else None
