"""Measure ``aigov validate`` next to a bare PyYAML parse and check-jsonschema.

    pip install -e '.[bench]'
    python benchmarks/bench_validate.py [--runs 3]

Every figure is wall-clock seconds of a whole command in a subprocess (interpreter start-up
included, as a user or CI pays it), best of ``--runs``. Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import generate

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"
BIN = Path(sys.executable).parent

BARE_PARSE = """
import sys, yaml
from pathlib import Path
n = 0
for path in sorted(Path(sys.argv[1]).rglob("*.yaml")):
    for doc in yaml.load_all(path.read_bytes(), Loader=yaml.CSafeLoader):
        n += 1
print(n)
"""


def best(command: list[str], runs: int, cwd: Path | None = None) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return min(times)


def check_jsonschema(repo: Path, runs: int) -> float | None:
    """check-jsonschema on the same files, one invocation per kind (one schema each)."""
    exe = BIN / "check-jsonschema"
    if not exe.exists():
        return None
    by_kind: dict[str, list[str]] = defaultdict(list)
    for path in sorted((repo / "governance").rglob("*.yaml")):
        kind = path.parent.name if path.parent.name != "governance" else "framework"
        by_kind[kind].append(str(path))
    schema_of = {
        "models": "model.json",
        "datasets": "dataset.json",
        "risk": "risk-assessment.json",
        "mappings": "compliance-mapping.json",
        "evidence": "evidence-artifact.json",
        "framework": "framework.json",
    }
    total = 0.0
    for kind, files in by_kind.items():
        if kind == "tests":
            plans = [f for f in files if "/plan-" in f]
            runs_ = [f for f in files if "/run-" in f]
            groups = [("test-plan.json", plans), ("test-run.json", runs_)]
        else:
            groups = [(schema_of[kind], files)]
        for schema, group in groups:
            cmd = [str(exe), "--schemafile", str(SCHEMAS / schema), *group]
            total += best(cmd, runs)
    return total


def measure(models: int, runs: int, work: Path) -> dict[str, float | int | None]:
    repo = work / f"repo-{models}"
    documents = generate(repo, models)
    aigov = str(BIN / "aigov")
    return {
        "documents": documents,
        "validate": best([aigov, "validate"], runs, cwd=repo),
        "bare_parse": best([sys.executable, "-c", BARE_PARSE, str(repo)], runs),
        "check_jsonschema": check_jsonschema(repo, runs),
        "one_file": best([aigov, "validate", "governance/models/model-0.yaml"], runs, cwd=repo),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--models", type=int, nargs="+", default=[100, 1000])
    args = parser.parse_args()
    aigov = str(BIN / "aigov")
    example = best(
        [aigov, "validate", "governance/models/credit-scoring.yaml"],
        args.runs,
        cwd=ROOT / "examples" / "credit-scoring",
    )
    work = Path(tempfile.mkdtemp(prefix="aigov-bench-"))
    try:
        rows = [measure(m, args.runs, work) for m in args.models]
    finally:
        shutil.rmtree(work)
    print(
        f"{'documents':>10} {'validate s':>11} {'bare parse s':>13} {'ratio':>6} "
        f"{'check-jsonschema s':>19} {'speed-up':>9} {'one file s':>11}"
    )
    for row in rows:
        validate, parse, cj = row["validate"], row["bare_parse"], row["check_jsonschema"]
        assert isinstance(validate, float) and isinstance(parse, float)
        cj_text = f"{cj:19.3f}" if isinstance(cj, float) else f"{'not installed':>19}"
        speed = f"{cj / validate:8.1f}x" if isinstance(cj, float) else f"{'-':>9}"
        print(
            f"{row['documents']:>10} {validate:11.3f} {parse:13.3f} {validate / parse:6.2f} "
            f"{cj_text} {speed} {row['one_file']:11.3f}"
        )
    print(f"one file of the credit-scoring example (the pre-commit case): {example:.3f} s")


if __name__ == "__main__":
    main()
