"""The engines of ``aigov metrics compute`` counting the same rows: DuckDB on the files, Spark
on the files, and a warehouse table through Ibis (DuckDB in-process; PostgreSQL too when
``AIGOV_TEST_POSTGRES_URL`` is set, with ``PGPASSWORD`` in the environment).

    python benchmarks/bench_engines.py [--rows N] [--shards N] [--spark]

The rows are those of ``bench_duckdb.py`` (scores at 4 decimals, 3 text slice columns).
Each engine counts the cells (no metrics): one line per engine with its wall time, the
cells and whether they equal DuckDB's. Spark's line includes starting its session (tens of
seconds), which the other engines do not pay; it runs only with ``--spark``. Importing Ibis and
loading the table into PostgreSQL are not timed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_duckdb import COLUMNS, SLICES, write


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--spark", action="store_true")
    args = parser.parse_args()

    import duckdb
    import pyarrow.dataset as ds

    from aigov_gate.measure import duck, warehouse

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        glob = write(folder, args.rows, args.shards, 4)
        con = duckdb.connect(str(folder / "w.db"))
        con.execute("CREATE TABLE preds AS SELECT * FROM read_parquet(?)", [glob])
        con.close()

        def timed(name: str, count: object) -> None:
            start = time.perf_counter()
            cells = count()  # type: ignore[operator]
            wall = time.perf_counter() - start
            data = duck.predictions(cells)
            same = warehouse.digest(cells) == reference
            print(f"{name:>22}: {wall:7.2f} s  {len(data.y_true):>8} cells  same={same}")

        base = duck.count(glob, COLUMNS, SLICES, False, 1 << 40, None)
        reference = warehouse.digest(base)
        timed("duckdb (files)", lambda: duck.count(glob, COLUMNS, SLICES, False, 1 << 40, None))
        url = f"duckdb://{folder / 'w.db'}"
        warehouse.connect(url)  # imports Ibis and its DuckDB backend (seconds): not timed
        timed("ibis duckdb (table)", lambda: warehouse.count(url, "preds", COLUMNS, SLICES)[0])
        postgres = os.environ.get("AIGOV_TEST_POSTGRES_URL")
        if postgres:
            import ibis

            pg = ibis.connect(postgres)
            pg.create_table(
                "bench_preds", ds.dataset(sorted(map(str, folder.glob("*.parquet")))).to_table()
            )
            try:
                timed(
                    "ibis postgres (table)",
                    lambda: warehouse.count(postgres, "bench_preds", COLUMNS, SLICES)[0],
                )
            finally:
                pg.raw_sql('DROP TABLE "bench_preds"').close()
        if args.spark:
            from aigov_gate.measure import spark

            timed(
                "spark local[*] (files)",
                lambda: spark.count(glob, COLUMNS, SLICES, False, 1 << 40, None),
            )
    print(f"load average: {os.getloadavg()[0]:.1f} ({args.rows} rows, {args.shards} shards)")


if __name__ == "__main__":
    main()
