"""``aigov init``: scaffold a governance repository that is green at once."""

from __future__ import annotations

import shlex
from datetime import date
from pathlib import Path

import click

from aigov_gate.cli.output import say


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=Path())
@click.option(
    "--organization",
    default="my-org",
    show_default=True,
    help="Organization name written into .aigov.yaml.",
)
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
def init_command(directory: Path, organization: str, force: bool) -> None:
    """Write .aigov.yaml, example documents, an evaluation the plan runs, .gitignore,
    .pre-commit-config.yaml, a GitHub workflow and editor schemas into DIRECTORY."""
    from aigov_gate.scaffold import NEXT_STEPS, scaffold

    written = scaffold(directory, organization, today=date.today(), force=force)
    for path in written:
        say(f"  created {path}")
    say("next steps, each of them passes on the files as written:")
    steps = [] if directory == Path() else [(f"cd {shlex.quote(str(directory))}", "")]
    width = max(len(command) for command, _ in [*steps, *NEXT_STEPS])
    for command, why in [*steps, *NEXT_STEPS]:
        say(f"  {command:<{width}}  # {why}" if why else f"  {command}")
