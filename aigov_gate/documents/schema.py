"""JSON Schemas (2020-12) generated from the models: one per kind, plus ``.aigov.yaml``'s.

The committed copies in ``schemas/`` are what editors use (through the
``# yaml-language-server: $schema=...`` modeline); a test fails when they drift.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel

from aigov_gate.documents import KINDS

DIALECT = "https://json-schema.org/draft/2020-12/schema"
CONFIG_SCHEMA = "aigov-config.json"


def schema_filename(kind: str) -> str:
    """``TestRun`` -> ``test-run.json``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", kind).lower() + ".json"


def generate_schemas(config_model: type[BaseModel]) -> dict[str, str]:
    """Every schema file name with its exact text (sorted keys, 2-space indent, newline)."""
    files = {schema_filename(kind): _render(model, kind) for kind, model in KINDS.items()}
    files[CONFIG_SCHEMA] = _render(config_model, ".aigov.yaml")
    return files


def _render(model: type[BaseModel], title: str) -> str:
    schema: dict[str, Any] = {"$schema": DIALECT}
    schema.update(model.model_json_schema(by_alias=True, mode="validation"))
    schema["title"] = title
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
