"""Built-in checks of tests and metrics for one model version (rule ids in catalog.py).

The run that counts is the latest ``completed`` TestRun of the exact version. Each
metric of each applicable plan is checked per slice; ``passed`` values written in the
run are claims, recomputed and contradicted when wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aigov_gate.documents.testing import (
    MetricRequirement,
    TestResult,
    TestRun,
    TestRunSpec,
    TestSpecItem,
)
from aigov_gate.graph import ModelContext, run_time
from aigov_gate.metrics import (
    Measured,
    disparity,
    disparity_ok,
    measure,
    planning,
    requirement_text,
    shown,
    slice_lookup,
    worsening,
)
from aigov_gate.policy.recorder import Recorder
from aigov_gate.references import Checked
from aigov_gate.result import Finding, Severity

_HIGH_TIERS = ("high", "prohibited")
TEST_RULES = (
    "test.missing-run",
    "test.required-missing",
    "metric.threshold",
    "metric.missing",
    "metric.disparity",
    "test.claim-contradiction",
)


@dataclass(slots=True)
class TestOutcome:
    """Which required tests failed (or could not be checked) for the version."""

    __test__ = False  # not a pytest class
    failing: list[str] = field(default_factory=list)


def check_tests(
    ctx: ModelContext,
    baseline: Checked[TestRun] | None,
    rec: Recorder,
    insufficient: Severity = Severity.MEDIUM,
) -> TestOutcome:
    outcome = TestOutcome()
    if not ctx.plans:
        if ctx.spec.spec.risk_tier in _HIGH_TIERS:
            rec.found(_no_plan(ctx))
        elif ctx.run is None:
            rec.ran("test.no-run")
            rec.found(
                ctx.finding(
                    "test.no-run",
                    Severity.MEDIUM,
                    f"{ctx.label} has no TestPlan and no completed TestRun: nothing shows it "
                    "was tested (a production deploy blocks on this)",
                    ("spec", "version"),
                    f"add a TestPlan for {ctx.name} and commit a completed TestRun",
                )
            )
        return outcome
    rec.ran(*TEST_RULES)
    _note_unfinished(ctx, rec)
    if ctx.run is None:
        rec.found(_missing_run(ctx))
        outcome.failing.append("(no completed run)")
        return outcome
    checker = _RunChecker(ctx, ctx.run, baseline, rec)
    checker.insufficient = insufficient
    for plan in ctx.plans:
        for test in plan.model.spec.tests:
            if not checker.check_test(test) and test.required:
                outcome.failing.append(test.name)
    return outcome


def _note_unfinished(ctx: ModelContext, rec: Recorder) -> None:
    runs = ctx.runs_for_version()
    if not runs:
        return
    newest = max(runs, key=run_time)
    status = _spec(newest).status
    if status != "completed":
        rec.found(
            ctx.finding(
                "test.run-not-completed",
                Severity.INFO,
                f"the newest run of {ctx.label} is {status}; "
                + ("the latest completed run counts" if ctx.run else "no run has completed"),
                ("spec", "status"),
                "",
                doc=newest,
            )
        )


class _RunChecker:
    def __init__(
        self,
        ctx: ModelContext,
        run: Checked[TestRun],
        baseline: Checked[TestRun] | None,
        rec: Recorder,
    ) -> None:
        self.ctx, self.run, self.rec = ctx, run, rec
        self.insufficient = Severity.MEDIUM
        self.results = {r.test_name: (i, r) for i, r in enumerate(_spec(run).results)}
        self.baseline: dict[str, TestResult] = {}
        self.baseline_doc = baseline
        if baseline is not None:
            self.baseline = {r.test_name: r for r in _spec(baseline).results}
            rec.ran("metric.regression")

    def check_test(self, test: TestSpecItem) -> bool:
        found = self.results.get(test.name)
        if found is None:
            if test.required:
                self.rec.found(self._required_missing(test))
            return False
        index, result = found
        ok = True
        for req in test.metrics:
            ok &= self._check_metric(test, req, index, result)
        if result.passed is not None and result.passed != ok:
            path = ("spec", "results", index, "passed")
            self.rec.found(self._claim(path, f"test '{test.name}'", result.passed, ok))
        return ok

    def _check_metric(
        self, test: TestSpecItem, req: MetricRequirement, index: int, result: TestResult
    ) -> bool:
        measured = measure(req, result)
        severity = Severity.HIGH if test.required else Severity.LOW
        if not measured:
            self.rec.found(self._metric_missing(test, req, index, severity))
            return False
        ok = self._slices_present(test, req, measured, index, severity)
        for m in measured:
            path = ("spec", "results", index, "metrics", m.index)
            if m.outcome == "insufficient":
                self.rec.ran("metric.insufficient-evidence")
                self.rec.found(self._insufficient(test, m, path, severity))
                continue  # neither a pass nor a fail: its own finding says so
            if not m.passed:
                ok = False
                self.rec.found(self._threshold(test, m, path, severity))
            if m.value.passed is not None and m.value.passed != m.passed:
                what = f"metric {req.name}" + (f" [{m.slice}]" if m.slice else "")
                self.rec.found(self._claim((*path, "passed"), what, m.value.passed, m.passed))
            self._threshold_mismatch(req, m, path)
        if req.max_disparity is not None and len(measured) >= 2:
            ok &= self._disparity(test, req, measured, index, severity)
        if req.max_regression is not None and test.name in self.baseline:
            ok &= self._regression(test, req, measured, index, severity)
        return ok

    def _slices_present(
        self,
        test: TestSpecItem,
        req: MetricRequirement,
        measured: list[Measured],
        index: int,
        severity: Severity,
    ) -> bool:
        """Every slice the plan lists, or the baseline run measured, has a value now."""
        if req.slice_key is None:
            return True
        expected = dict.fromkeys(req.slices, "the plan lists it")
        if test.name in self.baseline:
            before = slice_lookup(self.baseline[test.name], req.name, req.slice_key)
            assert self.baseline_doc is not None
            had = f"{self.baseline_doc.model.metadata.name} measured it"
            expected.update({v: had for v in before if v and v not in expected})
        present = {m.value.slice_value for m in measured}
        ok = True
        for value, why in expected.items():
            if value in present:
                continue
            ok = False
            self.rec.found(
                self._finding(
                    "metric.missing",
                    severity,
                    f"{test.name}: no value for {req.name} where {req.slice_key} = {value} "
                    f"({why}); disparity and thresholds cannot be judged without it",
                    ("spec", "results", index, "metrics"),
                    f"measure {req.name} for {req.slice_key} = {value} and add it to the run",
                )
            )
        return ok

    def _finding(
        self, rule: str, severity: Severity, message: str, path: tuple[str | int, ...], hint: str
    ) -> Finding:
        return self.ctx.finding(rule, severity, message, path, hint, doc=self.run)

    def _threshold(
        self, test: TestSpecItem, m: Measured, path: tuple[str | int, ...], severity: Severity
    ) -> Finding:
        where = f" for {m.slice}" if m.slice else ""
        return self._finding(
            "metric.threshold",
            severity,
            f"{test.name}: {m.requirement.name} is {shown(m.value)}{where}, "
            f"the plan requires {requirement_text(m.requirement)}"
            + (f" ({m.requirement.decide_on})" if m.requirement.decide_on != "point" else ""),
            (*path, "value"),
            "improve the model and record a new run, or change the plan in a reviewed change",
        )

    def _insufficient(
        self, test: TestSpecItem, m: Measured, path: tuple[str | int, ...], severity: Severity
    ) -> Finding:
        where = f" for {m.slice}" if m.slice else ""
        level = self.insufficient if severity is not Severity.LOW else Severity.LOW
        return self._finding(
            "metric.insufficient-evidence",
            level,
            f"{test.name}: {m.requirement.name} is {shown(m.value)}{where}: not enough evidence "
            f"to decide {requirement_text(m.requirement)}: {m.why}",
            (*path, "value"),
            planning(m) + "measure on more rows (or with a narrower interval), or lower min_n "
            "in a reviewed change",
        )

    def _metric_missing(
        self, test: TestSpecItem, req: MetricRequirement, index: int, severity: Severity
    ) -> Finding:
        sliced = f" per {req.slice_key}" if req.slice_key else ""
        return self._finding(
            "metric.missing",
            severity,
            f"{test.name}: no value for {req.name}{sliced} in the run",
            ("spec", "results", index, "metrics"),
            f"add {req.name}{sliced} to the results of '{test.name}'",
        )

    def _required_missing(self, test: TestSpecItem) -> Finding:
        return self._finding(
            "test.required-missing",
            Severity.HIGH,
            f"required test '{test.name}' has no result in {self.run.model.metadata.name}",
            ("spec", "results"),
            f"run '{test.name}' and add its result, or make it required: false",
        )

    def _claim(
        self, path: tuple[str | int, ...], what: str, claimed: bool, actual: bool
    ) -> Finding:
        said = "passed" if claimed else "failed"
        really = "passes" if actual else "fails"
        return self._finding(
            "test.claim-contradiction",
            Severity.HIGH,
            f"{what} is recorded as {said} but {really} against the plan",
            path,
            "remove or correct the passed value; the gate computes outcomes itself",
        )

    def _threshold_mismatch(
        self, req: MetricRequirement, m: Measured, path: tuple[str | int, ...]
    ) -> None:
        claimed = m.value.threshold
        if claimed is None or req.threshold is None or abs(claimed - req.threshold) < 1e-9:
            return
        self.rec.ran("test.threshold-mismatch")
        self.rec.found(
            self._finding(
                "test.threshold-mismatch",
                Severity.LOW,
                f"{req.name}: the run records threshold {claimed:g}, the plan says "
                f"{req.threshold:g}",
                (*path, "threshold"),
                "the plan is authoritative: make the pipeline read thresholds from it",
            )
        )

    def _disparity(
        self,
        test: TestSpecItem,
        req: MetricRequirement,
        measured: list[Measured],
        index: int,
        severity: Severity,
    ) -> bool:
        limit = req.max_disparity
        assert limit is not None
        measured = [m for m in measured if m.outcome != "insufficient"]  # their own finding
        if len(measured) < 2:
            return True
        value = disparity((m.value.value for m in measured), limit.measure)
        if disparity_ok(value, limit.measure, limit.limit):
            return True
        worst = min(measured, key=lambda m: m.value.value)
        best = max(measured, key=lambda m: m.value.value)
        relation = "at least" if limit.measure == "ratio" else "at most"
        self.rec.found(
            self._finding(
                "metric.disparity",
                severity,
                f"{test.name}: {req.name} {limit.measure} across {req.slice_key} is "
                f"{value:.3f} ({worst.slice} {worst.value.value:g} vs {best.slice} "
                f"{best.value.value:g}); the plan requires {relation} {limit.limit:g}",
                ("spec", "results", index, "metrics", worst.index, "value"),
                "mitigate (reweighting, per-segment thresholds), re-run, and record the "
                "mitigation in the risk assessment",
            )
        )
        return False

    def _regression(
        self,
        test: TestSpecItem,
        req: MetricRequirement,
        measured: list[Measured],
        index: int,
        severity: Severity,
    ) -> bool:
        allowed = req.max_regression
        assert allowed is not None
        before = slice_lookup(self.baseline[test.name], req.name, req.slice_key)
        ok = True
        for m in measured:
            old = before.get(m.value.slice_value or "")
            if old is None:
                continue
            worse = worsening(req.operator, old, m.value.value)
            if worse <= allowed + 1e-9:
                continue
            ok = False
            assert self.baseline_doc is not None
            base = _spec(self.baseline_doc)
            self.rec.found(
                self._finding(
                    "metric.regression",
                    severity,
                    f"{test.name}: {req.name}{' for ' + m.slice if m.slice else ''} is "
                    f"{m.value.value:g}, {worse:.4g} worse than {old:g} in "
                    f"{self.baseline_doc.model.metadata.name} ({base.model_version}); "
                    f"allowed: {allowed:g}",
                    ("spec", "results", index, "metrics", m.index, "value"),
                    "find the cause, or raise max_regression in a reviewed change",
                )
            )
        return ok


def _spec(run: Checked[TestRun]) -> TestRunSpec:
    return run.model.spec


def _no_plan(ctx: ModelContext) -> Finding:
    return ctx.finding(
        "test.no-plan",
        Severity.HIGH,
        f"{ctx.label} is {ctx.spec.spec.risk_tier}-risk and no TestPlan applies to it",
        ("spec", "risk_tier"),
        f"add a TestPlan with applies_to.models: [{ctx.name}]",
    )


def _missing_run(ctx: ModelContext) -> Finding:
    others = ctx.runs_for_version()
    detail = f" ({len(others)} run(s) of this version did not complete)" if others else ""
    return ctx.finding(
        "test.missing-run",
        Severity.HIGH,
        f"no completed TestRun for {ctx.label}{detail}",
        ("spec", "version"),
        f"run the plan against version {ctx.version} and commit the TestRun",
    )
