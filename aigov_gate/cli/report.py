"""``aigov report html``: the dashboard, one self-contained HTML file (docs/dashboard.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

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
