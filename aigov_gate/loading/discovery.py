"""Finding governance files: by content, under the configured paths, never leaving the repo.

Discovery reads only ``.yaml``/``.yml`` files and keeps those whose text mentions
``aigov/`` (a byte search, so unrelated YAML costs almost nothing); parsing decides the
rest. Symbolic links are never followed: one that points outside the repository is
reported, one that stays inside is skipped (its target is found on its own).

aigov's own files are never governance documents, even when named on the command line
(pre-commit passes every staged file): ``.aigov.yaml`` and everything under ``.aigov/``
(editor schemas, the keyring, test logs, the outbox, approvals of the authority), and the
configured keyring and outbox folders when they live elsewhere (:func:`own_prefixes`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

YAML_SUFFIXES = (".yaml", ".yml")
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "node_modules",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "site-packages",
    }
)


#: Files and folders that hold aigov's configuration and state, never governance documents.
OWN_FILES = frozenset({".aigov.yaml", ".aigov.yml"})
OWN_DIR = ".aigov/"


def own_prefixes(*folders: str) -> tuple[str, ...]:
    """``.aigov/`` and each configured state folder (relative, POSIX), as path prefixes."""
    prefixes = {OWN_DIR}
    for folder in folders:
        clean = Path(folder).as_posix().strip("/")
        if clean and clean != "." and not Path(folder).is_absolute():
            prefixes.add(clean.removeprefix("./") + "/")
    return tuple(sorted(prefixes))


def is_own(relative: str, prefixes: tuple[str, ...] = (OWN_DIR,)) -> bool:
    """Whether a repository-relative path is one of aigov's own files (config or state)."""
    return relative in OWN_FILES or relative.startswith(prefixes)


def drop_own(candidates: Iterable[Candidate], keys_dir: str, outbox: str) -> list[Candidate]:
    """The candidates that are not aigov's own files (with the configured keyring folder
    and outbox file), the first of each path only."""
    own = own_prefixes(keys_dir, Path(outbox).parent.as_posix())
    unique: dict[str, Candidate] = {}
    for candidate in candidates:
        if not is_own(candidate.relative, own):
            unique.setdefault(candidate.relative, candidate)
    return list(unique.values())


def claims_aigov(data: bytes) -> bool:
    """Whether raw bytes hold an ``aigov/`` apiVersion, in any encoding YAML allows.

    In UTF-8 the ``apiVersion`` key and ``aigov/`` must share a line, so another tool's
    YAML that merely mentions ``.aigov/`` (a path, a modeline) is not taken for ours.
    """
    if _CLAIM.search(data):
        return True
    return any(key in data and value in data for key, value in _WIDE_MARKERS)


_CLAIM = re.compile(rb"apiVersion[^\n]{0,24}aigov/")
_WIDE_MARKERS = tuple(
    ("apiVersion".encode(c), "aigov/".encode(c))
    for c in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A file to look at. ``explicit``: named by the user, so every problem is reported."""

    path: Path
    relative: str
    explicit: bool
    escapes: bool = False


def relative_to_repo(path: Path, root: Path) -> str | None:
    """POSIX path of ``path`` inside ``root`` (both absolute), or None if it is outside."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return None


def walk(root: Path, start: Path, exclude: Iterable[str]) -> Iterator[Candidate]:
    """YAML files under ``start`` (inside ``root``), sorted, skipping excluded and tool dirs."""
    patterns = tuple(exclude)
    inside = relative_to_repo(start, root)
    # Relative paths are built as strings while walking (pathlib per entry cost more than
    # the walk itself on 10,000 files); a start outside root keeps names relative to it.
    stack = [(str(start), "" if not inside or inside == "." else inside + "/")]
    while stack:
        directory, prefix = stack.pop()
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name, reverse=True)
        except OSError:
            continue
        for entry in entries:
            relative = prefix + entry.name if inside is not None else entry.name
            if patterns and any(fnmatch(relative, p) for p in patterns):
                continue
            if entry.is_symlink():
                path = Path(entry.path)
                if entry.name.endswith(YAML_SUFFIXES) and _escapes(path, root):
                    yield Candidate(path, relative, explicit=False, escapes=True)
                continue
            if entry.is_dir(follow_symlinks=False):
                if entry.name not in SKIPPED_DIRS:
                    stack.append((entry.path, relative + "/"))
            elif entry.name.endswith(YAML_SUFFIXES):
                yield Candidate(Path(entry.path), relative, explicit=False)


def explicit(path: Path, root: Path) -> Candidate:
    """A file the user named. Its path must be inside the repository."""
    relative = relative_to_repo(path, root) or path.as_posix()
    return Candidate(
        path, relative, explicit=True, escapes=path.is_symlink() and _escapes(path, root)
    )


def _escapes(link: Path, root: Path) -> bool:
    """Whether a link leaves the repository; a loop (or an unreadable link) counts as so."""
    try:
        target = link.resolve()
    except (RuntimeError, OSError):  # "Symlink loop" on Python 3.11-3.12
        return True
    return relative_to_repo(target, root.resolve()) is None
