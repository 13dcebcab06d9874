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
