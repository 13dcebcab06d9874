"""Turn pydantic's validation errors into messages a person can act on.

Each error becomes an :class:`Explained`: the path of the offending field, whether the
position to show is the key (unknown fields) or the value, a message and a hint.
Input values are never echoed, so a secret pasted into the wrong field is not printed.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

SECRET_WORDS = ("secret", "token", "password", "passwd", "api_key", "apikey", "private_key")


@dataclass(frozen=True, slots=True)
class Explained:
    path: tuple[str | int, ...]
    at_key: bool
    code: str
    message: str
    hint: str = ""


def explain(error: ErrorDetails, model: type[BaseModel]) -> Explained:
    """Explain one pydantic error raised while validating ``model``."""
    loc = tuple(error["loc"])
    kind = error["type"]
    field = dotted(loc) or "document"
    if kind == "extra_forbidden":
        return _unknown_field(loc, model)
    if kind == "missing":
        where = f"{dotted(loc[:-1])}: " if len(loc) > 1 else ""
        return Explained(
            loc[:-1],
            True,
            "schema.missing-field",
            f"{where}missing required field '{loc[-1]}'",
            f"add '{loc[-1]}:' here",
        )
    message = f"{field}: {error['msg']}"
    hint = _type_hint(kind, error.get("input"))
    if kind == "string_pattern_mismatch":
        message = f"{field}: does not have the expected form"
        hint = _description(model, loc) or hint
    if kind == "value_error":
        message = f"{field}: {error['msg'].removeprefix('Value error, ')}"
    return Explained(loc, False, "schema.invalid-value", message, hint)


def _type_hint(kind: str, value: Any) -> str:
    if kind == "string_type" and isinstance(value, int | float | bool):
        return 'YAML read this as a number or boolean: quote it, e.g. "1.0"'
    if kind == "bool_type":
        return "write true or false"
    if kind.startswith(("date", "datetime")):
        return "write a date as YYYY-MM-DD"
    if kind == "literal_error":
        return "use one of the listed values"
    if kind in {"list_type", "dict_type", "model_type"}:
        return "check the indentation and the shape of this field"
    return ""


def _unknown_field(loc: tuple[str | int, ...], model: type[BaseModel]) -> Explained:
    name = str(loc[-1])
    allowed = allowed_fields(model, loc[:-1])
    if any(word in name.lower() for word in SECRET_WORDS):
        hint = (
            "secrets never belong in Git: put the value in an environment variable and "
            "name the variable instead (e.g. secret_env)"
        )
    else:
        close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
        if close:
            hint = f"did you mean '{close[0]}'?"
        elif allowed:
            hint = "allowed here: " + ", ".join(sorted(allowed))
        else:
            hint = "remove it"
    where = f"{dotted(loc[:-1])}: " if len(loc) > 1 else ""
    return Explained(loc, True, "schema.unknown-field", f"{where}unknown field '{name}'", hint)


def dotted(path: Sequence[str | int]) -> str:
    """``("spec", "datasets", 0, "name")`` -> ``spec.datasets[0].name``."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text


def allowed_fields(model: type[BaseModel], path: Sequence[str | int]) -> list[str]:
    """Field names (aliases where set) accepted at ``path`` inside ``model``."""
    current: Any = model
    for step in path:
        current = _step(current, step)
        if current is None:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or n for n, f in current.model_fields.items()]
    return []


def _description(model: type[BaseModel], path: Sequence[str | int]) -> str:
    """The description of the field (or list item type) at ``path``, if it has one."""
    parent: Any = model
    for step in path[:-1]:
        parent = _step(parent, step)
    parent = _unwrap(parent)
    if isinstance(parent, type) and issubclass(parent, BaseModel) and path:
        info = parent.model_fields.get(str(path[-1]))
        if info is None:
            return ""
        return info.description or _annotated_description(info.annotation)
    return _annotated_description(_step(parent, path[-1])) if path else ""


def _annotated_description(annotation: Any) -> str:
    for meta in getattr(_unwrap(annotation), "__metadata__", ()):
        if isinstance(meta, FieldInfo) and meta.description:
            return meta.description
    return ""


def _step(annotation: Any, step: str | int) -> Any:
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for name, info in annotation.model_fields.items():
            if step in (name, info.alias):
                return info.annotation
        return None
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin in (list, tuple) and args:
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    return None


def _unwrap(annotation: Any) -> Any:
    """``X | None`` -> ``X`` (the first non-None member of a union)."""
    if get_origin(annotation) in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        return members[0] if members else annotation
    return annotation
