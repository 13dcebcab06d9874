"""The one guarded JSON reader: every JSON that enters aigov goes through :func:`loads`.

Test result files, imported CycloneDX and OSCAL documents, the keys' audit log, MLflow
answers, evidence bundles, predictions sidecars: all are written by someone else, so all
are bounded the same way.

* **size**: text over ``max_bytes`` is refused before it is parsed;
* **depth**: Python's JSON parser recurses, and 50,000 nested ``[`` end in
  ``RecursionError``, not ``ValueError``: that is caught, and a value that parsed is walked
  (without recursion) for ``max_depth``. Either way a scan of the text (strings skipped)
  then says where the limit is crossed, so only bad input pays for it;
* **shape**: ``expect=dict`` (or ``list``) refuses any other top-level value;
* **constants**: ``NaN`` and ``Infinity`` are not JSON; ``constants=False`` refuses them
  (a function instead gives their value).

Every failure is a :class:`JsonError` (a ``ValueError``) with a 1-based line and column,
so callers turn it into a finding or an exit 2 with ``file:line:column``.

    >>> loads('{"a": [1, 2]}', expect=dict)
    {'a': [1, 2]}
    >>> try:
    ...     loads("[" * 100 + "]" * 100, JsonLimits(max_depth=64))
    ... except JsonError as exc:
    ...     print(exc.at("r.json"))
    r.json:1:65: nested deeper than 64 levels
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_MAX_BYTES = 256 * 1024 * 1024
DEFAULT_MAX_DEPTH = 128

_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
_CONSTANTS = re.compile(r'(?:"(?:[^"\\]|\\.)*"|[^"N-]|-(?!Infinity))*(NaN|-?Infinity)', re.DOTALL)
_NAMES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}


@dataclass(frozen=True, slots=True)
class JsonLimits:
    max_bytes: int = DEFAULT_MAX_BYTES
    max_depth: int = DEFAULT_MAX_DEPTH


class JsonError(ValueError):
    """JSON that cannot be read: what is wrong, and where (1-based; 0 when it has no place)."""

    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    def at(self, shown: str, what: str = "") -> str:
        """``shown:line:column: [what: ]message`` (the position left out when there is none)."""
        where = f"{shown}:{self.line}:{self.column}" if self.line else shown
        return f"{where}: {what}: {self.message}" if what else f"{where}: {self.message}"


def kind_of(value: Any) -> str:
    """How JSON would name the type of ``value``: "an object", "a number", "null"."""
    if value is None:
        return "null"
    for python, name in _NAMES.items():
        if isinstance(value, python):
            return name
    return "a number" if isinstance(value, int | float) else type(value).__name__


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _deeper_than(value: Any, max_depth: int) -> bool:
    """Whether the parsed value nests deeper than ``max_depth`` (no recursion)."""
    stack = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


def _too_deep(text: str, max_depth: int) -> JsonError | None:
    """Where the text first nests deeper than ``max_depth`` (strings skipped): only asked
    once the text is known to be too deep, so the scan's cost is paid by bad input alone."""
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group(0)
        if token in "[{":
            depth += 1
            if depth > max_depth:
                line, column = _position(text, match.start())
                return JsonError(f"nested deeper than {max_depth} levels", line, column)
        elif token in "]}":
            depth -= 1
    return None


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode("utf-8", "replace")
        line, column = _position(before, len(before))
        raise JsonError(f"not UTF-8 ({exc.reason})", line, column) from None


def _refuse_constant(name: str) -> Any:
    raise JsonError(f"{name} is not a JSON number", 0, 0)


def loads(
    data: str | bytes,
    limits: JsonLimits = JsonLimits(),
    *,
    expect: type | None = None,
    constants: bool | Callable[[str], Any] = True,
) -> Any:
    """The value in ``data`` (UTF-8 when bytes), within ``limits``, of type ``expect``."""
    if len(data) > limits.max_bytes:
        raise JsonError(f"{len(data)} bytes, over the limit of {limits.max_bytes}")
    if isinstance(data, bytes):
        data = _decode(data)
    hook: dict[str, Any] = {}
    if constants is False:
        hook["parse_constant"] = _refuse_constant
    elif callable(constants):
        hook["parse_constant"] = constants
    try:
        value = json.loads(data, **hook)
    except json.JSONDecodeError as exc:
        raise JsonError(exc.msg, exc.lineno, exc.colno) from None
    except JsonError as exc:  # a constant refused: find it (outside strings)
        found = _CONSTANTS.search(data)
        line, column = _position(data, found.start(1)) if found and found.group(1) else (0, 0)
        raise JsonError(exc.message, line, column) from None
    except RecursionError:  # ~1,000 levels: say where our own limit is crossed
        raise _too_deep(data, limits.max_depth) or JsonError("nested too deeply", 1, 1) from None
    except ValueError as exc:  # Python's limit of 4,300 digits in an integer
        raise JsonError(str(exc), 1, 1) from None
    if _deeper_than(value, limits.max_depth):
        raise _too_deep(data, limits.max_depth) or JsonError("nested too deeply", 1, 1)
    if expect is not None and not isinstance(value, expect):
        start = len(data) - len(data.lstrip())
        line, column = _position(data, start)
        wanted = _NAMES.get(expect, expect.__name__)
        raise JsonError(f"expected {wanted}, found {kind_of(value)}", line, column)
    return value


def load_file(
    path: Path,
    limits: JsonLimits = JsonLimits(),
    *,
    expect: type | None = None,
    constants: bool | Callable[[str], Any] = True,
) -> Any:
    """:func:`loads` on a file, its size checked before it is read. ``OSError`` passes."""
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise JsonError(f"{size} bytes, over the limit of {limits.max_bytes}")
    return loads(path.read_bytes(), limits, expect=expect, constants=constants)


def canonical_keys(value: Any) -> Any:
    """``value`` with every mapping's keys made sortable, for showing it as JSON.

    YAML keys may be numbers, booleans or null beside strings (``{1: a, b: c}``), and
    ``json.dumps(sort_keys=True)`` cannot order an int against a str. Each key becomes the
    text JSON would give it; the order is that text's, then the original type's name.
    """
    if isinstance(value, dict):
        pairs = sorted(
            ((_key_text(k), type(k).__name__, v) for k, v in value.items()),
            key=lambda p: (p[0], p[1]),
        )
        return {k: canonical_keys(v) for k, _, v in pairs}
    if isinstance(value, list | tuple):
        return [canonical_keys(v) for v in value]
    return value


def dumps_sorted(value: Any, default: Callable[[Any], Any] | None = None) -> str:
    """``value`` as JSON for people, keys sorted whatever their types (non-ASCII kept)."""
    return json.dumps(canonical_keys(value), ensure_ascii=False, default=default)


def _key_text(key: Any) -> str:
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, bool | int | float):
        return json.dumps(key)
    return str(key)


__all__ = [
    "JsonError",
    "JsonLimits",
    "canonical_keys",
    "dumps_sorted",
    "kind_of",
    "load_file",
    "loads",
]
