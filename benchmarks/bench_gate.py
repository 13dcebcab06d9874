"""Measure ``aigov gate`` with every built-in pack against ``aigov validate`` on the same repo.

    pip install -e .
    python benchmarks/bench_gate.py [--runs 3] [--models 100 1000]

Targets (issue 3): the gate at most 2x validate on 1,000 models (~10k documents), and
linear growth (10x the models -> at most 11x the time). Wall-clock seconds of whole
commands in a subprocess, best of ``--runs``. Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import generate

BIN = Path(sys.executable).parent
CONFIG = (
    "organization: bench\npaths: [governance]\n"
    "policy_packs: [baseline, eu-ai-act-high-risk, nist-ai-rmf, iso-42001]\n"
    "environments:\n  staging: {}\n  production: {production: true}\n"
)


def best(command: list[str], runs: int, cwd: Path) -> tuple[float, int]:
    times, code = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
        code = done.returncode
    return min(times), code


def measure(models: int, runs: int, work: Path) -> dict[str, float | int]:
    repo = work / f"repo-{models}"
    documents = generate(repo, models)
    (repo / ".aigov.yaml").write_text(CONFIG, encoding="utf-8")
    aigov = str(BIN / "aigov")
    validate, _ = best([aigov, "validate"], runs, repo)
    gate_cmd = [aigov, "gate", "--as-of", "2026-11-01", "--format", "json"]
    merge, code = best(gate_cmd, runs, repo)
    deploy, _ = best([*gate_cmd, "--stage", "deploy", "-e", "production"], runs, repo)
    return {
        "models": models,
        "documents": documents,
        "validate": validate,
        "merge": merge,
        "deploy": deploy,
        "exit": code,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--models", type=int, nargs="+", default=[100, 1000])
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="aigov-bench-gate-"))
    try:
        rows = [measure(m, args.runs, work) for m in args.models]
    finally:
        shutil.rmtree(work)
    print(
        f"{'models':>7} {'documents':>10} {'validate s':>11} {'gate merge s':>13} "
        f"{'x validate':>11} {'gate deploy s':>14} {'x validate':>11}"
    )
    for row in rows:
        v, m, d = float(row["validate"]), float(row["merge"]), float(row["deploy"])
        print(
            f"{row['models']:>7} {row['documents']:>10} {v:11.3f} {m:13.3f} {m / v:11.2f} "
            f"{d:14.3f} {d / v:11.2f}"
        )
    for small, large in itertools.pairwise(rows):
        growth = float(large["models"]) / float(small["models"])
        ratio = float(large["merge"]) / float(small["merge"])
        print(f"{growth:.0f}x the models -> {ratio:.2f}x the gate time")


if __name__ == "__main__":
    main()
