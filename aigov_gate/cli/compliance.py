"""``aigov frameworks list|show|import-oscal|export-mapping|import-mapping`` and
``aigov compliance report``."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Any

import click

from aigov_gate.cli.context import config_option, repo_option
from aigov_gate.cli.conventions import force_option, output_option, refuse_overwrite, say_json
from aigov_gate.cli.output import say
from aigov_gate.reporters import COMPLIANCE_REPORTER_BY_NAME
from aigov_gate.rules import STAGES, Stage

REPORT_FORMATS = tuple(COMPLIANCE_REPORTER_BY_NAME)


@click.group("frameworks")
def frameworks_group() -> None:
    """Framework clause catalogs: the built-in ones and the repository's own."""


def _catalogs(repo: Path | None, config_path: Path | None) -> dict[str, Any]:
    from aigov_gate.cli.context import find_repo
    from aigov_gate.config import find_config, load_config
    from aigov_gate.frameworks import catalogs_for
    from aigov_gate.graph import Graph
    from aigov_gate.validation import validate_repo

    root = find_repo(repo)
    config = load_config(config_path or find_config(root))
    docs = validate_repo(root, config).documents
    return catalogs_for(Graph(docs).by_kind["Framework"], config.organization)


@frameworks_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@repo_option
@config_option
def list_command(fmt: str, repo: Path | None, config_path: Path | None) -> None:
    """List the frameworks: id, version, clause counts, and where each comes from."""
    catalogs = _catalogs(repo, config_path)
    rows = [
        {
            "id": name,
            "title": c.framework.spec.title,
            "version": c.framework.spec.version,
            "clauses": len(c.clauses),
            "leaves": len(c.leaves()),
            "source": "built-in" if c.builtin else c.path,
        }
        for name, c in sorted(catalogs.items())
    ]
    if fmt == "json":
        say_json("frameworks list", frameworks=rows)
        return
    for row in rows:
        say(f"{row['id']:16} {row['version']:34} {row['leaves']:>4} clauses  {row['source']}")


@frameworks_group.command("show")
@click.argument("framework_id")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Date each clause applies from as the law stood on this day (default: today).",
)
@repo_option
@config_option
def show_command(
    framework_id: str, fmt: str, as_of: Any, repo: Path | None, config_path: Path | None
) -> None:
    """Show a framework's clauses as a tree, with applicability and crosswalks."""
    catalog = _known(_catalogs(repo, config_path), framework_id)
    if fmt == "json":
        say(json.dumps(catalog.framework.model_dump(mode="json", by_alias=True), indent=2))
        return
    day = as_of.date() if as_of else date.today()
    spec = catalog.framework.spec
    say(f"{framework_id}: {spec.title} ({spec.version}), dates as the law stood on {day}")
    if spec.source is not None:
        say(f"source: {spec.source.publication}, {spec.source.date or ''} {spec.source.url or ''}")
    for number, clause in catalog.clauses.items():
        depth = len(catalog.ancestors(number))
        to = catalog.applies(number).to
        notes = _notes(catalog, number, day)
        shown = depth == 0 or clause.applies_from or catalog.equivalents.get(number)
        suffix = f"  [{'; '.join(notes)}]" if notes and (shown or not to.unset) else ""
        say(f"{'  ' * depth}{number}  {clause.title}{suffix}")


def _notes(catalog: Any, number: str, day: date) -> list[str]:
    """What ``frameworks show`` says of a clause: from when (on ``day``), to what, crosswalks."""
    applies = catalog.applies(number)
    notes = []
    since, by = applies.since_on(day, None)
    if since:
        state = "applies" if since <= day else "not yet in force; applies"
        amended = f" as amended by {by} (enacted: {applies.since})" if by else ""
        notes.append(f"{state} from {since}{amended}")
    to = applies.to
    for label, values in (
        ("tiers", to.risk_tiers),
        ("roles", to.roles),
        ("annex III", to.annex_iii_areas),
    ):
        if values:
            notes.append(f"{label} {'/'.join(values)}")
    if to.personal_data:
        notes.append("personal data")
    successors = catalog.clauses[number].successors
    if successors:
        notes.append(f"superseded by {', '.join(successors)}")
    eq = catalog.equivalents.get(number, [])
    if eq:
        notes.append("≈ " + ", ".join(f"{fw}:{c}" for fw, c in eq))
    return notes


_to_file = output_option("Write here (default: stdout).", deprecated=())


@frameworks_group.command("import-oscal")
@click.argument("catalog_path", type=click.Path(path_type=Path))
@click.option("--name", help="Framework id (default: from the catalog's title).")
@_to_file
@force_option
def import_oscal_command(
    catalog_path: Path, name: str | None, output: Path | None, force: bool
) -> None:
    """Turn an OSCAL 1.1/1.2 catalog (JSON or YAML) into a Framework document."""
    refuse_overwrite([output], force)
    import yaml

    from aigov_gate.compliance.oscal import read_catalog
    from aigov_gate.documents.compliance import Framework
    from aigov_gate.errors import UsageError
    from aigov_gate.interchange import importer

    imported = importer("oscal")(read_catalog(catalog_path), name)
    (document,) = imported.documents
    try:
        Framework.model_validate(document)
    except ValueError as exc:
        raise UsageError(
            f"{catalog_path}: the catalog does not make a valid Framework: {exc}".splitlines()[0],
            hint="pass --name with lower-case letters, digits, '.', '_' or '-'",
        ) from None
    header = (
        f"# Imported by aigov frameworks import-oscal from {catalog_path.name}.\n"
        "# Descriptions are the catalog's statements; check their licence before publishing.\n"
    )
    text = header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    _emit(text, output)
    skipped = imported.skipped
    note = f"; {len(skipped)} withdrawn control(s) without a successor left out" if skipped else ""
    say(
        f"imported {document['metadata']['name']}: {imported.counts['groups']} group(s), "
        f"{imported.counts['controls']} control(s){note}",
        err=True,
    )


@frameworks_group.command("export-mapping")
@click.argument("source")
@click.argument("target")
@_to_file
@force_option
@repo_option
@config_option
def export_mapping_command(
    source: str, target: str, output: Path | None, force: bool, **where: Any
) -> None:
    """The crosswalk SOURCE -> TARGET as an OSCAL 1.2 mapping-collection (JSON)."""
    refuse_overwrite([output], force)
    from aigov_gate.compliance.mapping import export_mapping

    catalogs = _catalogs(where["repo"], where["config_path"])
    text = json.dumps(
        export_mapping(_known(catalogs, source), _known(catalogs, target)),
        indent=2,
        ensure_ascii=False,
    )
    _emit(text + "\n", output)


@frameworks_group.command("import-mapping")
@click.argument("mapping_path", type=click.Path(path_type=Path))
@click.option("--source", help="Framework the mapping is from (default: as the file records).")
@click.option("--target", help="Framework it maps to (default: as the file records).")
@_to_file
@force_option
@repo_option
@config_option
def import_mapping_command(
    mapping_path: Path,
    source: str | None,
    target: str | None,
    output: Path | None,
    force: bool,
    repo: Path | None,
    config_path: Path | None,
) -> None:
    """Add an OSCAL mapping-collection's links to SOURCE as equivalents: writes the Framework."""
    refuse_overwrite([output], force)
    import yaml

    from aigov_gate.compliance.mapping import frameworks_named, import_mapping, read_mapping
    from aigov_gate.errors import UsageError

    collection = read_mapping(mapping_path)
    recorded = frameworks_named(collection)
    source, target = source or recorded[0], target or recorded[1]
    if source is None or target is None:
        raise UsageError(
            f"{mapping_path}: which frameworks does it map?",
            hint="pass --source and --target (framework ids, `aigov frameworks list`)",
        )
    catalogs = _catalogs(repo, config_path)
    document, added, unknown = import_mapping(
        collection, _known(catalogs, source), _known(catalogs, target)
    )
    from aigov_gate.documents.compliance import Framework

    Framework.model_validate(document)  # what it writes is a valid Framework
    header = (
        f"# {source} with the equivalents of {mapping_path.name} "
        "(aigov frameworks import-mapping).\n"
    )
    _emit(header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100), output)
    shown = f"; {len(unknown)} id(s) name no clause: {', '.join(unknown[:5])}" if unknown else ""
    say(f"added {added} equivalent(s) from {source} to {target}{shown}", err=True)


def _known(catalogs: dict[str, Any], name: str) -> Any:
    import difflib

    from aigov_gate.errors import UsageError

    if name not in catalogs:
        close = difflib.get_close_matches(name, list(catalogs), n=1)
        did = f"did you mean '{close[0]}'? " if close else ""
        raise UsageError(
            f"unknown framework '{name}'", hint=f"{did}frameworks: {', '.join(sorted(catalogs))}"
        )
    return catalogs[name]


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        say(text, nl=False)
    else:
        from aigov_gate.app.files import write_report

        write_report(output, text)


@click.group("compliance")
def compliance_group() -> None:
    """Clause-level compliance derived from the gate's findings."""


@compliance_group.command("report")
@click.option("--framework", "-f", help="One framework (default: those that apply).")
@click.option("--model", "-m", metavar="NAME[@VERSION]", help="One model (version).")
@click.option(
    "--format", "fmt", type=click.Choice(REPORT_FORMATS), default="text", show_default=True
)
@_to_file
@force_option
@click.option("--stage", type=click.Choice(STAGES), default="merge", show_default=True)
@click.option("--environment", "-e", help="Deploy environment (from .aigov.yaml).")
@click.option(
    "--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), help="Evaluate as on this date."
)
@repo_option
@config_option
def report_command(
    framework: str | None,
    model: str | None,
    fmt: str,
    output: Path | None,
    force: bool,
    stage: Stage,
    environment: str | None,
    as_of: object,
    repo: Path | None,
    config_path: Path | None,
) -> None:
    """Where each model stands, clause by clause, and what proves it.

    Runs the gate's evaluation and prints its compliance view. Exit 0 when the report
    was written (the gate decides merges), 2 on usage or configuration errors.
    """
    from aigov_gate.app.files import write_report
    from aigov_gate.app.gate import GateRequest, run
    from aigov_gate.cli.context import find_repo
    from aigov_gate.config import find_config, load_config

    refuse_overwrite([output], force)
    root = find_repo(repo)
    config = load_config(config_path or find_config(root))
    today = as_of.date() if hasattr(as_of, "date") else None
    assert today is None or isinstance(today, date)
    request = GateRequest(
        root, config, stage, environment, model, as_of=today, framework=framework, ci=False
    )
    result = run(request, os.environ).result
    from aigov_gate.cli.output import use_config

    text = use_config(config)(COMPLIANCE_REPORTER_BY_NAME[fmt](result, False))
    if output is None:
        say(text, nl=False)
    else:
        write_report(output, text)
