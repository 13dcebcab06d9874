"""How long the Annex IV dossier takes: the gate's check over many obliged models, and one
report end to end.

    python benchmarks/bench_dossier.py --models 200

Generates a repository of ``--models`` high-risk models (``benchmarks/generate.py``) without
its own Framework, so the built-in EU AI Act pack (with Annex IV) applies, commits it to a
fresh Git repository, builds a production-deploy Run as of 2028-01-01 and times
``AnnexIv().evaluate`` (first call, then the best of ``--repeat``); then times
``aigov report annex-iv`` on examples/credit-scoring in-process (validate, git log, build,
both renders).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _repo(root: Path, models: int) -> None:
    subprocess.run(
        [sys.executable, str(HERE / "generate.py"), str(root), "--models", str(models)],
        check=True,
        capture_output=True,
    )
    (root / "governance/framework.yaml").unlink()
    with (root / ".aigov.yaml").open("a") as fh:
        fh.write("environments:\n  production: {production: true}\n")
    git = ["git", "-c", "user.name=b", "-c", "user.email=b@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "bench"], cwd=root, check=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from aigov_gate.config import find_config, load_config
    from aigov_gate.dossier.assemble import annex_iv
    from aigov_gate.dossier.render import markdown, page
    from aigov_gate.gate import GateOptions, build
    from aigov_gate.gate.checks import AnnexIv

    with tempfile.TemporaryDirectory(prefix="aigov-bench-") as tmp:
        root = Path(tmp) / "repo"
        _repo(root, args.models)
        config = load_config(find_config(root))
        options = GateOptions(stage="deploy", environment="production", as_of=date(2028, 1, 1))
        run = build(root, config, options, datetime(2026, 12, 8, tzinfo=UTC), {})
        _ = run.models  # the per-model view, built before timing the check
        times = []
        for _i in range(args.repeat + 1):
            start = time.perf_counter()
            found = AnnexIv().evaluate(run)
            times.append(time.perf_counter() - start)
        print(
            f"annex-iv check, {args.models} obliged models: first {times[0]:.3f} s, "
            f"best of {args.repeat} after {min(times[1:]):.3f} s, {len(found)} finding(s)"
        )
    example = HERE.parent / "examples/credit-scoring"
    config = load_config(find_config(example))
    start = time.perf_counter()
    dossier = annex_iv(example, config, "credit-scoring", date(2026, 12, 8))
    md, html = markdown(dossier), page(dossier)
    took = time.perf_counter() - start
    print(f"example report: {took:.3f} s, {len(md)} chars Markdown, {len(html)} chars HTML")


if __name__ == "__main__":
    main()
