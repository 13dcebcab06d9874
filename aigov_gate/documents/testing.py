"""Test plans (what must hold, per metric and slice) and test runs (what was measured)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, model_validator

from aigov_gate.documents.base import (
    FINITE_SCHEMA,
    Approval,
    Classification,
    Document,
    Instant,
    Name,
    Reference,
    Sha256,
    Strict,
    Text,
)

#: A number that is a number: .inf, .nan and 1e309 (which overflows to infinity) are refused.
Finite = Annotated[float, Field(allow_inf_nan=False, json_schema_extra=FINITE_SCHEMA)]
Operator = Literal[">=", "<=", ">", "<", "==", "between"]
TestType = Literal[
    "performance", "fairness", "robustness", "explainability", "privacy", "security", "other"
]


class Disparity(Strict):
    """Largest allowed gap between slices: ``ratio`` is min/max (four-fifths rule: 0.8)."""

    measure: Literal["ratio", "difference"]
    limit: Finite = Field(description="ratio: at least this; difference: at most this.")


class MetricRequirement(Strict):
    # what _bounds says, for editors: 'between' needs a range, any other operator a number
    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"operator": {"const": "between"}}},
            "then": {"required": ["range"], "properties": {"range": {"type": "array"}}},
            "else": {"required": ["threshold"], "properties": {"threshold": {"type": "number"}}},
        }
    )

    name: Text
    operator: Operator
    threshold: Finite | None = None
    range: list[Finite] | None = Field(
        default=None,
        min_length=2,
        max_length=2,
        description="[low, high], inclusive, for operator 'between'.",
    )
    slice_key: str | None = Field(
        default=None, description="Evaluate per value of this slice (e.g. 'age_band')."
    )
    slices: list[str] = Field(
        default_factory=list,
        description="Values of slice_key that must each have a value (e.g. every age band); "
        "a slice the baseline run had is required too.",
    )
    max_disparity: Disparity | None = None
    max_regression: Finite | None = Field(
        default=None, ge=0, description="Allowed worsening against the baseline run."
    )
    decide_on: Literal["point", "lower_bound", "upper_bound"] = Field(
        default="point",
        description="What the threshold judges: the value, or a bound of its confidence "
        "interval (ci_low / ci_high); an interval across the threshold is insufficient "
        "evidence.",
    )
    min_n: int | None = Field(
        default=None, ge=1, description="Fewer rows than this (per slice) is insufficient evidence."
    )
    power: Finite = Field(
        default=0.8,
        gt=0.5,
        lt=1,
        description="For insufficient evidence: the chance that the rows suggested would "
        "decide the verdict (sample-size planning).",
    )

    @model_validator(mode="after")
    def _bounds(self) -> MetricRequirement:
        if self.operator == "between":
            if self.range is None:
                raise ValueError("operator 'between' needs range: [low, high]")
            if self.range[0] > self.range[1]:
                raise ValueError("range must be [low, high] with low <= high")
        elif self.threshold is None:
            raise ValueError(f"operator '{self.operator}' needs a threshold")
        if self.slices and self.slice_key is None:
            raise ValueError("slices needs slice_key (the attribute they are values of)")
        return self


ResultFormat = Literal["jsonl", "junit", "lm-eval", "aiverify"]
EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class TestSpecItem(Strict):
    __test__ = False  # not a pytest class
    name: Text
    type: TestType = "performance"
    description: str | None = None
    required: bool = True
    metrics: list[MetricRequirement] = Field(min_length=1)
    command: list[Text] | None = Field(
        default=None,
        min_length=1,
        description="How 'aigov test run' runs it: an argv list, never a shell string "
        '(["sh", "-c", "..."] is an explicit choice).',
    )
    timeout: float | None = Field(
        default=None, gt=0, le=7 * 86400, description="Seconds (default: testing.timeout)."
    )
    env: dict[EnvName, str] = Field(
        default_factory=dict, description="Variables set for the test (no secrets: see pass_env)."
    )
    pass_env: list[EnvName] = Field(
        default_factory=list,
        description="Variables passed through from aigov's environment (how secrets reach a test).",
    )
    cwd: str | None = Field(default=None, description="Working folder, relative to the repo.")
    format: ResultFormat = Field(
        default="jsonl",
        description="How results come back: jsonl (lines in AIGOV_RESULT_FILE), junit, "
        "lm-eval, aiverify (files in AIGOV_OUTPUT_DIR, or at 'results').",
    )
    results: str | None = Field(
        default=None,
        description="Where the tool writes its results, relative to cwd (default: found in "
        "AIGOV_OUTPUT_DIR).",
    )
    retries: int = Field(default=0, ge=0, le=10, description="Runs again after a failure.")
    evaluation_code: list[Text] = Field(
        default_factory=list,
        description="Files and folders (relative to the repo) of the code that computes the "
        "results: their digests are attested, and a run whose code is not the base's needs "
        "sign-off (test.harness-changed).",
    )


class PlanScope(Strict):
    """Which models a plan applies to: by name, by labels, or both (either matches)."""

    models: list[Name] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)


class TestPlanSpec(Strict):
    __test__ = False  # not a pytest class
    description: str | None = None
    applies_to: PlanScope
    tests: list[TestSpecItem] = Field(min_length=1)
    approvals: list[Approval] = Field(
        default_factory=list,
        description="Signed approvals of the plan's digest (recorded provider): a plan "
        "loosened together with new results needs one (test.threshold-loosened).",
    )


class TestPlan(Document[TestPlanSpec]):
    """Tests a model must pass, with thresholds per metric and slice."""

    __test__ = False  # not a pytest class

    kind: Literal["TestPlan"]

    def references(self) -> Iterator[Reference]:
        for i, model in enumerate(self.spec.applies_to.models):
            yield Reference("Model", model, ("spec", "applies_to", "models", i))


class IntervalProvenance(Strict):
    """How a confidence interval was made (aigov metrics compute records it)."""

    method: Text = Field(description="wilson, simultaneous-wilson, percentile-bootstrap, ...")
    level: Finite = Field(gt=0, lt=1, description="The confidence level asked for.")
    adjustment: Literal["none", "bonferroni"] = "none"
    intervals: int = Field(default=1, ge=1, description="m: the intervals reported together.")
    line_level: Finite = Field(gt=0, lt=1, description="This interval's level, adjusted.")
    seed: int | None = Field(default=None, description="The bootstrap's seed.")
    replicates: int | None = Field(default=None, ge=1, description="Bootstrap replicates.")


class MetricValue(Strict):
    name: Text
    value: Finite
    threshold: Finite | None = None
    passed: bool | None = Field(default=None, description="A claim; the gate recomputes it.")
    slice_key: str | None = None
    slice_value: str | None = None
    n: int | None = Field(
        default=None,
        ge=0,
        description="The count the value divides by (negatives for fpr; for a disparity, "
        "the smallest slice's).",
    )
    ci_low: Finite | None = Field(default=None, description="Confidence interval, lower end.")
    ci_high: Finite | None = Field(default=None, description="Confidence interval, upper end.")
    interval: IntervalProvenance | None = None

    @model_validator(mode="after")
    def _interval(self) -> MetricValue:
        problem = interval_problem(self.value, self.ci_low, self.ci_high)
        if problem:
            raise ValueError(problem)
        return self


def interval_problem(value: float, low: float | None, high: float | None) -> str:
    """Why ``[low, high]`` cannot be the interval of ``value`` ('' when it can)."""
    if low is None or high is None:
        return ""
    if low > high:
        return f"ci_low {low:g} is above ci_high {high:g}"
    slack = 1e-9 * max(1.0, abs(value))
    if not low - slack <= value <= high + slack:
        return f"the value {value:g} lies outside its interval [{low:g}, {high:g}]"
    return ""


class PredictionsRef(Strict):
    """The predictions file a result was computed from (aigov metrics compute)."""

    path: str
    sha256: Sha256
    rows: int | None = Field(default=None, ge=0)


class TestResult(Strict):
    __test__ = False  # not a pytest class
    test_name: Text
    summary: str | None = None
    passed: bool | None = Field(default=None, description="A claim; the gate recomputes it.")
    contains_pii: bool = False
    data_classification: Classification = "internal"
    metrics: list[MetricValue] = Field(default_factory=list)
    exit_code: int | None = Field(default=None, description="The test command's exit code.")
    duration_seconds: float | None = Field(default=None, ge=0)
    attempts: int | None = Field(default=None, ge=1, description="Runs, retries included.")
    error: str | None = Field(default=None, description="Why it did not complete.")
    stderr_tail: str | None = Field(default=None, description="The end of stderr (masked).")
    predictions: PredictionsRef | None = None


class TestRunSpec(Strict):
    __test__ = False  # not a pytest class
    model: Name
    model_version: Text
    dataset: Name | None = None
    dataset_digest: str | None = Field(default=None, description="The dataset's at run time.")
    test_plan: Name | None = None
    status: Literal["pending", "running", "completed", "failed", "cancelled"]
    parameters: dict[str, Any] = Field(default_factory=dict)
    started_at: Instant | None = None
    finished_at: Instant | None = None
    executor: str | None = Field(default=None, description="CI job URL or system that ran it.")
    results: list[TestResult] = Field(default_factory=list)
    approvals: list[Approval] = Field(
        default_factory=list,
        description="Signed approvals of the run's digest ('aigov approvals sign RUN'): a run "
        "without a valid attestation counts as approved with them (docs/testing.md).",
    )

    @model_validator(mode="after")
    def _times(self) -> TestRunSpec:
        if self.started_at and self.finished_at and self.finished_at < self.started_at:
            raise ValueError("finished_at is before started_at")
        return self


class TestRun(Document[TestRunSpec]):
    """One execution of a plan against a model version, usually written by the ML pipeline."""

    __test__ = False  # not a pytest class

    kind: Literal["TestRun"]

    def references(self) -> Iterator[Reference]:
        yield Reference("Model", self.spec.model, ("spec", "model"))
        if self.spec.dataset is not None:
            yield Reference("Dataset", self.spec.dataset, ("spec", "dataset"))
        if self.spec.test_plan is not None:
            yield Reference("TestPlan", self.spec.test_plan, ("spec", "test_plan"))
