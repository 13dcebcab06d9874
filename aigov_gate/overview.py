"""Build the dashboard's per-model sheets (:mod:`aigov_gate.sheets`) from the gate's inputs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date

from aigov_gate.compliance.evidence import freshness
from aigov_gate.config import AigovConfig
from aigov_gate.documents.assets import EvidenceArtifact
from aigov_gate.documents.policy import Waiver
from aigov_gate.documents.risk import RiskAssessment
from aigov_gate.documents.testing import MetricRequirement, TestPlan, TestRun
from aigov_gate.graph import Graph, ModelContext, run_time
from aigov_gate.metrics import requirement_text
from aigov_gate.references import Checked
from aigov_gate.result import Finding
from aigov_gate.sheets import (
    AssessmentSheet,
    EvidenceSheet,
    JudgedOn,
    MetricPoint,
    MetricSeries,
    ModelSheet,
    Place,
    WaiverSheet,
)


def sheets_for(
    contexts: Iterable[ModelContext],
    graph: Graph,
    config: AigovConfig,
    today: date,
    findings: Sequence[Finding],
) -> tuple[ModelSheet, ...]:
    problems: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        problems[f.target].append(f)
    return tuple(_sheet(ctx, graph, config, today, problems) for ctx in contexts)


def _place(doc: Checked, *path: str | int) -> Place:
    where = doc.raw.locate(path or ("metadata", "name"))
    return Place(where.path, where.line)


def _sheet(
    ctx: ModelContext,
    graph: Graph,
    config: AigovConfig,
    today: date,
    problems: dict[str, list[Finding]],
) -> ModelSheet:
    spec = ctx.spec.spec
    act = spec.eu_ai_act
    return ModelSheet(
        ctx.label,
        ctx.name,
        ctx.version,
        spec.risk_tier,
        act.annex_iii_category if act else None,
        _place(ctx.model),
        _assessment(ctx.risk, today),
        tuple(_waivers(ctx, graph, today)),
        tuple(_evidence(ctx, config, today, problems)),
        tuple(_series(ctx, graph)),
    )


def _evidence(
    ctx: ModelContext, config: AigovConfig, today: date, problems: dict[str, list[Finding]]
) -> Iterable[EvidenceSheet]:
    for doc in ctx.evidence:
        artifact = doc.model
        assert isinstance(artifact, EvidenceArtifact)
        fresh = freshness(doc, ctx, today, config.evidence, problems)
        created = artifact.spec.created
        yield EvidenceSheet(
            artifact.metadata.name,
            artifact.spec.artifact_type,
            created.isoformat() if created else "",
            fresh.counts,
            fresh.detail,
            _place(doc),
        )


def _assessment(doc: Checked | None, today: date) -> AssessmentSheet | None:
    if doc is None or not isinstance(doc.model, RiskAssessment):
        return None
    spec = doc.model.spec
    review = spec.next_review_date
    return AssessmentSheet(
        doc.model.metadata.name,
        spec.approval_status,
        spec.risk_level,
        spec.assessment_date.isoformat(),
        review.isoformat() if review else None,
        (review - today).days if review else None,
        spec.production_approved,
        _place(doc, "spec", "approval_status"),
    )


def _waivers(ctx: ModelContext, graph: Graph, today: date) -> Iterable[WaiverSheet]:
    for doc in graph.waivers:
        waiver = doc.model
        assert isinstance(waiver, Waiver)
        target = waiver.spec.target
        if doc.organization != ctx.model.organization or target.kind != "Model":
            continue
        if target.name != ctx.name or target.version not in (None, ctx.version):
            continue
        expires = waiver.spec.expires
        yield WaiverSheet(
            waiver.metadata.name,
            waiver.spec.policy,
            expires.isoformat(),
            (expires - today).days,
            _place(doc, "spec", "expires"),
        )


def _requirements(ctx: ModelContext) -> list[MetricRequirement]:
    out: list[MetricRequirement] = []
    for doc in ctx.plans:
        if isinstance(doc.model, TestPlan):
            out += [m for test in doc.model.spec.tests for m in test.metrics]
    return out


def _bounds(req: MetricRequirement) -> tuple[float | None, float | None]:
    """The lowest and highest value the requirement admits (None: unbounded), for drawing."""
    if req.operator == "between" and req.range is not None:
        return req.range[0], req.range[1]
    t = req.threshold
    if req.operator in (">=", ">"):
        return t, None
    if req.operator in ("<=", "<"):
        return None, t
    return t, t


def _series(ctx: ModelContext, graph: Graph) -> Iterable[MetricSeries]:
    runs = [
        r
        for r in graph.runs_of(ctx.model.organization, ctx.name)
        if isinstance(r.model, TestRun) and r.model.spec.status == "completed"
    ]
    points: dict[tuple[str, str], list[MetricPoint]] = defaultdict(list)
    for doc in sorted(runs, key=run_time):
        run = doc.model
        assert isinstance(run, TestRun)
        when = run_time(doc).date().isoformat()
        for result in run.spec.results:
            for m in result.metrics:
                part = f"{m.slice_key}={m.slice_value}" if m.slice_key else ""
                point = MetricPoint(
                    run.metadata.name, run.spec.model_version, when, m.value, m.ci_low, m.ci_high
                )
                points[(m.name, part)].append(point)
    requirements = _requirements(ctx)
    for (metric, part), found in sorted(points.items()):
        req = next(
            (
                r
                for r in requirements
                if r.name == metric
                and (r.slice_key is None if not part else part.startswith(f"{r.slice_key}="))
            ),
            None,
        )
        low, high = _bounds(req) if req else (None, None)
        text = requirement_text(req) if req else ""
        yield MetricSeries(metric, part, text, low, high, tuple(found))


def judged_on(ctx: ModelContext) -> JudgedOn:
    """The run and the assessment a model's decision rests on (waivers: reporters.common)."""
    from aigov_gate.signoff.rules import digest

    judged = JudgedOn()
    if ctx.run is not None:
        spec = ctx.run.model.spec
        finished = spec.finished_at.isoformat() if spec.finished_at else ""
        judged = replace(
            judged,
            run=ctx.run.raw.name,
            run_status=spec.status,
            run_finished=finished,
            run_where=_place(ctx.run, "metadata", "name"),
        )
    if ctx.risk is not None:
        judged = replace(
            judged,
            assessment=ctx.risk.raw.name,
            approval_status=ctx.risk.model.spec.approval_status,
            assessment_digest=digest(ctx.risk.raw.data),
            assessment_where=_place(ctx.risk, "metadata", "name"),
        )
    return judged
