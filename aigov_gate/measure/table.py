"""Predictions files (CSV, or Parquet with the optional ``pyarrow``) as numpy columns.

Only the columns asked for are kept. Every problem is a UsageError that names the file,
the column and (for CSV) the line: a column that is not there (with a did-you-mean), a
score that is not a number, NaN or infinity, labels that are not 0/1, a file over the
size limit.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from aigov_gate.errors import UsageError
from aigov_gate.measure.cells import Floats, Grouping, Ints

DEFAULT_MAX_BYTES = 4 << 30


@dataclass(frozen=True)
class Predictions:
    path: Path
    sha256: str
    rows: int
    y_true: Floats
    y_pred: Floats | None
    y_score: Floats | None
    groupings: list[Grouping]
    dataset_digest: str | None = None  # declared by the file (Parquet metadata, sidecar)
    counts: Floats | None = None  # rows per entry, when the entries are cells (duckdb)
    source: dict[str, object] | None = None  # a table's binding (measure/warehouse.py)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def missing(name: str, role: str, header: list[str], path: Path) -> UsageError:
    close = difflib.get_close_matches(name, header, n=1)
    did = f"did you mean '{close[0]}'? " if close else ""
    return UsageError(
        f"{path}: no column '{name}' (for {role})",
        hint=f"{did}columns: {', '.join(header)}; map them with --columns {role}=NAME",
    )


def _numbers(
    values: list[str] | Floats | Codes, name: str, path: Path, lines: list[int] | None
) -> Floats:
    if isinstance(values, tuple):  # a column both a role and --protected (Parquet)
        labels, codes = values
        values = [labels[c] for c in codes]
    if isinstance(values, np.ndarray):
        bad = np.flatnonzero(~np.isfinite(values))
        if len(bad):
            raise UsageError(
                f"{path} row {bad[0] + 1}: {name} is {values[bad[0]]}",
                hint="NaN and infinity cannot be scored",
            )
        return values
    out = np.empty(len(values), dtype=np.float64)
    for i, raw in enumerate(values):
        try:
            number = float(raw)
        except ValueError:
            where = f"{path}:{lines[i]}" if lines else f"{path} row {i + 1}"
            raise UsageError(
                f"{where}: {name} is {raw!r}, not a number", hint="fix or drop the row"
            ) from None
        if not math.isfinite(number):
            where = f"{path}:{lines[i]}" if lines else f"{path} row {i + 1}"
            raise UsageError(f"{where}: {name} is {raw}", hint="NaN and infinity cannot be scored")
        out[i] = number
    return out


def _labels(values: Floats, name: str, path: Path) -> None:
    bad = np.flatnonzero((values != 0) & (values != 1))
    if len(bad):
        raise UsageError(
            f"{path} row {bad[0] + 1}: {name} is {values[bad[0]]:g}, not 0 or 1",
            hint="labels and predicted classes are 0/1 (use --regression for numbers)",
        )


def _classes(data: dict[str, Floats], wanted: dict[str, str], path: Path) -> None:
    if "y_pred" not in data and "y_score" not in data:
        raise UsageError(
            f"{path}: no predictions: no y_pred or y_score column",
            hint="name them with --columns y_pred=COL,y_score=COL",
        )
    for role in ("y_true", "y_pred"):
        if role in data:
            _labels(data[role], wanted[role], path)
    if "y_score" in data and ((data["y_score"] < 0) | (data["y_score"] > 1)).any():
        raise UsageError(
            f"{path}: {wanted['y_score']} has values outside [0, 1]",
            hint="y_score is a probability of the positive class",
        )


EMPTY, NULL = "(empty)", "(null)"  # how an empty and a missing group value are named


def exact(grouping: Grouping, source: str) -> Grouping:
    """``grouping``, unless two of its slices would print the same label: then refused."""
    seen: dict[str, int] = {}
    for i, label in enumerate(grouping.labels):
        if label in seen:
            raise UsageError(
                f"{source}: two different values of {grouping.key} both print as {label!r}",
                hint="rename one of them in the file (the slice names must be exact)",
            )
        seen[label] = i
    return grouping


def _grouping(key: str, values: list[str] | tuple[list[str], Ints], source: str) -> Grouping:
    """Slices of one column, each named by its value's text (empty and null named so)."""
    if isinstance(values, tuple):  # Parquet: distinct values and the code of each row
        return exact(Grouping(key, tuple(values[0]), values[1]), source)
    codes: dict[str, int] = {}
    index = np.fromiter((codes.setdefault(v, len(codes)) for v in values), np.int64, len(values))
    order = sorted(codes, key=codes.__getitem__)
    ranked = sorted(range(len(order)), key=order.__getitem__)  # labels in sorted order
    remap = np.empty(len(order), dtype=np.int64)
    remap[ranked] = np.arange(len(order))
    labels = tuple(v if v else EMPTY for v in sorted(order))
    return exact(Grouping(key, labels, remap[index]), source)


def _text(values: list[str] | Floats | Codes) -> list[str] | Codes:
    assert not isinstance(values, np.ndarray)  # group columns are text or codes
    return values


def read(
    path: Path,
    columns: dict[str, str | None],
    protected: list[str],
    regression: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Predictions:
    """``columns`` maps y_true / y_pred / y_score to the file's column names.

    A role mapped to ``None`` takes the column of its own name if the file has one.
    """
    if not path.is_file():
        raise UsageError(f"{path}: no such file", hint="pass the predictions file")
    size = path.stat().st_size
    if size > max_bytes:
        raise UsageError(
            f"{path} is {size} bytes, over the limit of {max_bytes}",
            hint="raise it with --max-bytes, or sample the predictions",
        )
    given = {role: name for role, name in columns.items() if name}
    optional = [role for role, name in columns.items() if name is None]
    raw: Raw
    lines: list[int] | None
    if path.suffix.lower() in (".parquet", ".pq"):
        wanted_columns = [*given.values(), *optional]
        raw, lines, header, declared = _parquet(path, wanted_columns, protected, max_bytes)
    else:
        raw, lines, header, declared = _csv(path, [*given.values(), *optional, *protected])
    wanted = {**given, **{role: role for role in optional if role in raw}}
    for role, name in [*wanted.items(), *(("--protected", n) for n in protected)]:
        if name not in raw:
            raise missing(name, role, header, path)
    data = {role: _numbers(raw[name], name, path, lines) for role, name in wanted.items()}
    if not regression:
        _classes(data, wanted, path)
    rows = len(data["y_true"])
    if rows == 0:
        raise UsageError(f"{path} has no rows", hint="nothing to measure")
    groups = [_grouping(name, _text(raw[name]), str(path)) for name in protected]
    return Predictions(
        path,
        sha256(path),
        rows,
        data["y_true"],
        data.get("y_pred"),
        data.get("y_score"),
        groups,
        declared,
    )


Codes = tuple[list[str], Ints]  # a Parquet group column: labels, and the code of each row
Raw = dict[str, list[str] | Floats | Codes]


def _csv(path: Path, names: list[str]) -> tuple[Raw, list[int], list[str], str | None]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None:
                raise UsageError(f"{path} is empty", hint="a CSV with a header row")
            positions = {n: header.index(n) for n in names if n in header}
            out: dict[str, list[str]] = {n: [] for n in positions}  # str lists only
            lines: list[int] = []
            for row in reader:
                if not row:
                    continue
                if len(row) != len(header):
                    raise UsageError(
                        f"{path}:{reader.line_num}: {len(row)} fields, the header has "
                        f"{len(header)}",
                        hint="fix the row (quoting?)",
                    )
                lines.append(reader.line_num)
                for name, at in positions.items():
                    out[name].append(row[at])
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text ({exc.reason})", hint="save as UTF-8") from None
    except csv.Error as exc:
        raise UsageError(f"{path}: not CSV: {exc}", hint="check the file") from None
    sidecar = path.with_name(path.name + ".meta.json")
    return dict(out), lines, header, declared(sidecar)


def declared(sidecar: Path) -> str | None:
    from aigov_gate.loading.safe_json import JsonError, load_file

    if not sidecar.is_file():
        return None
    try:
        meta = load_file(sidecar)
    except JsonError as exc:
        raise UsageError(f"{exc.at(str(sidecar))} (not JSON)", hint="fix or remove it") from None
    value = meta.get("dataset_digest") if isinstance(meta, dict) else None
    return str(value) if value else None


def _parquet(
    path: Path, names: list[str], protected: list[str], max_bytes: int
) -> tuple[Raw, None, list[str], str | None]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise UsageError(
            f"{path}: reading Parquet needs pyarrow",
            hint="pip install 'aigov-gate[metrics]' pyarrow, or pass a CSV",
        ) from None
    import pyarrow as pa

    try:  # the footer's sizes first, then decoded a batch at a time and counted
        parquet = pq.ParquetFile(path)
        schema = parquet.schema_arrow
        header = list(schema.names)
        every = [n for n in dict.fromkeys([*names, *protected]) if n in header]
        _within(path, parquet.metadata, max_bytes)
        table = _decode_bounded(path, parquet, every, max_bytes)
        table.validate(full=True)  # text that is not UTF-8 (a damaged or hostile file)
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise UsageError(f"{path}: not Parquet: {exc}", hint="check the file") from None
    meta = schema.metadata or {}
    declared = meta.get(b"dataset_digest")

    out: Raw = {}
    for name in table.column_names:
        column = table.column(name)
        if name in protected:
            out[name] = _codes(column, f"{path}: {name}")
        elif pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
            if column.null_count:
                raise UsageError(f"{path}: {name} has {column.null_count} empty value(s)")
            out[name] = column.to_numpy().astype(np.float64)
        else:
            out[name] = [str(v) for v in column.to_pylist()]
    return out, None, header, declared.decode() if declared else None


def _too_big(path: Path, what: str, max_bytes: int) -> UsageError:
    return UsageError(
        f"{path}: {what}, over --max-bytes {max_bytes} (a row costs at least 8 bytes)",
        hint="raise it with --max-bytes, or sample the predictions",
    )


def _within(path: Path, metadata: Any, max_bytes: int) -> None:
    """What the file's footer declares: rows, and the row groups' uncompressed bytes (every
    column's: pyarrow 26 aborts the process, a C++ exception no one catches, when asked for
    a damaged column chunk's own metadata; ``_decode_bounded`` then counts the columns read)."""
    if metadata.num_rows > max_bytes // 8:
        raise _too_big(path, f"{metadata.num_rows} rows", max_bytes)
    declared = sum(metadata.row_group(g).total_byte_size for g in range(metadata.num_row_groups))
    if declared > max_bytes:
        raise _too_big(path, f"{declared} bytes once decompressed", max_bytes)


def _decode_bounded(path: Path, parquet: Any, wanted: list[str], max_bytes: int) -> Any:
    """The columns, decoded a batch at a time and counted as they come: the footer can lie."""
    import pyarrow as pa

    rows = size = 0
    batches = []
    for batch in parquet.iter_batches(batch_size=8192, columns=wanted):
        rows += batch.num_rows
        size += batch.nbytes
        if rows > max_bytes // 8 or size > max_bytes:
            raise _too_big(path, f"over {size} bytes in {rows} rows decoded", max_bytes)
        batches.append(batch)
    if not batches:
        return pa.table({n: pa.array([], type=parquet.schema_arrow.field(n).type) for n in wanted})
    return pa.Table.from_batches(batches)


def _label(value: object) -> str:
    """A group value's own text: integers whole, floats to the last digit (repr)."""
    if value is None:
        return NULL
    text = repr(value) if isinstance(value, float) else str(value)
    return text if text else EMPTY


def _codes(column: object, where: str) -> Codes:
    """Distinct values (as exact text) of a Parquet column, and each row's code."""
    import pyarrow as pa

    assert isinstance(column, pa.ChunkedArray)
    try:
        encoded = column.combine_chunks().dictionary_encode()
    except pa.ArrowException:
        raise UsageError(
            f"{where}: cannot slice by a column of type {column.type}",
            hint="--protected and slice_key need a column of text, numbers, booleans or dates",
        ) from None
    labels = [_label(v) for v in encoded.dictionary.to_pylist()]
    indices = encoded.indices
    if indices.null_count:
        indices = indices.fill_null(len(labels))
        labels.append(NULL)
    return labels, indices.to_numpy(zero_copy_only=False).astype(np.int64)


__all__ = [
    "DEFAULT_MAX_BYTES",
    "EMPTY",
    "NULL",
    "Predictions",
    "declared",
    "exact",
    "missing",
    "read",
    "sha256",
]
