"""``aigov validate``: schema, references and YAML safety, every problem in one run."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from aigov_gate.cli.context import config_option, repo_option
from aigov_gate.cli.output import decided, say
from aigov_gate.reporters import REPORTER_BY_NAME

if TYPE_CHECKING:
    pass

FORMATS = tuple(REPORTER_BY_NAME)


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@repo_option
@config_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option(
    "--cache/--no-cache",
    default=None,
    help="Remember parsed files and findings between runs, in the user's cache directory "
    "(default: on; off when CI is set, unless AIGOV_CACHE=on; AIGOV_CACHE=off turns it "
    "off; docs/performance.md).",
)
@click.pass_context
def validate_command(
    ctx: click.Context,
    paths: tuple[Path, ...],
    repo: Path | None,
    config_path: Path | None,
    fmt: str,
    cache: bool | None,
) -> None:
    """Validate governance documents: YAML safety, schemas, references.

    With PATHS (files or folders, as pre-commit passes them) only those are validated,
    and their references are checked against the whole repository.
    """
    import os

    from aigov_gate.app.validate import validate
    from aigov_gate.cli.context import find_repo
    from aigov_gate.cli.output import use_config
    from aigov_gate.cli.progress import Progress
    from aigov_gate.config import find_config, load_config

    root = find_repo(repo)
    config = load_config(config_path or find_config(root))
    use_config(config)
    progress = Progress()
    try:
        result = validate(root, config, paths, os.environ, cache, progress)
    finally:
        progress.close()
    colour = fmt == "text" and sys.stdout.isatty()
    say(REPORTER_BY_NAME[fmt](result, colour), nl=False)
    decided(not result.findings)
