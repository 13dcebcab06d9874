"""Built-in checks of risk assessments, production gating and data handling for one model.

Production gating (``deploy.*``) applies at ``--stage deploy`` to an environment marked
``production: true`` in ``.aigov.yaml``; ``deploy.tests-failing`` at every deploy.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from aigov_gate.documents.assets import Dataset
from aigov_gate.documents.base import CLASSIFICATION_RANK
from aigov_gate.documents.risk import RiskAssessment
from aigov_gate.graph import ModelContext
from aigov_gate.policy.metric_checks import TestOutcome
from aigov_gate.policy.recorder import Recorder
from aigov_gate.references import Checked
from aigov_gate.result import Severity, Situation

HIGH_TIERS = ("high", "prohibited")


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the month's last day."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def review_due(risk: RiskAssessment) -> date:
    spec = risk.spec
    return spec.next_review_date or add_months(spec.assessment_date, spec.review_frequency_months)


def check_risk(ctx: ModelContext, situation: Situation, warn_days: int, rec: Recorder) -> None:
    tier = ctx.spec.spec.risk_tier
    if tier == "prohibited":
        rec.found(
            ctx.finding(
                "risk.prohibited",
                Severity.CRITICAL,
                f"{ctx.name} is classified as a prohibited practice (risk_tier: prohibited)",
                ("spec", "risk_tier"),
                "withdraw it, or correct the classification with a documented legal analysis",
            )
        )
    if tier in HIGH_TIERS:
        rec.ran("risk.assessment-missing")
        if ctx.risk is None:
            rec.found(
                ctx.finding(
                    "risk.assessment-missing",
                    Severity.HIGH,
                    f"{ctx.label} is {tier}-risk and has no RiskAssessment for version "
                    f"{ctx.version}",
                    ("spec", "version"),
                    f"add a RiskAssessment with model: {ctx.name} and model_version: "
                    f'"{ctx.version}"',
                )
            )
    if ctx.risk is not None:
        _check_review(ctx, ctx.risk, situation, warn_days, rec)


def _check_review(
    ctx: ModelContext,
    doc: Checked[RiskAssessment],
    situation: Situation,
    warn_days: int,
    rec: Recorder,
) -> None:
    due = review_due(doc.model)
    path = ("spec", "next_review_date") if doc.model.spec.next_review_date else ("spec",)
    production = situation.production_deploy
    rule = "deploy.review-overdue" if production else "risk.review-overdue"
    rec.ran(rule)
    if due < situation.today:
        late = (situation.today - due).days
        rec.found(
            ctx.finding(
                rule,
                Severity.HIGH if production else Severity.MEDIUM,
                f"the risk review of {ctx.label} was due {due.isoformat()} ({late} day(s) ago)",
                path,
                "review the assessment and set a new next_review_date",
                doc=doc,
            )
        )
    elif due <= situation.today + timedelta(days=warn_days):
        rec.found(
            ctx.finding(
                "risk.review-due",
                Severity.INFO,
                f"the risk review of {ctx.label} is due {due.isoformat()}",
                path,
                "schedule the review before it blocks a production deployment",
                doc=doc,
            )
        )


def check_deploy(
    ctx: ModelContext, situation: Situation, tests: TestOutcome, rec: Recorder
) -> None:
    """At a deploy: required tests pass; to production: approved, conditions met."""
    if situation.stage != "deploy":
        return
    if ctx.plans:
        rec.ran("deploy.tests-failing")
    if tests.failing:
        where = ctx.run or ctx.model
        path = ("spec", "results") if ctx.run else ("spec", "version")
        rec.found(
            ctx.finding(
                "deploy.tests-failing",
                Severity.HIGH,
                f"{ctx.label} may not deploy to {situation.environment}: required tests not "
                f"passing: {', '.join(tests.failing)}",
                path,
                "fix the failing tests (see the metric findings) and record a new run",
                doc=where,
            )
        )
    if situation.production:
        rec.ran("deploy.assessment-missing", "deploy.untested")
        if ctx.run is None:
            rec.found(
                ctx.finding(
                    "deploy.untested",
                    Severity.HIGH,
                    f"{ctx.label} may not deploy to {situation.environment}: it has no "
                    "completed TestRun",
                    ("spec", "version"),
                    f"run its tests against version {ctx.version} and commit the TestRun",
                )
            )
        if ctx.risk is None:
            rec.found(
                ctx.finding(
                    "deploy.assessment-missing",
                    Severity.HIGH,
                    f"{ctx.label} may not deploy to {situation.environment}: no RiskAssessment "
                    f"is bound to version {ctx.version} (every production deploy needs an "
                    "approved one, whatever the risk tier)",
                    ("spec", "version"),
                    f"add a RiskAssessment with model: {ctx.name} and model_version: "
                    f'"{ctx.version}", and get it approved',
                )
            )
        else:
            _check_production(ctx, ctx.risk, situation, rec)


def _check_production(
    ctx: ModelContext, doc: Checked[RiskAssessment], situation: Situation, rec: Recorder
) -> None:
    spec = doc.model.spec
    env = situation.environment
    rec.ran("deploy.not-approved", "deploy.production-not-approved", "deploy.condition-unmet")
    if spec.approval_status != "approved":
        rec.found(
            ctx.finding(
                "deploy.not-approved",
                Severity.HIGH,
                f"{ctx.label} may not deploy to {env}: its risk assessment is "
                f"{spec.approval_status}, not approved",
                ("spec", "approval_status"),
                "finish the review; a risk approver records the approval",
                doc=doc,
            )
        )
    if not spec.production_approved:
        rec.found(
            ctx.finding(
                "deploy.production-not-approved",
                Severity.HIGH,
                f"{ctx.label} may not deploy to {env}: production_approved is false",
                ("spec", "production_approved"),
                "a risk approver sets production_approved: true once the conditions are met",
                doc=doc,
            )
        )
    for i, condition in enumerate(spec.deployment_conditions):
        if not condition.met:
            rec.found(
                ctx.finding(
                    "deploy.condition-unmet",
                    Severity.HIGH,
                    f"{ctx.label} may not deploy to {env}: condition not met: "
                    f"{condition.description}",
                    ("spec", "deployment_conditions", i, "met"),
                    "meet the condition, reference the evidence and set met: true",
                    doc=doc,
                )
            )


def check_data(ctx: ModelContext, rec: Recorder) -> None:
    """A model declares at least the PII and classification of the data it uses."""
    model = ctx.spec.spec
    rec.ran("data.pii-undeclared", "data.classification")
    datasets = [(d, d.model) for d in ctx.datasets if isinstance(d.model, Dataset)]
    with_pii = [d.metadata.name for _doc, d in datasets if d.spec.contains_pii]
    if with_pii and not model.contains_pii:
        rec.found(
            ctx.finding(
                "data.pii-undeclared",
                Severity.HIGH,
                f"{ctx.name} uses personal data ({', '.join(with_pii)}) but declares "
                "contains_pii: false",
                ("spec", "contains_pii"),
                "set contains_pii: true on the model",
            )
        )
    own = CLASSIFICATION_RANK[model.data_classification]
    stricter = [d for _doc, d in datasets if CLASSIFICATION_RANK[d.spec.data_classification] > own]
    if stricter:
        top = max(stricter, key=lambda d: CLASSIFICATION_RANK[d.spec.data_classification])
        rec.found(
            ctx.finding(
                "data.classification",
                Severity.HIGH,
                f"{ctx.name} is {model.data_classification} but uses "
                f"{top.spec.data_classification} data ({top.metadata.name})",
                ("spec", "data_classification"),
                f"set data_classification: {top.spec.data_classification} on the model",
            )
        )
