"""Finding the repository and its configuration from the command line's point of view."""

from __future__ import annotations

from pathlib import Path

import click

from aigov_gate.errors import UsageError

REPO_HELP = (
    "Repository root "
    "(default: the nearest parent with .aigov.yaml or .git, else the current folder)."
)
repo_option = click.option("--repo", type=click.Path(path_type=Path), help=REPO_HELP)
config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file (default: REPO/.aigov.yaml).",
)


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


pr_option = click.option(
    "--pr",
    type=click.IntRange(min=1),
    metavar="N",
    help="Pull/merge request whose approvals count (default: from the CI event: "
    "GITHUB_EVENT_PATH or CI_MERGE_REQUEST_IID).",
)
