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

    measure: Literal["ratio", "difference"] = Field(
        description="ratio (smallest over largest) or difference (largest minus smallest)."
    )
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

    name: Text = Field(
        description="The metric's name, as results report it (auc, approval_rate, ...)."
    )
    operator: Operator = Field(
        description="How the value is compared: >=, <=, >, <, == or between."
    )
    threshold: Finite | None = Field(
        default=None, description="The bar, for every operator but between."
    )
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
    max_disparity: Disparity | None = Field(
        default=None, description="The largest gap allowed between slices of slice_key."
    )
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
    name: Text = Field(
        description="The test's name; a TestRun's result must carry it as test_name."
    )
    type: TestType = Field(
        default="performance",
        description="performance, fairness, robustness, "
        "explainability, privacy, security or other.",
    )
    description: str | None = Field(default=None, description="What the test does.")
    required: bool = Field(
        default=True, description="Whether a missing result blocks (test.required-missing)."
    )
    metrics: list[MetricRequirement] = Field(
        min_length=1, description="The metrics it must report, each with its bar."
    )
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

    models: list[Name] = Field(default_factory=list, description="Model names it applies to.")
    labels: dict[str, str] = Field(
        default_factory=dict, description="Labels a Model must all have for it to apply."
    )


class TestPlanSpec(Strict):
    __test__ = False  # not a pytest class
    description: str | None = Field(default=None, description="What the plan checks and why.")
    applies_to: PlanScope = Field(description="The models it applies to.")
    tests: list[TestSpecItem] = Field(
        min_length=1, description="The tests, each with the metrics and thresholds it requires."
    )
    approvals: list[Approval] = Field(
        default_factory=list,
        description="Signed approvals of the plan's digest (recorded provider): a plan "
        "loosened together with new results needs one (test.threshold-loosened).",
    )


class TestPlan(Document[TestPlanSpec]):
    """Tests a model must pass, with thresholds per metric and slice."""

    __test__ = False  # not a pytest class

    kind: Literal["TestPlan"] = Field(description="The document kind: always TestPlan.")

    def references(self) -> Iterator[Reference]:
        for i, model in enumerate(self.spec.applies_to.models):
            yield Reference("Model", model, ("spec", "applies_to", "models", i))


class IntervalProvenance(Strict):
    """How a confidence interval was made (aigov metrics compute records it)."""

    method: Text = Field(description="wilson, simultaneous-wilson, percentile-bootstrap, ...")
    level: Finite = Field(gt=0, lt=1, description="The confidence level asked for.")
    adjustment: Literal["none", "bonferroni"] = Field(
        default="none", description="none, or bonferroni for intervals reported together."
    )
    intervals: int = Field(default=1, ge=1, description="m: the intervals reported together.")
    line_level: Finite = Field(gt=0, lt=1, description="This interval's level, adjusted.")
    seed: int | None = Field(default=None, description="The bootstrap's seed.")
    replicates: int | None = Field(default=None, ge=1, description="Bootstrap replicates.")


class MetricValue(Strict):
    name: Text = Field(description="The metric's name.")
    value: Finite = Field(description="The measured value.")
    threshold: Finite | None = Field(
        default=None, description="The bar the tool used (the plan's bar is what the gate checks)."
    )
    passed: bool | None = Field(default=None, description="A claim; the gate recomputes it.")
    slice_key: str | None = Field(
        default=None, description="The attribute this value is for (e.g. 'sex'); none: overall."
    )
    slice_value: str | None = Field(default=None, description="The slice (e.g. 'female').")
    n: int | None = Field(
        default=None,
        ge=0,
        description="The count the value divides by (negatives for fpr; for a disparity, "
        "the smallest slice's).",
    )
    ci_low: Finite | None = Field(default=None, description="Confidence interval, lower end.")
    ci_high: Finite | None = Field(default=None, description="Confidence interval, upper end.")
    interval: IntervalProvenance | None = Field(
        default=None, description="How ci_low and ci_high were computed."
    )

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


class TableSource(Strict):
    """The warehouse table a result was counted in (aigov metrics compute --connection)."""

    connection: str = Field(description="The URL without user, password or parameters.")
    table: str = Field(description="The table, as the warehouse names it.")
    query: str = Field(description="The SQL that counted the cells.")
    rows: int = Field(ge=0, description="The table's row count when it was counted.")
    snapshot: str | None = Field(default=None, description="The table's snapshot id.")
    unbound: str | None = Field(default=None, description="What the binding cannot hold.")


class PredictionsRef(Strict):
    """The predictions a result was computed from (aigov metrics compute): a file or glob
    (``sha256`` of the file, or over the files' digests) or a table (``sha256`` of the
    counted cells, and ``source``)."""

    path: str = Field(description="The file, relative to the repository (or as given).")
    sha256: Sha256
    rows: int | None = Field(default=None, ge=0, description="Its row count.")
    source: TableSource | None = Field(
        default=None, description="The warehouse table it was counted in (--connection)."
    )


class TestResult(Strict):
    __test__ = False  # not a pytest class
    test_name: Text = Field(description="The plan's test this is the result of.")
    summary: str | None = Field(default=None, description="A line about the outcome, for people.")
    passed: bool | None = Field(default=None, description="A claim; the gate recomputes it.")
    contains_pii: bool = Field(default=False, description="Whether the result holds personal data.")
    data_classification: Classification = Field(
        default="internal", description="public, internal, confidential or restricted."
    )
    metrics: list[MetricValue] = Field(
        default_factory=list, description="The values measured, overall and per slice."
    )
    exit_code: int | None = Field(default=None, description="The test command's exit code.")
    duration_seconds: Finite | None = Field(
        default=None, ge=0, description="How long the test took."
    )
    attempts: int | None = Field(default=None, ge=1, description="Runs, retries included.")
    error: str | None = Field(default=None, description="Why it did not complete.")
    stderr_tail: str | None = Field(default=None, description="The end of stderr (masked).")
    predictions: PredictionsRef | None = Field(
        default=None, description="The predictions file the metrics were computed from."
    )


class TestRunSpec(Strict):
    __test__ = False  # not a pytest class
    model: Name
    model_version: Text = Field(description="The model version evaluated.")
    dataset: Name | None = Field(default=None, description="The Dataset evaluated on.")
    dataset_digest: str | None = Field(default=None, description="The dataset's at run time.")
    test_plan: Name | None = Field(
        default=None,
        description="The TestPlan it ran (for people; the gate applies every plan of the model).",
    )
    status: Literal["pending", "running", "completed", "failed", "cancelled"] = Field(
        description="pending, running, completed, failed or cancelled; "
        "only completed runs are judged."
    )
    parameters: dict[str, Any] = Field(
        default_factory=dict,
        description="Run parameters (seed, commit, tool settings), for reproducibility.",
    )
    started_at: Instant | None = Field(
        default=None, description="When it started (date-time with an offset)."
    )
    finished_at: Instant | None = Field(
        default=None,
        description="When it finished; the newest completed run is the one the gate judges.",
    )
    executor: str | None = Field(default=None, description="CI job URL or system that ran it.")
    results: list[TestResult] = Field(
        default_factory=list, description="One result per test, named as the plan names it."
    )
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

    kind: Literal["TestRun"] = Field(description="The document kind: always TestRun.")

    def references(self) -> Iterator[Reference]:
        yield Reference("Model", self.spec.model, ("spec", "model"))
        if self.spec.dataset is not None:
            yield Reference("Dataset", self.spec.dataset, ("spec", "dataset"))
        if self.spec.test_plan is not None:
            yield Reference("TestPlan", self.spec.test_plan, ("spec", "test_plan"))
