"""What an importer made from another tool's format: the one ``Imported`` every importer
returns (``aigov_gate.interchange.IMPORTER_BY_NAME`` lists them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Imported:
    """Documents as plain data, in writing order; what was left out, each with why; and
    counts worth saying (an OSCAL catalog's groups and controls)."""

    documents: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [doc for doc in self.documents if doc.get("kind") == kind]
