"""The JSON Schemas and the models accept exactly the same values, enum by enum, format by format.

Editors and ``check-jsonschema`` judge a document by the committed schema; ``aigov`` judges it
by the pydantic model. Where the two disagree a file is green in one and red in the other. This
test walks every schema for each property with an ``enum``, a ``const``, a ``format`` or a
``pattern``, puts probe values there in a real document of that kind, and asks both judges.
The schema side is ``check-jsonschema``'s own validator (its RFC 3339 date-times and its
ECMAScript regular expressions), the tool users run as a pre-commit hook.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from check_jsonschema.formats import FormatOptions
from check_jsonschema.regex_variants import RegexImplementation, RegexVariantName
from check_jsonschema.schema_loader import SchemaLoader
from conftest import EXAMPLES, MODEL, ROOT, invoke
from pydantic import ValidationError

from aigov_gate.config import AigovConfig
from aigov_gate.documents import KINDS
from aigov_gate.documents.schema import CONFIG_SCHEMA, schema_filename
from aigov_gate.loading.safe_yaml import Limits, parse_text

SCHEMAS = ROOT / "schemas"
HOSTS = Path(__file__).parent / "data" / "schema-hosts"
Path_ = tuple[str | int, ...]

DATE_PROBES = [
    "2026-11-20",
    "2026-02-30",
    "2026-11-20T10:00:00Z",
    "2026-11-20T00:00:00Z",
    "20261120",
    "soon",
    1763596800,
]
DATE_TIME_PROBES = [
    "2026-11-20T10:00:00Z",
    "2026-11-20T10:00:00.250+02:00",
    "2026-11-20t10:00:00z",
    "2026-11-20",
    "2026-11-20T10:00:00",
    "2026-11-20 10:00:00Z",
    "2026-11-20T25:00:00Z",
    "soon",
    1763632800,
]
FORMAT_PROBES = {"date": DATE_PROBES, "date-time": DATE_TIME_PROBES}


def _jsonable(value: Any) -> Any:
    """What an editor sees: YAML dates are strings to a JSON Schema validator."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text.replace("+00:00", "Z")
    return value


def _hosts() -> dict[str, list[dict[str, Any]]]:
    """Valid documents of every kind: the example's, then the extra ones kept for this test."""
    found: dict[str, list[dict[str, Any]]] = {}
    packaged = ROOT  # the shipped catalogs and packs
    paths = [
        *sorted((EXAMPLES / "credit-scoring").rglob("*.yaml")),
        *sorted((packaged / "frameworks").glob("*.yaml")),
        *sorted((packaged / "policies").glob("*.yaml")),
        *sorted(HOSTS.glob("*.yaml")),
    ]
    for path in paths:
        for doc in parse_text(path.read_text(encoding="utf-8"), Limits()).documents:
            key = CONFIG_SCHEMA if path.name.endswith(".aigov.yaml") else doc["kind"]
            found.setdefault(key, []).append(_jsonable(doc))
    return found


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = root["$defs"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _constrained(schema: dict[str, Any], root: dict[str, Any], at: Path_) -> Iterator[Any]:
    """(path, subschema) for every value with an enum, const, format or pattern."""
    schema = _resolve(schema, root)
    if any(word in schema for word in ("enum", "const", "format", "pattern")):
        yield at, schema
    for branch in schema.get("anyOf", []) + schema.get("oneOf", []):
        yield from _constrained(branch, root, at)
    for name, sub in schema.get("properties", {}).items():
        yield from _constrained(sub, root, (*at, name))
    if isinstance(schema.get("items"), dict):
        yield from _constrained(schema["items"], root, (*at, 0))
    if isinstance(schema.get("additionalProperties"), dict):
        yield from _constrained(schema["additionalProperties"], root, (*at, "*"))


def _locate(doc: Any, at: Path_) -> Path_ | None:
    """The concrete path in ``doc`` for a pattern path (``*`` is any key), if its parent exists."""
    concrete: list[str | int] = []
    node = doc
    for i, wanted in enumerate(at):
        last = i == len(at) - 1
        step = wanted
        if wanted == "*":
            if not isinstance(node, dict) or not node:
                return None
            step = sorted(node)[0]
        if isinstance(step, int):
            if not isinstance(node, list) or not node:
                return None
        elif not isinstance(node, dict) or (step not in node and not last):
            return None
        concrete.append(step)
        if not last:
            node = node[step]
    return tuple(concrete)


def _put(doc: dict[str, Any], at: Path_, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(doc)
    node: Any = changed
    for step in at[:-1]:
        node = node[step]
    node[at[-1]] = value
    return changed


def _field(at: Path_) -> Path_:
    """The property a value belongs to: list indexes are dropped from the end."""
    while at and isinstance(at[-1], int):
        at = at[:-1]
    return at


def _model_refuses(key: str, doc: dict[str, Any], at: Path_) -> bool:
    model = AigovConfig if key == CONFIG_SCHEMA else KINDS[key]
    try:
        model.model_validate(doc)
    except ValidationError as error:
        field = _field(at)
        return any(tuple(e["loc"][: len(field)]) == field for e in error.errors())
    return False


def _leaves(errors: Any) -> Iterator[Any]:
    """The errors under ``anyOf``/``oneOf`` too: those carry the path of the value itself."""
    for error in errors:
        yield error
        yield from _leaves(error.context or [])


def _schema_refuses(validator: Any, doc: dict[str, Any], at: Path_) -> bool:
    field = _field(at)
    errors = _leaves(validator.iter_errors(doc))
    return any(tuple(e.absolute_path)[: len(field)] == field for e in errors)


def _validator(name: str) -> Any:
    regex = RegexImplementation(RegexVariantName.default)
    loader = SchemaLoader(str(SCHEMAS / name))
    return loader.get_validator(SCHEMAS / name, {}, FormatOptions(regex_impl=regex), regex, False)


def _probes(schema: dict[str, Any], current: Any) -> list[Any]:
    if "enum" in schema:
        return [*schema["enum"], "not-a-value"]
    if "const" in schema:
        return [schema["const"], "not-a-value"]
    if "format" in schema:
        return FORMAT_PROBES.get(schema["format"], [])
    # A pattern: the value kept, and the spellings where regex dialects part ways.
    if not isinstance(current, str):
        return []
    return [current, current + "\n", " " + current, current.upper(), ""]


KEYS = [*KINDS, CONFIG_SCHEMA]


@pytest.mark.parametrize("key", KEYS)
def test_schema_and_model_agree_on_every_constrained_value(key: str) -> None:
    name = CONFIG_SCHEMA if key == CONFIG_SCHEMA else schema_filename(key)
    root = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    validator = _validator(name)
    hosts = _hosts().get(key, [])
    assert hosts, f"no valid {key} document to probe: add one to {HOSTS}"
    for host in hosts:
        assert not list(validator.iter_errors(host)), f"a host {key} fails its own schema"
    uncovered, disagreements = [], []
    for pattern, schema in _constrained(root, root, ()):
        places = [(h, at) for h in hosts if (at := _locate(h, pattern)) is not None]
        if not places:
            uncovered.append("/".join(map(str, pattern)))
            continue
        host, at = places[0]
        node: Any = host
        for step in at[:-1]:
            node = node[step]
        current = node.get(at[-1]) if isinstance(node, dict) else node[at[-1]]
        for probe in _probes(schema, current):
            doc = _put(host, at, probe)
            model, schema_says = _model_refuses(key, doc, at), _schema_refuses(validator, doc, at)
            if model != schema_says:
                verdicts = f"model {'refuses' if model else 'accepts'}, schema " + (
                    "refuses" if schema_says else "accepts"
                )
                disagreements.append(f"{'/'.join(map(str, at))} = {probe!r}: {verdicts}")
    assert not uncovered, f"{key}: no host document reaches {uncovered}: extend {HOSTS}"
    assert not disagreements, f"{key}:\n" + "\n".join(disagreements)


RUN = """\
apiVersion: aigov/v1
kind: TestRun
metadata: {name: r}
spec:
  model: m
  model_version: "1"
  status: completed
  started_at: 2026-11-20T09:00:00Z
  finished_at: 2026-11-20 10:00:00
"""


def test_a_date_time_without_an_offset_is_an_error_at_its_line(write_repo: Any) -> None:
    # YAML reads the unquoted value as a naive datetime; compared with the aware started_at
    # it used to raise TypeError out of the model. Now it is refused where it is written.
    repo = write_repo({"m.yaml": MODEL.format(name="m"), "r.yaml": RUN})
    done = invoke("validate", "--repo", str(repo))
    assert done.exit_code == 1, done.output
    assert "r.yaml:9:" in done.output
    assert "RFC 3339 date-time with an offset" in done.output
    fixed = write_repo({"r.yaml": RUN.replace("2026-11-20 10:00:00", "2026-11-20T10:00:00+01:00")})
    assert invoke("validate", "--repo", str(fixed)).exit_code == 0


def _mutations(doc: Any, at: Path_ = ()) -> Iterator[tuple[str, Path_, Any]]:
    """(what, where, value) for every leaf and mapping of ``doc``: the ways the audit found
    schema and model apart (an integer written as a float, NaN and infinity, a key left
    out, a null), generated over the whole document rather than listed."""
    if isinstance(doc, bool) or doc is None:
        pass
    elif isinstance(doc, int):
        yield "as-float", at, float(doc)
        yield "half", at, doc + 0.5
    elif isinstance(doc, float):
        yield from (("nan", at, math.nan), ("inf", at, math.inf), ("-inf", at, -math.inf))
    elif isinstance(doc, dict):
        for key, value in doc.items():
            yield "drop", (*at, key), _DROP
            yield "null", (*at, key), None
            yield from _mutations(value, (*at, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            yield from _mutations(value, (*at, i))


_DROP = object()


def _mutated(doc: dict[str, Any], at: Path_, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(doc)
    node: Any = changed
    for step in at[:-1]:
        node = node[step]
    if value is _DROP:
        del node[at[-1]]
    else:
        node[at[-1]] = value
    return changed


def _accepts(key: str, validator: Any, doc: dict[str, Any]) -> tuple[bool, bool]:
    model = AigovConfig if key == CONFIG_SCHEMA else KINDS[key]
    try:
        model.model_validate(doc)
        model_says = True
    except ValidationError:
        model_says = False
    return model_says, not any(True for _ in validator.iter_errors(doc))


@pytest.mark.parametrize("key", KEYS)
def test_schema_and_model_agree_on_generated_mutations(key: str) -> None:
    name = CONFIG_SCHEMA if key == CONFIG_SCHEMA else schema_filename(key)
    validator = _validator(name)
    disagreements, tried = [], 0
    for host in _hosts().get(key, []):
        for what, at, value in _mutations(host):
            tried += 1
            model_says, schema_says = _accepts(key, validator, _mutated(host, at, value))
            if model_says != schema_says:
                where = "/".join("*" if isinstance(s, int) else str(s) for s in at)
                verdict = f"model {'accepts' if model_says else 'refuses'}, schema " + (
                    "accepts" if schema_says else "refuses"
                )
                disagreements.append(f"{where} {what}: {verdict}")
    assert tried
    shown = sorted(set(disagreements))
    assert not shown, f"{key}: {len(shown)} disagreement(s) in {tried} mutations:\n" + "\n".join(
        shown
    )
