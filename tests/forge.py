"""A real HTTP server on 127.0.0.1 serving the GitHub and GitLab REST endpoints aigov reads.

Responses have the real APIs' JSON shapes (trimmed to the fields aigov reads plus a few
others), ``Link`` pagination with a small page size, token checks, and injectable
failures (rate limits, 404, 500) per path. Every request is recorded for assertions.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

TOKEN = "ghp_test_token_never_printed_0123456789"
GL_TOKEN = "glpat-test-token-never-printed-012345"


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Forge:
    """State served by the fake GitHub (``/repos``, ``/orgs``) and GitLab (``/api/v4``)."""

    page_size: int = 2
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    reviews: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    files: dict[int, list[str]] = field(default_factory=dict)
    commit_pulls: dict[str, list[int]] = field(default_factory=dict)
    teams: dict[str, list[str]] = field(default_factory=dict)
    mrs: dict[int, dict[str, Any]] = field(default_factory=dict)
    approvals: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    versions: dict[int, list[str]] = field(default_factory=dict)
    reset_on_push: bool = True
    groups: dict[str, list[str]] = field(default_factory=dict)
    failures: dict[str, list[Reply]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    # -- building state -------------------------------------------------------------
    def pull(self, number: int, author: str, head: str, merged: bool = False) -> None:
        self.pulls[number] = {
            "url": f"https://api.github.com/repos/acme/gov/pulls/{number}",
            "id": 1000 + number,
            "number": number,
            "state": "closed" if merged else "open",
            "title": f"Change {number}",
            "user": {"login": author, "id": 1, "type": "User"},
            "head": {"ref": f"change-{number}", "sha": head},
            "base": {"ref": "main", "sha": "0" * 40},
            "html_url": f"https://github.com/acme/gov/pull/{number}",
            "merged_at": "2026-03-01T10:00:00Z" if merged else None,
        }

    def review(self, number: int, user: str, state: str, commit: str) -> None:
        reviews = self.reviews.setdefault(number, [])
        n = len(reviews) + 1
        reviews.append(
            {
                "id": 5000 + n,
                "user": {"login": user, "id": 100 + n, "type": "User"},
                "body": "",
                "state": state,
                "html_url": f"https://github.com/acme/gov/pull/{number}#pullrequestreview-{n}",
                "commit_id": commit,
                "submitted_at": f"2026-02-{n:02d}T09:00:00Z",
                "author_association": "MEMBER",
            }
        )

    def mr(self, iid: int, author: str, head: str, merged: bool = False) -> None:
        self.mrs[iid] = {
            "id": 2000 + iid,
            "iid": iid,
            "project_id": 42,
            "title": f"Change {iid}",
            "state": "merged" if merged else "opened",
            "author": {"id": 1, "username": author, "name": author},
            "sha": head,
            "web_url": f"https://gitlab.example/acme/gov/-/merge_requests/{iid}",
        }

    def approve(self, iid: int, user: str, at: str | None) -> None:
        entry: dict[str, Any] = {"user": {"id": 7, "username": user, "name": user}}
        if at is not None:
            entry["approved_at"] = at
        self.approvals.setdefault(iid, []).append(entry)

    def fail(self, path: str, *replies: Reply) -> None:
        """The next GETs of ``path`` (exact, without query) get ``replies``, in order."""
        self.failures.setdefault(path, []).extend(replies)

    # -- routing --------------------------------------------------------------------
    def route(self, path: str, headers: dict[str, str]) -> tuple[Reply, list[Any] | None]:
        """(reply, items to paginate or None)."""
        if path.startswith("/api/v4/"):
            if headers.get("private-token") != GL_TOKEN:
                return Reply(401, {"message": "401 Unauthorized"}), None
            return self._gitlab(path[len("/api/v4") :])
        if headers.get("authorization") != f"Bearer {TOKEN}":
            return Reply(401, {"message": "Bad credentials"}), None
        return self._github(path)

    def _github(self, path: str) -> tuple[Reply, list[Any] | None]:
        if m := re.fullmatch(r"/repos/acme/gov/pulls/(\d+)", path):
            pull = self.pulls.get(int(m[1]))
            return (Reply(200, pull), None) if pull else (_gh_404(), None)
        if m := re.fullmatch(r"/repos/acme/gov/pulls/(\d+)/reviews", path):
            if int(m[1]) not in self.pulls:
                return _gh_404(), None
            return Reply(200, None), self.reviews.get(int(m[1]), [])
        if m := re.fullmatch(r"/repos/acme/gov/pulls/(\d+)/files", path):
            if int(m[1]) not in self.pulls:
                return _gh_404(), None
            names = self.files.get(int(m[1]), [])
            return Reply(200, None), [{"filename": f, "status": "modified"} for f in names]
        if m := re.fullmatch(r"/repos/acme/gov/commits/([0-9a-f]{40})/pulls", path):
            numbers = self.commit_pulls.get(m[1], [])
            return Reply(200, None), [self.pulls[n] for n in numbers]
        if m := re.fullmatch(r"/orgs/([^/]+)/teams/([^/]+)/members", path):
            members = self.teams.get(f"{m[1]}/{m[2]}")
            if members is None:
                return _gh_404(), None
            return Reply(200, None), [{"login": u, "id": 9, "type": "User"} for u in members]
        return _gh_404(), None

    def _gitlab(self, path: str) -> tuple[Reply, list[Any] | None]:
        project = r"/projects/(?:42|acme%2Fgov)"
        if m := re.fullmatch(project + r"/merge_requests/(\d+)", path):
            mr = self.mrs.get(int(m[1]))
            return (Reply(200, mr), None) if mr else (_gl_404("Merge Request"), None)
        if m := re.fullmatch(project + r"/merge_requests/(\d+)/approvals", path):
            iid = int(m[1])
            body = {
                "id": 2000 + iid,
                "iid": iid,
                "project_id": 42,
                "approved": bool(self.approvals.get(iid)),
                "approvals_required": 2,
                "approvals_left": 0,
                "approved_by": self.approvals.get(iid, []),
            }
            return Reply(200, body), None
        if re.fullmatch(project + r"/approvals", path):
            body = {
                "approvals_before_merge": 0,
                "reset_approvals_on_push": self.reset_on_push,
                "disable_overriding_approvers_per_merge_request": False,
                "merge_requests_author_approval": False,
            }
            return Reply(200, body), None
        if m := re.fullmatch(project + r"/merge_requests/(\d+)/versions", path):
            times = self.versions.get(int(m[1]), [])
            versions = [
                {"id": i, "head_commit_sha": "f" * 40, "created_at": t, "state": "collected"}
                for i, t in enumerate(sorted(times, reverse=True))
            ]
            return Reply(200, versions), None
        if m := re.fullmatch(project + r"/merge_requests/(\d+)/diffs", path):
            names = self.files.get(int(m[1]), [])
            return Reply(200, None), [{"old_path": f, "new_path": f, "diff": ""} for f in names]
        if m := re.fullmatch(project + r"/repository/commits/([0-9a-f]{40})/merge_requests", path):
            return Reply(200, [self.mrs[i] for i in self.commit_pulls.get(m[1], [])]), None
        if m := re.fullmatch(r"/groups/([^/]+)/members/all", path):
            members = self.groups.get(unquote(m[1]))
            if members is None:
                return _gl_404("Group"), None
            return Reply(200, None), [{"id": 3, "username": u, "state": "active"} for u in members]
        return _gl_404("Project"), None


def _gh_404() -> Reply:
    return Reply(404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})


def _gl_404(what: str) -> Reply:
    return Reply(404, {"message": f"404 {what} Not Found"})


class _Handler(BaseHTTPRequestHandler):
    forge: Forge
    base: str

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.forge.requests.append((self.path, headers))
        queued = self.forge.failures.get(parts.path)
        if queued:
            self._send(queued.pop(0))
            return
        reply, items = self.forge.route(parts.path, headers)
        if items is None:
            self._send(reply)
            return
        page = int(parse_qs(parts.query).get("page", ["1"])[0])
        size = self.forge.page_size
        chunk = items[(page - 1) * size : page * size]
        extra = {}
        if page * size < len(items):
            extra["Link"] = (
                f'<{self.base}{parts.path}?page={page + 1}>; rel="next", '
                f'<{self.base}{parts.path}?page={(len(items) - 1) // size + 1}>; rel="last"'
            )
        self._send(Reply(200, chunk, extra))

    def _send(self, reply: Reply) -> None:
        data = json.dumps(reply.body).encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)


def serve(forge: Forge) -> Iterator[str]:
    """Run the server for ``forge``; yields its base URL (http://127.0.0.1:PORT)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    handler = type("Handler", (_Handler,), {"forge": forge, "base": base})
    server.RequestHandlerClass = handler
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()
