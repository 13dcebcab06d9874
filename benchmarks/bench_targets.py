"""Every ratio issues 22 and 43 name, in one table: each measured as pairs run in turn
(A B A B ...), reported as the median of the per-pair ratios, so drift in the machine's
speed cancels out.

    pip install -e '.[test]'
    python -m venv /tmp/cj && /tmp/cj/bin/pip install check-jsonschema==0.39.0
    python benchmarks/bench_targets.py [--pairs 3] [--models 1000] \
        [--check-jsonschema /tmp/cj/bin/check-jsonschema]

check-jsonschema is measured in a virtualenv of its own (``--check-jsonschema``): in one
full of other packages, as the project's, its start-up is about 5x slower. Without the
option the project's own copy is used, and the table says so.

Whole commands in subprocesses (interpreter start-up included), except PII throughput,
which is in-process. Prints the table; asserts nothing. docs/performance.md keeps the
history.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_validate import BARE_PARSE, check_jsonschema
from generate import generate

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
AIGOV = str(BIN / "aigov")
PACKS = (
    "organization: bench\npaths: [governance]\n"
    "policy_packs: [baseline, eu-ai-act-high-risk, nist-ai-rmf, iso-42001]\n"
    "environments:\n  staging: {}\n  production: {production: true}\n"
)


def run(command: list[str], cwd: Path | None = None, cache: Path | None = None) -> float:
    """Seconds for the whole command; the validate cache only where ``cache`` is given."""
    env = dict(os.environ, AIGOV_CACHE="on" if cache else "off", AIGOV_PROGRESS="off")
    if cache is not None:
        env["AIGOV_CACHE_DIR"] = str(cache)
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, capture_output=True, check=False, env=env)
    return time.perf_counter() - start


def pairs(a: Callable[[], float], b: Callable[[], float], n: int) -> tuple[float, float, float]:
    """Median of A, median of B, median of A/B over ``n`` pairs run in turn."""
    a(), b()  # warm-up: file caches, bytecode
    times = [(a(), b()) for _ in range(n)]
    return (
        statistics.median(t[0] for t in times),
        statistics.median(t[1] for t in times),
        statistics.median(t[0] / t[1] for t in times),
    )


def pii_rate(text: str, rounds: int = 3) -> float:
    from aigov_gate.pii import Scanner

    scanner = Scanner()
    best = min(_timed(lambda: scanner.mask(text)) for _ in range(rounds))
    return len(text.encode()) / best / 1e6


def _timed(f: Callable[[], object]) -> float:
    start = time.perf_counter()
    f()
    return time.perf_counter() - start


def _validate_rows(
    repo: Path, docs: int, cache: Path, n: int, rows: list[tuple[str, str, str, str]]
) -> tuple[float, Callable[[], float]]:
    """The cold, warm and one-file rows; returns the cold time and the cold command."""
    validate = lambda: run([AIGOV, "validate", "--no-cache"], repo)  # noqa: E731
    cached = lambda: run([AIGOV, "validate"], repo, cache)  # noqa: E731
    bare = lambda: run([sys.executable, "-c", BARE_PARSE, str(repo)])  # noqa: E731
    a, b, r = pairs(validate, bare, n)
    rows.append(
        (
            f"validate {docs:,} docs / bare CSafeLoader parse",
            f"{a:.3f} s / {b:.3f} s",
            f"{r:.2f}x",
            "<= 1.0x cold",
        )
    )
    cached()  # fills the cache
    a2, _, r2 = pairs(cached, bare, n)
    rows.append(
        (
            "same, warm re-run, nothing changed (the validate cache)",
            f"{a2:.3f} s / {b:.3f} s",
            f"{r2:.2f}x",
            "<= 0.2x",
        )
    )
    edited = repo / "governance" / "models" / "model-7.yaml"

    def one_changed() -> float:
        with edited.open("a", encoding="utf-8") as handle:
            handle.write("# edited\n")
        return cached()

    a3, _, r3 = pairs(one_changed, bare, n)
    rows.append(
        (
            "same, warm, one file changed",
            f"{a3:.3f} s / {b:.3f} s",
            f"{r3:.2f}x",
            "",
        )
    )
    one_cached = lambda: run([AIGOV, "validate", str(edited)], repo, cache)  # noqa: E731
    one_fresh = lambda: run([AIGOV, "validate", "--no-cache", str(edited)], repo)  # noqa: E731
    a4, b4, r4 = pairs(one_cached, one_fresh, n)
    rows.append(
        (
            f"validate ONE_FILE in the {docs:,}-doc repo: cached / --no-cache",
            f"{a4:.3f} s / {b4:.3f} s",
            f"{r4:.2f}x",
            "",
        )
    )
    return a, validate


def _commit(repo: Path) -> None:
    """Make the generated repository a Git repository of one commit, the base of ``--base``."""
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "base"]):
        subprocess.run(
            ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com", *args],
            cwd=repo,
            check=True,
            capture_output=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument(
        "--check-jsonschema",
        type=Path,
        default=BIN / "check-jsonschema",
        help="check-jsonschema's console script, best in a clean virtualenv of its own",
    )
    parser.add_argument(
        "--suite",
        action="store_true",
        help="also time the README's test command's pytest run once (minutes, both cores)",
    )
    args = parser.parse_args()
    n = args.pairs
    rows: list[tuple[str, str, str, str]] = []
    example = ROOT / "examples" / "credit-scoring"
    one = example / "governance" / "models" / "credit-scoring.yaml"
    schema = ROOT / "schemas" / "model.json"
    a, b, r = pairs(
        lambda: run([AIGOV, "validate", "--repo", str(example), str(one)]),
        lambda: run(
            [str(args.check_jsonschema), "--no-cache", "--schemafile", str(schema), str(one)]
        ),
        n,
    )
    own = "" if args.check_jsonschema.parent != BIN else " (the project's venv: pass a clean one)"
    rows.append(
        (
            f"validate ONE_FILE / check-jsonschema ONE_FILE, cache off{own}",
            f"{a:.3f} s / {b:.3f} s",
            f"{r:.2f}x",
            "<= 0.5x",
        )
    )
    with tempfile.TemporaryDirectory() as folder:
        repo = Path(folder) / "repo"
        docs = generate(repo, args.models)
        (repo / ".aigov.yaml").write_text(PACKS, encoding="utf-8")
        a, validate = _validate_rows(repo, docs, Path(folder) / "cache", n, rows)
        cj = check_jsonschema(repo, 1)
        if cj is not None:
            rows.append(
                (
                    f"check-jsonschema / validate, {docs:,} docs",
                    f"{cj:.3f} s / {a:.3f} s",
                    f"{cj / a:.1f}x faster",
                    ">= 20x",
                )
            )
        gate = [AIGOV, "gate", "--as-of", "2026-11-01", "--format", "json"]
        g, v, r = pairs(lambda: run(gate, repo), validate, n)
        rows.append(
            (
                f"gate merge / validate, {args.models:,} models, 4 packs",
                f"{g:.3f} s / {v:.3f} s",
                f"{r:.2f}x",
                "<= 1.5x",
            )
        )
        deploy = [*gate, "--stage", "deploy", "-e", "production"]
        g, v, r = pairs(lambda: run(deploy, repo), validate, n)
        rows.append(
            (
                f"gate deploy / validate, {args.models:,} models, 4 packs",
                f"{g:.3f} s / {v:.3f} s",
                f"{r:.2f}x",
                "<= 1.5x",
            )
        )
        _commit(repo)
        based = [*gate, "--base", "HEAD"]
        g, v, r = pairs(lambda: run(based, repo), validate, n)
        rows.append(
            (
                f"gate merge --base HEAD / validate, {args.models:,} models, 4 packs",
                f"{g:.3f} s / {v:.3f} s",
                f"{r:.2f}x",
                "<= 1.5x",
            )
        )
        report = subprocess.run(gate, cwd=repo, capture_output=True, text=True, check=False).stdout
    adversarial = "a." * 50_000 + "1:" * 50_000 + "a-1." * 25_000
    digests = " ".join(hashlib.sha256(str(i).encode()).hexdigest() for i in range(3000))
    rows.append(
        (
            "PII mask, adversarial (a.a.a..., 1:1:..., a-1.)",
            f"{len(adversarial) / 1e3:.0f} KB",
            f"{pii_rate(adversarial):.1f} MB/s",
            ">= 100 MB/s",
        )
    )
    rows.append(
        (
            "PII mask, hex digests",
            f"{len(digests) / 1e3:.0f} KB",
            f"{pii_rate(digests):.1f} MB/s",
            ">= 100 MB/s",
        )
    )
    rows.append(
        (
            "PII mask, the gate's JSON report",
            f"{len(report) / 1e6:.1f} MB",
            f"{pii_rate(report, 1):.1f} MB/s",
            ">= 100 MB/s",
        )
    )
    if args.suite:
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-n", "auto", "-q", "-p", "no:cacheprovider"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        took = time.perf_counter() - started
        last = (done.stdout.strip().splitlines() or ["no output"])[-1]
        rows.append(("the README's pytest run (-n auto)", last, f"{took:.0f} s", "<= 150 s"))
    print(f"median of {n} pairs run in turn; Python {sys.version.split()[0]}\n")
    print("| what | A / B | measured | target |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
