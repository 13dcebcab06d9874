"""``--engine spark``: the cells of :mod:`duck`, counted by Spark (PySpark's DataFrame API).

The same files (a path or a glob, bound by the same digest), read the way DuckDB reads
them: a CSV's columns all as text (an empty field is empty text), a Parquet file's slice
columns cast to text (booleans as ``True``/``False``). One ``groupBy`` over the slices, the
label, the class and the (rounded) score counts the cells and keeps each cell's raw score
range and how many scores were not numbers, so the checks of :func:`remote.problem` see
every row. Only the cells come back to Python, as Arrow.

The session: ``SPARK_REMOTE`` (Spark Connect, ``sc://host:port``) when it is set, else
``--spark-master`` (default ``local[*]``). The files must be readable where Spark runs
(on a cluster, from every executor: a shared file system).
"""

from __future__ import annotations

import os
from typing import Any

from aigov_gate.errors import UsageError
from aigov_gate.measure import duck, remote, table
from aigov_gate.measure.duck import Cells
from aigov_gate.measure.table import Predictions

DEFAULT_MASTER = "local[*]"


def session(master: str | None) -> Any:
    """The active SparkSession, else a new one (Spark Connect when ``SPARK_REMOTE`` is set)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise UsageError(
            "--engine spark needs pyspark (and Java 17 or later)",
            hint="pip install 'aigov-gate[spark]'",
        ) from None
    remote_url = os.environ.get("SPARK_REMOTE")
    if remote_url and master:
        raise UsageError(
            "--spark-master and SPARK_REMOTE both name a Spark",
            hint="unset SPARK_REMOTE, or drop --spark-master",
        )
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = SparkSession.builder.appName("aigov metrics")
    if not remote_url:
        builder = builder.master(master or DEFAULT_MASTER)
        builder = builder.config("spark.ui.enabled", "false")
        builder = builder.config("spark.ui.showConsoleProgress", "false")  # no bars on stderr
    try:
        return builder.getOrCreate()
    except Exception as exc:  # Java missing, a master or a Connect server not reachable
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise UsageError(
            f"cannot start Spark: {first}",
            hint="check Java (17 or later), --spark-master or SPARK_REMOTE",
        ) from None


def _col(name: str) -> Any:
    from pyspark.sql import functions as F

    return F.col("`" + name.replace("`", "``") + "`")


def _group(name: str, kind: str, parquet: bool) -> Any:
    """A slice column as text, as :func:`duck._group` makes it."""
    from pyspark.sql import functions as F

    col = _col(name)
    if not parquet:
        return F.coalesce(col, F.lit(""))
    if kind == "boolean":
        return F.when(col.isNull(), F.lit(None)).when(col, "True").otherwise("False")
    return col.cast("string")


def _when(condition: Any) -> Any:
    from pyspark.sql import functions as F

    return F.when(condition, 1.0).otherwise(0.0)


def aggregate(
    frame: Any,
    protected: list[str],
    wanted: dict[str, str],
    parquet: bool,
    precision: int | None,
) -> Any:
    """The GROUP BY of :func:`duck._sql` on a DataFrame: one row per cell."""
    from pyspark.sql import functions as F

    kinds = {f.name: f.dataType.typeName() for f in frame.schema.fields}
    picked = [_group(n, kinds[n], parquet).alias(f"g{i}") for i, n in enumerate(protected)]
    for role, name in wanted.items():
        value = _col(name).try_cast("double")
        if role == "y_score":
            picked += [value.alias("raw"), _col(name).alias("raw_text")]
            if precision is not None:
                value = remote.rounded(value, precision, F.floor, _when)
        picked.append(value.alias(role))
    keys = [f"g{i}" for i in range(len(protected))] + list(wanted)
    sums = [F.count(F.lit(1)).alias("n")]
    if "y_score" in wanted:
        sums += [
            F.min("raw").alias("low"),
            F.max("raw").alias("high"),
            (F.count("raw_text") - F.count("raw")).alias("bad_score"),
        ]
    return frame.select(*picked).groupBy(*keys).agg(*sums)


def count(
    pattern: str,
    columns: dict[str, str | None],
    protected: list[str],
    regression: bool = False,
    max_bytes: int = table.DEFAULT_MAX_BYTES,
    precision: int | None = None,
    master: str | None = None,
) -> Cells:
    """The cells of the rows of ``pattern``, counted by Spark and checked."""
    src = duck.files(pattern, max_bytes)
    spark = session(master)
    frame = _frame(spark, src)
    wanted = duck._roles(list(frame.columns), columns, protected, regression, pattern)
    try:
        found = aggregate(frame, protected, wanted, src.parquet, precision).toArrow()
    except Exception as exc:  # Spark's errors: an unreadable file, a malformed row
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise UsageError(f"{pattern}: cannot read: {first}", hint="check the file") from None
    if found.num_rows and remote.problem(found, wanted, regression):
        duck.reread_small(src, columns, protected, regression, max_bytes)
    declared = _declared(src)
    return remote.cells(found, pattern, src.sha256, declared, wanted, protected, regression)


def _frame(spark: Any, src: duck.Source) -> Any:
    names = [str(p.resolve()) for p in src.files]
    try:
        if src.parquet:
            return spark.read.parquet(*names)
        return spark.read.csv(
            names, header=True, inferSchema=False, quote='"', escape='"', mode="FAILFAST"
        )
    except Exception as exc:
        kind = "Parquet" if src.parquet else "CSV"
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise UsageError(f"{src.pattern}: not {kind}: {first}", hint="check the file") from None


def _declared(src: duck.Source) -> str | None:
    """The dataset digest the files declare (Parquet metadata, CSV sidecar); one or none."""
    if not src.parquet:
        return duck.one_declared(src, duck.sidecars(src))
    import pyarrow.parquet as pq

    metas = [pq.read_metadata(path).metadata or {} for path in src.files]
    found = {m[b"dataset_digest"].decode() for m in metas if b"dataset_digest" in m}
    return duck.one_declared(src, found)


def read(
    pattern: str,
    columns: dict[str, str | None],
    protected: list[str],
    regression: bool = False,
    max_bytes: int = table.DEFAULT_MAX_BYTES,
    precision: int | None = None,
    master: str | None = None,
) -> Predictions:
    """Like :func:`duck.read`, counted by Spark."""
    cells = count(pattern, columns, protected, regression, max_bytes, precision, master)
    return duck.predictions(cells)


__all__ = ["DEFAULT_MASTER", "aggregate", "count", "read", "session"]
