"""The two files a partial can be (:mod:`partial`): JSON, or Parquet with the header in its
key-value metadata. Reading turns either into the header and numpy cells; the values'
*types* are checked here (text or null labels, whole codes and counts, numbers), their
meaning in :mod:`partial`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from aigov_gate.errors import UsageError
from aigov_gate.measure.counted import ROLES, Cells, codes, floats

META = b"aigov.partial"
Read = tuple[dict[str, Any], list[list[str | None]], list[Any], dict[str, Any], Any]


def bad(path: Path, what: str) -> UsageError:
    return UsageError(
        f"{path}: not an aigov metrics partial: {what}",
        hint="pass files written by 'aigov metrics compute --partial'",
    )


def parquet(path: Path) -> bool:
    """Whether a partial written to ``path`` is Parquet (by its suffix)."""
    return path.suffix.lower() in (".parquet", ".pq")


def write_parquet(out: Path, head: dict[str, object], cells: Cells) -> None:
    """One row per cell: g0.. (slice text), the roles, n; the header in the metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns: dict[str, Any] = {}
    for i, (labels, index) in enumerate(zip(cells.labels, cells.codes, strict=True)):
        columns[f"g{i}"] = pa.array(labels, pa.string()).take(pa.array(index))
    for role, values in cells.numbers.items():
        columns[role] = pa.array(values, pa.float64())
    columns["n"] = pa.array(cells.counts.astype(np.int64), pa.int64())
    table = pa.table(columns).replace_schema_metadata({META: json.dumps(head).encode()})
    pq.write_table(table, out)


def header_of(path: Path, is_parquet: bool, max_bytes: int) -> Read:
    """The header and the cells of a partial file, their types checked."""
    if is_parquet:
        return _read_parquet(path, max_bytes)
    return _read_json(path, max_bytes)


def _read_json(path: Path, max_bytes: int) -> Read:
    from aigov_gate.loading.safe_json import JsonError, JsonLimits, load_file

    try:
        doc = load_file(path, JsonLimits(max_bytes=max_bytes), expect=dict, constants=False)
    except JsonError as exc:
        raise bad(path, f"not JSON: {exc.at(str(path))}") from None
    body = doc.get("cells")
    if not isinstance(body, dict):
        raise bad(path, "'cells' is missing or not an object")
    labels = body.get("labels")
    if not isinstance(labels, list) or not all(
        isinstance(v, list) and all(x is None or isinstance(x, str) for x in v) for v in labels
    ):
        raise bad(path, "'labels' is not a list of lists of text or null")
    index = body.get("codes")
    if not isinstance(index, list) or not all(isinstance(v, list) for v in index):
        raise bad(path, "'codes' is not a list of lists")
    numbers = {r: _numbers(body.get(r), r, path, float) for r in ROLES if r in body}
    counts = _numbers(body.get("n"), "n", path, int)
    return doc, labels, [_numbers(v, "codes", path, int) for v in index], numbers, counts


def _numbers(values: Any, name: str, path: Path, kind: type) -> Any:
    """A JSON list of numbers as an array: whole numbers only for ``kind`` int."""
    allowed = {int} if kind is int else {int, float}
    if not isinstance(values, list) or not set(map(type, values)) <= allowed:
        what = "whole numbers" if kind is int else "numbers"
        raise bad(path, f"'{name}' is not a list of {what}")
    try:
        return np.asarray(values, dtype=np.int64 if kind is int else np.float64)
    except OverflowError:
        raise bad(path, f"a value of '{name}' is too large") from None


def _read_parquet(path: Path, max_bytes: int) -> Read:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from aigov_gate.loading.safe_json import JsonError, JsonLimits, loads

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise bad(path, f"not Parquet: {str(exc).splitlines()[0]}") from None
    meta = (table.schema.metadata or {}).get(META)
    if meta is None:
        raise bad(path, f"no '{META.decode()}' metadata")
    try:
        doc = loads(meta, JsonLimits(max_bytes=max_bytes), expect=dict, constants=False)
    except JsonError as exc:
        raise bad(path, f"its header is not JSON: {exc.message}") from None
    names = table.column_names
    groups = sorted((n for n in names if n.startswith("g")), key=lambda n: int(n[1:] or -1))
    if [f"g{i}" for i in range(len(groups))] != groups or "n" not in names:
        raise bad(path, f"columns {', '.join(names)}; expected g0, g1, ..., roles, n")
    labels, index = [], []
    for name in groups:
        if not pa.types.is_string(table.schema.field(name).type):
            raise bad(path, f"column {name} is not text")
        found = codes(table[name])
        labels.append(found[0])
        index.append(found[1])
    if not pa.types.is_integer(table.schema.field("n").type) or table["n"].null_count:
        raise bad(path, "column n is not whole numbers")
    counts = np.asarray(table["n"].to_numpy(), dtype=np.int64)
    numbers = {}
    for role in (r for r in ROLES if r in names):
        kind = table.schema.field(role).type
        if not (pa.types.is_floating(kind) or pa.types.is_integer(kind)):
            raise bad(path, f"column {role} is not numbers")
        numbers[role] = floats(table[role])
    return doc, labels, index, numbers, counts
