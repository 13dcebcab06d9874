"""What aigov-gate ships besides code: the policy packs, framework catalogs and JSON Schemas.

They live at the top of the repository (``policies/``, ``frameworks/``, ``schemas/``),
where users and editors find them, and ship as the data packages ``aigov_gate.data.*``
(``package-dir`` in ``pyproject.toml``): read through importlib, so they are found the
same way after ``pip install .`` and ``pip install -e .``.
"""

from __future__ import annotations

from importlib import resources
from typing import Literal

Shelf = Literal["policies", "frameworks", "schemas"]


def read_text(shelf: Shelf, name: str) -> str:
    """The text of the shipped file ``shelf/name`` (``read_text("policies", "baseline.yaml")``)."""
    return resources.files(f"aigov_gate.data.{shelf}").joinpath(name).read_text("utf-8")


def names(shelf: Shelf) -> list[str]:
    """The file names on ``shelf``, sorted."""
    found = resources.files(f"aigov_gate.data.{shelf}").iterdir()
    return sorted(entry.name for entry in found if entry.name[0] not in "_.")
