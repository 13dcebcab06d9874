"""Committed JSON Schemas match the models, are valid 2020-12, and agree with pydantic."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, ROOT
from jsonschema import Draft202012Validator

from aigov_gate.config import AigovConfig
from aigov_gate.documents import KINDS
from aigov_gate.documents.schema import generate_schemas, schema_filename
from aigov_gate.loading.safe_yaml import Limits, parse_text

COMMITTED = ROOT / "schemas"


def test_committed_schemas_match_the_models() -> None:
    generated = generate_schemas(AigovConfig)
    committed = {p.name: p.read_text(encoding="utf-8") for p in COMMITTED.glob("*.json")}
    assert sorted(committed) == sorted(generated), "run: aigov schema export -o schemas"
    for name, text in generated.items():
        assert committed[name] == text, f"{name} drifted: run aigov schema export -o schemas"


@pytest.mark.parametrize("name", sorted(generate_schemas(AigovConfig)))
def test_schema_is_valid_2020_12(name: str) -> None:
    schema = json.loads((COMMITTED / name).read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _documents(path: Path) -> list[dict[str, Any]]:
    return parse_text(path.read_text(encoding="utf-8"), Limits()).documents


def test_example_documents_validate_against_the_json_schemas_too() -> None:
    seen = set()
    root = EXAMPLES / "credit-scoring"
    for path in sorted(root.rglob("*.yaml")):
        if path.relative_to(root).parts[0] == ".aigov":  # the keyring: not a document
            continue
        for doc in _documents(path):
            if path.name == ".aigov.yaml":
                name = "aigov-config.json"
            else:
                name = schema_filename(doc["kind"])
            schema = json.loads((COMMITTED / name).read_text(encoding="utf-8"))
            errors = list(Draft202012Validator(schema).iter_errors(_jsonable(doc)))
            assert not errors, f"{path}: {errors[0].message}"
            seen.add(name)
    assert len(seen) >= 10


def test_json_schema_rejects_what_pydantic_rejects() -> None:
    bad = {
        "apiVersion": "aigov/v1",
        "kind": "Model",
        "metadata": {"name": "m"},
        "spec": {"model_type": "tabular", "version": "1", "risk_tier": "high", "colour": "red"},
    }
    schema = json.loads((COMMITTED / "model.json").read_text(encoding="utf-8"))
    assert not Draft202012Validator(schema).is_valid(bad)
    with pytest.raises(ValueError, match="colour"):
        KINDS["Model"].model_validate(bad)


def test_schema_file_names() -> None:
    assert schema_filename("TestRun") == "test-run.json"
    assert schema_filename("WebhookSubscription") == "webhook-subscription.json"
