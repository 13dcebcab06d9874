"""Measure the dashboard on 50 models x 80 clauses (issue 21: render <= 1 s, file <= 1 MB).

    pip install -e .
    python benchmarks/bench_dashboard.py [--runs 5] [--models 50] [--clauses 80]

Prints the gate run, the HTML rendering alone (in-process, median of ``--runs``), the whole
``aigov report html`` command, and the file size. Asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import dashboard_repo

from aigov_gate.app.gate import GateRequest, run
from aigov_gate.config import find_config, load_config
from aigov_gate.reporters.html import render_html


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--models", type=int, default=50)
    parser.add_argument("--clauses", type=int, default=80)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        repo = Path(folder)
        for rel, text in dashboard_repo(args.models, args.clauses).items():
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            (repo / rel).write_text(text, encoding="utf-8")
        config = load_config(find_config(repo))
        request = GateRequest(repo, config, dashboard=True, ci=False)
        gate, render = [], []
        for _ in range(args.runs):
            start = time.perf_counter()
            result = run(request, {}).result
            gate.append(time.perf_counter() - start)
            start = time.perf_counter()
            html = render_html(result)
            render.append(time.perf_counter() - start)
        out = repo / "d.html"
        aigov = str(Path(sys.executable).parent / "aigov")
        command = []
        for _ in range(args.runs):
            start = time.perf_counter()
            subprocess.run(
                [aigov, "report", "html", "--repo", str(repo), "-o", str(out)],
                check=True,
                capture_output=True,
            )
            command.append(time.perf_counter() - start)
        print("| models x clauses | gate (in-process) | render | aigov report html | size |")
        print("|---|---|---|---|---|")
        print(
            f"| {args.models} x {args.clauses} | {statistics.median(gate):.3f} s | "
            f"{statistics.median(render):.3f} s | {statistics.median(command):.3f} s | "
            f"{len(html.encode()) / 1e6:.2f} MB |"
        )


if __name__ == "__main__":
    main()
