"""A small JSON client for the GitHub and GitLab REST APIs (``requests``, imported here only).

It retries what is worth retrying: connection errors, 5xx, 429 and GitHub's rate-limit
403, waiting as ``Retry-After`` or ``X-RateLimit-Reset`` say (at most ``max_wait``
seconds, else it stops and says until when). It follows ``Link: rel="next"`` pages on the
same origin only, so a token is never sent elsewhere. Errors name the request, the status
and the API's own message, never the token.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from aigov_gate.errors import ProviderError
from aigov_gate.loading.safe_json import JsonError, loads

MAX_PAGES = 100


class Api:
    """GET JSON from ``base_url`` with ``headers`` (the token among them)."""

    def __init__(
        self,
        service: str,
        base_url: str,
        headers: Mapping[str, str],
        *,
        timeout: float = 20,
        retries: int = 3,
        max_wait: float = 60,
        token_hint: str = "",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.service = service
        self.base_url = base_url.rstrip("/")
        self.origin = _origin(self.base_url)
        self.session = requests.Session()
        self.session.headers.update(headers)
        self.timeout = timeout
        self.retries = retries
        self.max_wait = max_wait
        self.token_hint = token_hint
        self.sleep = sleep

    def get(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        return _body(self._request(self.base_url + path, params), self.service)

    def pages(self, path: str, params: Mapping[str, str | int] | None = None) -> Iterator[Any]:
        """Each item of a paginated list, following ``Link: <...>; rel="next"``."""
        url: str | None = self.base_url + path
        query: Mapping[str, str | int] | None = {"per_page": 100, **(params or {})}
        for _ in range(MAX_PAGES):
            if url is None:
                return
            response = self._request(url, query)
            body = _body(response, self.service)
            if not isinstance(body, list):
                raise ProviderError(
                    f"{self.service} API: GET {_show(url)} returned {type(body).__name__}, "
                    "not a list",
                    hint="check the API URL (it should be the REST API root)",
                )
            yield from body
            nxt = response.links.get("next", {}).get("url")
            if nxt and _origin(nxt) != self.origin:
                raise ProviderError(
                    f"{self.service} API: the next page points to another host ({_origin(nxt)})",
                    hint="check the API URL; the token is only sent to " + self.origin,
                )
            url, query = nxt, None
        raise ProviderError(
            f"{self.service} API: more than {MAX_PAGES} pages at {path}",
            hint="this looks like a pagination loop in the server's Link header",
        )

    def _request(self, url: str, params: Mapping[str, str | int] | None) -> requests.Response:
        shown = _show(url)
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                response = self.session.get(url, params=params, timeout=self.timeout)
            except requests.RequestException as exc:
                if last:
                    raise ProviderError(
                        f"{self.service} API unreachable: GET {shown}: {type(exc).__name__}",
                        hint="check the API URL and the network; the gate fails closed",
                    ) from None
                self.sleep(min(2**attempt, self.max_wait))
                continue
            if response.status_code < 300:
                return response
            wait = self._wait(response, attempt)
            if wait is None or last:
                raise self._error(response, shown)
            self.sleep(wait)
        raise AssertionError("unreachable")

    def _wait(self, response: requests.Response, attempt: int) -> float | None:
        """Seconds to wait before retrying, or None when retrying will not help."""
        status = response.status_code
        headers = response.headers
        limited = status == 429 or (
            status == 403
            and (headers.get("Retry-After") or headers.get("X-RateLimit-Remaining") == "0")
        )
        if limited:
            wait = _retry_after(headers)
            if wait > self.max_wait:
                return None
            return wait
        if status >= 500:
            return float(min(2**attempt, self.max_wait))
        return None

    def _error(self, response: requests.Response, shown: str) -> ProviderError:
        status = response.status_code
        message = _message(response)
        what = f"{self.service} API: GET {shown} -> {status}"
        detail = f": {message}" if message else ""
        if status == 401:
            return ProviderError(f"{what}: the token was rejected{detail}", hint=self.token_hint)
        if status == 429 or (status == 403 and "rate limit" in message.lower()):
            until = _reset_time(response.headers)
            return ProviderError(
                f"{what}: rate limited{detail}",
                hint=f"retry after {until}"
                if until
                else "retry later, or use a token with a higher rate limit",
            )
        if status == 403:
            return ProviderError(
                f"{what}: the token may not read this{detail}",
                hint="give the token the scope it needs (docs/ci.md lists them)",
            )
        if status == 404:
            return ProviderError(
                f"{what}: not found{detail}",
                hint="check the repository/project and number; private resources also answer "
                "404 to a token without access",
            )
        return ProviderError(f"{what}{detail}", hint="the service failed; retry the job later")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _show(url: str) -> str:
    """The URL without its query (which could carry a token on a misconfigured server)."""
    parts = urlsplit(url)
    return parts.path or "/"


def _body(response: requests.Response, service: str) -> Any:
    """The answer's JSON, through the guarded reader: size, depth, UTF-8."""
    try:
        return loads(response.content)
    except JsonError as exc:
        raise ProviderError(
            f"{service} API: GET {_show(response.url)} did not answer JSON: {exc.message}",
            hint="check the API URL (it should be the REST API root)",
        ) from None


def _message(response: requests.Response) -> str:
    try:
        body = loads(response.content)
    except JsonError:
        return ""
    if isinstance(body, dict):
        text = body.get("message") or body.get("error") or ""
        return str(text)[:200]
    return ""


def _retry_after(headers: Mapping[str, str]) -> float:
    value = headers.get("Retry-After")
    if value is not None:
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
    reset = headers.get("X-RateLimit-Reset")
    if reset is not None:
        try:
            return max(0.0, float(reset) - time.time())
        except ValueError:
            pass
    return 60.0


def _reset_time(headers: Mapping[str, str]) -> str:
    reset = headers.get("X-RateLimit-Reset")
    if reset and reset.isdigit():
        return datetime.fromtimestamp(int(reset), UTC).isoformat(timespec="seconds")
    after = headers.get("Retry-After")
    return f"{after} s" if after else ""
