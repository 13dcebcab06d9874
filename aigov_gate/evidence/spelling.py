"""The evidence predicate's two spellings: v2 (lowerCamelCase, written) and v1 (read forever).

in-toto's predicate guidelines ask for lowerCamelCase field names; bundles before v2 used
snake_case (``as_of``, ``policy_packs``, ``signed_at``, ``signer.key_id``). aigov writes v2
and verifies both: inside aigov a predicate is always seen in the v1 spelling, so only the
two edges (writing and reading a Statement) know that there are two.

The renaming is of field names only. ``retention.members`` maps member names (file paths)
to dates: its keys are data, and are never renamed.
"""

from __future__ import annotations

import re
from typing import Any

V1 = "https://aigov-gate.dev/attestation/evidence/v1"
V2 = "https://aigov-gate.dev/attestation/evidence/v2"
#: v3 (issue 41): v2's spelling, plus ``parts``, ``artifact``, ``timestamp`` and the
#: unsigned ``timestamp.tsr`` member (docs/evidence.md, "Bundle format versions").
V3 = "https://aigov-gate.dev/attestation/evidence/v3"
#: What aigov writes, and everything ``evidence verify`` accepts (old bundles stay valid).
WRITTEN = V3
READ = (V3, V2, V1)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", lambda m: "_" + m.group(1).lower(), name)


def _rename(value: Any, spell: Any, keys_are_data: bool = False) -> Any:
    if isinstance(value, list):
        return [_rename(item, spell) for item in value]
    if not isinstance(value, dict):
        return value
    return {
        (key if keys_are_data else spell(key)): _rename(
            item, spell, keys_are_data=key == "members" and isinstance(item, dict)
        )
        for key, item in value.items()
    }


def to_written(predicate: dict[str, Any]) -> dict[str, Any]:
    """The v1-spelt predicate aigov builds -> the v2 one it signs."""
    renamed: dict[str, Any] = _rename(predicate, _camel)
    return renamed


def predicate_of(statement: dict[str, Any]) -> dict[str, Any]:
    """A Statement's predicate of either version in the v1 spelling aigov works with ({}
    when it has none)."""
    predicate = statement.get("predicate")
    if not isinstance(predicate, dict):
        return {}
    if statement.get("predicateType") in (V2, V3):
        renamed: dict[str, Any] = _rename(predicate, _snake)
        return renamed
    return predicate
