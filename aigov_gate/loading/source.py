"""Governance documents as read from files, before schema validation.

A :class:`RawDocument` keeps the parsed data, where it came from, and can say where any
field of it is (``locate``) without positions ever being written into the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aigov_gate.loading.safe_yaml import locate
from aigov_gate.result import Location


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file's repository-relative POSIX path and its decoded text."""

    path: str
    text: str


@dataclass(frozen=True, slots=True)
class RawDocument:
    """One YAML document that claims to be a governance document (has aigov apiVersion)."""

    source: SourceFile
    index: int
    data: dict[str, Any]
    name_position: tuple[int, int] = (0, 0)

    @property
    def kind(self) -> str:
        kind = self.data.get("kind")
        return kind if isinstance(kind, str) else ""

    @property
    def name(self) -> str:
        metadata = self.data.get("metadata")
        name = metadata.get("name") if isinstance(metadata, dict) else None
        return name if isinstance(name, str) else ""

    def organization(self, default: str) -> str:
        metadata = self.data.get("metadata")
        org = metadata.get("organization") if isinstance(metadata, dict) else None
        return org if isinstance(org, str) else default

    @property
    def target(self) -> str:
        """``Kind/name`` as findings name their target."""
        return f"{self.kind}/{self.name}" if self.kind and self.name else self.kind

    def locate(self, path: Sequence[str | int] = (), *, key: bool = False) -> Location:
        """Where the field at ``path`` is (``key=True``: where its key is)."""
        if self.name_position[0] and not key and tuple(path) == ("metadata", "name"):
            return Location(self.source.path, *self.name_position)
        line, column = locate(self.source.text, self.index, path, key=key)
        return Location(self.source.path, line, column)
