"""The example's evaluation: metrics of the credit-scoring model on its holdout scores.

Standard library only. `aigov test run` runs it once per test of the plan (the test name
is the first argument) and reads the JSON lines it appends to AIGOV_RESULT_FILE:

    {"name": "auc", "value": 0.78, "n": 2400}
    {"name": "approval_rate", "value": 0.52, "slice_key": "sex", "slice_value": "female", "n": 1000}

An applicant is approved when the predicted probability of default is below CUTOFF.
"""

from __future__ import annotations

import csv
import json
import os
import random
import sys
from collections import defaultdict
from pathlib import Path

CUTOFF = 0.12
SCORES = Path(__file__).with_name("holdout-scores.csv")


def load() -> list[dict[str, str]]:
    with SCORES.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def auc(labels: list[int], scores: list[float]) -> float:
    """Area under the ROC curve: P(score of a default > score of a non-default), ties count half."""
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


def approval_rates(rows: list[dict[str, str]], column: str) -> None:
    groups: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        groups[row[column]].append(float(row["score"]))
    for value in sorted(groups):
        scores = groups[value]
        emit("approval_rate", sum(s < CUTOFF for s in scores) / len(scores), len(scores), column, value)


def main(test: str) -> None:
    rows = load()
    labels = [int(r["defaulted"]) for r in rows]
    scores = [float(r["score"]) for r in rows]
    if test == "discrimination":
        emit("auc", auc(labels, scores), len(rows))
        brier = sum((s - y) ** 2 for s, y in zip(scores, labels)) / len(rows)
        emit("brier_score", brier, len(rows))
    elif test == "fairness-sex":
        approval_rates(rows, "sex")
    elif test == "fairness-age":
        approval_rates(rows, "age_band")
    elif test == "robustness":
        rng = random.Random(int(os.environ.get("AIGOV_NOISE_SEED", "7")))
        noisy = [min(1.0, max(0.0, s + rng.gauss(0, 0.01))) for s in scores]
        emit("auc_drop_under_noise", auc(labels, scores) - auc(labels, noisy), len(rows))
    else:
        sys.exit(f"unknown test {test!r}")


if __name__ == "__main__":
    main(sys.argv[1])
