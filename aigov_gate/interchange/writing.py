"""Writing imported documents: validated first, never over an existing file, same bytes
for the same input."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from aigov_gate.documents import KINDS
from aigov_gate.documents.diagnostics import dotted
from aigov_gate.errors import UsageError

FOLDERS = {"Model": "models", "TestRun": "runs", "Dataset": "datasets"}


def planned(out: Path, documents: Sequence[dict[str, Any]]) -> list[tuple[Path, dict[str, Any]]]:
    """Where each document goes (``out/<kind folder>/<name>.yaml``), each validated."""
    plan = []
    for doc in documents:
        kind, name = doc["kind"], doc["metadata"]["name"]
        try:
            KINDS[kind].model_validate(doc)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise UsageError(
                f"the imported {kind} '{name}' would not be valid: {dotted(first['loc'])}: "
                f"{first['msg']}",
                hint="check the options given (--name, --version, --risk-tier, --model-type)",
            ) from None
        plan.append((out / FOLDERS[kind] / f"{name}.yaml", doc))
    return plan


def write_all(
    plan: Sequence[tuple[Path, dict[str, Any]]], header: str, force: bool = False
) -> None:
    """Write every file, or none: an existing file stops the import before anything,
    unless ``force``."""
    taken = [path for path, _ in plan if path.exists()]
    if taken and not force:
        raise UsageError(
            f"{taken[0]} already exists; not overwriting it",
            hint="pass --force to overwrite it, or import with -o into another folder",
        )
    for path, doc in plan:
        path.parent.mkdir(parents=True, exist_ok=True)
        text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
        with path.open("w" if force else "x", encoding="utf-8") as handle:
            handle.write(f"# {header}\n{text}")
