"""The PII detectors: precision and recall per detector on the labelled corpus, national
phone-number recall per set of regions, false positives on machine identifiers, and the
scanner's speed on mixed and on PII-dense text (issue 35).

    python benchmarks/bench_pii.py            # everything (about a minute)
    python benchmarks/bench_pii.py --quick    # no speed runs

The corpus is tests/pii_corpus.py (generated from a seed); nothing here is timed in a test.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from pii_corpus import (  # noqa: E402
    PHONE_REGIONS,
    SEED,
    Sample,
    evaluate,
    negatives,
    positives,
)

from aigov_gate.config import PiiConfig  # noqa: E402
from aigov_gate.config.sections import PHONE_REGIONS as DEFAULT_REGIONS  # noqa: E402
from aigov_gate.pii import Scanner, phone  # noqa: E402

KINDS = ("phone", "iban", "card", "email", "ip")
EUROPE: tuple[str, ...] = ("DE", "FR", "IT", "ES", "NL", "BE", "AT", "SE", "DK", "FI")
EUROPE += ("PL", "PT", "IE", "CZ", "GR", "HU", "RO", "GB", "CH", "NO")
REGION_SETS: list[tuple[str, tuple[str, ...]]] = [
    ("none (only +CC numbers)", ()),
    ("US", ("US",)),
    ("default: " + " ".join(DEFAULT_REGIONS), DEFAULT_REGIONS),
    (
        "EU in corpus + GB, CH, NO",
        EUROPE,
    ),
    (f"all {len(PHONE_REGIONS)} corpus regions", tuple(PHONE_REGIONS)),
]
PROSE = (
    "The model card was reviewed by the risk office on the date of the release and the "
    "evidence bundle was sealed with the organization key; see the report for details.\n"
)


def _table(rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


def accuracy(pos: list[Sample], neg: list[Sample]) -> None:
    print(f"corpus: {len(pos):,} positives, {len(neg):,} negatives (seed {SEED})")
    for label, regions in (("default regions", None), ("all corpus regions", PHONE_REGIONS)):
        scanner = Scanner(PiiConfig(phone_regions=list(regions)) if regions else None)
        tp, tn = evaluate(scanner, pos), evaluate(scanner, neg)
        print(f"\nper detector, {label}:")
        rows = [["detector", "positives", "found", "recall", "precision", "FP on negatives"]]
        for kind in KINDS:
            found = tp.found.get(kind, 0)
            total = found + len(tp.missed.get(kind, []))
            false = len(tp.false.get(kind, [])) + len(tn.false.get(kind, []))
            precision = found / (found + false) if found + false else 1.0
            rows.append(
                [
                    kind,
                    str(total),
                    str(found),
                    f"{tp.recall(kind):.4f}",
                    f"{precision:.4f}",
                    str(len(tn.false.get(kind, []))),
                ]
            )
        _table(rows)


def national_recall(pos: list[Sample]) -> None:
    national = [s for s in pos if s.kind == "phone" and s.form == "national"]
    print(f"\nnational-format phone recall per set of regions ({len(national)} numbers):")
    rows = [["regions", "all national numbers", "numbers of the listed regions"]]
    for label, regions in REGION_SETS:
        tally = evaluate(Scanner(PiiConfig(phone_regions=list(regions))), national)
        own = [s for s in national if s.region in regions]
        own_tally = evaluate(Scanner(PiiConfig(phone_regions=list(regions))), own)
        rows.append(
            [
                label,
                f"{tally.recall('phone'):.4f}",
                f"{own_tally.recall('phone'):.4f}" if own else "-",
            ]
        )
    _table(rows)


def _rate(text: str, run: Callable[[str], object], rounds: int = 3) -> float:
    best = float("inf")
    for _ in range(rounds):
        phone.numbers.cache_clear()  # every number validated again, as on new text
        started = time.process_time()  # CPU time: the machine may be shared
        run(text)
        best = min(best, time.process_time() - started)
    return len(text.encode()) / best / 1e6


IDENTIFIERS = {"uuid", "uuid5", "sha256", "docker", "git", "git-short", "sarif", "ssh"}
IDENTIFIERS |= {"ssh-md5", "keyid", "base64", "id", "model", "path", "pod"}


def mixed_text(neg: list[Sample], pos: list[Sample], size: int, numeric: float) -> tuple[str, int]:
    """Prose and machine identifiers (UUIDs, digests, fingerprints, key ids, base64,
    model names, paths), half and half, with a share ``numeric`` of lines holding a number
    a machine writes (timestamps, versions, epochs, decimals, amounts, ORCIDs: each a
    candidate the detectors must look at), one personal value every ~64 KB."""
    rng = random.Random(7)
    ids = [s for s in neg if s.form in IDENTIFIERS]
    numbers = [s for s in neg if s.form not in IDENTIFIERS]
    lines: list[str] = []
    total, values = 0, 0
    while total < size:
        draw = rng.random()
        if total // 65_536 > values:
            line = rng.choice(pos).line + "\n"
            values += 1
        elif draw < (1 - numeric) / 2:
            line = PROSE
        elif draw < 1 - numeric:
            line = rng.choice(ids).line + "\n"
        else:
            line = rng.choice(numbers).line + "\n"
        lines.append(line)
        total += len(line)
    return "".join(lines), values


def dense_text(seeds: int, line: int) -> tuple[str, int]:
    """One personal value in every line of ``line`` bytes (prose around it), most values
    distinct (each seed is a new corpus)."""
    filler = PROSE.strip() * (line // len(PROSE) + 1)
    lines = []
    for seed in range(SEED, SEED + seeds):
        for sample in positives(seed):
            pad = max(0, line - 2 - len(sample.line.encode()))
            lines.append(f"{sample.line} {filler[:pad]}\n")
    return "".join(lines), len(lines)


def speed(pos: list[Sample], neg: list[Sample]) -> None:
    scanner = Scanner()
    scanner.mask("warm up: +33 1 42 68 53 00")  # compile RE2, import phonenumbers
    print(
        "\nspeed (Scanner().mask, default regions, CPU time, best of 3, phone cache cleared"
        " each run):"
    )
    rows = [["text", "size", "personal values", "MB/s"]]
    for numeric in (0.01, 0.1):
        mixed, rare = mixed_text(neg, pos, 32 * 1024 * 1024, numeric)
        rows.append(
            [
                f"mixed: prose, identifiers, {numeric:.0%} lines with a number",
                f"{len(mixed) / 1e6:.1f} MB",
                f"{rare} (one per 64 KB)",
                f"{_rate(mixed, scanner.mask):.0f}",
            ]
        )
    machine = "\n".join(s.line for s in neg) + "\n"
    rows.append(
        [
            "the negative corpus: machine values only",
            f"{len(machine) / 1e6:.1f} MB",
            "0",
            f"{_rate(machine, scanner.mask):.0f}",
        ]
    )
    for line in (200, 1_000):
        dense, count = dense_text(2, line)
        density = len(dense.encode()) / count
        rows.append(
            [
                f"PII-dense: a value in every line of {line:,} bytes",
                f"{len(dense) / 1e6:.2f} MB",
                f"{count:,} (one per {density:.0f} bytes)",
                f"{_rate(dense, scanner.mask):.1f}",
            ]
        )
    _table(rows)


def import_cost() -> None:
    code = (
        "import time; t = time.perf_counter(); import phonenumbers; print(time.perf_counter() - t)"
    )
    runs = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(5)
    ]
    print(f"\nimport phonenumbers: {min(runs) * 1000:.0f} ms (best of 5, a fresh interpreter each)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="accuracy only, no speed runs")
    args = parser.parse_args()
    pos, neg = positives(), negatives()
    accuracy(pos, neg)
    national_recall(pos)
    if not args.quick:
        speed(pos, neg)
        import_cost()


if __name__ == "__main__":
    main()
