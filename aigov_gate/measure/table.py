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

import numpy as np

from aigov_gate.errors import UsageError
from aigov_gate.measure.engine import Floats, Grouping

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


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _missing(name: str, role: str, header: list[str], path: Path) -> UsageError:
    close = difflib.get_close_matches(name, header, n=1)
    did = f"did you mean '{close[0]}'? " if close else ""
    return UsageError(
        f"{path}: no column '{name}' (for {role})",
        hint=f"{did}columns: {', '.join(header)}; map them with --columns {role}=NAME",
    )


def _numbers(values: list[str] | Floats, name: str, path: Path, lines: list[int] | None) -> Floats:
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
    for role in ("y_true", "y_pred"):
        if role in data:
            _labels(data[role], wanted[role], path)
    if "y_score" in data and ((data["y_score"] < 0) | (data["y_score"] > 1)).any():
        raise UsageError(
            f"{path}: {wanted['y_score']} has values outside [0, 1]",
            hint="y_score is a probability of the positive class",
        )


def _grouping(key: str, values: list[str] | Floats) -> Grouping:
    if isinstance(values, np.ndarray):  # numbers (Parquet): group on them, label as text
        found, index = np.unique(values, return_inverse=True)
        labels = tuple(f"{v:g}" for v in found)
        return Grouping(key, labels, index.astype(np.int64))
    codes: dict[str, int] = {}
    index = np.fromiter((codes.setdefault(v, len(codes)) for v in values), np.int64, len(values))
    order = sorted(codes, key=codes.__getitem__)
    ranked = sorted(range(len(order)), key=order.__getitem__)  # labels in sorted order
    remap = np.empty(len(order), dtype=np.int64)
    remap[ranked] = np.arange(len(order))
    return Grouping(key, tuple(sorted(order)), remap[index])


def read(
    path: Path,
    columns: dict[str, str],
    protected: list[str],
    regression: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Predictions:
    """``columns`` maps y_true / y_pred / y_score to the file's column names."""
    if not path.is_file():
        raise UsageError(f"{path}: no such file", hint="pass the predictions file")
    size = path.stat().st_size
    if size > max_bytes:
        raise UsageError(
            f"{path} is {size} bytes, over the limit of {max_bytes}",
            hint="raise it with --max-bytes, or sample the predictions",
        )
    wanted = {role: name for role, name in columns.items() if name}
    raw: dict[str, list[str] | Floats]
    lines: list[int] | None
    if path.suffix.lower() in (".parquet", ".pq"):
        raw, lines, header, declared = _parquet(path, [*wanted.values(), *protected])
    else:
        raw, lines, header, declared = _csv(path, [*wanted.values(), *protected])
    for role, name in [*wanted.items(), *(("--protected", n) for n in protected)]:
        if name not in raw:
            raise _missing(name, role, header, path)
    data = {role: _numbers(raw[name], name, path, lines) for role, name in wanted.items()}
    if not regression:
        _classes(data, wanted, path)
    rows = len(data["y_true"])
    if rows == 0:
        raise UsageError(f"{path} has no rows", hint="nothing to measure")
    groups = [_grouping(name, raw[name]) for name in protected]
    return Predictions(
        path,
        _sha256(path),
        rows,
        data["y_true"],
        data.get("y_pred"),
        data.get("y_score"),
        groups,
        declared,
    )


def _csv(
    path: Path, names: list[str]
) -> tuple[dict[str, list[str] | Floats], list[int], list[str], str | None]:
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
    return dict(out), lines, header, _declared(sidecar)


def _declared(sidecar: Path) -> str | None:
    import json

    if not sidecar.is_file():
        return None
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except ValueError:
        raise UsageError(f"{sidecar} is not JSON", hint="fix or remove it") from None
    value = meta.get("dataset_digest") if isinstance(meta, dict) else None
    return str(value) if value else None


def _parquet(
    path: Path, names: list[str]
) -> tuple[dict[str, list[str] | Floats], None, list[str], str | None]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise UsageError(
            f"{path}: reading Parquet needs pyarrow",
            hint="pip install 'aigov-gate[metrics]' pyarrow, or pass a CSV",
        ) from None
    try:
        schema = pq.read_schema(path)
        header = list(schema.names)
        table = pq.read_table(path, columns=[n for n in dict.fromkeys(names) if n in header])
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: not Parquet: {exc}", hint="check the file") from None
    meta = schema.metadata or {}
    declared = meta.get(b"dataset_digest")
    import pyarrow as pa

    out: dict[str, list[str] | Floats] = {}
    for name in table.column_names:
        column = table.column(name)
        if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
            if column.null_count:
                raise UsageError(f"{path}: {name} has {column.null_count} empty value(s)")
            out[name] = column.to_numpy().astype(np.float64)
        else:
            out[name] = [str(v) for v in column.to_pylist()]
    return out, None, header, declared.decode() if declared else None


__all__ = ["DEFAULT_MAX_BYTES", "Predictions", "read"]
