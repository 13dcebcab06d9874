"""Finding the repository and its configuration from the command line's point of view."""

from __future__ import annotations

from pathlib import Path

from aigov_gate.errors import UsageError


def find_repo(given: Path | None) -> Path:
    """``--repo``, else the nearest parent holding ``.aigov.yaml`` or ``.git``, else cwd."""
    if given is not None:
        if not given.is_dir():
            raise UsageError(f"--repo {given} is not a directory", hint="check the path")
        return given.absolute()
    cwd = Path.cwd()
    for marker in (".aigov.yaml", ".git"):
        for directory in (cwd, *cwd.parents):
            if (directory / marker).exists():
                return directory
    return cwd
