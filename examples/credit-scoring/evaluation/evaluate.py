"""The example's own evaluation: discrimination and robustness of the credit-scoring model.

Standard library only. `aigov test run` runs it for the plan's discrimination and
robustness tests (the test name is the first argument) and reads the JSON lines it
appends to AIGOV_RESULT_FILE:

    {"name": "auc", "value": 0.79, "n": 2400}

The fairness tests are computed by `aigov metrics compute` instead (see the plan).
"""

from __future__ import annotations

import csv
import json
import os
import random
import sys
from pathlib import Path

SCORES = Path(__file__).with_name("holdout-scores.csv")


def load() -> list[dict[str, str]]:
    with SCORES.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def auc(labels: list[int], scores: list[float]) -> float:
    """Area under the ROC curve: P(a repaid loan scores above a default), ties count half."""
    ranked = sorted(zip(scores, labels))
    rank_sum, i = 0.0, 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        mid = (i + 1 + j) / 2  # the average 1-based rank of a run of ties
        rank_sum += mid * sum(label for _, label in ranked[i:j])
        i = j
    positives = sum(labels)
    negatives = len(labels) - positives
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def emit(name: str, value: float, n: int, slice_key: str = "", slice_value: str = "") -> None:
    line: dict[str, object] = {"name": name, "value": round(value, 4), "n": n}
    if slice_key:
        line.update(slice_key=slice_key, slice_value=slice_value)
    with open(os.environ["AIGOV_RESULT_FILE"], "a", encoding="utf-8") as f:
        f.write(json.dumps(line) + "\n")


def main(test: str) -> None:
    rows = load()
    labels = [int(r["repaid"]) for r in rows]
    scores = [float(r["score"]) for r in rows]
    if test == "discrimination":
        emit("auc", auc(labels, scores), len(rows))
        brier = sum((s - y) ** 2 for s, y in zip(scores, labels)) / len(rows)
        emit("brier_score", brier, len(rows))
    elif test == "robustness":
        rng = random.Random(int(os.environ.get("AIGOV_NOISE_SEED", "7")))
        noisy = [min(1.0, max(0.0, s + rng.gauss(0, 0.01))) for s in scores]
        emit("auc_drop_under_noise", auc(labels, scores) - auc(labels, noisy), len(rows))
    else:
        sys.exit(f"unknown test {test!r}")


if __name__ == "__main__":
    main(sys.argv[1])
