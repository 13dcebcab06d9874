"""Retention of evidence bundles: which may go (``aigov evidence prune``), and the log of
what went.

A bundle may be deleted only when it verifies, so that its retention date is the signed
one, and that date is before the day judged on. Each deletion is appended to
``prune-log.jsonl`` in the bundles' folder, hash-chained like the keys' audit log (``seq``,
``prev``: the SHA-256 of the line before, canonical JSON), so a deleted, edited or moved
line shows in :attr:`PruneLog.problems`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from aigov_gate.evidence import audit
from aigov_gate.evidence.keyring import Keyring, stamp

PRUNE_LOG = "prune-log.jsonl"


@dataclass(frozen=True, slots=True)
class Verdict:
    path: Path
    action: Literal["keep", "delete"]
    #: Why it is kept, or when its retention ended.
    reason: str
    until: date | None = None


def judge(folder: Path, keyring: Keyring, today: date) -> Iterator[Verdict]:
    """Every bundle under ``folder``, kept or due for deletion on ``today``."""
    from aigov_gate.evidence.verify import verify

    for path in sorted(folder.rglob("*.tar.gz")):
        result = verify(path, keyring)
        if not result.ok:
            yield Verdict(path, "keep", "it does not verify, so its retention date is not trusted")
            continue
        until = date.fromisoformat(str((result.predicate.get("retention") or {}).get("until")))
        if until >= today:
            yield Verdict(path, "keep", f"retained until {until}", until)
        else:
            yield Verdict(path, "delete", f"retention ended {until}", until)


class PruneLog:
    """``prune-log.jsonl`` of a folder, read once: the problems of its chain so far, and
    where the next entry joins it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / PRUNE_LOG
        self.problems: list[str] = []
        lines = audit.chain(self.path, self.problems)
        self.entries = len(lines)
        self.head = hashlib.sha256(lines[-1][1].encode()).hexdigest() if lines else audit.GENESIS

    def delete(
        self, verdict: Verdict, today: date, moment: datetime, env: Mapping[str, str]
    ) -> None:
        """Delete the bundle of ``verdict`` and append the deletion to the log."""
        digest = hashlib.sha256()
        with verdict.path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        verdict.path.unlink()
        entry = {
            "seq": self.entries + 1,
            "time": stamp(moment),
            "actor": audit.actor(env),
            "action": "deleted",
            "bundle": verdict.path.relative_to(self.folder).as_posix(),
            "sha256": digest.hexdigest(),
            "retained_until": str(verdict.until),
            "as_of": str(today),
            "prev": self.head,
        }
        line = json.dumps(entry, sort_keys=True, separators=(",", ":")) + "\n"
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line)
        self.entries += 1
        self.head = hashlib.sha256(line.encode()).hexdigest()
