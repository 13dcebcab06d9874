"""What ``aigov validate`` remembers between runs, so that a re-run costs little.

Two things, in one JSON file per repository under the user's cache directory
(``$AIGOV_CACHE_DIR``, else ``$XDG_CACHE_HOME/aigov-gate``, else ``~/.cache/aigov-gate``):

- **parsed files**, keyed by the sha256 of the file's bytes: what the YAML parser made of
  them (documents, problems, positions). A changed file is parsed again; the others are
  not, which is what a pre-commit run on one file of a large repository needs.
- **runs**, keyed by everything a run's findings depend on (this code, the config, the
  paths asked for, the bytes of every file read, the artifacts checked, the day): the
  findings themselves. A re-run with nothing changed reports them without parsing.

A file's sha256 is recomputed unless its size, mtime, ctime and inode are those recorded
when it was hashed, and it was not modified within two seconds before that (git's
"racily clean" rule). The cache is never trusted across versions of aigov-gate, PyYAML or
pydantic (the header holds them and a fingerprint of this package's files), is ignored
when unreadable or corrupt, and is written atomically (a temporary file, then rename).

It is never kept inside the repository: a cache a pull request could commit would let it
say "this file has no findings". The gate does not use it at all.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from aigov_gate.loading.safe_yaml import Limits, Parsed, Problem
from aigov_gate.result import Finding, Location, Severity

FORMAT = 1
#: Runs kept per repository (each holds its findings).
KEEP_RUNS = 4
_RACY_SECONDS = 2.0
#: Parsed values JSON cannot hold are written as {TAG: value}; YAML can hold no NUL, so
#: no key of a parsed document starts with one.
_DATE, _DATETIME, _BYTES = "\0d", "\0t", "\0b"


def default_directory(env: Mapping[str, str]) -> Path:
    if env.get("AIGOV_CACHE_DIR"):
        return Path(env["AIGOV_CACHE_DIR"])
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "aigov-gate"


def code_fingerprint() -> str:
    """The version, the parser's and validator's versions, and this package's files (by
    size and mtime, so an edited checkout is a new version)."""
    import pydantic
    import yaml

    from aigov_gate import __version__

    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(f"{__version__} {yaml.__version__} {pydantic.VERSION}".encode())
    for path in sorted(package.rglob("*")):
        if path.suffix in {".py", ".json", ".yaml", ".yml", ".j2"}:
            stat = path.stat()
            name = path.relative_to(package)
            digest.update(f"{name} {stat.st_size} {stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _tagged(value: Any) -> Any:
    """``json.dumps``'s ``default``: what JSON has no type for, as {TAG: value}."""
    if isinstance(value, datetime):
        return {_DATETIME: value.isoformat()}
    if isinstance(value, date):
        return {_DATE: value.isoformat()}
    if isinstance(value, bytes):  # !!binary
        return {_BYTES: base64.b64encode(value).decode("ascii")}
    raise TypeError(type(value).__name__)  # UNREADABLE and the like: not kept


def _decode(mapping: dict[str, Any]) -> Any:
    """The ``object_hook``: tagged values back to what the parser made."""
    if len(mapping) == 1:
        ((tag, value),) = mapping.items()
        if not tag.startswith("\0"):
            return mapping
        if tag == _DATE:
            return date.fromisoformat(value)
        if tag == _DATETIME:
            return datetime.fromisoformat(value)
        if tag == _BYTES:
            return base64.b64decode(value)
    return mapping


def _signature(stat: os.stat_result) -> list[int]:
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]


class Cache:
    """One repository's cache: read once at the start of a run, written once at its end."""

    def __init__(self, directory: Path, root: Path, limits: Limits) -> None:
        name = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:32]
        self.path = directory / f"{name}.json"
        self.header = f"{FORMAT} {code_fingerprint()} {limits!r}"
        self.started = time.time()
        self._files: dict[str, Any] = {}
        self._stats: dict[str, list[Any]] = {}
        self._runs: dict[str, Any] = {}
        self._seen_files: dict[str, Any] = {}
        self._seen_stats: dict[str, list[Any]] = {}
        self.changed = False
        self._load()

    def _load(self) -> None:
        try:
            with self.path.open("rb") as handle:
                stored = json.loads(handle.read())
            if stored.get("header") != self.header:
                return
            files, stats, runs = stored["files"], stored["stats"], stored["runs"]
            if isinstance(files, dict) and isinstance(stats, dict) and isinstance(runs, dict):
                self._files, self._stats, self._runs = files, stats, runs
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return  # no cache yet, or one that cannot be trusted: start afresh

    # -- files ----------------------------------------------------------------------

    def digest(self, relative: str, path: Path) -> str | None:
        """The sha256 of the file's bytes, from the recorded stat when that still holds."""
        try:
            stat = path.stat()
        except OSError:
            return None
        signature = _signature(stat)
        known = self._stats.get(relative)
        racy = stat.st_mtime >= self.started - _RACY_SECONDS
        if known is not None and known[:4] == signature and not racy:
            self._seen_stats[relative] = known
            return str(known[4])
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            return None
        self.note(relative, path, digest)
        return digest

    def note(self, relative: str, path: Path, digest: str) -> None:
        """Record that the file at ``path`` (as it is now) has ``digest``."""
        try:
            signature = _signature(path.stat())
        except OSError:
            return
        entry = [*signature, digest]
        if self._stats.get(relative) != entry:
            self.changed = True
        self._seen_stats[relative] = entry

    def parsed(self, digest: str, text: str) -> Parsed | None:
        stored = self._files.get(digest)
        if stored is None:
            return None
        try:
            documents, problems, positions, alias_nodes = stored
            parsed = Parsed(
                text,
                json.loads(documents, object_hook=_decode),
                [Problem(*p) for p in problems],
                [(int(line), int(column)) for line, column in positions],
                alias_nodes=int(alias_nodes),
            )
        except (TypeError, ValueError, AttributeError):
            return None
        self._seen_files[digest] = stored
        return parsed

    def remember_parsed(self, digest: str, parsed: Parsed) -> None:
        """Keep what the parser made of these bytes, when JSON can hold it exactly (the
        rest is parsed again next time: non-string keys, documents that did not build)."""
        if parsed.odd_keys:
            return
        try:
            documents = json.dumps(parsed.documents, default=_tagged, ensure_ascii=False)
        except (TypeError, ValueError, RecursionError):
            return
        problems = [[p.code, p.message, p.line, p.column, p.hint] for p in parsed.problems]
        positions = [list(p) for p in parsed.name_positions]
        self._seen_files[digest] = [documents, problems, positions, parsed.alias_nodes]
        self.changed = True

    # -- runs -----------------------------------------------------------------------

    def run(self, key: str) -> Any:
        return self._runs.get(key)

    def remember_run(self, key: str, record: Any) -> None:
        runs = {k: v for k, v in self._runs.items() if k != key}
        kept = list(runs.items())[-(KEEP_RUNS - 1) :]
        self._runs = {**dict(kept), key: record}
        self.changed = True

    def save(self) -> None:
        """Write what this run saw (entries of files no longer read are dropped)."""
        if not self.changed and len(self._seen_files) == len(self._files):
            return
        stored = {
            "header": self.header,
            "files": self._seen_files,
            "stats": self._seen_stats,
            "runs": self._runs,
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".tmp-", suffix=".json")
        except OSError:
            return  # a cache that cannot be written is a slower next run, nothing more
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(json.dumps(stored, separators=(",", ":"), ensure_ascii=False))
            Path(temporary).replace(self.path)
        except (OSError, ValueError):
            Path(temporary).unlink(missing_ok=True)


def finding_record(finding: Finding) -> list[Any]:
    return [
        finding.rule_id,
        int(finding.severity),
        finding.message,
        _location_record(finding.location),
        finding.target,
        finding.hint,
        [_location_record(r) for r in finding.related],
        list(finding.clauses),
        finding.model,
        finding.waived_by,
    ]


def finding_from(record: list[Any]) -> Finding:
    rule, severity, message, location, target, hint, related, clauses, model, waived = record
    return Finding(
        rule,
        Severity(severity),
        message,
        Location(*location),
        target,
        hint,
        tuple(Location(*r) for r in related),
        tuple(clauses),
        model,
        waived,
    )


def _location_record(location: Location) -> list[Any]:
    return [location.path, location.line, location.column]


def run_key(parts: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()
