"""``aigov report html``: the dashboard, one self-contained HTML file (docs/dashboard.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from aigov_gate.cli.context import config_option, repo_option
from aigov_gate.cli.conventions import force_option, output_option, refuse_overwrite
from aigov_gate.cli.gate import gate_options
from aigov_gate.cli.output import say


@click.group("report")
def report_group() -> None:
    """Reports of a gate run for people to read."""


@report_group.command("html")
@output_option("Where to write the dashboard.", default=Path("aigov-dashboard.html"), deprecated=())
@force_option
@gate_options
def html_command(output: Path, force: bool, **selection: Any) -> None:
    """Write the compliance dashboard: the decision and why, the clause x model matrix,
    each model's assessment, sign-off, waivers, evidence and metric trends.

    Exits 0 when it wrote the file, whatever the gate decided (the gate command decides
    merges), 2 when it could not run.
    """
    from aigov_gate.app.files import write_report
    from aigov_gate.cli.gate import run

    refuse_overwrite([output], force)
    gate = run(**selection, dashboard=True)
    text = gate.report("html")
    write_report(output, text)
    say(
        f"wrote {output} ({len(text.encode()) // 1024} KiB): gate {gate.result.decision}; "
        f"open it in a browser",
        err=True,
    )


@report_group.command("annex-iv")
@click.argument("model")
@output_option("Write to this file instead of standard output.", deprecated=())
@force_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "html"]),
    default="markdown",
    show_default=True,
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    help="The day the law is read for (default: today).",
)
@repo_option
@config_option
def annex_iv_command(
    model: str,
    output: Path | None,
    force: bool,
    fmt: str,
    as_of: Any,
    repo: Path | None,
    config_path: Path | None,
) -> None:
    """MODEL[@VERSION]'s technical documentation under the EU AI Act's Annex IV: the nine
    points in order, each statement with the record (file:line) it comes from, each point
    the records cannot fill named and counted as a gap; the lifecycle point from Git.

    Exits 0 when it wrote the document (gaps or not: the gate decides), 2 when it could
    not (no such model or version, an unreadable configuration).
    """
    from datetime import date

    from aigov_gate.app.files import write_report
    from aigov_gate.cli.context import find_repo
    from aigov_gate.cli.output import use_config
    from aigov_gate.config import find_config, load_config
    from aigov_gate.dossier.assemble import annex_iv
    from aigov_gate.dossier.render import FORMATS

    refuse_overwrite([output], force)
    root = find_repo(repo)
    config = load_config(config_path or find_config(root))
    day = as_of.date() if as_of else date.today()
    dossier = annex_iv(root, config, model, day)
    text = use_config(config)(FORMATS[fmt](dossier))
    gaps = f"{len(dossier.gaps)} gap(s)"
    if output is None:
        say(text, nl=False)
        say(f"{dossier.model}@{dossier.version}: {gaps}", err=True)
        return
    write_report(output, text)
    say(f"wrote {output}: {dossier.model}@{dossier.version}, {gaps}", err=True)
