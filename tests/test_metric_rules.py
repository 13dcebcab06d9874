"""Metric rules at their edges: every operator, both disparity measures, both directions of
regression, claims and thresholds written in runs, models with and without plans.

Each case is one the mutation sample (tools/mutate.py on metrics.py and
policy/metric_checks.py) showed nothing else would catch: an operator flipped, a boundary
moved, a direction reversed.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from statistics import NormalDist
from typing import Any

import gate_repo as g
import pytest
from conftest import WriteRepo, invoke

from aigov_gate.documents.testing import IntervalProvenance, MetricRequirement, MetricValue
from aigov_gate.metrics import disparity, disparity_ok, meets, rows_to_decide, verdict, worsening
from aigov_gate.runner.formats import read_jsonl

AS_OF = "2026-06-01"


@pytest.mark.parametrize(
    ("operator", "value", "threshold", "ok"),
    [
        (">=", 0.75, 0.75, True),
        (">=", 0.7499, 0.75, False),
        (">", 0.75, 0.75, False),
        (">", 0.7501, 0.75, True),
        ("<=", 0.05, 0.05, True),
        ("<=", 0.0501, 0.05, False),
        ("<", 0.05, 0.05, False),
        ("<", 0.0499, 0.05, True),
        ("==", 1.0, 1.0, True),
        ("==", 1.001, 1.0, False),
    ],
)
def test_each_operator_at_its_boundary(
    operator: str, value: float, threshold: float, ok: bool
) -> None:
    assert meets(operator, value, threshold) is ok


@pytest.mark.parametrize(
    ("value", "ok"), [(0.35, True), (0.75, True), (0.3499, False), (0.7501, False)]
)
def test_between_includes_both_bounds(value: float, ok: bool) -> None:
    assert meets("between", value, bounds=(0.35, 0.75)) is ok


def test_an_unknown_operator_is_an_error_not_a_pass() -> None:
    with pytest.raises(ValueError, match="unknown operator '=>'"):
        meets("=>", 1.0, 0.0)


def test_disparity_ratio_and_difference() -> None:
    assert disparity([0.40, 0.50, 0.45], "ratio") == pytest.approx(0.8)
    assert disparity([0.40, 0.50, 0.45], "difference") == pytest.approx(0.10)
    assert disparity([0.0, 0.0], "ratio") == 1.0  # nobody selected anywhere: no disparity
    assert disparity_ok(0.8, "ratio", 0.8) and not disparity_ok(0.79, "ratio", 0.8)
    assert disparity_ok(0.10, "difference", 0.10) and not disparity_ok(0.11, "difference", 0.10)


@pytest.mark.parametrize(
    ("operator", "baseline", "current", "worse"),
    [
        (">=", 0.82, 0.78, 0.04),  # higher is better: a drop is worse
        (">=", 0.78, 0.82, 0.0),
        (">", 0.82, 0.78, 0.04),
        ("<=", 0.02, 0.05, 0.03),  # lower is better: a rise is worse
        ("<=", 0.05, 0.02, 0.0),
        ("<", 0.02, 0.05, 0.03),
        ("==", 1.0, 0.9, 0.1),  # any move away counts
        ("==", 1.0, 1.1, 0.1),
        ("between", 0.5, 0.45, 0.05),
    ],
)
def test_worsening_knows_which_way_is_better(
    operator: str, baseline: float, current: float, worse: float
) -> None:
    assert worsening(operator, baseline, current) == pytest.approx(worse)


# -- through the gate ------------------------------------------------------------------

PLAN = """\
apiVersion: aigov/v1
kind: TestPlan
metadata:
  name: scorer-plan
spec:
  applies_to:
    models: [scorer]
  tests:
    - name: check
      metrics:
        - {{name: m, operator: "{operator}", threshold: {threshold}{extra}}}
"""

RUN = """\
apiVersion: aigov/v1
kind: TestRun
metadata:
  name: scorer-{version}-run
spec:
  model: scorer
  model_version: "{version}"
  test_plan: scorer-plan
  status: completed
  finished_at: {finished}
  results:
    - test_name: check
      metrics:
{metrics}
"""


def _run(version: str, *metrics: str, finished: str = "2026-02-01T10:00:00Z") -> str:
    lines = "\n".join(f"        - {m}" for m in metrics)
    return RUN.format(version=version, finished=finished, metrics=lines)


def _gate(write_repo: WriteRepo, files: dict[str, str]) -> tuple[int, dict[str, Any]]:
    repo: Path = write_repo(g.repo_files(files))
    result = invoke("gate", "--repo", str(repo), "--as-of", AS_OF, "--format", "json")
    report = json.loads(result.output)
    return result.exit_code, report


def _findings(report: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for f in report["findings"]:
        found.setdefault(f["rule_id"], []).append(f)
    return found


@pytest.mark.parametrize(
    ("operator", "threshold", "value", "ok"),
    [
        (">=", 0.75, 0.75, True),
        (">=", 0.75, 0.74, False),
        (">", 0.75, 0.75, False),
        ("<=", 0.05, 0.05, True),
        ("<=", 0.05, 0.06, False),
        ("<", 0.05, 0.05, False),
        ("==", 1, 1, True),
        ("==", 1, 0, False),
    ],
)
def test_the_gate_applies_each_operator(
    operator: str, threshold: float, value: float, ok: bool, write_repo: WriteRepo
) -> None:
    plan = PLAN.format(operator=operator, threshold=threshold, extra="")
    files = {
        "tests/plan.yaml": plan,
        "tests/run-2.0.0.yaml": _run("2.0.0", f"{{name: m, value: {value}}}"),
    }
    code, report = _gate(write_repo, files)
    found = _findings(report)
    assert code == (0 if ok else 1), found
    if ok:
        assert "metric.threshold" not in found
    else:
        [f] = found["metric.threshold"]
        assert f"the plan requires m {operator} {threshold:g}" in f["message"]
        assert (f["severity"], f["blocking"]) == ("high", True)


def test_difference_disparity_is_an_upper_limit(write_repo: WriteRepo) -> None:
    plan = PLAN.format(
        operator=">=",
        threshold=0.3,
        extra=", slice_key: sex, max_disparity: {measure: difference, limit: 0.1}",
    )

    def run(female: float) -> str:
        return _run(
            "2.0.0",
            f"{{name: m, value: {female}, slice_key: sex, slice_value: female}}",
            "{name: m, value: 0.5, slice_key: sex, slice_value: male}",
        )

    code, report = _gate(write_repo, {"tests/plan.yaml": plan, "tests/run-2.0.0.yaml": run(0.4)})
    assert (code, _findings(report)) == (0, {})  # 0.1 apart: at the limit
    code, report = _gate(write_repo, {"tests/plan.yaml": plan, "tests/run-2.0.0.yaml": run(0.35)})
    [f] = _findings(report)["metric.disparity"]
    assert code == 1
    assert "m difference across sex is 0.150 (sex=female 0.35 vs sex=male 0.5)" in f["message"]
    assert "the plan requires at most 0.1" in f["message"]


@pytest.mark.parametrize(("current", "regressed"), [(0.03, False), (0.04, True), (0.01, False)])
def test_regression_of_a_lower_is_better_metric(
    current: float, regressed: bool, write_repo: WriteRepo
) -> None:
    plan = PLAN.format(operator="<=", threshold=0.05, extra=", max_regression: 0.01")
    files = {
        "tests/plan.yaml": plan,
        "tests/run-2.0.0.yaml": _run("2.0.0", f"{{name: m, value: {current}}}"),
        "tests/run-1.9.0.yaml": _run(  # another metric beside it is no baseline for m
            "1.9.0",
            "{name: m, value: 0.02}",
            "{name: n, value: 0.9}",
            finished="2025-12-01T00:00:00Z",
        ),
    }
    code, report = _gate(write_repo, files)
    found = _findings(report)
    assert ("metric.regression" in found) is regressed, found
    assert code == (1 if regressed else 0)
    if regressed:
        assert (
            "is 0.04, 0.02 worse than 0.02 in scorer-1.9.0-run (1.9.0)"
            in (found["metric.regression"][0]["message"])
        )


@pytest.mark.parametrize(("claim", "contradicts"), [("true", False), ("false", True)])
def test_a_passed_value_written_in_the_run_is_checked_both_ways(
    claim: str, contradicts: bool, write_repo: WriteRepo
) -> None:
    plan = PLAN.format(operator=">=", threshold=0.75, extra="")
    run = _run("2.0.0", f"{{name: m, value: 0.8, passed: {claim}}}")
    code, report = _gate(write_repo, {"tests/plan.yaml": plan, "tests/run-2.0.0.yaml": run})
    found = _findings(report)
    assert ("test.claim-contradiction" in found) is contradicts, found
    assert code == (1 if contradicts else 0)  # a false claim is high: it blocks
    if contradicts:
        assert (
            "metric m is recorded as failed but passes against the plan"
            in (found["test.claim-contradiction"][0]["message"])
        )


def test_a_passed_value_written_for_a_whole_test_is_checked(write_repo: WriteRepo) -> None:
    plan = PLAN.format(operator=">=", threshold=0.75, extra="")
    for claim, ok in (("true", True), ("false", False)):
        run = _run("2.0.0", "{name: m, value: 0.8}").replace(
            "    - test_name: check\n", f"    - test_name: check\n      passed: {claim}\n"
        )
        code, report = _gate(write_repo, {"tests/plan.yaml": plan, "tests/run-2.0.0.yaml": run})
        found = _findings(report)
        assert (code == 0) is ok, found
        if not ok:
            [f] = found["test.claim-contradiction"]
            assert f["message"] == "test 'check' is recorded as failed but passes against the plan"


def test_a_threshold_written_in_the_run_that_differs_is_noted(write_repo: WriteRepo) -> None:
    plan = PLAN.format(operator=">=", threshold=0.75, extra="")
    same = _run("2.0.0", "{name: m, value: 0.8, threshold: 0.75}")
    code, report = _gate(write_repo, {"tests/plan.yaml": plan, "tests/run-2.0.0.yaml": same})
    assert (code, _findings(report)) == (0, {})
    other = _run("2.0.0", "{name: m, value: 0.8, threshold: 0.7}")
    code, report = _gate(write_repo, {"tests/plan.yaml": plan, "tests/run-2.0.0.yaml": other})
    [f] = _findings(report)["test.threshold-mismatch"]
    assert (code, f["severity"]) == (0, "low")
    assert "the run records threshold 0.7, the plan says 0.75" in f["message"]


def test_a_missing_required_result_and_a_missing_metric(write_repo: WriteRepo) -> None:
    plan = PLAN.format(operator=">=", threshold=0.75, extra="")
    other = _run("2.0.0", "{name: n, value: 0.8}")
    code, report = _gate(write_repo, {"tests/plan.yaml": plan, "tests/run-2.0.0.yaml": other})
    [f] = _findings(report)["metric.missing"]
    assert (code, f["message"]) == (1, "check: no value for m in the run")
    renamed = other.replace("test_name: check", "test_name: other")
    code, report = _gate(write_repo, {"tests/plan.yaml": plan, "tests/run-2.0.0.yaml": renamed})
    [f] = _findings(report)["test.required-missing"]
    assert code == 1 and "required test 'check' has no result" in f["message"]


@pytest.mark.parametrize(("tier", "needs_plan"), [("high", True), ("minimal", False)])
def test_only_high_risk_models_need_a_plan(
    tier: str, needs_plan: bool, write_repo: WriteRepo
) -> None:
    files: dict[str, str | bytes] = {
        ".aigov.yaml": g.CONFIG,
        "m.yaml": g.model().replace("risk_tier: high", f"risk_tier: {tier}"),
        "data/loans.yaml": g.DATASET,
        "risk/scorer.yaml": g.risk(),
    }
    repo = write_repo(files)
    result = invoke("gate", "--repo", str(repo), "--as-of", AS_OF, "--format", "json")
    found = _findings(json.loads(result.output))
    assert ("test.no-plan" in found) is needs_plan, found
    if needs_plan:
        assert found["test.no-plan"][0]["message"] == (
            "scorer@2.0.0 is high-risk and no TestPlan applies to it"
        )


# -- statistical verdicts (issue 39) --------------------------------------------------------


def _req(**fields: Any) -> MetricRequirement:
    return MetricRequirement.model_validate({"name": "m", **fields})


@pytest.mark.parametrize(
    ("low", "high", "outcome"),
    [(0.5, 0.9, "insufficient"), (0.2, 0.5, "insufficient"), (0.4, 0.7, "pass"),
     (0.8, 0.9, "fail"), (0.1, 0.3, "fail"), (0.35, 0.75, "pass")],
)  # fmt: skip
@pytest.mark.parametrize("bound", ["lower_bound", "upper_bound"])
def test_between_under_a_bound_checks_both_ends(
    low: float, high: float, outcome: str, bound: str
) -> None:
    req = _req(operator="between", range=[0.35, 0.75], decide_on=bound)
    value = MetricValue(name="m", value=(low + high) / 2, ci_low=low, ci_high=high)
    assert verdict(req, value)[0] == outcome


@pytest.mark.parametrize(
    ("fields", "problem"),
    [({"value": 0.5, "ci_low": 0.6, "ci_high": 0.4}, "ci_low 0.6 is above ci_high 0.4"),
     ({"value": 0.8, "ci_low": 0.6, "ci_high": 0.7}, "the value 0.8 lies outside its interval")],
)  # fmt: skip
def test_an_impossible_interval_is_refused(fields: dict[str, float], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        MetricValue.model_validate({"name": "m", **fields})
    metrics, problems = read_jsonl(json.dumps({"name": "m", **fields}), "r.jsonl")
    assert metrics == [] and problem in problems[0]
    good = {"name": "m", "value": 0.5, "ci_low": 0.4, "ci_high": 0.6}
    made = {"method": "wilson", "level": 0.95, "line_level": 0.99, "adjustment": "bonferroni"}
    metrics, problems = read_jsonl(json.dumps({**good, "interval": made}), "r.jsonl")
    assert problems == [] and metrics[0]["interval"] == made  # provenance is kept
    metrics, problems = read_jsonl(json.dumps({**good, "interval": {"level": 2}}), "r.jsonl")
    assert metrics == [] and "interval: method" in problems[0]


def test_rows_to_decide_follows_the_power_formula() -> None:
    req = _req(operator="<=", threshold=0.2, decide_on="upper_bound")
    value = MetricValue(name="m", value=0.15, n=100, ci_low=0.09, ci_high=0.23)
    z, zb = NormalDist().inv_cdf(0.975), NormalDist().inv_cdf(0.8)
    se = 0.14 / (2 * z)
    expect = math.ceil(100 * ((z + zb) * se / 0.05) ** 2) - 100
    assert rows_to_decide(req, value) == expect
    stronger = _req(operator="<=", threshold=0.2, decide_on="upper_bound", power=0.9)
    assert (rows_to_decide(stronger, value) or 0) > expect  # more power, more rows
    floor = _req(operator="<=", threshold=0.2, decide_on="point", min_n=500)
    assert rows_to_decide(floor, MetricValue(name="m", value=0.15, n=120)) == 380
    on_the_bar = MetricValue(name="m", value=0.2, n=100, ci_low=0.12, ci_high=0.28)
    assert rows_to_decide(req, on_the_bar) is None  # no number of rows decides it
    provenance = IntervalProvenance(
        method="wilson", level=0.95, adjustment="bonferroni", intervals=10, line_level=0.995
    )
    adjusted = value.model_copy(update={"interval": provenance})
    assert rows_to_decide(req, adjusted) != rows_to_decide(req, value)  # its own level


def test_insufficient_evidence_says_how_many_more_rows_and_where(write_repo: WriteRepo) -> None:
    plan = PLAN.format(
        operator="<=", threshold=0.2, extra=", slice_key: sex, decide_on: upper_bound"
    )
    run = _run(
        "2.0.0",
        "{name: m, value: 0.15, slice_key: sex, slice_value: female, n: 100, ci_low: 0.09, "
        "ci_high: 0.23}",
        "{name: m, value: 0.1, slice_key: sex, slice_value: male, n: 900, ci_low: 0.08, "
        "ci_high: 0.12}",
    )
    code, report = _gate(write_repo, {"tests/plan.yaml": plan, "tests/run-2.0.0.yaml": run})
    [f] = _findings(report)["metric.insufficient-evidence"]
    assert code == 0  # a warning at a merge
    assert "about 301 more rows counted by n of sex=female (n=100" in f["hint"]
    assert "(power 0.8)" in f["hint"]


def test_max_disparity_leaves_out_slices_judged_insufficient(write_repo: WriteRepo) -> None:
    plan = PLAN.format(
        operator=">=",
        threshold=0.1,
        extra=", slice_key: sex, min_n: 50, max_disparity: {measure: ratio, limit: 0.8}",
    )

    def run(tiny: float) -> str:
        return _run(
            "2.0.0",
            "{name: m, value: 0.5, slice_key: sex, slice_value: female, n: 400}",
            "{name: m, value: 0.45, slice_key: sex, slice_value: male, n: 400}",
            f"{{name: m, value: {tiny}, slice_key: sex, slice_value: other, n: 12}}",
        )

    files = {"tests/plan.yaml": plan, "tests/run-2.0.0.yaml": run(0.12)}
    code, report = _gate(write_repo, files)
    found = _findings(report)
    assert (
        code == 0 and "metric.disparity" not in found
    )  # 0.45 / 0.5 = 0.9; the 12-row slice is apart
    [f] = found["metric.insufficient-evidence"]
    assert "n=12, the plan needs min_n 50" in f["message"]
    assert "about 38 more rows counted by n of sex=other" in f["hint"]
