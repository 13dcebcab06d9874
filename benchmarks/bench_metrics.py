"""The metrics engine on 1M rows, side by side with fairlearn's MetricFrame, in one run.

    python benchmarks/bench_metrics.py [--rows N] [--replicates N] [--fairlearn-rows N]
                                       [--jobs N] [--bootstrap-only]

Rows: a binary label, a score rounded to 4 decimals (as model outputs are usually stored),
its class at 0.5, and 3 protected attributes of 2, 4 and 5 groups. Prints CPU seconds of
the engine (prepare + every metric for every slice and the fairness differences), of
fairlearn MetricFrame computing the same per-group metrics (on fewer rows if asked, scaled
linearly to the engine's rows, and said so), 1,000 bootstrap replicates, and reading the
rows from CSV and Parquet; with the machine's load average. Then the bootstrap target of
issue 39: scores NOT rounded (every row its own cell), roc_auc overall and per attribute,
``--replicates`` replicates on ``--jobs`` processes (default: every CPU), wall seconds.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from aigov_gate.measure import engine, resample, table


def rows(n: int, seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 2, n)
    b = rng.integers(0, 4, n)
    c = rng.integers(0, 5, n)
    y = (rng.random(n) < 0.3 + 0.1 * a).astype(float)
    score = np.clip(0.35 * y + rng.random(n) * 0.65, 0, 1).round(4)
    return {"y": y, "score": score, "pred": (score >= 0.5).astype(float), "a": a, "b": b, "c": c}


def groupings(d: dict[str, Any]) -> list[engine.Grouping]:
    out = []
    for key in ("a", "b", "c"):
        labels, index = np.unique(d[key], return_inverse=True)
        out.append(engine.Grouping(key, tuple(str(v) for v in labels), index.astype(np.int64)))
    return out


def cpu(fn: Any) -> tuple[float, Any]:
    start = time.process_time()
    result = fn()
    return time.process_time() - start, result


def fairlearn_seconds(d: dict[str, Any]) -> float:
    from fairlearn import metrics as fm
    from sklearn import metrics as sm

    measures = {
        "accuracy": sm.accuracy_score,
        "balanced_accuracy": sm.balanced_accuracy_score,
        "precision": sm.precision_score,
        "recall": sm.recall_score,
        "f1": sm.f1_score,
        "selection_rate": fm.selection_rate,
        "fpr": fm.false_positive_rate,
        "fnr": fm.false_negative_rate,
    }
    scored = {"roc_auc": sm.roc_auc_score, "log_loss": sm.log_loss, "brier": sm.brier_score_loss}

    def run() -> None:
        for key in ("a", "b", "c"):
            fm.MetricFrame(
                metrics=measures, y_true=d["y"], y_pred=d["pred"], sensitive_features=d[key]
            )
            fm.MetricFrame(
                metrics=scored, y_true=d["y"], y_pred=d["score"], sensitive_features=d[key]
            )

    return cpu(run)[0]


def unrounded_bootstrap(n: int, replicates: int, jobs: int) -> None:
    d = rows(n)
    rng = np.random.default_rng(5)
    d["score"] = np.clip(0.35 * d["y"] + rng.random(n) * 0.65, 0, 1)  # not rounded
    d["pred"] = (d["score"] >= 0.5).astype(float)
    prep, data = cpu(lambda: engine.prepare(d["y"], d["pred"], d["score"], groupings(d)))
    only = {key: frozenset({"roc_auc"}) for key in ("", "a", "b", "c")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start, cpu_start = time.perf_counter(), time.process_time()
    found = resample.bootstrap(data, replicates, seed=1, only=only, jobs=jobs)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    spent = time.process_time() - cpu_start + (after.ru_utime - before.ru_utime)
    spent += after.ru_stime - before.ru_stime
    print(
        f"bootstrap, unrounded scores ({len(data.base):,} cells), roc_auc overall + 11 "
        f"slices ({len(found)} intervals), {replicates} replicates on {n:,} rows, {jobs} "
        f"process(es): {wall:.1f} s wall, {spent:.1f} s CPU in all processes "
        f"(= {spent / jobs:.1f} s wall on {jobs} idle cores); prepare {prep:.1f} s CPU; "
        f"load average {os.getloadavg()[0]:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--replicates", type=int, default=1000)
    parser.add_argument("--fairlearn-rows", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=resample.cores())
    parser.add_argument("--bootstrap-only", action="store_true")
    args = parser.parse_args()
    unrounded_bootstrap(args.rows, args.replicates, args.jobs)
    if args.bootstrap_only:
        return
    d = rows(args.rows)
    prep, data = cpu(lambda: engine.prepare(d["y"], d["pred"], d["score"], groupings(d)))
    comp, result = cpu(lambda: engine.compute(data))
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"engine, {args.rows:,} rows x 3 attributes (2/4/5 groups), {len(result.values)} values:")
    print(f"  prepare {prep:.3f} s CPU + every metric {comp:.3f} s CPU = {prep + comp:.3f} s")
    small = rows(args.fairlearn_rows, seed=1)
    fl = fairlearn_seconds(small)
    scaled = fl * args.rows / args.fairlearn_rows
    note = ""
    if args.fairlearn_rows != args.rows:
        factor = args.rows / args.fairlearn_rows
        note = f" (x{factor:g} = {scaled:.1f} s for {args.rows:,}, scaled linearly)"
    print(f"fairlearn MetricFrame, same per-group metrics, {args.fairlearn_rows:,} rows: ", end="")
    print(f"{fl:.2f} s CPU{note}")
    print(f"  engine is {scaled / (prep + comp):.0f}x faster")
    boot, _ = cpu(lambda: resample.bootstrap(data, args.replicates, seed=1))
    print(f"bootstrap, {args.replicates} replicates on {args.rows:,} rows: {boot:.1f} s CPU")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.csv"
        with path.open("w") as f:
            f.write("y,score,pred,a,b,c\n")
            for i in range(args.rows):
                f.write(
                    f"{int(d['y'][i])},{d['score'][i]},{int(d['pred'][i])},{d['a'][i]},{d['b'][i]},{d['c'][i]}\n"
                )
        cols = {"y_true": "y", "y_pred": "pred", "y_score": "score"}
        read_csv, _ = cpu(lambda: table.read(path, cols, ["a", "b", "c"]))
        size = path.stat().st_size / 1e6
        print(f"read {args.rows:,} rows of CSV ({size:.0f} MB): {read_csv:.2f} s CPU")
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            print("read Parquet: pyarrow not installed")
            return
        pq_path = Path(tmp) / "p.parquet"
        pq.write_table(
            pa.table({k: d[k if k != "y" else "y"] for k in ("y", "score", "pred", "a", "b", "c")}),
            pq_path,
        )
        read_pq, _ = cpu(lambda: table.read(pq_path, cols, ["a", "b", "c"]))
        size = pq_path.stat().st_size / 1e6
        print(f"read {args.rows:,} rows of Parquet ({size:.0f} MB): {read_pq:.2f} s CPU")


if __name__ == "__main__":
    main()
