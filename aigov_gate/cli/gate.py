"""``aigov gate``: the decision for a merge or a deployment, with reports in several formats."""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path

import click

from aigov_gate.cli.context import config_option, pr_option, repo_option

FORMATS = ("text", "json", "sarif", "junit", "codequality", "markdown", "oscal", "github")
SEVERITIES = ("info", "low", "medium", "high", "critical")


def _outputs(values: tuple[str, ...]) -> list[tuple[str, Path]]:
    from aigov_gate.errors import UsageError

    pairs = []
    for value in values:
        fmt, sep, path = value.partition("=")
        if not sep or fmt not in FORMATS or not path:
            raise UsageError(
                f"--output {value!r} is not FORMAT=PATH",
                hint=f"e.g. --output sarif=aigov.sarif; formats: {', '.join(FORMATS)}",
            )
        pairs.append((fmt, Path(path)))
    return pairs


def _write(path: Path, text: str) -> None:
    from aigov_gate.errors import UsageError

    try:
        if path.parent != Path():
            path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise UsageError(
            f"cannot write {path}: {exc.strerror}", hint="check the folder and permissions"
        ) from None


def _workspace_prefix(root: Path, workspace: str | None) -> str:
    """Where ``root`` sits in the CI workspace, for annotations ('' outside CI)."""
    if not workspace:
        return ""
    try:
        prefix = root.resolve().relative_to(Path(workspace).resolve()).as_posix()
    except ValueError:
        return ""
    return "" if prefix == "." else prefix


@click.command("gate")
@click.option("--stage", type=click.Choice(["merge", "deploy"]), default="merge", show_default=True)
@click.option("--environment", "-e", help="Deploy environment (from .aigov.yaml).")
@click.option("--model", "-m", metavar="NAME[@VERSION]", help="Gate one model (version).")
@click.option("--base", metavar="REF", help="Git ref to compare with (changed files, baselines).")
@click.option("--fail-on", type=click.Choice(SEVERITIES), help="Block at this severity or above.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option(
    "--output",
    "-o",
    "outputs",
    multiple=True,
    metavar="FORMAT=PATH",
    help="Also write a report to a file (repeatable).",
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Evaluate as on this date (reproducible runs). Default: today (UTC).",
)
@pr_option
@repo_option
@config_option
@click.pass_context
def gate_command(
    ctx: click.Context,
    stage: str,
    environment: str | None,
    model: str | None,
    base: str | None,
    fail_on: str | None,
    fmt: str,
    outputs: tuple[str, ...],
    as_of: object,
    pr: int | None,
    repo: Path | None,
    config_path: Path | None,
) -> None:
    """Decide whether a merge or a deployment may go ahead, and say why.

    Exit codes: 0 passed, 1 blocked, 2 could not run, 3 internal error.
    """
    from aigov_gate.cli.context import find_repo
    from aigov_gate.config import find_config, load_config
    from aigov_gate.errors import EXIT_BLOCKED, EXIT_PASSED
    from aigov_gate.gate import GateOptions, run_gate
    from aigov_gate.reporters import GATE_REPORTER_BY_NAME
    from aigov_gate.signoff.context import from_env

    files = _outputs(outputs)
    root = find_repo(repo)
    config = load_config(config_path or find_config(root))
    today = as_of.date() if hasattr(as_of, "date") else None
    assert today is None or isinstance(today, date)
    signoff = from_env(config.signoff, os.environ, pr)
    options = GateOptions(stage, environment, model, base, fail_on, today, signoff=signoff)
    result = run_gate(root, config, options)
    result.path_prefix = _workspace_prefix(root, os.environ.get("GITHUB_WORKSPACE"))
    for out_fmt, path in files:
        _write(path, GATE_REPORTER_BY_NAME[out_fmt](result, False))
    colour = fmt == "text" and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    click.echo(GATE_REPORTER_BY_NAME[fmt](result, colour), nl=False)
    ctx.exit(EXIT_PASSED if result.passed else EXIT_BLOCKED)
