"""Documents in and out of other tools' formats, written as our YAML by ``writing``.
Nothing here prints; the CLI does.

Importers are a table, like the reporters: each is one module with one function that
returns :class:`~aigov_gate.documents.imported.Imported` (documents as plain data, what
was left out and why), and one entry in :data:`IMPORTER_BY_NAME`. The entry names the
function by its dotted path, so a command imports only the importer it runs.

    >>> sorted(IMPORTER_BY_NAME)
    ['cyclonedx', 'mlflow', 'model-card', 'oscal']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any, cast

from aigov_gate.documents.imported import Imported


@dataclass(frozen=True, slots=True)
class Importer:
    """One importer: the command that runs it, its function, and the kinds it writes."""

    command: str
    function: str  # "package.module:function"
    kinds: tuple[str, ...]
    reads: str


IMPORTER_BY_NAME: dict[str, Importer] = {
    "model-card": Importer(
        "aigov import model-card",
        "aigov_gate.interchange.model_card:convert",
        ("Model", "TestRun"),
        "a Hugging Face model card's front matter",
    ),
    "cyclonedx": Importer(
        "aigov import cyclonedx",
        "aigov_gate.interchange.cyclonedx_in:import_bom",
        ("Dataset", "Model", "TestRun"),
        "a CycloneDX 1.6/1.7 ML-BOM (JSON)",
    ),
    "mlflow": Importer(
        "aigov import mlflow",
        "aigov_gate.interchange.mlflow:import_runs",
        ("Model", "TestRun"),
        "MLflow runs (file store, SQLite or a tracking server)",
    ),
    "oscal": Importer(
        "aigov frameworks import-oscal",
        "aigov_gate.compliance.oscal:import_catalog",
        ("Framework",),
        "an OSCAL 1.1/1.2 catalog (JSON or YAML)",
    ),
}


def importer(name: str) -> Callable[..., Imported]:
    """The function of the importer ``name`` (its module is imported now)."""
    module, _, function = IMPORTER_BY_NAME[name].function.partition(":")
    found: Any = getattr(import_module(module), function)
    return cast("Callable[..., Imported]", found)


__all__ = ["IMPORTER_BY_NAME", "Imported", "Importer", "importer"]
