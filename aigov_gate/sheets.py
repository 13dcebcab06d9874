"""What the dashboard shows of each gated model, beyond findings and compliance: plain data.

Built by :mod:`aigov_gate.overview` when a report asks for it (``aigov report html``,
``--output html=FILE``), so a gate that renders no dashboard pays nothing for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Place:
    path: str
    line: int | None = None


@dataclass(frozen=True, slots=True)
class AssessmentSheet:
    name: str
    status: str
    risk_level: str
    assessment_date: str
    next_review_date: str | None
    days_to_review: int | None
    production_approved: bool
    where: Place


@dataclass(frozen=True, slots=True)
class WaiverSheet:
    name: str
    policy: str
    expires: str
    days_left: int
    where: Place


@dataclass(frozen=True, slots=True)
class EvidenceSheet:
    name: str
    artifact_type: str
    created: str
    counts: bool
    detail: str
    where: Place


@dataclass(frozen=True, slots=True)
class MetricPoint:
    run: str
    version: str
    when: str
    value: float
    ci_low: float | None = None
    ci_high: float | None = None


@dataclass(frozen=True, slots=True)
class MetricSeries:
    """One metric (and slice) over the model's completed runs, oldest first."""

    metric: str
    slice: str  # "" for the whole population, else "key=value"
    requirement: str  # "auc >= 0.75", "" when no plan states one
    low: float | None  # the bound(s) the requirement sets, for drawing
    high: float | None
    points: tuple[MetricPoint, ...]


@dataclass(frozen=True, slots=True)
class ModelSheet:
    label: str
    name: str
    version: str
    risk_tier: str
    annex_iii: str | None
    where: Place
    assessment: AssessmentSheet | None = None
    waivers: tuple[WaiverSheet, ...] = ()
    evidence: tuple[EvidenceSheet, ...] = ()
    metrics: tuple[MetricSeries, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class JudgedOn:
    """What a model's decision rested on: the TestRun judged, the RiskAssessment (and the
    digest its approvals are bound to), and the waivers that waived its findings. Every
    report names them (docs/gate.md, "What was judged"); empty strings when there is none."""

    run: str = ""
    run_status: str = ""
    run_finished: str = ""
    #: attested, approved or claimed (docs/testing.md); '' when not classified.
    run_class: str = ""
    run_where: Place = field(default_factory=lambda: Place(""))
    assessment: str = ""
    approval_status: str = ""
    assessment_digest: str = ""
    assessment_where: Place = field(default_factory=lambda: Place(""))
    waivers: tuple[str, ...] = ()

    def lines(self) -> list[tuple[str, str]]:
        """``(label, text)`` pairs, in the order every report prints them."""
        run = f"TestRun/{self.run} ({self.run_status}"
        run += f", finished {self.run_finished}" if self.run_finished else ""
        run += f", {self.run_class})" if self.run_class else ")"
        risk = f"RiskAssessment/{self.assessment} ({self.approval_status}"
        risk += f", sha256:{self.assessment_digest[:12]})" if self.assessment_digest else ")"
        return [
            ("test run", run if self.run else "none completed for this version"),
            ("risk assessment", risk if self.assessment else "none for this version"),
            ("waivers", ", ".join(f"Waiver/{w}" for w in self.waivers) or "none"),
        ]
