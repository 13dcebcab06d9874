"""Predictions as cells counted by DuckDB: one GROUP BY, out of core, on every core.

``aigov metrics compute`` (the default engine) reads a CSV or Parquet file, or a glob of
them, with DuckDB and never holds the rows: DuckDB groups them by every slice column (read
as text, so ``01`` stays ``01``), the label, the predicted class and the score, and
returns one row per cell with its count. The numpy engine (:mod:`cells`) then merges and
measures those cells exactly as it would the rows: the same cells in the same order, so
the same values and, for a seed, the same bootstrap intervals.

The checks of :func:`table.read` happen on the cells: a value that is not a number, NaN
or infinity, a label not 0/1, a score outside [0, 1] (each cell keeps its smallest and
largest raw score, so rounding to ``--score-precision`` hides nothing). When a cell is
bad, the file holding it is read again by :func:`table.read` for its exact message
(file:line), if it is small enough; else the message names the file and the value.
"""

from __future__ import annotations

import glob as globbing
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from aigov_gate.errors import UsageError
from aigov_gate.measure import table
from aigov_gate.measure.cells import Floats
from aigov_gate.measure.counted import Cells, checked, predictions
from aigov_gate.measure.table import Predictions

_MAGIC = set("*?[")
_NUMERIC = {"DOUBLE", "FLOAT", "REAL", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT"}


@dataclass(frozen=True)
class Source:
    """The files a PREDICTIONS argument names, sorted, and what binds them."""

    pattern: str
    files: list[Path]
    parquet: bool
    sha256: str


def files(pattern: str, max_bytes: int) -> Source:
    """The files of a path or glob; their digest (a file's own, or over the sorted files')."""
    if _MAGIC & set(pattern):
        found = sorted(Path(p) for p in globbing.glob(pattern, recursive=True))  # noqa: PTH207
        found = [p for p in found if p.is_file()]
        if not found:
            raise UsageError(f"{pattern}: no file matches", hint="check the glob")
    else:
        if not Path(pattern).is_file():
            raise UsageError(f"{pattern}: no such file", hint="pass the predictions file")
        found = [Path(pattern)]
    kinds = {p.suffix.lower() in (".parquet", ".pq") for p in found}
    if len(kinds) > 1:
        raise UsageError(f"{pattern}: mixes Parquet and CSV files", hint="one format per glob")
    size = sum(p.stat().st_size for p in found)
    if size > max_bytes:
        raise UsageError(
            f"{pattern} is {size} bytes, over the limit of {max_bytes}",
            hint="raise it with --max-bytes",
        )
    digests = [table.sha256(p) for p in found]
    digest = digests[0]
    if _MAGIC & set(pattern):
        digest = combined(digests)
    return Source(pattern, found, kinds.pop(), digest)


def combined(digests: list[str]) -> str:
    """One digest for several files: SHA-256 over their sorted hex digests, one a line."""
    return hashlib.sha256("".join(d + "\n" for d in sorted(digests)).encode()).hexdigest()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _group(name: str, kind: str, parquet: bool) -> str:
    """A slice column as text, as :func:`table.read` names its values."""
    col = _quote(name)
    if not parquet:
        return f"COALESCE({col}, '')"  # CSV has no nulls: an empty field is empty text
    if kind == "BOOLEAN":
        return f"CASE WHEN {col} IS NULL THEN NULL WHEN {col} THEN 'True' ELSE 'False' END"
    return f"CAST({col} AS VARCHAR)"


def _number(name: str) -> str:
    return f"TRY_CAST({_quote(name)} AS DOUBLE)"


def _connect() -> Any:
    try:
        import duckdb
    except ImportError:
        raise UsageError(
            "the duckdb engine needs duckdb",
            hint="pip install 'aigov-gate[metrics]', or pass --engine numpy",
        ) from None
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")  # only the CLI prints
    return con


def _relation(con: Any, src: Source) -> Any:
    import duckdb

    names = [str(p) for p in src.files]
    try:
        if src.parquet:
            return con.read_parquet(names)
        return con.read_csv(names, all_varchar=True, header=True)
    except duckdb.Error as exc:
        kind = "Parquet" if src.parquet else "CSV"
        first = str(exc).strip().splitlines()[0]
        raise UsageError(f"{src.pattern}: not {kind}: {first}", hint="check the file") from None


def read(
    pattern: str,
    columns: dict[str, str | None],
    protected: list[str],
    regression: bool = False,
    max_bytes: int = table.DEFAULT_MAX_BYTES,
    precision: int | None = None,
) -> Predictions:
    """Like :func:`table.read`, but the rows become cells inside DuckDB.

    ``precision`` rounds scores to that many decimals before grouping (fewer cells).
    """
    return predictions(count(pattern, columns, protected, regression, max_bytes, precision))


def count(
    pattern: str,
    columns: dict[str, str | None],
    protected: list[str],
    regression: bool = False,
    max_bytes: int = table.DEFAULT_MAX_BYTES,
    precision: int | None = None,
) -> Cells:
    """The cells of the rows of ``pattern``, checked (one GROUP BY in DuckDB)."""
    src = files(pattern, max_bytes)
    con = _connect()  # a clear usage error when duckdb is not installed
    import duckdb

    rel = _relation(con, src)
    types = {c: str(t) for c, t in zip(rel.columns, rel.types, strict=True)}
    wanted = _roles(list(rel.columns), columns, protected, regression, pattern)
    rel.create_view("predictions")
    sql = _sql(protected, types, src.parquet, wanted, precision)
    try:
        labels, cells = _coded(con, sql, len(protected))
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise UsageError(f"{pattern}: cannot read: {first}", hint="check the file") from None
    if not len(cells["n"]):
        raise UsageError(f"{pattern} has no rows", hint="nothing to measure")
    data = {role: _floats(cells[role]) for role in wanted}
    low = high = None
    bad = 0
    if "low" in cells:
        low, high = _floats(cells["low"]), _floats(cells["high"])
        bad = int(_floats(cells["bad_score"]).sum())
    if bad or not checked(data, regression, low, high):
        _explain(con, src, columns, protected, regression, max_bytes, wanted)
        raise UsageError(f"{pattern}: a value is not a number, NaN or out of range")
    index = [np.asarray(cells[f"g{i}"], dtype=np.int64) for i in range(len(protected))]
    counts = _floats(cells["n"])
    declared = _declared(con, src)
    return Cells(pattern, src.sha256, declared, wanted, protected, labels, index, data, counts)


def _coded(con: Any, sql: str, groups: int) -> tuple[list[list[str | None]], dict[str, Any]]:
    """The cells, each slice column as integer codes, and the labels the codes index.

    DuckDB ranks each slice column's distinct values (``dense_rank``), so no Python object
    is made per cell, and no Arrow (nor pandas) is loaded.
    """
    con.execute(f"CREATE TEMP TABLE cells AS {sql}")
    labels, ranks = [], []
    for i in range(groups):
        order = f"ORDER BY g{i} NULLS LAST"
        rows = con.execute(f"SELECT DISTINCT g{i} FROM cells {order}").fetchall()
        labels.append([r[0] for r in rows])
        ranks.append(f"dense_rank() OVER ({order}) - 1 AS g{i}")
    rest = f"* EXCLUDE ({', '.join(f'g{i}' for i in range(groups))})" if groups else "*"
    return labels, con.sql(f"SELECT {', '.join([*ranks, rest])} FROM cells").fetchnumpy()


def _floats(values: Any) -> Floats:
    """A fetched number column as float64 (a null becomes NaN, which the checks refuse)."""
    return np.asarray(np.ma.filled(np.ma.asarray(values).astype(np.float64), np.nan))


def _roles(
    header: list[str],
    columns: dict[str, str | None],
    protected: list[str],
    regression: bool,
    pattern: str,
) -> dict[str, str]:
    """Role -> column, every column checked to be there (as :func:`table.read`)."""
    given = {role: name for role, name in columns.items() if name}
    wanted = {**given, **{r: r for r, n in columns.items() if n is None and r in header}}
    for role, name in [*wanted.items(), *(("--protected", n) for n in protected)]:
        if name not in header:
            raise table.missing(name, role, header, Path(pattern))
    if "y_pred" not in wanted and "y_score" not in wanted and not regression:
        raise UsageError(
            f"{pattern}: no predictions: no y_pred or y_score column",
            hint="name them with --columns y_pred=COL,y_score=COL",
        )
    return wanted


def _sql(
    protected: list[str],
    types: dict[str, str],
    parquet: bool,
    wanted: dict[str, str],
    precision: int | None,
) -> str:
    """The GROUP BY that counts the cells (and keeps each cell's raw score range)."""
    select, keys = [], []
    for i, name in enumerate(protected):
        select.append(f"{_group(name, types[name], parquet)} AS g{i}")
        keys.append(f"g{i}")
    for role, name in wanted.items():
        value = _number(name)
        # A cell's raw score range and its count of non-numbers: needed when scores are
        # rounded (the key hides them) or are text (CSV); else the key is the raw score.
        if role == "y_score" and (precision is not None or types[name] not in _NUMERIC):
            select.append(f"min({value}) AS low, max({value}) AS high")
            select.append(f"count({_quote(name)}) - count({value}) AS bad_score")
        if role == "y_score" and precision is not None:
            value = f"round({value}, {int(precision)})"
        select.append(f"{value} AS {role}")
        keys.append(role)
    return f"SELECT {', '.join(select)}, count(*) AS n FROM predictions GROUP BY {', '.join(keys)}"


def _explain(
    con: Any,
    src: Source,
    columns: dict[str, str | None],
    protected: list[str],
    regression: bool,
    max_bytes: int,
    wanted: dict[str, str],
) -> None:
    """Raise the exact error of the first bad file, read row by row if it is small enough."""
    reread_small(src, columns, protected, regression, max_bytes)
    checks = " OR ".join(
        f"{_number(n)} IS NULL OR NOT isfinite({_number(n)})" for n in wanted.values()
    )
    for path in src.files:
        one = _relation(con, Source(str(path), [path], src.parquet, ""))
        if one.filter(checks).limit(1).fetchall():
            raise UsageError(
                f"{path}: a value of {', '.join(wanted.values())} is empty, not a number, "
                "NaN or infinity",
                hint="fix or drop the row (labels are 0/1, scores in [0, 1])",
            )


def reread_small(
    src: Source,
    columns: dict[str, str | None],
    protected: list[str],
    regression: bool,
    max_bytes: int,
) -> None:
    """Read each file small enough row by row, to raise the exact ``file:line`` error of
    a bad row (every engine's checks say only that some cell is bad)."""
    for path in src.files:
        if path.stat().st_size <= min(max_bytes, 256 << 20):
            table.read(path, columns, protected, regression, max_bytes)  # raises if bad


def _declared(con: Any, src: Source) -> str | None:
    """The dataset digest the files declare (Parquet metadata, CSV sidecar); one or none."""
    if src.parquet:
        rows = con.execute(
            "SELECT value FROM parquet_kv_metadata(?) WHERE key = 'dataset_digest'",
            [[str(p) for p in src.files]],
        ).fetchall()
        return one_declared(src, {bytes(r[0]).decode() for r in rows})
    return one_declared(src, sidecars(src))


def sidecars(src: Source) -> set[str]:
    """The dataset digests the CSV files' ``.meta.json`` sidecars declare."""
    return {
        d
        for p in src.files
        if (d := table.declared(p.with_name(p.name + ".meta.json"))) is not None
    }


def one_declared(src: Source, found: set[str]) -> str | None:
    """The one dataset digest the files declare, or none; different ones are refused."""
    if len(found) > 1:
        raise UsageError(
            f"{src.pattern}: the files declare different datasets: {', '.join(sorted(found))}",
            hint="score one dataset per run",
        )
    return found.pop() if found else None


__all__ = ["Cells", "Source", "combined", "count", "files", "predictions", "read"]
