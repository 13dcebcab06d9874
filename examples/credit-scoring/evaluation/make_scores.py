"""Writes holdout-scores.csv: synthetic model scores for the example's holdout (seeded).

Not real applicants: 2,400 rows drawn so that the example's TestPlan has something to
measure. Columns: repaid (1 = the loan was repaid), score (the model's probability of
repayment), approved (1 = score of at least 1 - CUTOFF, i.e. a probability of default
below CUTOFF), sex, age_band. Run it again and the file is the same byte for byte.
"""

from __future__ import annotations

import csv
import math
import random
from pathlib import Path

SEED = 20261002
CUTOFF = 0.12  # approve when the predicted probability of default is below this
#: (sex, age band) -> rows, default rate; approval follows score < CUTOFF
CELLS = {
    ("female", "18-24"): (150, 0.11),
    ("female", "25-44"): (420, 0.09),
    ("female", "45-64"): (330, 0.085),
    ("female", "65+"): (100, 0.095),
    ("male", "18-24"): (190, 0.105),
    ("male", "25-44"): (560, 0.08),
    ("male", "45-64"): (430, 0.085),
    ("male", "65+"): (220, 0.09),
}


def main() -> None:
    rng = random.Random(SEED)
    rows = []
    for (sex, band), (count, rate) in CELLS.items():
        for _ in range(count):
            defaulted = int(rng.random() < rate)
            logit = math.log(rate / (1 - rate)) + (1.15 if defaulted else -0.1) + rng.gauss(0, 1.0)
            default = round(1 / (1 + math.exp(-logit)), 4)
            score = round(1 - default, 4)
            rows.append((1 - defaulted, f"{score:.4f}", int(default < CUTOFF), sex, band))
    rng.shuffle(rows)
    path = Path(__file__).with_name("holdout-scores.csv")
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["repaid", "score", "approved", "sex", "age_band"])
        writer.writerows(rows)


if __name__ == "__main__":
    main()
