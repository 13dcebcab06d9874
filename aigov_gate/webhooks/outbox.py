"""The durable outbox: every event is committed to SQLite before any attempt to send it.

One row per message (its webhook-id, type and the exact body bytes, fixed once) and one
per delivery (message x subscription) with its state: ``pending`` (due at
``next_attempt``), ``delivered`` or ``failed`` (with the reason). Attempts are logged.
A subscription a receiver answered 410 Gone is recorded as disabled.

Writes use WAL with ``synchronous=FULL``: a committed event survives a killed process
and a power cut. One process delivers at a time (an exclusive ``flock`` on
``<outbox>.lock``, which the OS releases if the process dies), so a delivery killed
mid-attempt is simply pending again, and the restarted process sends it with the same
webhook-id (at least once).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from aigov_gate.errors import UsageError

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
  id TEXT PRIMARY KEY,
  event TEXT NOT NULL,
  organization TEXT NOT NULL,
  created TEXT NOT NULL,
  body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
  message_id TEXT NOT NULL REFERENCES messages(id),
  subscription TEXT NOT NULL,
  url TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt REAL NOT NULL,
  last_status INTEGER,
  last_error TEXT,
  updated REAL NOT NULL,
  PRIMARY KEY (message_id, subscription)
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (state, next_attempt);
CREATE TABLE IF NOT EXISTS attempts (
  message_id TEXT NOT NULL,
  subscription TEXT NOT NULL,
  number INTEGER NOT NULL,
  at REAL NOT NULL,
  status INTEGER,
  error TEXT,
  seconds REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS disabled (
  subscription TEXT PRIMARY KEY,
  at REAL NOT NULL,
  reason TEXT NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class Message:
    """An event as stored: its exact body and the (subscription key, shown url) pairs."""

    id: str
    event: str
    organization: str
    created: str
    body: bytes
    targets: list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Delivery:
    message_id: str
    subscription: str
    url: str
    event: str
    state: str
    attempts: int
    next_attempt: float
    last_status: int | None
    last_error: str | None

    @property
    def key(self) -> tuple[str, str]:
        return (self.message_id, self.subscription)


_COLUMNS = (
    "d.message_id, d.subscription, d.url, m.event, d.state, d.attempts, d.next_attempt, "
    "d.last_status, d.last_error"
)


class Outbox:
    """The outbox at ``path`` (created with its folder, and a .gitignore there)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            ignore = path.parent / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# aigov webhook outbox: local state, not for Git\n*\n")
            self.db = sqlite3.connect(path, timeout=30, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise UsageError(
                f"cannot open the webhook outbox {path}: {exc}",
                hint="check webhooks.outbox in .aigov.yaml (or AIGOV_WEBHOOK_OUTBOX) and "
                "the folder's permissions",
            ) from None

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def add(self, messages: list[Message], now: float) -> int:
        """Queue messages in one transaction; returns how many deliveries are new (an id
        already queued for a subscription is not queued again)."""
        with self.transaction() as db:
            before = db.total_changes
            for m in messages:
                db.execute(
                    "INSERT OR IGNORE INTO messages VALUES (?, ?, ?, ?, ?)",
                    (m.id, m.event, m.organization, m.created, m.body),
                )
            messages_added = db.total_changes - before
            db.executemany(
                "INSERT OR IGNORE INTO deliveries (message_id, subscription, url, state, "
                "next_attempt, updated) VALUES (?, ?, ?, 'pending', ?, ?)",
                [(m.id, key, url, now, now) for m in messages for key, url in m.targets],
            )
            return db.total_changes - before - messages_added

    def delivery(self, message_id: str, subscription: str) -> Delivery:
        row = self.db.execute(
            f"SELECT {_COLUMNS} FROM deliveries d JOIN messages m ON m.id = d.message_id "
            "WHERE d.message_id = ? AND d.subscription = ?",
            (message_id, subscription),
        ).fetchone()
        return Delivery(*row)

    def body(self, message_id: str) -> bytes:
        row = self.db.execute("SELECT body FROM messages WHERE id = ?", (message_id,)).fetchone()
        return bytes(row[0])

    def due(
        self, now: float, subscriptions: list[str], limit: int, busy: set[tuple[str, str]]
    ) -> list[Delivery]:
        """Pending deliveries due by ``now`` for ``subscriptions``, oldest first."""
        if not subscriptions or limit <= 0:
            return []
        marks = ",".join("?" * len(subscriptions))
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM deliveries d JOIN messages m ON m.id = d.message_id "
            f"WHERE d.state = 'pending' AND d.next_attempt <= ? AND d.subscription IN ({marks}) "
            "ORDER BY d.next_attempt, m.created, d.message_id LIMIT ?",
            (now, *subscriptions, limit + len(busy)),
        ).fetchall()
        found = [Delivery(*row) for row in rows]
        return [d for d in found if d.key not in busy][:limit]

    def next_due(self, subscriptions: list[str]) -> float | None:
        if not subscriptions:
            return None
        marks = ",".join("?" * len(subscriptions))
        row = self.db.execute(
            "SELECT MIN(next_attempt) FROM deliveries WHERE state = 'pending' "
            f"AND subscription IN ({marks})",
            subscriptions,
        ).fetchone()
        return None if row[0] is None else float(row[0])

    def record(
        self,
        delivery: Delivery,
        state: str,
        status: int | None,
        error: str | None,
        next_attempt: float,
        started: float,
        seconds: float,
        attempted: bool = True,
    ) -> None:
        """The outcome of one attempt (or, ``attempted=False``, a decision without one)."""
        attempts = delivery.attempts + (1 if attempted else 0)
        with self.transaction() as db:
            db.execute(
                "UPDATE deliveries SET state = ?, attempts = ?, next_attempt = ?, "
                "last_status = ?, last_error = ?, updated = ? "
                "WHERE message_id = ? AND subscription = ?",
                (state, attempts, next_attempt, status, error, started + seconds, *delivery.key),
            )
            if attempted:
                db.execute(
                    "INSERT INTO attempts VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (*delivery.key, attempts, started, status, error, seconds),
                )

    def disable(self, subscription: str, reason: str, now: float) -> int:
        """Mark a subscription disabled (410) and fail its pending deliveries."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO disabled VALUES (?, ?, ?)", (subscription, now, reason)
            )
            cur = db.execute(
                "UPDATE deliveries SET state = 'failed', last_error = ?, updated = ? "
                "WHERE subscription = ? AND state = 'pending'",
                (reason, now, subscription),
            )
            return cur.rowcount

    def disabled(self) -> dict[str, tuple[float, str]]:
        rows = self.db.execute("SELECT subscription, at, reason FROM disabled").fetchall()
        return {name: (at, reason) for name, at, reason in rows}

    def enable(self, subscription: str) -> bool:
        with self.transaction() as db:
            cur = db.execute("DELETE FROM disabled WHERE subscription = ?", (subscription,))
            return cur.rowcount > 0

    def retry(self, now: float, failed: bool, subscriptions: list[str] | None = None) -> int:
        """Make pending (and with ``failed``, failed) deliveries due now; attempts restart."""
        states = ("pending", "failed") if failed else ("pending",)
        where = f"state IN ({','.join('?' * len(states))})"
        params: list[object] = [now, now, *states]
        if subscriptions is not None:
            where += f" AND subscription IN ({','.join('?' * len(subscriptions))})"
            params.extend(subscriptions)
        with self.transaction() as db:
            cur = db.execute(
                "UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt = ?, "
                f"updated = ? WHERE {where}",
                params,
            )
            return cur.rowcount

    def deliveries(self, state: str | None = None, limit: int = 1000) -> list[Delivery]:
        query = f"SELECT {_COLUMNS} FROM deliveries d JOIN messages m ON m.id = d.message_id"
        params: tuple[object, ...] = ()
        if state:
            query += " WHERE d.state = ?"
            params = (state,)
        query += " ORDER BY d.updated DESC LIMIT ?"
        return [Delivery(*row) for row in self.db.execute(query, (*params, limit)).fetchall()]

    def counts(self) -> dict[str, dict[str, int]]:
        """Per subscription: deliveries per state."""
        out: dict[str, dict[str, int]] = {}
        for sub, state, n in self.db.execute(
            "SELECT subscription, state, COUNT(*) FROM deliveries GROUP BY subscription, state"
        ):
            out.setdefault(sub, {"pending": 0, "delivered": 0, "failed": 0})[state] = n
        return out

    def attempts_total(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM attempts").fetchone()[0])


def resolve_outbox(root: Path, outbox: str) -> Path:
    """``webhooks.outbox`` resolved against the governance root, nothing checked."""
    given = Path(outbox).expanduser()
    return given if given.is_absolute() else root / given


def outbox_path(root: Path, outbox: str, job: bool = False) -> Path:
    """``outbox`` resolved against the governance root, refused when it could hold what a
    change wrote: a file Git tracks, a symbolic link (itself or a folder on the way), or,
    unless the CI job chose it (``job``: ``AIGOV_WEBHOOK_OUTBOX``), a path outside the
    repository. Callers pass the base's ``webhooks.outbox`` with ``--base``."""
    path = resolve_outbox(root, outbox)
    top = _plain(root)
    inside = _under(path, top)
    if not job and inside is None:
        _refuse(path, "is outside the repository", "keep webhooks.outbox under the repository")
    for step in _steps(path, top if inside is not None else path.parent):
        if step.is_symlink():
            _refuse(path, f"goes through the symbolic link {step}", "point it at a plain path")
    if inside is not None and _tracked(top, inside):
        _refuse(path, "is tracked by Git", "git rm --cached it; the outbox is local state")
    return path


def _plain(path: Path) -> Path:
    """``path`` made absolute with ``..`` resolved, symbolic links not followed."""
    return Path(os.path.normpath(path.absolute()))


def _under(path: Path, top: Path) -> str | None:
    """``path`` relative to ``top`` (with ``..`` resolved, links not followed), or None."""
    absolute = _plain(path)
    try:
        return absolute.relative_to(top).as_posix()
    except ValueError:
        return None


def _steps(path: Path, top: Path) -> Iterator[Path]:
    """``path`` and each folder above it, up to (not including) ``top``."""
    here = _plain(path)
    while here not in (top, here.parent):
        yield here
        here = here.parent


def _tracked(top: Path, relative: str) -> bool:
    """Whether Git tracks ``relative`` in the work tree at or above ``top``."""
    import subprocess

    try:
        done = subprocess.run(
            ["git", "ls-files", "-z", "--", relative], cwd=top, capture_output=True, check=False
        )
    except OSError:  # no git: nothing is tracked
        return False
    return done.returncode == 0 and bool(done.stdout)


def _refuse(path: Path, why: str, hint: str) -> None:
    raise UsageError(
        f"the webhook outbox {path} {why}: a change could plant the events it sends",
        hint=f"{hint} (webhooks.outbox of the base, or AIGOV_WEBHOOK_OUTBOX set by the job)",
    )


@contextmanager
def delivering(path: Path) -> Iterator[None]:
    """Hold the outbox's delivery lock; a clear error if another process holds it."""
    lock_path = path.with_name(path.name + ".lock")
    handle: IO[str] = lock_path.open("a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise UsageError(
                f"the webhook outbox {path} is being delivered by {holder}",
                hint="wait for it to finish; it delivers what is queued here too",
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        yield
    finally:
        handle.close()
