"""``aigov gate``: the decision for a merge or a deployment, with reports in several formats."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from aigov_gate.cli.context import config_option, pr_option, repo_option
from aigov_gate.cli.conventions import force_option, refuse_overwrite
from aigov_gate.cli.output import decided, say
from aigov_gate.reporters import GATE_REPORTER_BY_NAME
from aigov_gate.rules import SEVERITIES, STAGES, Stage

if TYPE_CHECKING:
    from aigov_gate.app.gate import GateRun

FORMATS = tuple(GATE_REPORTER_BY_NAME)


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


def gate_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options that say what to gate (shared by ``gate`` and ``evidence build``)."""
    options = [
        click.option("--stage", type=click.Choice(STAGES), default="merge", show_default=True),
        click.option("--environment", "-e", help="Deploy environment (from .aigov.yaml)."),
        click.option("--model", "-m", metavar="NAME[@VERSION]", help="Gate one model (version)."),
        click.option("--base", metavar="REF", help="Git ref to compare with (changed files)."),
        click.option(
            "--fail-on", type=click.Choice(SEVERITIES), help="Block at this severity or above."
        ),
        click.option(
            "--as-of",
            "as_of",
            type=click.DateTime(["%Y-%m-%d"]),
            help="Evaluate as on this date (reproducible runs). Default: today (UTC).",
        ),
        click.option(
            "--model-artifact",
            "model_artifact",
            type=click.Path(path_type=Path),
            metavar="PATH",
            help="At a deploy: the model file or directory being deployed; its OpenSSF Model "
            "Signing digest must be the Model's spec.digest (needs --model).",
        ),
        pr_option,
        repo_option,
        config_option,
    ]
    for option in reversed(options):
        func = option(func)
    return func


def run(
    stage: Stage,
    environment: str | None,
    model: str | None,
    base: str | None,
    fail_on: str | None,
    as_of: object,
    pr: int | None,
    repo: Path | None,
    config_path: Path | None,
    model_artifact: Path | None = None,
    evidence: bool = False,
    dashboard: bool = False,
) -> GateRun:
    """The parsed gate options -> the use case (aigov_gate/app/gate.py)."""
    from aigov_gate.app.gate import GateRequest
    from aigov_gate.app.gate import run as run_gate
    from aigov_gate.cli.context import find_repo
    from aigov_gate.cli.output import use_config
    from aigov_gate.cli.progress import Progress
    from aigov_gate.config import find_config, load_config

    root = find_repo(repo)
    config = load_config(config_path or find_config(root))
    if base is None:
        use_config(config)  # with --base, only the base's settings may turn masking off
    today = as_of.date() if isinstance(as_of, datetime) else None
    request = GateRequest(
        root,
        config,
        stage,
        environment,
        model,
        base,
        fail_on,
        today,
        pr,
        evidence,
        dashboard,
        model_artifact=model_artifact,
    )
    progress = Progress()
    try:
        gate = run_gate(request, os.environ, progress)
    finally:
        progress.close()
    use_config(gate.config)
    return gate


def warn(line: str) -> None:
    """A use case's log: stderr, through the writer."""
    say(line, err=True)


timestamp_option = click.option(
    "--timestamp",
    "tsa",
    metavar="URL",
    help="Have this RFC 3161 time-stamping authority stamp the evidence bundle's signature "
    "(trusted time; docs/evidence.md).",
)

notify_option = click.option(
    "--notify",
    is_flag=True,
    help="Send this run's events to the WebhookSubscriptions (docs/webhooks.md); a receiver "
    "that is down never changes the exit code.",
)


@click.command("gate")
@gate_options
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
    "--evidence",
    "evidence",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PATH",
    help="Also write a signed evidence bundle (.tar.gz) of this run (docs/evidence.md).",
)
@force_option
@timestamp_option
@notify_option
@click.pass_context
def gate_command(
    ctx: click.Context,
    /,
    fmt: str,
    outputs: tuple[str, ...],
    evidence: Path | None,
    force: bool,
    tsa: str | None,
    notify: bool,
    **selection: Any,
) -> None:
    """Decide whether a merge or a deployment may go ahead, and say why.

    Exit codes: 0 passed, 1 blocked, 2 could not run, 3 internal error.
    """

    from aigov_gate.app.files import write_report
    from aigov_gate.app.gate import announce, seal

    files = _outputs(outputs)
    refuse_overwrite([*(path for _, path in files), evidence], force)
    if tsa and evidence is None:
        from aigov_gate.errors import UsageError

        raise UsageError("--timestamp stamps an evidence bundle", hint="add --evidence PATH")
    dashboard = fmt == "html" or any(out_fmt == "html" for out_fmt, _ in files)
    gate = run(**selection, evidence=evidence is not None, dashboard=dashboard)
    result = gate.result
    for out_fmt, path in files:
        write_report(path, gate.report(out_fmt))
    built = seal(gate, evidence, os.environ, warn, tsa=tsa) if evidence is not None else None
    colour = fmt == "text" and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    say(gate.report(fmt, colour), nl=False)
    if notify:
        announce(gate, files, built, os.environ, warn)
    decided(result.passed)
