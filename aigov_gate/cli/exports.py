"""``aigov export``: other tools' formats from governance documents (docs/interchange.md)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from aigov_gate.cli.context import config_option, repo_option
from aigov_gate.cli.conventions import force_option, output_option
from aigov_gate.cli.output import say
from aigov_gate.errors import UsageError

if TYPE_CHECKING:
    from aigov_gate.documents.assets import Model
    from aigov_gate.graph import Graph
    from aigov_gate.references import Checked

to_file_option = output_option("Write it here (default: stdout).")


@click.group("export")
def export_group() -> None:
    """Write other tools' formats from governance documents."""


@export_group.command("model-card")
@click.argument("model")
@to_file_option
@force_option
@repo_option
@config_option
def export_model_card_command(
    model: str, output: Path | None, force: bool, repo: Path | None, config_path: Path | None
) -> None:
    """MODEL[@VERSION] as a Hugging Face model card (README.md): front matter with the
    model-index of its latest completed TestRun for that version, and a body with the
    sections of the model-card convention and the EU AI Act's Annex IV.

    Exit codes: 0 written, 2 could not export.
    """
    from aigov_gate.cli.context import find_repo
    from aigov_gate.cli.conventions import refuse_overwrite
    from aigov_gate.cli.output import use_config
    from aigov_gate.config import find_config, load_config
    from aigov_gate.graph import Graph
    from aigov_gate.interchange.card_export import render_card
    from aigov_gate.validation import validate_repo

    refuse_overwrite([output], force)
    root = find_repo(repo)
    config = load_config(config_path or find_config(root))
    name, _, version = model.partition("@")
    graph = Graph(validate_repo(root, config).documents)
    found = _models_named(graph, name)
    _emit(use_config(config)(render_card(graph.model_context(found[0], version or None))), output)


@export_group.command("cyclonedx")
@click.option("--model", "-m", "model", help="MODEL[@VERSION]; default: every model.")
@click.option("--spec-version", type=click.Choice(["1.6", "1.7"]), default="1.6", show_default=True)
@to_file_option
@force_option
@repo_option
@config_option
def export_cyclonedx_command(
    model: str | None,
    spec_version: str,
    output: Path | None,
    force: bool,
    repo: Path | None,
    config_path: Path | None,
) -> None:
    """The models as a CycloneDX ML-BOM (JSON): machine-learning-model and data
    components, model cards with the latest completed run's metrics, dependencies.

    Exit codes: 0 written, 2 could not export.
    """
    import json

    from aigov_gate.cli.context import find_repo
    from aigov_gate.cli.conventions import refuse_overwrite
    from aigov_gate.cli.output import use_config
    from aigov_gate.config import find_config, load_config
    from aigov_gate.graph import Graph
    from aigov_gate.interchange.cyclonedx import export_bom
    from aigov_gate.validation import validate_repo

    refuse_overwrite([output], force)
    root = find_repo(repo)
    config = load_config(config_path or find_config(root))
    graph = Graph(validate_repo(root, config).documents)
    name, _, version = (model or "").partition("@")
    chosen = _models_named(graph, name)
    chosen.sort(key=lambda doc: (doc.organization, doc.raw.name))
    bom = export_bom([graph.model_context(d, version or None) for d in chosen], spec_version)
    _emit(use_config(config)(json.dumps(bom, indent=2, ensure_ascii=False) + "\n"), output)


def _models_named(graph: Graph, name: str) -> list[Checked[Model]]:
    """The Models named ``name`` (every Model for ""), or a usage error listing them."""
    chosen = [doc for doc in graph.models if not name or doc.raw.name == name]
    if not chosen:
        known = ", ".join(sorted(doc.raw.name for doc in graph.models)) or "none"
        raise UsageError(f"no Model named '{name}'", hint=f"known models: {known}")
    return chosen


def _emit(text: str, out: Path | None) -> None:
    """An export to stdout, or to a file (checked by ``refuse_overwrite`` first)."""
    if out is None:
        say(text, nl=False)
        return
    from aigov_gate.app.files import write_report

    write_report(out, text)
    say(f"wrote {out}", err=True)
