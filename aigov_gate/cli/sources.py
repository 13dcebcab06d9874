"""Where ``aigov metrics compute`` counts: files (DuckDB, numpy or Spark) or a table (Ibis).

The PREDICTIONS argument and ``--engine``, ``--spark-master``, ``--connection`` and
``--table`` become one :class:`Where`, checked once, that reads or counts the rows.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from aigov_gate.measure.duck import Cells
    from aigov_gate.measure.table import Predictions

How = tuple[dict[str, str | None], list[str], bool, int]  # columns, slices, regression, bytes


@dataclass(frozen=True)
class Where:
    """The rows to count: files and an engine, or a warehouse table."""

    predictions: str | None
    engine: str
    master: str | None
    connection: str | None
    table: str | None

    def check(self) -> None:
        from aigov_gate.errors import UsageError

        if self.connection or self.table:
            if not (self.connection and self.table):
                raise UsageError(
                    "--connection and --table go together", hint="name the URL and the table"
                )
            if self.predictions or self.engine != "duckdb" or self.master:
                raise UsageError(
                    "--connection counts in the warehouse: no PREDICTIONS, --engine or "
                    "--spark-master",
                    hint="drop PREDICTIONS and --engine, or --connection and --table",
                )
            return
        if not self.predictions:
            raise UsageError(
                "no predictions: pass PREDICTIONS (a file or a glob), or --connection and --table",
                hint="e.g. aigov metrics compute preds.parquet --plan P",
            )
        if self.master and self.engine != "spark":
            raise UsageError("--spark-master goes with --engine spark", hint="add --engine spark")

    def read(self, how: How, precision: int | None) -> Predictions:
        """The predictions: rows (numpy) or counted cells (the other engines)."""
        from aigov_gate.errors import UsageError
        from aigov_gate.measure import duck, table

        if self.engine == "numpy":
            if precision is not None:
                raise UsageError(
                    "--score-precision needs --engine duckdb or spark", hint="drop one of them"
                )
            return table.read(Path(str(self.predictions)), *how)
        if self.connection and self.table:
            from aigov_gate.measure import warehouse

            columns, slices, regression, _ = how
            return warehouse.read(
                self.connection, self.table, columns, slices, regression, precision
            )
        return duck.predictions(self.count(how, precision))

    def count(self, how: How, precision: int | None) -> Cells:
        """The cells of the files (``--partial``), counted by DuckDB or Spark."""
        from aigov_gate.errors import UsageError
        from aigov_gate.measure import duck

        if self.engine == "numpy" or self.connection:
            raise UsageError(
                "--partial writes cells counted from files: it needs --engine duckdb or spark",
                hint="drop --partial, or count files",
            )
        if self.engine == "spark":
            from aigov_gate.measure import spark

            return spark.count(str(self.predictions), *how, precision, master=self.master)
        return duck.count(str(self.predictions), *how, precision)


_OPTIONS = [
    click.argument("predictions", metavar="PREDICTIONS", required=False),
    click.option(
        "--engine",
        type=click.Choice(["duckdb", "numpy", "spark"]),
        default="duckdb",
        show_default=True,
        help="Who counts the cells: DuckDB (globs, out of core), numpy (one file in memory) "
        "or Spark (the spark extra).",
    ),
    click.option(
        "--spark-master",
        "master",
        metavar="URL",
        help="With --engine spark: the master (default local[*]; SPARK_REMOTE for Connect).",
    ),
    click.option(
        "--connection",
        metavar="URL",
        help="Count in this warehouse (Ibis: postgres://, duckdb://, ...; the warehouse "
        "extra). Credentials from the environment, never in the URL.",
    ),
    click.option("--table", metavar="NAME", help="With --connection: the table (or SCHEMA.NAME)."),
]


def where_options(command: Callable[..., None]) -> Callable[..., None]:
    """Add PREDICTIONS and the engine options to ``command``, handed over as ``where``."""

    @functools.wraps(command)
    def wrapper(**given: Any) -> None:
        names = ("predictions", "engine", "master", "connection", "table")
        where = Where(*(given.pop(n) for n in names))
        where.check()
        command(where=where, **given)

    for option in reversed(_OPTIONS):
        wrapper = option(wrapper)
    return wrapper


__all__ = ["How", "Where", "where_options"]
