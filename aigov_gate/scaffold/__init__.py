"""Files ``aigov init`` writes, and the editor schemas ``aigov schema export`` writes.

The template lives in ``scaffold/template`` (package data, so its dotfiles are stored
without the dot: ``gitignore`` is written as ``.gitignore``; and Python files with
``.tmpl`` appended, so the project's own checks leave them alone); ``{{organization}}``,
``{{today}}`` and ``{{version}}`` are substituted. Nothing is overwritten unless asked.
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
#: Top-level template entries written with a leading dot (package data drops dotfiles).
_DOTTED = frozenset({"aigov.yaml", "gitignore", "pre-commit-config.yaml", "github"})
_SUFFIXES = (".yaml", ".yml", ".md", ".py.tmpl", ".csv", "gitignore")

#: The commands ``aigov init`` prints as next steps, from inside the new repository: each
#: one ends green on the scaffold as written (tests/test_ci.py runs them).
NEXT_STEPS = (
    ("git init && git add -A", "a Git repository (the gate and the hooks read it)"),
    ("aigov test run", "runs the plan's command, writes the TestRun under governance/runs/"),
    ("git add -A && aigov gate", "the merge gate on the TestRun just written: PASSED"),
    ("pip install pre-commit && pre-commit install", "the hooks in .pre-commit-config.yaml"),
    ('git commit -m "Governance repository"', "the hooks run, then push and open a PR"),
)


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
            elif child.name.endswith(_SUFFIXES):
                dotted = rel.split("/", 1)[0] in _DOTTED
                name = ("." + rel if dotted else rel).removesuffix(".tmpl")
                files[name] = child.read_text("utf-8")
    return files


def scaffold(directory: Path, organization: str, *, today: date, force: bool = False) -> list[Path]:
    """Write a starter governance repo into ``directory``; returns the paths written."""
    if not _NAME.match(organization):
        raise UsageError(
            f"organization '{organization}' is not a valid name",
            hint="use lower-case letters, digits, '.', '_' and '-' (e.g. acme-bank)",
        )
    from aigov_gate import __version__

    values = {"organization": organization, "today": today.isoformat(), "version": __version__}
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
