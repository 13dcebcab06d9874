"""``aigov metrics compute`` as users run it, hostile predictions files, and the gate's
three-valued verdict (pass, fail, insufficient evidence) in every report format."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import gate_repo as g
import pytest
from conftest import WriteRepo, run_aigov

pytest.importorskip("numpy")

PLAN = """\
apiVersion: aigov/v1
kind: TestPlan
metadata: {name: p}
spec:
  applies_to: {models: [scorer]}
  tests:
    - name: quality
      metrics:
        - {name: roc_auc, operator: ">=", threshold: 0.6}
        - {name: accuracy, operator: ">=", threshold: 0.5}
    - name: fairness
      metrics:
        - {name: approval_rate, operator: ">=", threshold: 0.1, slice_key: sex}
        - {name: demographic_parity_ratio, operator: ">=", threshold: 0.5, slice_key: sex}
"""


def predictions(rows: int = 400) -> str:
    lines = ["label,score,approved,sex,band"]
    for i in range(rows):
        label = int(i % 3 != 0)
        score = round(((i * 37) % 100) / 100 * 0.6 + 0.4 * label, 2)
        sex, band = "female" if i % 2 else "male", "a" if i % 4 < 2 else "b"
        lines.append(f"{label},{score},{int(score >= 0.5)},{sex},{band}")
    return "\n".join(lines) + "\n"


def repo_with(write_repo: WriteRepo, csv: str | bytes, **extra: str | bytes) -> Path:
    files: dict[str, str | bytes] = {"tests/p.yaml": PLAN, "scores.csv": csv, **extra}
    return write_repo(g.repo_files(files))


ARGS = ("--plan", "p", "--columns", "y_true=label,y_score=score,y_pred=approved")
ALIAS = ("--metric", "approval_rate=selection_rate")


def compute(repo: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    return run_aigov(
        "metrics", "compute", str(repo / "scores.csv"), "--repo", str(repo), *args, env=env
    )


def parsed(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_the_plan_metrics_as_result_lines_with_n_and_a_seeded_interval(
    write_repo: WriteRepo,
) -> None:
    repo = repo_with(write_repo, predictions())
    done = compute(repo, *ARGS, *ALIAS, "--bootstrap", "100", "--seed", "7")
    assert done.returncode == 0, done.stderr
    lines = parsed(done.stdout)
    by = {(x.get("name"), x.get("slice_value")): x for x in lines}
    auc = by[("roc_auc", None)]
    assert auc["n"] == 134  # the smaller class: 134 negatives, 266 positives
    assert auc["ci_low"] < auc["value"] < auc["ci_high"]
    assert auc["interval"] == {
        "method": "percentile-bootstrap",
        "level": 0.95,
        "adjustment": "none",
        "intervals": 5,  # roc_auc, accuracy, two slices, the ratio
        "line_level": 0.95,
        "seed": 7,
        "replicates": 100,
    }
    female = by[("approval_rate", "female")]
    assert (female["slice_key"], female["n"]) == ("sex", 200)
    assert female["interval"]["method"] == "wilson" and "seed" not in female["interval"]
    dpr = by[("demographic_parity_ratio", None)]
    assert dpr["slice_key"] == "sex" and 0 < dpr["value"] <= 1
    [binding] = [x["predictions"] for x in lines if "predictions" in x]
    assert binding["rows"] == 400 and len(binding["sha256"]) == 64
    again = compute(repo, *ARGS, *ALIAS, "--bootstrap", "100", "--seed", "7")
    assert again.stdout == done.stdout  # seeded: the same interval
    wider = compute(
        repo, *ARGS, *ALIAS, "--bootstrap", "100", "--seed", "7", "--adjust", "bonferroni"
    )
    wide = {(x.get("name"), x.get("slice_value")): x for x in parsed(wider.stdout)}
    assert wide[("roc_auc", None)]["ci_low"] < auc["ci_low"]
    assert wide[("roc_auc", None)]["interval"]["line_level"] == pytest.approx(1 - 0.05 / 5)


def test_intersectional_slices(write_repo: WriteRepo) -> None:
    plan = PLAN.replace(
        '{name: approval_rate, operator: ">=", threshold: 0.1, slice_key: sex}',
        '{name: approval_rate, operator: ">=", threshold: 0.1, slice_key: "sex&band"}',
    )
    repo = repo_with(write_repo, predictions(), **{"tests/p.yaml": plan})
    done = compute(repo, *ARGS, *ALIAS, "--test", "fairness")
    assert done.returncode == 0, done.stderr
    cells = {
        x["slice_value"]: x["n"]
        for x in parsed(done.stdout)
        if x.get("slice_key") == "sex&band" and "slice_value" in x
    }
    assert cells == {"female&a": 100, "female&b": 100, "male&a": 100, "male&b": 100}


def test_parquet_reads_the_same_as_csv(write_repo: WriteRepo, tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    import csv
    import io

    text = predictions()
    rows = list(csv.DictReader(io.StringIO(text)))
    table = pa.table(
        {
            "label": [int(r["label"]) for r in rows],
            "score": [float(r["score"]) for r in rows],
            "approved": [int(r["approved"]) for r in rows],
            "sex": [r["sex"] for r in rows],
            "band": [r["band"] for r in rows],
        }
    )
    repo = repo_with(write_repo, text)
    pq.write_table(table, repo / "scores.parquet")
    from_csv = compute(repo, *ARGS, *ALIAS)
    from_parquet = run_aigov(
        "metrics", "compute", str(repo / "scores.parquet"), "--repo", str(repo), *ARGS, *ALIAS
    )
    assert from_parquet.returncode == 0, from_parquet.stderr
    assert metrics_only(from_parquet.stdout) == metrics_only(from_csv.stdout)


def metrics_only(stdout: str) -> list[dict[str, Any]]:
    return [x for x in parsed(stdout) if "predictions" not in x]


@pytest.mark.parametrize(
    ("csv", "args", "message"),
    [
        (predictions(), ("--columns", "y_true=lable"), "no column 'lable' (for y_true)"),
        (predictions(), ("--columns", "y_true=lable"), "did you mean 'label'?"),
        ("label,score\n1,0.4\n0,high\n", ("--columns", "y_true=label,y_score=score"),
         "scores.csv:3: score is 'high', not a number"),
        ("label,score\n1,0.4\n0,nan\n", ("--columns", "y_true=label,y_score=score"),
         "scores.csv:3: score is nan"),
        ("label,score\n1,0.4\n2,0.3\n", ("--columns", "y_true=label,y_score=score"),
         "label is 2, not 0 or 1"),
        ("label,score\n1,1.4\n", ("--columns", "y_true=label,y_score=score"),
         "score has values outside [0, 1]"),
        ("label,score\n", ("--columns", "y_true=label,y_score=score"), "scores.csv has no rows"),
        (predictions(), ("--columns", "y_true=label", "--max-bytes", "100"),
         "over the limit of 100"),
        (predictions(), ("--metric", "roc_auc=roc_aux"), "did you mean 'roc_auc'?"),
    ],
)  # fmt: skip
def test_hostile_predictions_are_clear_errors(
    csv: str, args: tuple[str, ...], message: str, write_repo: WriteRepo
) -> None:
    repo = repo_with(write_repo, csv)
    done = compute(repo, "--plan", "p", "--test", "quality", *args)
    assert done.returncode == 2, done.stdout
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_single_class_slice_is_a_warning_and_the_value_is_left_out(
    write_repo: WriteRepo,
) -> None:
    csv = "label,score,approved,sex\n1,0.9,1,female\n1,0.7,1,female\n0,0.2,0,male\n1,0.6,1,male\n"
    extra = '        - {name: roc_auc, operator: ">=", threshold: 0.5, slice_key: sex}'
    plan = PLAN.replace(
        "threshold: 0.1, slice_key: sex}", "threshold: 0.1, slice_key: sex}\n" + extra
    )
    repo = repo_with(write_repo, csv, **{"tests/p.yaml": plan})
    done = compute(repo, *ARGS, *ALIAS, "--test", "fairness")
    assert done.returncode == 0
    assert "warning: roc_auc for sex=female: undefined" in done.stderr
    names = {(x.get("name"), x.get("slice_value")) for x in parsed(done.stdout)}
    assert ("roc_auc", "male") in names and ("roc_auc", "female") not in names


def test_predictions_must_match_the_dataset_they_claim(write_repo: WriteRepo) -> None:
    dataset = g.DATASET + "  records: 400\n  digest: sha256:" + "a" * 64 + "\n"
    repo = repo_with(write_repo, predictions(399), **{"data/loans.yaml": dataset})
    done = compute(repo, *ARGS, *ALIAS, "--dataset", "loans")
    assert done.returncode == 2
    assert "has 399 rows, but Dataset loans declares records: 400" in done.stderr
    repo = repo_with(write_repo, predictions(400), **{"data/loans.yaml": dataset})
    (repo / "scores.csv.meta.json").write_text(json.dumps({"dataset_digest": "sha256:" + "b" * 64}))
    done = compute(repo, *ARGS, *ALIAS, env={"AIGOV_DATASET": "loans"})
    assert done.returncode == 2
    assert "was made from dataset sha256:bbbb" in done.stderr
    (repo / "scores.csv.meta.json").write_text(json.dumps({"dataset_digest": "sha256:" + "a" * 64}))
    assert compute(repo, *ARGS, *ALIAS, "--dataset", "loans").returncode == 0
    done = compute(repo, *ARGS, *ALIAS, "--append-to-result-file")
    assert done.returncode == 2 and "AIGOV_RESULT_FILE is not set" in done.stderr


# -- the three-valued verdict in the gate -------------------------------------------------

VERDICT_PLAN = g.PLAN.replace(
    "          threshold: 0.75\n          max_regression: 0.01\n",
    "          threshold: 0.75\n          decide_on: lower_bound\n",
).replace(
    "          threshold: 0.30\n          slice_key: sex\n",
    "          threshold: 0.30\n          slice_key: sex\n          min_n: 100\n",
)


def verdict_run(auc: str, female_n: int, value: float = 0.8) -> str:
    return (
        g.run()
        .replace(
            "        - {name: auc, value: 0.8}",
            f"        - {{name: auc, value: {value:g}, {auc}}}",
        )
        .replace(
            "{name: approval_rate, value: 0.45, slice_key: sex, slice_value: female}",
            "{name: approval_rate, value: 0.45, slice_key: sex, slice_value: female, "
            f"n: {female_n}}}",
        )
        .replace(
            "{name: approval_rate, value: 0.50, slice_key: sex, slice_value: male}",
            "{name: approval_rate, value: 0.50, slice_key: sex, slice_value: male, n: 900}",
        )
    )


def gate(repo: Path, fmt: str, *args: str) -> tuple[int, str]:
    done = run_aigov("gate", "--repo", str(repo), "--format", fmt, "--as-of", "2026-06-01", *args)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, done.stdout


def test_insufficient_evidence_warns_at_merge_and_blocks_in_production(
    write_repo: WriteRepo,
) -> None:
    files = {
        "tests/plan.yaml": VERDICT_PLAN,
        "tests/run-2.0.0.yaml": verdict_run("ci_low: 0.72, ci_high: 0.86, n: 1200", 40),
        "risk/scorer.yaml": g.risk(review="2027-06-01"),
    }
    repo = write_repo(g.repo_files(files))
    code, out = gate(repo, "json")
    found = [
        f for f in json.loads(out)["findings"] if f["rule_id"] == "metric.insufficient-evidence"
    ]
    assert code == 0 and len(found) == 2 and not any(f["blocking"] for f in found)
    messages = sorted(f["message"] for f in found)
    assert messages[0] == (
        "accuracy: auc is 0.8 [0.72, 0.86] n=1200: not enough evidence to decide auc >= 0.75: "
        "the interval [0.72, 0.86] straddles auc >= 0.75"
    )
    assert "approval_rate is 0.45 n=40 for sex=female" in messages[1]
    assert "n=40, the plan needs min_n 100" in messages[1]
    code, out = gate(repo, "json", "--stage", "deploy", "--environment", "production")
    found = [
        f for f in json.loads(out)["findings"] if f["rule_id"] == "metric.insufficient-evidence"
    ]
    assert code == 1 and all(f["blocking"] and f["severity"] == "high" for f in found)

    # every reporter shows it, with the interval
    for fmt, needle in (
        ("text", "[medium metric.insufficient-evidence]"),
        ("markdown", "metric.insufficient-evidence"),
        ("github", "metric.insufficient-evidence"),
    ):
        assert needle in gate(repo, fmt)[1], fmt
    sarif = json.loads(gate(repo, "sarif")[1])
    assert any(r["ruleId"] == "metric.insufficient-evidence" for r in sarif["runs"][0]["results"])
    junit = ET.fromstring(gate(repo, "junit")[1])
    assert any("insufficient-evidence" in (c.get("name") or "") for c in junit.iter("testcase"))

    # the interval above the bar, and enough rows: a pass; entirely below: a fail
    (repo / "tests/run-2.0.0.yaml").write_text(verdict_run("ci_low: 0.77, ci_high: 0.83", 400))
    code, out = gate(repo, "json")
    rules = {f["rule_id"] for f in json.loads(out)["findings"]}
    assert (
        code == 0
        and "metric.insufficient-evidence" not in rules
        and "metric.threshold" not in rules
    )
    (repo / "tests/run-2.0.0.yaml").write_text(
        verdict_run("ci_low: 0.60, ci_high: 0.70", 400, value=0.65)
    )
    code, out = gate(repo, "json")
    [f] = [f for f in json.loads(out)["findings"] if f["rule_id"] == "metric.threshold"]
    assert (
        code == 1
        and "auc is 0.65 [0.6, 0.7], the plan requires auc >= 0.75 (lower_bound)" in f["message"]
    )


def test_the_duckdb_engine_without_duckdb_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An install without the metrics extra's duckdb says what to install (exit 2), never
    an internal error (exit 3)."""
    import sys

    from aigov_gate.errors import UsageError
    from aigov_gate.measure import duck

    predictions = tmp_path / "p.csv"
    predictions.write_text("y_true,y_pred\n1,1\n0,1\n", encoding="utf-8")
    monkeypatch.setitem(sys.modules, "duckdb", None)  # import duckdb raises ImportError
    with pytest.raises(UsageError) as refused:
        duck.count(str(predictions), {"y_true": "y_true", "y_pred": "y_pred"}, [])
    assert refused.value.message == "the duckdb engine needs duckdb"
    assert "--engine numpy" in (refused.value.hint or "")
