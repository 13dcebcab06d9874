"""What isolating test commands costs (issue 32): the one-off check that namespaces work,
and the start of one command with and without its user+PID namespace.

    pip install -e .
    python benchmarks/bench_isolation.py [--runs 50]

Prints medians in milliseconds. Asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time

from aigov_gate.runner.isolation import choose, namespace_problem


def _median_ms(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    runs = parser.parse_args().runs
    start = time.perf_counter()
    problem = namespace_problem()
    print(f"namespace check (once per run): {(time.perf_counter() - start) * 1000:.1f} ms")
    if problem:
        print(f"namespaces unavailable: {problem}")
        return
    prefix = list(choose("namespace", {}, ()).prefix)
    plain = _median_ms(["true"], runs)
    isolated = _median_ms([*prefix, "true"], runs)
    print(f"start a command: {plain:.1f} ms plain, {isolated:.1f} ms in its namespace")
    print(f"cost per command: {isolated - plain:.1f} ms (median of {runs})")


if __name__ == "__main__":
    main()
