"""``--connection URL --table NAME``: the cells of :mod:`duck`, counted in a warehouse.

Ibis connects to the URL (``postgres://``, ``duckdb://``, ``bigquery://``, ``snowflake://``,
``trino://``, ...) and compiles the GROUP BY of :func:`duck._sql` to the backend's SQL, so
the rows never leave the warehouse: only the cells come back, as Arrow. Slice columns are
cast to text (booleans as ``True``/``False``, a NULL stays missing), labels and scores to
doubles (``TRY_CAST`` for text columns, so a value that is not a number is counted, not an
error), and each cell keeps its raw score range, so the checks see every row.

Credentials come from the environment, never from the command line: a URL holding a
password (or a ``password``/``token``/``secret`` parameter) is refused before anything
connects, since a command line is seen by every process of the machine and by CI logs.
PostgreSQL takes ``PGPASSWORD`` or ``PGPASSFILE`` (libpq's own variables); other backends
their own (``GOOGLE_APPLICATION_CREDENTIALS``, ``SNOWFLAKE_PASSWORD``, ...).

The binding (:class:`Binding`) is what the run can say about the data it read: the
connection without user or parameters, the table, the SQL that counted, the rows, and the
SHA-256 of the cells (the same table gives the same digest, whatever the engine). A
snapshot id where the backend has one; where it has none, ``unbound`` says so.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import numpy as np

from aigov_gate.errors import UsageError
from aigov_gate.measure import duck, remote
from aigov_gate.measure.duck import Cells
from aigov_gate.measure.table import Predictions

_SECRET = re.compile(r"pass|pwd|token|secret|key|credential", re.IGNORECASE)


def shown(url: str) -> str:
    """The URL without user, password, parameters or fragment (what may be printed)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    where = host + (f":{port}" if port else "")
    return f"{parts.scheme}://{where}{parts.path}"


def check_url(url: str) -> None:
    """Refuse a URL that carries a credential (it would sit on the command line)."""
    parts = urlsplit(url)
    if not parts.scheme or "://" not in url:
        raise UsageError(
            f"--connection {shown(url)}: not a URL",
            hint="e.g. postgres://host:5432/db or duckdb:///path/to/file.db",
        )
    named = [k for k, _ in parse_qsl(parts.query, keep_blank_values=True) if _SECRET.search(k)]
    if parts.password is not None or named:
        what = "a password" if parts.password is not None else f"the parameter {named[0]}"
        raise UsageError(
            f"--connection {shown(url)}: the URL holds {what}",
            hint="give credentials through the environment (PostgreSQL: PGPASSWORD or "
            "PGPASSFILE), never on the command line",
        )


@dataclass(frozen=True)
class Binding:
    """What binds a run to a table: see the module's docstring."""

    connection: str
    table: str
    query: str
    rows: int
    snapshot: str | None
    unbound: str | None

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "connection": self.connection,
            "table": self.table,
            "query": self.query,
            "rows": self.rows,
        }
        if self.snapshot is not None:
            out["snapshot"] = self.snapshot
        if self.unbound is not None:
            out["unbound"] = self.unbound
        return out


def connect(url: str) -> Any:
    """An Ibis connection to ``url`` (credentials from the environment)."""
    check_url(url)
    try:
        import ibis
    except ImportError:
        raise UsageError(
            "--connection needs Ibis", hint="pip install 'aigov-gate[warehouse]'"
        ) from None
    try:
        return ibis.connect(url)
    except Exception as exc:  # the backend's own errors: host down, login refused, no driver
        raise UsageError(
            f"--connection {shown(url)}: cannot connect: {_first(exc, url)}",
            hint="check the URL and the credentials in the environment",
        ) from None


def _first(exc: BaseException, url: str) -> str:
    """The first line of an error, with the URL in it shown without its secrets."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return text.replace(url, shown(url))


def _table(con: Any, name: str, url: str) -> Any:
    *database, table = name.split(".")
    try:
        if database:
            return con.table(table, database=tuple(database) if len(database) > 1 else database[0])
        return con.table(table)
    except Exception as exc:
        raise UsageError(
            f"--table {name}: no such table at {shown(url)}: {_first(exc, url)}",
            hint="name it as TABLE or SCHEMA.TABLE",
        ) from None


def _group(column: Any, kind: Any) -> Any:
    import ibis

    if kind.is_boolean():
        return ibis.cases((column.isnull(), ibis.null("string")), (column, "True"), else_="False")
    return column.cast("string")


def _number(column: Any, kind: Any) -> Any:
    return column.try_cast("float64") if kind.is_string() else column.cast("float64")


def aggregate(t: Any, protected: list[str], wanted: dict[str, str], precision: int | None) -> Any:
    """The GROUP BY of :func:`duck._sql` as an Ibis expression: one row per cell."""
    import ibis

    schema = t.schema()
    picked = {f"g{i}": _group(t[n], schema[n]) for i, n in enumerate(protected)}
    for role, name in wanted.items():
        value = _number(t[name], schema[name])
        if role == "y_score":
            picked["raw"], picked["raw_text"] = value, t[name]
            if precision is not None:
                value = remote.rounded(
                    value, precision, lambda v: v.floor(), lambda c: ibis.ifelse(c, 1.0, 0.0)
                )
        picked[role] = value
    cells = t.select(**picked)
    sums = {"n": cells.count()}
    if "y_score" in wanted:
        sums.update(
            low=cells.raw.min(),
            high=cells.raw.max(),
            bad_score=cells.raw_text.count() - cells.raw.count(),
        )
    keys = [f"g{i}" for i in range(len(protected))] + list(wanted)
    return cells.group_by(keys).aggregate(**sums)


def count(
    url: str,
    name: str,
    columns: dict[str, str | None],
    protected: list[str],
    regression: bool = False,
    precision: int | None = None,
) -> tuple[Cells, Binding]:
    """The cells of table ``name`` at ``url``, counted there and checked, and the binding."""
    con = connect(url)
    t = _table(con, name, url)
    wanted = duck._roles(list(t.columns), columns, protected, regression, name)
    expr = aggregate(t, protected, wanted, precision)
    query = str(con.compile(expr))
    try:
        found = con.to_pyarrow(expr)
    except Exception as exc:
        raise UsageError(
            f"--table {name}: the query failed: {_first(exc, url)}",
            hint="check the columns' types (labels and scores are numbers)",
        ) from None
    cells = remote.cells(found, name, "", None, wanted, protected, regression)
    cells = replace(cells, sha256=digest(cells))
    snapshot, unbound = _snapshot(con)
    binding = Binding(shown(url), name, query, cells.rows, snapshot, unbound)
    return cells, binding


def digest(cells: Cells) -> str:
    """SHA-256 of the cells in their canonical order (the entries :func:`duck.predictions`
    makes): equal tables give equal digests, whatever order the engine returned cells in."""
    data = duck.predictions(cells)
    h = hashlib.sha256()
    for g in data.groupings:
        h.update(json.dumps([g.key, list(g.labels)]).encode())
        h.update(np.ascontiguousarray(g.index, dtype="<i8").tobytes())
    for values in (data.y_true, data.y_pred, data.y_score, data.counts):
        h.update(b"-" if values is None else np.ascontiguousarray(values, "<f8").tobytes())
    return h.hexdigest()


def _snapshot(con: Any) -> tuple[str | None, str | None]:
    """The table's snapshot id where the backend has one, else why it is not bound."""
    backend = str(con.name)
    return None, (
        f"{backend} gives no snapshot id for a table: the connection, the query, the rows "
        "and the cells' digest are bound, but the table may change after this run"
    )


def read(
    url: str,
    name: str,
    columns: dict[str, str | None],
    protected: list[str],
    regression: bool = False,
    precision: int | None = None,
) -> Predictions:
    """The predictions of a table, as cells, with the table binding as their source."""
    cells, binding = count(url, name, columns, protected, regression, precision)
    return replace(duck.predictions(cells), source=binding.as_json())


__all__ = ["Binding", "aggregate", "check_url", "connect", "count", "digest", "read", "shown"]
