"""Digests of a test's evaluation code (``evaluation_code`` of a TestPlan test).

The same digest is computed three ways, so they can be compared: in the working tree when
``aigov test run`` attests a run, in the working tree and at the base when the gate checks
it (``test.harness-changed``). A file's digest is the SHA-256 of its bytes. A folder's is
the SHA-256 of the lines ``<sha256 of the file>  <path inside the folder>\\n`` of each file
Git tracks under it (sorted by path): files Git ignores (``__pycache__``, build output) do
not count, so running the code does not change its digest. A path that is not there has
the digest ``missing``.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aigov_gate.git import BaseRef

MISSING = "missing"
_LIMIT = 256 << 20


def _folder(rows: Iterable[tuple[str, bytes]]) -> str:
    lines = sorted(f"{hashlib.sha256(data).hexdigest()}  {rel}\n" for rel, data in rows)
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def _tracked(root: Path, rel: str) -> list[str] | None:
    """Files Git tracks under ``rel`` (paths relative to ``root``); None outside Git."""
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--cached", "--", rel],
            capture_output=True,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return [p for p in done.stdout.decode("utf-8", "replace").split("\0") if p]


def in_tree(root: Path, paths: Sequence[str]) -> dict[str, str]:
    """``path -> digest`` of each declared path in the working tree at ``root``."""
    out: dict[str, str] = {}
    top = root.resolve()
    for rel in paths:
        path = (root / rel).resolve()
        if not path.is_relative_to(top) or not path.exists():
            out[rel] = MISSING
        elif path.is_file():
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            listed = _tracked(root, rel)
            if listed is None:
                files = [p for p in path.rglob("*") if p.is_file() and not p.is_symlink()]
            else:
                files = [root / p for p in listed]
            rows = [(f.relative_to(path).as_posix(), f.read_bytes()) for f in files if f.is_file()]
            out[rel] = _folder(rows)
    return out


def at_base(base: BaseRef, paths: Sequence[str]) -> dict[str, str]:
    """``path -> digest`` of each declared path at the base revision."""
    out: dict[str, str] = {}
    for rel in paths:
        clean = PurePosixPath(rel).as_posix().strip("/")
        full = f"{base.prefix}/{clean}" if base.prefix else clean
        try:
            item = base.commit.tree / full
        except KeyError:
            out[rel] = MISSING
            continue
        if item.type == "blob":
            out[rel] = hashlib.sha256(item.data_stream.read()).hexdigest()
            continue
        rows = [
            (PurePosixPath(b.path).relative_to(full).as_posix(), b.data_stream.read())
            for b in item.traverse()
            if b.type == "blob" and b.size <= _LIMIT
        ]
        out[rel] = _folder(rows)
    return out


__all__ = ["MISSING", "at_base", "in_tree"]
