"""``aigov schema export`` and ``aigov schema doc``: the JSON Schemas and the field
reference (docs/fields.md), written or checked for drift."""

from __future__ import annotations

from pathlib import Path

import click

from aigov_gate.cli.context import repo_option
from aigov_gate.cli.conventions import force_option, output_option
from aigov_gate.cli.output import decided, say

_DEFAULT = Path(".aigov", "schemas")


@click.group("schema")
def schema_group() -> None:
    """JSON Schemas of the document kinds and of .aigov.yaml."""


@click.command("export")
@output_option("Folder to write the schemas into (default: REPO/.aigov/schemas).", folder=True)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if files in -o differ.")
@force_option
@repo_option
def export_command(output: Path | None, check: bool, force: bool, repo: Path | None) -> None:
    """Write one JSON Schema (2020-12) per kind, plus the config's.

    Without -o they go to the repository's .aigov/schemas (found as --repo says), never
    into the current subfolder. A schema that exists and differs is overwritten only
    with --force.
    """
    from aigov_gate.cli.context import find_repo
    from aigov_gate.cli.conventions import refuse_overwrite
    from aigov_gate.scaffold import export_schemas, stale_schemas

    out = output if output is not None else find_repo(repo) / _DEFAULT
    stale = stale_schemas(out)
    if check:
        for name in stale:
            say(f"{out / name}: differs from the models", err=True)
        if stale:
            say(f"run: aigov schema export --force -o {out}", err=True)
            decided(False)
        say(f"ok: schemas in {out} match the models")
        return
    refuse_overwrite((out / name for name in stale), force)
    written = export_schemas(out)
    say(f"wrote {len(written)} schemas to {out}")


schema_group.add_command(export_command)


@schema_group.command("doc")
@output_option("Write the reference here, e.g. docs/fields.md (default: stdout).", deprecated=())
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if the file at -o differs.")
@force_option
def doc_command(output: Path | None, check: bool, force: bool) -> None:
    """The field reference: every field of every kind and of .aigov.yaml, with its type,
    default and description, as Markdown (docs/fields.md is this output)."""
    from aigov_gate.cli.conventions import refuse_overwrite
    from aigov_gate.errors import UsageError
    from aigov_gate.scaffold.fields import field_reference

    text = field_reference()
    if output is None:
        if check:
            raise UsageError("--check compares with a file", hint="add -o docs/fields.md")
        say(text, nl=False)
        return
    same = output.is_file() and output.read_text(encoding="utf-8") == text
    if check:
        if not same:
            say(f"{output}: differs from the models; run: aigov schema doc --force -o {output}")
            decided(False)
        say(f"ok: {output} matches the models")
        return
    if not same:
        refuse_overwrite([output], force)
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    say(f"wrote {output}")
