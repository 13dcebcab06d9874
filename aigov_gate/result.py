"""Plain result data shared by every stage: severities, locations and findings.

Nothing here does I/O. A :class:`Finding` is what every check produces, whether the
problem is a YAML syntax error, an unknown field or a broken reference, so that one run
reports every problem at once and reporters need to know only this module.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from enum import IntEnum
from functools import cached_property

from aigov_gate.catalog import RULES, RuleInfo, always_blocks
from aigov_gate.deployed import ArtifactVerdict
from aigov_gate.rules import Stage
from aigov_gate.sheets import JudgedOn, ModelSheet


class Severity(IntEnum):
    """How bad a finding is. Ordered, so thresholds compare with ``>=``."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        """``Severity.parse("high")`` -> ``Severity.HIGH``; raises ValueError otherwise."""
        try:
            return cls[text.upper()]
        except KeyError:
            known = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (known: {known})") from None


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """Where a finding points: repository-relative POSIX path, 1-based line and column."""

    path: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}" if self.line else self.path


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: which rule, how severe, what, where, about which document, and what to do."""

    rule_id: str
    severity: Severity
    message: str
    location: Location
    target: str = ""
    hint: str = ""
    related: tuple[Location, ...] = field(default=())
    clauses: tuple[str, ...] = field(default=())
    model: str = ""
    waived_by: str = ""
    #: Structured detail lines under the short message: what passed, what is missing, where.
    details: tuple[str, ...] = field(default=())

    @property
    def waived(self) -> bool:
        return bool(self.waived_by)

    def sort_key(self) -> tuple[str, int, int, str, str, str, str]:
        loc = self.location
        return (loc.path, loc.line, loc.column, self.rule_id, self.model, self.target, self.message)


def clause_label(framework: str, clause: str) -> str:
    """How a finding names a clause: ``eu-ai-act:Art. 9``."""
    return f"{framework}:{clause}"


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Deterministic order: by file, line, column, rule, message."""
    return sorted(findings, key=Finding.sort_key)


@dataclass(frozen=True, slots=True)
class Situation:
    """What is being decided: the stage, the environment, the evaluation day ``today``
    (``--as-of``, else the day of the Run's clock snapshot), and ``--model`` (None: all)."""

    stage: Stage = "merge"
    environment: str | None = None
    production: bool = False
    today: date = field(default_factory=lambda: date(1970, 1, 1))
    model: str | None = None

    @property
    def production_deploy(self) -> bool:
        return self.stage == "deploy" and self.production


@dataclass(frozen=True, slots=True)
class ModelVerdict:
    """One gated model: where it is defined and which rules were evaluated on it."""

    name: str
    version: str
    location: Location
    evaluated: tuple[str, ...] = ()
    organization: str = ""
    judged: JudgedOn = field(default_factory=JudgedOn)  # run, assessment (with_waivers)

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"


STATUSES = (
    "compliant",
    "partially_compliant",
    "non_compliant",
    "not_assessed",
    "not_applicable",
)


@dataclass(frozen=True, slots=True)
class Basis:
    """One thing that counts (or was meant to count) toward a clause, and how it came out.

    ``outcome`` is passed, failed, waived (failed, with an approved exception), or one of
    stale, missing, not_evaluated: those do not count, and ``detail`` says why.
    ``via`` says how it reached the clause when not directly: ``crosswalk FW:CLAUSE``,
    ``parent CLAUSE`` or ``replaces CLAUSE``.
    """

    source: str
    name: str
    outcome: str
    detail: str = ""
    mapping: str = ""
    mapping_type: str = "direct"
    via: str = ""

    @property
    def counts(self) -> bool:
        return self.outcome in ("passed", "failed", "waived")


@dataclass(frozen=True, slots=True)
class ClauseStatus:
    """The derived status of one clause for one model, next to the declared one."""

    clause: str
    title: str
    status: str
    reason: str
    basis: tuple[Basis, ...] = ()
    declared: str | None = None
    parent: str | None = None
    leaf: bool = True  # assessed on its own: a leaf, or a base control (SP 800-53's AC-2)
    counted: bool = True
    #: Not applicable only because its date (applies_from, in force) is after the day.
    ahead: bool = False
    #: In force on the day: the date it applies from (None: no date set, it always has).
    since: date | None = None
    #: The ids in the OSCAL catalog the clause was imported from (None: built here).
    control_id: str | None = None
    statement_id: str | None = None

    @property
    def assessed(self) -> bool:
        return self.status not in ("not_assessed", "not_applicable")


#: Worse to better, for saying whether a change's move is a regression. Not compliance's
#: RANK (which ranks a failed clause above an unassessed one, for overclaims): in a pull
#: request, a clause that now fails is worse news than one nobody has assessed.
_ORDER = ("non_compliant", "not_assessed", "partially_compliant", "compliant")


@dataclass(frozen=True, slots=True)
class ClauseChange:
    """With ``--base``: one clause whose status the change moves, for one model."""

    framework: str
    model: str
    clause: str
    title: str
    before: str | None
    after: str | None
    reason: str

    def _step(self) -> int:
        """Up (+) or down (-) in _ORDER; 0 when either side is outside it."""
        if self.before in _ORDER and self.after in _ORDER:
            return _ORDER.index(self.after) - _ORDER.index(self.before)
        return 0

    @property
    def worse(self) -> bool:
        """A regression: a status lower than before, or a clause that stopped counting."""
        gone = self.before in ("compliant", "partially_compliant") and self.after is None
        return self._step() < 0 or gone

    @property
    def better(self) -> bool:
        return self._step() > 0


@dataclass(frozen=True, slots=True)
class StaleEvidence:
    """With ``--base``: evidence that counted toward a clause at the base and no longer does."""

    framework: str
    model: str
    clause: str
    evidence: str
    now: str  # the outcome now ("stale", "missing", ...), with its detail


@dataclass(frozen=True, slots=True)
class FrameworkCompliance:
    """One framework for one model: every clause's status and the coverage figures.

    Coverage counts applicable, non-voluntary leaf clauses (``counted``): the share of
    them with any status but not_assessed.
    """

    framework: str
    title: str
    version: str
    model: str
    source: str
    clauses: tuple[ClauseStatus, ...]

    @property
    def counted(self) -> list[ClauseStatus]:
        return [c for c in self.clauses if c.counted]

    @property
    def coverage(self) -> float:
        counted = self.counted
        if not counted:
            return 100.0
        return 100.0 * sum(c.assessed for c in counted) / len(counted)

    def tally(self) -> dict[str, int]:
        out = dict.fromkeys(STATUSES, 0)
        for clause in self.clauses:
            if clause.leaf:
                out[clause.status] += 1
        return out


@dataclass(frozen=True, slots=True)
class Discarded:
    """An approval (or review) that does not count toward a sign-off, and why."""

    user: str
    reason: str


@dataclass(frozen=True, slots=True)
class Counted:
    """An approval that counts, and the role it counts in."""

    user: str
    role: str


@dataclass(frozen=True, slots=True)
class SignOff:
    """The verdict on one RiskAssessment's sign-off, with everything a report shows.

    ``provider`` is github, gitlab or recorded; ``ref`` names the pull/merge request (or
    the file holding recorded approvals) and ``head`` what the approvals are bound to.
    """

    assessment: str
    organization: str
    location: Location
    risk_level: str
    claimed: bool
    required: str
    provider: str
    ref: str = ""
    url: str = ""
    head: str = ""
    counted: tuple[Counted, ...] = ()
    discarded: tuple[Discarded, ...] = ()
    missing: tuple[str, ...] = ()
    error: str = ""
    error_hint: str = ""
    digest: str = ""
    notes: tuple[str, ...] = ()
    kind: str = "RiskAssessment"  # or Waiver

    @property
    def satisfied(self) -> bool:
        return not self.error and not self.missing

    def summary(self) -> str:
        """One line: who counted, what is missing, what did not count."""
        if self.error:
            return f"could not be verified: {self.error}"
        got = ", ".join(f"{c.user} as {c.role}" for c in self.counted) or "no approval counted"
        parts = [f"{self.required}; approved by {got}"]
        if self.missing:
            parts.append("still needed: " + "; ".join(self.missing))
        if self.discarded:
            parts.append(
                "not counted: " + "; ".join(f"{d.user} ({d.reason})" for d in self.discarded)
            )
        return ". ".join(parts)


@dataclass(frozen=True, slots=True)
class EvidenceFile:
    """A file the run evaluated, as an evidence bundle stores it (see aigov_gate.inventory)."""

    path: str
    role: str
    sensitive: bool
    period: str
    retain_until: date | None = None


@dataclass(frozen=True, slots=True)
class Subscription:
    """A WebhookSubscription document as delivery needs it (no secret: only its env var)."""

    name: str
    organization: str
    url: str
    events: tuple[str, ...]
    status: str
    secret_env: str
    location: Location

    @property
    def key(self) -> str:
        """``organization/name``: how the outbox names a subscription."""
        return f"{self.organization}/{self.name}"


@dataclass(frozen=True, slots=True)
class Change:
    """A document whose state moved since ``--base``: a risk assessment's approval status
    or a test run that completed. ``before`` is None when the document is new."""

    kind: str
    name: str
    organization: str
    model: str
    version: str
    before: str | None
    after: str
    location: Location
    details: tuple[tuple[str, str | int], ...] = ()


@dataclass(frozen=True)
class GateResult:
    """The gate's decision and everything reporters need to explain it."""

    situation: Situation
    fail_on: Severity
    findings: list[Finding]
    models: list[ModelVerdict] = field(default_factory=list)
    policies: int = 0
    files: int = 0
    documents: int = 0
    packs: tuple[str, ...] = ()
    base: str | None = None
    changed: tuple[str, ...] = ()
    policy_rules: dict[str, RuleInfo] = field(default_factory=dict)
    compliance: list[FrameworkCompliance] = field(default_factory=list)
    signoffs: list[SignOff] = field(default_factory=list)
    evidence: list[EvidenceFile] = field(default_factory=list)
    #: With ``--base``: risk assessments whose status moved, test runs that completed.
    changes: list[Change] = field(default_factory=list)
    subscriptions: list[Subscription] = field(default_factory=list)
    #: With ``--base``: clauses whose status the change moves, and evidence that stopped
    #: counting (:mod:`aigov_gate.compliance.diff`).
    compliance_changes: tuple[ClauseChange, ...] = ()
    stale_evidence: tuple[StaleEvidence, ...] = ()
    compliance_base_error: str = ""
    #: Where the CI's web UI shows a file: ``https://github.com/o/r/blob/SHA/`` ("" when
    #: unknown; ``GateOptions.web_url``). Reports link ``web_url + path_prefix + path``.
    web_url: str = ""
    artifact: ArtifactVerdict | None = None  # --model-artifact (docs/gate.md)
    sheets: tuple[ModelSheet, ...] = ()  # the dashboard's, when asked (GateOptions.dashboard)
    #: The governance root relative to the CI workspace ("" when they are the same);
    #: GitHub annotations need workspace-relative paths.
    path_prefix: str = ""

    def rule(self, rule_id: str) -> RuleInfo:
        """Catalog entry of a built-in rule, or the description of a policy."""
        found = RULES.get(rule_id) or self.policy_rules.get(rule_id)
        if found is None:
            return RuleInfo(rule_id, rule_id, "high", "", "", "")
        return found

    def blocks(self, finding: Finding) -> bool:
        """Unwaived and at or above ``fail_on``; invalid documents always block."""
        if finding.waived:
            return False
        return always_blocks(finding.rule_id) or finding.severity >= self.fail_on

    @cached_property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if self.blocks(f)]

    @cached_property
    def _blocked_models(self) -> frozenset[str]:
        return frozenset(f.model for f in self.blocking)

    @cached_property
    def _per_model(self) -> Counter[str]:
        return Counter(f.model for f in self.findings)

    def model_findings(self, model: ModelVerdict) -> int:
        return self._per_model[model.label]

    @property
    def passed(self) -> bool:
        return not self.blocking

    @property
    def decision(self) -> str:
        return "passed" if self.passed else "blocked"

    def model_blocked(self, model: ModelVerdict) -> bool:
        return model.label in self._blocked_models

    def counts(self) -> dict[str, int]:
        counts = {s.label: 0 for s in Severity}
        for finding in self.findings:
            if not finding.waived:
                counts[finding.severity.label] += 1
        return counts
