"""The DuckDB engine of ``aigov metrics compute`` against DuckDB's own bare GROUP BY.

    python benchmarks/bench_duckdb.py [--rows N] [--shards N] [--replicates N]

Writes N rows (default 2M) as Parquet shards in a temporary folder: a binary label, a score
to 4 decimals, its class at 0.5, and 3 protected attributes (text) of 2, 4 and 5 groups.
Each phase runs in its own process, so that its wall time and peak RSS are its own:

* ``bare``: DuckDB's ``SELECT a, b, c, label, pred, score, count(*) ... GROUP BY ALL``
  over the glob, fetched to numpy: the floor;
* ``cells``: ``duck.read`` (the same GROUP BY, with slices as text, the checks, the glob's
  digest) and every metric for every slice (``compute.measure``, no bootstrap);
* ``full``: the same with scores NOT rounded (every distinct score its own cell);
* ``bootstrap``: ``cells`` plus ``--replicates`` replicates (roc_auc and log_loss too);
* ``merge-json``, ``merge-parquet``: one partial per shard written first (not timed),
  then load + merge + measure.

``--write DIR`` only writes the data (DIR/rounded, DIR/full, DIR/partials-json,
DIR/partials-parquet), so that ``farm-bench`` can time two phases against each other::

    farm-bench -- python benchmarks/bench_duckdb.py --child cells --glob 'DIR/rounded/*.parquet' \
        --vs "python benchmarks/bench_duckdb.py --child bare --glob 'DIR/rounded/*.parquet'"

Prints one line per phase with the machine's load average. Wall time on a shared machine
varies: run it twice.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

COLUMNS: dict[str, str | None] = {"y_true": "label", "y_pred": "pred", "y_score": "score"}
SLICES = ["a", "b", "c"]


def write(folder: Path, rows: int, shards: int, digits: int | None) -> str:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    per = rows // shards
    for i in range(shards):
        a = rng.choice(["f", "m"], per)
        b = rng.choice(["18-24", "25-44", "45-64", "65+"], per)
        c = rng.choice(["n", "e", "s", "w", "c"], per)
        y = (rng.random(per) < 0.3 + 0.1 * (a == "f")).astype(np.int64)
        score = np.clip(0.35 * y + rng.random(per) * 0.65, 0, 1)
        if digits is not None:
            score = score.round(digits)
        pred = (score >= 0.5).astype(np.int64)
        t = pa.table({"label": y, "score": score, "pred": pred, "a": a, "b": b, "c": c})
        pq.write_table(t, folder / f"part-{i:02d}.parquet")
    return str(folder / "*.parquet")


def wanted() -> list[Any]:
    from aigov_gate.measure import compute

    out = [compute.Request(m, m, "") for m in ("roc_auc", "accuracy", "log_loss", "f1")]
    for key in SLICES:
        out += [compute.Request(m, m, key) for m in ("selection_rate", "tpr", "roc_auc")]
        out.append(compute.Request("dpd", "demographic_parity_difference", key))
    return out


def phase(name: str, glob: str, replicates: int) -> str:
    from aigov_gate.measure import compute, duck
    from aigov_gate.measure import partial as partials
    from aigov_gate.measure.intervals import Settings

    if name == "bare":
        import duckdb

        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")  # as aigov's own connection
        sql = "SELECT a, b, c, label, pred, score, count(*) AS n FROM read_parquet(?) GROUP BY ALL"
        cells = con.execute(sql, [glob]).fetchnumpy()
        return f"{len(cells['n'])} cells"
    options = compute.Options(jobs=2)
    if name == "bootstrap":
        options = compute.Options(intervals=True, settings=Settings(replicates=replicates), jobs=2)
    if name.startswith("merge"):  # merge-json, merge-parquet: glob names the partials
        start = time.perf_counter()
        loaded = [partials.load(p) for p in sorted(Path(glob).parent.glob(Path(glob).name))]
        plan = loaded[0].plan
        data = duck.predictions(partials.merge(loaded, plan))
        merged = time.perf_counter() - start
        lines, _ = compute.measure(wanted(), data, options)
        return (
            f"{len(loaded)} partials, {len(data.y_true)} cells, {len(lines)} lines; "
            f"load + merge {merged:.2f} s"
        )
    data = duck.read(glob, COLUMNS, SLICES)
    lines, _ = compute.measure(wanted(), data, options)
    return f"{len(data.y_true)} cells, {len(lines)} lines"


def partials_for(glob: str) -> None:
    """One JSON and one Parquet partial per shard, in DIR/json and DIR/parquet."""
    from aigov_gate.measure import duck
    from aigov_gate.measure import partial as partials

    plan = {"name": "bench", "sha256": "0" * 64}
    folder = Path(glob).parent
    for kind in ("json", "parquet"):
        (folder.parent / f"partials-{kind}").mkdir(exist_ok=True)
    for path in sorted(folder.glob("*.parquet")):
        cells = duck.count(str(path), COLUMNS, SLICES, precision=4)
        for kind in ("json", "parquet"):
            out = folder.parent / f"partials-{kind}" / f"{path.stem}.{kind}"
            partials.write(out, cells, plan, False, 4, None)


def prepare(folder: Path, rows: int, shards: int) -> None:
    """Data and partials to time phase by phase (``--child NAME --glob DIR/rounded/*.parquet``)."""
    for name, digits in (("rounded", 4), ("full", None)):
        (folder / name).mkdir(parents=True, exist_ok=True)
        glob = write(folder / name, rows, shards, digits)
    partials_for(str(folder / "rounded" / "*.parquet"))
    print(f"wrote {folder}: {glob}")


def child(name: str, glob: str, replicates: int) -> None:
    import duckdb  # noqa: F401  (imports are not what is measured)
    import numpy  # noqa: F401

    from aigov_gate.measure import compute, duck, partial  # noqa: F401

    start = time.perf_counter()
    what = phase(name, glob, replicates)
    wall = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"wall": wall, "rss_mib": max(rss, kids), "what": what}))


def run(name: str, glob: str, replicates: int) -> dict[str, Any]:
    args = [sys.executable, __file__, "--child", name, "--glob", glob]
    out = subprocess.run(
        [*args, "--replicates", str(replicates)], capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--shards", type=int, default=16)
    parser.add_argument("--replicates", type=int, default=1000)
    parser.add_argument("--child")
    parser.add_argument("--glob")
    parser.add_argument("--write", metavar="DIR", help="Only write the data (for farm-bench).")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.glob, args.replicates)
        return
    if args.write:
        prepare(Path(args.write), args.rows, args.shards)
        return
    print(f"{args.rows:,} rows in {args.shards} Parquet shards, 3 protected attributes; ", end="")
    print(f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        rounded, full = Path(tmp) / "rounded", Path(tmp) / "full"
        rounded.mkdir()
        full.mkdir()
        glob = write(rounded, args.rows, args.shards, 4)
        glob_full = write(full, args.rows, args.shards, None)
        results = {
            "bare GROUP BY (DuckDB)": run("bare", glob, args.replicates),
            "metrics compute, duckdb engine": run("cells", glob, args.replicates),
            "bare GROUP BY, scores not rounded": run("bare", glob_full, args.replicates),
            "metrics compute, scores not rounded": run("cells", glob_full, args.replicates),
            f"metrics compute + {args.replicates} replicates": run(
                "bootstrap", glob, args.replicates
            ),
        }
        partials_for(glob)
        for kind in ("json", "parquet"):
            results[f"merge {args.shards} {kind} partials + metrics"] = run(
                f"merge-{kind}", str(rounded.parent / f"partials-{kind}" / "*"), args.replicates
            )
    for name, r in results.items():
        print(f"{name:45s} {r['wall']:7.2f} s wall  {r['rss_mib']:7.0f} MiB peak  ({r['what']})")
    base = results["bare GROUP BY (DuckDB)"]["wall"]
    ours = results["metrics compute, duckdb engine"]["wall"]
    print(f"ratio metrics compute / bare GROUP BY (rounded scores): {ours / base:.2f}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
