"""Finding governance files: by content, under the configured paths, never leaving the repo.

Discovery reads only ``.yaml``/``.yml`` files and keeps those whose text mentions
``aigov/`` (a byte search, so unrelated YAML costs almost nothing); parsing decides the
rest. Symbolic links are never followed: one that points outside the repository is
reported, one that stays inside is skipped (its target is found on its own).
"""

from __future__ import annotations

import os
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
