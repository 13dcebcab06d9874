"""``aigov schema export``: write the JSON Schemas, or check committed ones for drift."""

from __future__ import annotations

from pathlib import Path

import click

from aigov_gate.cli.output import decided, say


@click.group("schema")
def schema_group() -> None:
    """JSON Schemas of the document kinds and of .aigov.yaml."""


@click.command("export")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".aigov/schemas"),
    show_default=True,
    help="Folder to write the schemas into.",
)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if files in --out differ.")
@click.pass_context
def export_command(ctx: click.Context, out: Path, check: bool) -> None:
    """Write one JSON Schema (2020-12) per kind, plus the config's."""
    from aigov_gate.scaffold import export_schemas, stale_schemas

    if check:
        stale = stale_schemas(out)
        for name in stale:
            say(f"{out / name}: differs from the models", err=True)
        if stale:
            say(f"run: aigov schema export --out {out}", err=True)
            decided(False)
        say(f"ok: schemas in {out} match the models")
        return
    written = export_schemas(out)
    say(f"wrote {len(written)} schemas to {out}")


schema_group.add_command(export_command)
