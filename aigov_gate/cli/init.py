"""``aigov init``: scaffold a governance repository that validates clean."""

from __future__ import annotations

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
    """Write .aigov.yaml, example documents and editor schemas into DIRECTORY."""
    from aigov_gate.scaffold import scaffold

    written = scaffold(directory, organization, force=force)
    for path in written:
        say(f"  created {path}")
    say(f"next: cd {directory} && aigov validate")
