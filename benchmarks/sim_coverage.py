"""Coverage of the intervals ``aigov metrics compute`` reports, by simulation.

    nice python benchmarks/sim_coverage.py [--reps N] [--seed S]

Every interval here comes from the code the command runs (engine.prepare / compute, then
intervals.assemble), on data drawn with known true values:

1. accuracy and fpr per slice (Wilson; then Clopper-Pearson, --rate-interval), slices of
   n = 15, 30 and 100 rows: prevalence 0.3, true fpr 0.2, true tpr 0.8 (so true accuracy
   0.8). Coverage of the nominal 95% interval,
   the misses on each side (nominal 2.5% each), and how often ``fpr <= 0.2`` would pass
   under ``decide_on: upper_bound`` although the true fpr is exactly 0.2 (the upper miss).
   "n" is the rows of a slice; the mean denominator (rows for accuracy, negatives for fpr)
   is printed too.
2. disparity with none (two slices: Newcombe; more, and the ratio: simultaneous Wilson):
   two slices of n rows with the same true
   selection rate, tpr and fpr p = 0.1, 0.2, 0.5. How often the interval reaches the
   no-disparity value (0 for a difference, 1 for a ratio); also with 4 slices, and with a
   real disparity (0.2 vs 0.4) to show the interval still covers the truth.
3. Bonferroni: the mean width of a slice's accuracy interval alone, and among m intervals.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import numpy as np

from aigov_gate.measure import engine
from aigov_gate.measure.intervals import Settings, assemble

PREVALENCE, TPR, FPR = 0.3, 0.8, 0.2
ACCURACY = PREVALENCE * TPR + (1 - PREVALENCE) * (1 - FPR)


def _no_boot(only: Any, level: float) -> dict[Any, Any]:
    raise AssertionError("no bootstrap here")


def slices_data(rng: np.random.Generator, slices: int, n: int) -> engine.Data:
    rows = slices * n
    y = (rng.random(rows) < PREVALENCE).astype(float)
    pred = (rng.random(rows) < np.where(y == 1, TPR, FPR)).astype(float)
    index = np.repeat(np.arange(slices), n)
    labels = tuple(f"s{i}" for i in range(slices))
    return engine.prepare(y, pred, None, [engine.Grouping("g", labels, index)])


def per_slice(
    reps: int, n: int, rng: np.random.Generator, rates: str = "wilson"
) -> dict[str, list[float]]:
    """Coverage, misses and denominators of accuracy and fpr over ``reps`` slices."""
    found: dict[str, list[float]] = {}
    per_run = 50
    for _ in range(max(1, reps // per_run)):
        data = slices_data(rng, per_run, n)
        table = engine.compute(data)
        keys = [k for k in table.values if k[0] in ("accuracy", "fpr") and k[1] == "g"]
        intervals, _ = assemble(keys, table, Settings(rates=rates), _no_boot)
        for key, (low, high, _prov) in intervals.items():
            truth = ACCURACY if key[0] == "accuracy" else FPR
            found.setdefault(key[0], []).append(0 if truth < low else 1 if truth > high else 2)
            found.setdefault(key[0] + " n", []).append(table.counts[key])
        undefined = [k for k in table.undefined if k[0] == "fpr" and k[1] == "g"]
        found.setdefault("fpr undefined", []).extend([1.0] * len(undefined))
    return found


def coverage_table(reps: int, rng: np.random.Generator, rates: str = "wilson") -> None:
    print(f"1. per-slice intervals ({rates}), nominal 95%, {reps} slices each")
    print("   metric    slice n  mean denom  coverage  miss low  miss high  pass fpr<=0.2 @ub")
    for n in (15, 30, 100):
        found = per_slice(reps, n, rng, rates)
        for metric in ("accuracy", "fpr"):
            marks = np.asarray(found[metric])
            cover = float(np.mean(marks == 2))
            low_miss, high_miss = float(np.mean(marks == 0)), float(np.mean(marks == 1))
            denom = float(np.mean(found[metric + " n"]))
            passing = f"{high_miss:8.3f}" if metric == "fpr" else "       -"
            print(
                f"   {metric:9} {n:7}  {denom:10.1f}  {cover:8.3f}  {low_miss:8.3f}  "
                f"{high_miss:9.3f}  {passing}"
            )
        skipped = len(found.get("fpr undefined", []))
        if skipped:
            print(f"   (fpr undefined, no negatives, in {skipped} slices at n={n})")


def two_groups(rng: np.random.Generator, n: int, rates: list[float]) -> engine.Data:
    k = len(rates)
    y = (rng.random(k * n) < 0.5).astype(float)
    p = np.repeat(np.asarray(rates), n)
    pred = (rng.random(k * n) < p).astype(float)  # selection rate = tpr = fpr = p
    index = np.repeat(np.arange(k), n)
    grouping = engine.Grouping("g", tuple(f"s{i}" for i in range(k)), index)
    return engine.prepare(y, pred, None, [grouping])


def disparity_row(reps: int, n: int, rates: list[float], rng: np.random.Generator) -> str:
    names = engine.FAIRNESS
    hits = {name: [] for name in names}  # type: dict[str, list[bool]]
    undefined = dict.fromkeys(names, 0)
    top, low_ = max(rates), min(rates)
    truth = {
        "demographic_parity_difference": top - low_,
        "demographic_parity_ratio": low_ / top,
        "equal_opportunity_difference": top - low_,
        "equalized_odds_difference": top - low_,
    }
    width: list[float] = []
    for _ in range(reps):
        table = engine.compute(two_groups(rng, n, rates))
        keys = [(name, "g", "") for name in names]
        intervals, _ = assemble(keys, table, Settings(), _no_boot)
        for name in names:
            if (name, "g", "") not in intervals:
                undefined[name] += 1
                continue
            low, high, _prov = intervals[(name, "g", "")]
            hits[name].append(low - 1e-12 <= truth[name] <= high + 1e-12)
            if name == "demographic_parity_difference":
                width.append(high - low)
    cells = []
    for name in names:
        rate = float(np.mean(hits[name])) if hits[name] else float("nan")
        extra = f" ({undefined[name]} undef)" if undefined[name] else ""
        cells.append(f"{rate:.3f}{extra}")
    return "".join(f"{c:>19}" for c in cells) + f"{np.mean(width):>10.3f}"


def disparity_table(reps: int, rng: np.random.Generator) -> None:
    print(f"\n2. disparity intervals, {reps} repetitions each (differences of two slices:")
    print(
        "   Newcombe's hybrid score interval; of four slices, and the ratio: simultaneous Wilson)"
    )
    print("   share of intervals holding the true value (none: 0 for differences, 1 for ratio)")
    print("   n: rows per slice (tpr and fpr divide by about n/2: prevalence 0.5)")
    names = ("dp_difference", "dp_ratio", "eo_difference", "eodds_difference", "dp width")
    print(
        "   slices  true rates      n" + "".join(f"{n:>19}" for n in names[:4]) + f"{names[4]:>10}"
    )
    cases = [[p, p] for p in (0.1, 0.2, 0.5)] + [[0.2] * 4, [0.2, 0.4]]
    for rates in cases:
        for n in (15, 30, 100):
            label = "/".join(f"{r:g}" for r in rates)
            row = disparity_row(reps, n, rates, rng)
            print(f"   {len(rates):6}  {label:15} {n:4}{row}")


def bonferroni(rng: np.random.Generator) -> None:
    print("\n3. Bonferroni: mean width of the accuracy intervals of 50 slices of n = 30")
    data = slices_data(rng, 50, 30)
    table = engine.compute(data)
    keys = sorted(k for k in table.values if k[0] == "accuracy" and k[1] == "g")
    for m in (1, 5, 10, 50):  # the 50 slices in runs of m intervals: each slice once
        widths, level = [], 0.0
        for start in range(0, len(keys), m):
            chosen = keys[start : start + m]
            intervals, _ = assemble(chosen, table, Settings(adjust="bonferroni"), _no_boot)
            widths += [high - low for low, high, _p in intervals.values()]
            level = next(iter(intervals.values()))[2].line_level
        print(f"   m = {m:3}: each at level {level:.4f}, mean width {np.mean(widths):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    start = time.process_time()
    print(f"seed {args.seed}; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    coverage_table(args.reps, rng)
    print()
    coverage_table(args.reps, rng, "clopper-pearson")
    disparity_table(max(1, args.reps // 4), rng)
    bonferroni(rng)
    print(f"\n{time.process_time() - start:.1f} s CPU")


if __name__ == "__main__":
    main()
