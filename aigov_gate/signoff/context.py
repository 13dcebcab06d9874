"""Where a sign-off provider finds its API, token, repository and pull request.

From flags first, then the CI's own variables (GitHub Actions: ``GITHUB_API_URL``,
``GITHUB_REPOSITORY``, ``GITHUB_EVENT_PATH``; GitLab CI: ``CI_API_V4_URL``,
``CI_PROJECT_ID``, ``CI_MERGE_REQUEST_IID``), then the public services. The token is
read from the environment variable the config names, or the usual ones; its value is
kept out of ``repr`` and never printed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from aigov_gate.config import SignOffConfig
from aigov_gate.errors import UsageError
from aigov_gate.loading.safe_json import JsonError, load_file


@dataclass(frozen=True, slots=True)
class Service:
    """A code host whose pull/merge request approvals are the sign-off: one entry of
    :data:`SERVICES` each (docs/architecture.md, "Adding a sign-off provider")."""

    #: Where the token is looked for when ``signoff.token_env`` is not set.
    token_vars: tuple[str, ...]
    default_api: str
    #: The CI's variable holding the API url.
    api_env: str
    #: The CI's own variables -> (repository, request number, head sha).
    locate: Callable[[Mapping[str, str]], tuple[str, int | None, str]]
    #: ``module.Class`` of the :class:`~aigov_gate.signoff.check.Provider`, imported when used.
    provider: str


def _github(env: Mapping[str, str]) -> tuple[str, int | None, str]:
    number, head = _github_event(env.get("GITHUB_EVENT_PATH"))
    return env.get("GITHUB_REPOSITORY", ""), number, head


def _gitlab(env: Mapping[str, str]) -> tuple[str, int | None, str]:
    iid = env.get("CI_MERGE_REQUEST_IID", "")
    return env.get("CI_PROJECT_ID", ""), int(iid) if iid.isdigit() else None, ""


SERVICES: dict[str, Service] = {
    "github": Service(
        ("AIGOV_GITHUB_TOKEN", "GITHUB_TOKEN"),
        "https://api.github.com",
        "GITHUB_API_URL",
        _github,
        "aigov_gate.signoff.github.GitHub",
    ),
    "gitlab": Service(
        ("AIGOV_GITLAB_TOKEN", "GITLAB_TOKEN"),
        "https://gitlab.com/api/v4",
        "CI_API_V4_URL",
        _gitlab,
        "aigov_gate.signoff.gitlab.GitLab",
    ),
}


@dataclass(frozen=True, slots=True)
class Context:
    provider: str
    api_url: str = ""
    repository: str = ""
    number: int | None = None
    head_sha: str = ""
    token_env: str = ""
    token: str = field(default="", repr=False)
    tried: tuple[str, ...] = ()

    @property
    def has_request(self) -> bool:
        """True when a pull/merge request is known (event, CI variable or ``--pr``)."""
        return self.number is not None


def from_env(config: SignOffConfig, env: Mapping[str, str], number: int | None = None) -> Context:
    provider = config.provider
    if provider == "recorded":
        return Context(provider)
    service = SERVICES[provider]
    names = (config.token_env,) if config.token_env else service.token_vars
    token_env = next((n for n in names if env.get(n)), "")
    token = env.get(token_env, "") if token_env else ""
    api = config.api_url or env.get(service.api_env) or service.default_api
    repository, event_number, head = service.locate(env)
    if number is not None and number != event_number:
        head = ""  # the event's head belongs to another pull request
    return Context(
        provider,
        api_url=api,
        repository=repository,
        number=number if number is not None else event_number,
        head_sha=head,
        token_env=token_env,
        token=token,
        tried=names,
    )


def _github_event(path: str | None) -> tuple[int | None, str]:
    """``pull_request`` / ``pull_request_review`` events carry the number and head sha."""
    if not path:
        return None, ""
    try:
        event = load_file(Path(path))
    except (OSError, JsonError) as exc:
        raise UsageError(
            f"cannot read the GitHub event file {path} (GITHUB_EVENT_PATH): {exc}",
            hint="unset GITHUB_EVENT_PATH outside GitHub Actions, or pass --pr",
        ) from None
    pull = event.get("pull_request") if isinstance(event, dict) else None
    if not isinstance(pull, dict) or not isinstance(pull.get("number"), int):
        return None, ""
    head = pull.get("head")
    sha = head.get("sha", "") if isinstance(head, dict) else ""
    return pull["number"], sha if isinstance(sha, str) else ""
