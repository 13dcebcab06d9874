"""Files ``aigov init`` writes, and the editor schemas ``aigov schema export`` writes.

The template lives in ``scaffold/template`` (package data); ``{{organization}}`` and
``{{today}}`` are substituted. Nothing is overwritten unless asked.
"""

from __future__ import annotations

import re
from datetime import date
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from aigov_gate.config import AigovConfig
from aigov_gate.documents.schema import generate_schemas
from aigov_gate.errors import UsageError

SCHEMA_DIR = Path(".aigov/schemas")
_NAME = re.compile(r"^[a-z0-9]([a-z0-9._-]{0,126}[a-z0-9])?$")


def _template_files() -> dict[str, str]:
    root = resources.files("aigov_gate.scaffold") / "template"
    files: dict[str, str] = {}
    stack: list[tuple[Traversable, str]] = [(root, "")]
    while stack:
        node, prefix = stack.pop()
        for child in node.iterdir():
            rel = f"{prefix}{child.name}"
            if child.is_dir():
                stack.append((child, rel + "/"))
            elif child.name.endswith((".yaml", ".md")):
                files["." + rel if rel == "aigov.yaml" else rel] = child.read_text("utf-8")
    return files


def scaffold(directory: Path, organization: str, *, force: bool = False) -> list[Path]:
    """Write a starter governance repo into ``directory``; returns the paths written."""
    if not _NAME.match(organization):
        raise UsageError(
            f"organization '{organization}' is not a valid name",
            hint="use lower-case letters, digits, '.', '_' and '-' (e.g. acme-bank)",
        )
    values = {"organization": organization, "today": date.today().isoformat()}
    files = {rel: _fill(text, values) for rel, text in _template_files().items()}
    files.update({(SCHEMA_DIR / n).as_posix(): t for n, t in generate_schemas(AigovConfig).items()})
    existing = sorted(rel for rel in files if (directory / rel).exists())
    if existing and not force:
        raise UsageError(
            "refusing to overwrite: " + ", ".join(existing),
            hint="run in an empty folder, or pass --force to overwrite",
        )
    written = []
    for rel, text in sorted(files.items()):
        target = directory / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    return text


def export_schemas(out: Path) -> list[Path]:
    """Write every JSON Schema into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in generate_schemas(AigovConfig).items():
        (out / name).write_text(text, encoding="utf-8")
        written.append(out / name)
    return written


def stale_schemas(out: Path) -> list[str]:
    """Names of schema files in ``out`` that are missing or differ from the models."""
    stale = []
    for name, text in generate_schemas(AigovConfig).items():
        path = out / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(name)
    return stale
