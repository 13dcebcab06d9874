"""`aigov test run`: parallel wall time, a hanging test's clean-up, and a flood of output.

    python benchmarks/bench_testrun.py

1. 20 tests of 0.5 s (a sleeping Python process) at --jobs 5: the ideal is 2 s; prints the
   wall time, the start-up of `aigov test run --dry-run` on the same repo, and the ratio
   (wall - start-up) / ideal.
2. A test that hangs with a grandchild ignoring SIGTERM and a setsid daemon, timeout 2 s,
   kill_grace 1 s: seconds from start until every process it left is gone.
3. A test writing 10 MB to stdout: its wall time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AIGOV = str(Path(sys.executable).with_name("aigov"))
PY = json.dumps(sys.executable)
MODEL = (
    "apiVersion: aigov/v1\nkind: Model\nmetadata: {name: m, owner: o}\n"
    'spec: {model_type: tabular, version: "1", risk_tier: minimal}\n'
)
EMIT = (
    "import json, os\nwith open(os.environ['AIGOV_RESULT_FILE'], 'a') as f:\n"
    "    f.write(json.dumps({'name': 'score', 'value': 1.0}) + '\\n')\n"
)
HANG = """\
import os, signal, time
pids = os.environ["AIGOV_OUTPUT_DIR"] + "/pids"
if os.fork() == 0:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            open(pids, "a").write(f"{os.getpid()}\\n")
            while True:
                time.sleep(1)
        os._exit(0)
    open(pids, "a").write(f"{os.getpid()}\\n")
    while True:
        time.sleep(1)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
while True:
    time.sleep(1)
"""


def repo(root: Path, tests: list[tuple[str, str, float]]) -> None:
    (root / "scripts").mkdir(parents=True)
    (root / ".aigov.yaml").write_text("organization: bench\ntesting: {kill_grace: 1}\n")
    (root / "m.yaml").write_text(MODEL)
    lines = ["apiVersion: aigov/v1", "kind: TestPlan", "metadata: {name: p}", "spec:",
             "  applies_to: {models: [m]}", "  tests:"]  # fmt: skip
    for name, script, timeout in tests:
        (root / "scripts" / f"{name}.py").write_text(script)
        lines += [
            f"    - name: {name}",
            f"      command: [{PY}, scripts/{name}.py]",
            f"      timeout: {timeout}",
            '      metrics: [{name: score, operator: ">=", threshold: 0.5}]',
        ]
    (root / "p.yaml").write_text("\n".join(lines) + "\n")


def timed(*args: str) -> float:
    start = time.perf_counter()
    subprocess.run([AIGOV, *args], capture_output=True, check=False)
    return time.perf_counter() - start


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ", 1)[1].startswith("Z"))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        sleepy = "import time\ntime.sleep(0.5)\n" + EMIT
        repo(base / "par", [(f"t{i:02d}", sleepy, 60) for i in range(20)])
        startup = min(
            timed("test", "run", "--repo", str(base / "par"), "--dry-run") for _ in range(3)
        )
        walls = [timed("test", "run", "--repo", str(base / "par"), "--jobs", "5") for _ in range(3)]
        wall = min(walls)
        runs = ", ".join(f"{w:.2f}" for w in walls)
        print(
            f"20 x 0.5 s at --jobs 5: wall {wall:.2f} s (runs: {runs}),"
            f" start-up {startup:.2f} s, (wall - start-up) / 2 s ideal = {(wall - startup) / 2:.2f}"
        )

        repo(base / "hang", [("hang", HANG, 2)])
        out = base / "hang-logs"
        start = time.perf_counter()
        subprocess.run([AIGOV, "test", "run", "--repo", str(base / "hang"), "--out", str(out)],
                       capture_output=True, check=False)  # fmt: skip
        pids = [int(p) for p in (out / "m-1-p/hang-1/pids").read_text().split()]
        while any(alive(p) for p in pids):
            time.sleep(0.01)
        gone = time.perf_counter() - start
        print(
            f"hanging test (timeout 2 s, grace 1 s, a SIGTERM-ignoring grandchild and a daemon):"
            f" all {len(pids) + 1} processes gone {gone:.2f} s after start"
            f" (timeout + {gone - 2:.2f} s)"
        )

        flood = "import sys\n" + "sys.stdout.write('x' * 1048576)\n" * 10 + EMIT
        repo(base / "flood", [("flood", flood, 60)])
        took = timed("test", "run", "--repo", str(base / "flood"))
        print(f"10 MB of stdout: {took:.2f} s wall (start-up included)")


if __name__ == "__main__":
    main()
