"""Annex IV technical documentation of one model version, from the records.

    >>> dossier = build(ctx, catalog, config, date(2027, 12, 2), history)  # doctest: +SKIP
    >>> [p.number for p in dossier.points]  # doctest: +SKIP
    [1, 2, 3, 4, 5, 6, 7, 8, 9]

The points, their titles and what each asks come from the framework pack's ``Annex IV(n)``
clauses; the date Annex IV applies from is the pack's (with ``.aigov.yaml``'s
``compliance.applies_from`` override, as compliance reports read it). Git history is read
by the caller (``lifecycle_inputs`` says which files) and passed in, so the builder is a
function of its inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from aigov_gate.config import AigovConfig
from aigov_gate.documents.records import ImpactAssessment, Incident
from aigov_gate.documents.risk import RiskAssessment
from aigov_gate.documents.testing import TestRun
from aigov_gate.dossier import Dossier, Gap, Point, Statement
from aigov_gate.dossier.points import (
    Filled,
    development,
    evidence_of,
    evidence_statement,
    functioning,
    general,
    metrics_rationale,
    risk_management,
    say,
)
from aigov_gate.frameworks import Catalog
from aigov_gate.git import History
from aigov_gate.graph import Graph, ModelContext, run_time
from aigov_gate.references import Checked

FRAMEWORK = "eu-ai-act"
ANNEX = "Annex IV"
SHOWN_CHANGES = 40


def build(
    ctx: ModelContext,
    catalog: Catalog,
    config: AigovConfig,
    today: date,
    history: History | None,
    records: Sequence[Checked] = (),
) -> Dossier:
    """The nine points, filled from ``ctx``; ``history`` is Git's (None outside Git);
    ``records`` the model's ImpactAssessments and Incidents (``records_of``)."""
    since, why = applies_on(catalog, config, ctx, today)
    fillers: list[Callable[[], Filled]] = [
        lambda: general(ctx),
        lambda: development(ctx),
        lambda: functioning(ctx),
        lambda: metrics_rationale(ctx),
        lambda: _with(risk_management(ctx), fria_statements(records)),
        lambda: lifecycle(ctx, history),
        lambda: standards(ctx),
        lambda: declaration(ctx),
        lambda: _with(post_market(ctx), incident_statements(records)),
    ]
    points = []
    for n, fill in enumerate(fillers, start=1):
        clause = catalog.clauses.get(f"{ANNEX}({n})")
        title = clause.title if clause else f"Point {n}"
        asks = (clause.description or "") if clause else ""
        statements, gaps = fill()
        notes = lifecycle_notes(history) if n == 6 else ()
        points.append(Point(n, title, asks, tuple(statements), tuple(gaps), notes))
    source = catalog.framework.spec.source
    return Dossier(
        model=ctx.name,
        version=ctx.version,
        organization=ctx.model.organization,
        as_of=today,
        applies=why,
        obliged=obliged(catalog, ctx) and since is not None and today >= since,
        framework_source=f"{catalog.framework.spec.title}, {catalog.framework.spec.version} "
        f"({catalog.path})",
        caveat=(source.caveat or "") if source is not None else "",
        points=tuple(points),
    )


def _with(filled: Filled, more: list[Statement]) -> Filled:
    return [*filled[0], *more], filled[1]


def records_of(graph: Graph, ctx: ModelContext) -> list[Checked]:
    """The model's ImpactAssessments and Incidents (this version's, or any version's)."""
    return [
        doc
        for kind in ("ImpactAssessment", "Incident")
        for doc in graph.by_kind[kind]
        if isinstance(doc.model, ImpactAssessment | Incident)
        and doc.organization == ctx.model.organization
        and doc.model.spec.model == ctx.name
        and doc.model.spec.model_version in (None, ctx.version)
    ]


def fria_statements(records: Sequence[Checked]) -> list[Statement]:
    out = []
    for doc in records:
        if isinstance(doc.model, ImpactAssessment):
            spec = doc.model.spec
            told = f", notified to the authority {spec.notified_on}" if spec.notified_on else ""
            text = (
                f"Fundamental rights impact assessment (Art. 27) `{doc.raw.name}` by "
                f"{spec.deployer}, {spec.assessed_on}{told}: "
                f"{len(spec.risks_of_harm)} risk(s) of harm, {len(spec.measures)} measure(s)."
            )
            out.append(say(text, doc, "spec", "assessed_on"))
    return out


def incident_statements(records: Sequence[Checked]) -> list[Statement]:
    out = []
    for doc in records:
        if isinstance(doc.model, Incident):
            spec = doc.model.spec
            kind = spec.incident_type.replace("_", " ")
            to = f" to {spec.authority}" if spec.authority else ""
            state = f"reported {spec.reported_on}{to}" if spec.reported_on else "not reported"
            text = f"Serious incident `{doc.raw.name}` ({kind}), aware {spec.aware_on}: {state}."
            out.append(say(text, doc, "spec", "aware_on"))
    return out


def applies_on(
    catalog: Catalog, config: AigovConfig, ctx: ModelContext, today: date
) -> tuple[date | None, str]:
    """When Annex IV applies to the model as the law stood on ``today``, and the wording."""
    if ANNEX not in catalog.clauses:
        return None, f"the {catalog.name} catalog in use has no {ANNEX}"
    override = config.compliance.applies_from.get(catalog.name, {}).get(ANNEX)
    if override is not None:
        day = override.applies_from
        return day, f"applies from {day} (set in .aigov.yaml: {override.reason})"
    since, by = catalog.applies(ANNEX).since_on(today, ctx.spec.spec.released)
    return since, f"applies from {since}" + (f" as amended by {by}" if by else "")


def obliged(catalog: Catalog, ctx: ModelContext) -> bool:
    """Whether Annex IV's applicability (risk tier, role) covers the model, date aside."""
    if ANNEX not in catalog.clauses:
        return False
    to = catalog.applies(ANNEX).to
    spec = ctx.spec.spec
    role = spec.eu_ai_act.role if spec.eu_ai_act is not None else "provider"
    return (not to.risk_tiers or spec.risk_tier in to.risk_tiers) and (
        not to.roles or role in to.roles
    )


def lifecycle_inputs(ctx: ModelContext) -> tuple[list[str], str | None]:
    """The files whose history is the model's (its records), and the previous version's
    first record: the range starts after the commit that added it."""
    paths = [ctx.model.raw.source.path, *(d.raw.source.path for d in ctx.used())]
    paths = [p for p in paths if not p.startswith("@")]
    earlier = [r for r in ctx.runs if r.model.spec.model_version != ctx.version]
    mine = [run_time(r) for r in ctx.runs_for_version()]
    before = [r for r in earlier if not mine or run_time(r) <= min(mine)]
    since = max(before, key=run_time).raw.source.path if before else None
    return paths, since


def lifecycle(ctx: ModelContext, history: History | None) -> Filled:
    """(6) The versions the records show, and the commits that changed the records."""
    out: list[Statement] = []
    for run in sorted(ctx.runs, key=run_time):
        if isinstance(run.model, TestRun):
            spec = run.model.spec
            when = spec.finished_at.date().isoformat() if spec.finished_at else "undated"
            out.append(
                say(
                    f"Version {spec.model_version} tested in `{run.raw.name}` "
                    f"({spec.status}, {when}).",
                    run,
                    "spec",
                    "model_version",
                )
            )
    risk = ctx.risk
    if risk is not None and isinstance(risk.model, RiskAssessment):
        spec_r = risk.model.spec
        out.append(
            say(
                f"Version {spec_r.model_version or ctx.version} risk-assessed on "
                f"{spec_r.assessment_date} ({spec_r.approval_status.replace('_', ' ')}).",
                risk,
                "spec",
                "assessment_date",
            )
        )
    if history is None:
        gap = Gap(
            "No Git history: the records are not in a Git checkout",
            "keep the governance records in Git and run the report in a clone",
        )
        return out, [gap]
    for change in history.changes[:SHOWN_CHANGES]:
        subject = change.subject if len(change.subject) <= 100 else change.subject[:99] + "…"
        out.append(Statement(f"Commit {change.sha} ({change.day}): {subject}"))
    return out, []


def lifecycle_notes(history: History | None) -> tuple[str, ...]:
    if history is None:
        return ()
    span = f"since commit {history.since}" if history.since else "since the first commit"
    notes = [
        f"Commits reachable from {history.head} that changed this model's records, {span} "
        f"(the previous version's first test run), newest first: {len(history.changes)} "
        f"commit(s){', the newest shown' if len(history.changes) > SHOWN_CHANGES else ''}. "
        "Git shows changes to the records in this repository, not to code or weights "
        "kept elsewhere."
    ]
    if history.shallow:
        notes.append(
            "This is a shallow clone: history stops where the clone was cut, so earlier "
            "changes are missing and the oldest commit listed may stand for many. Fetch the "
            "whole history (actions/checkout with fetch-depth: 0, or git fetch --unshallow) "
            "for the full lifecycle."
        )
    return tuple(notes)


def standards(ctx: ModelContext) -> Filled:
    """(7) The frameworks the model is held to and the clause mappings that show how."""
    model = ctx.model
    out: list[Statement] = []
    for i, name in enumerate(ctx.spec.spec.frameworks):
        out.append(say(f"Held to framework `{name}`.", model, "spec", "frameworks", i))
    for m in sorted(ctx.mappings, key=lambda m: m.raw.source.path):
        spec = m.model.spec
        out.append(
            say(
                f"`{spec.framework}` {spec.clause}: {spec.mapping_type} mapping, declared "
                f"{spec.compliance_status.replace('_', ' ')}.",
                m,
                "spec",
                "clause",
            )
        )
    if ctx.mappings:
        return out, []
    gap = Gap(
        f"No ComplianceMapping says how `{ctx.name}` meets a standard or specification",
        "write ComplianceMappings naming the clauses and what satisfies them",
    )
    return out, [gap]


def declaration(ctx: ModelContext) -> Filled:
    """(8) A copy of the EU declaration of conformity (Art. 47)."""
    found = evidence_of(ctx, "declaration_of_conformity")
    if found:
        return [evidence_statement(d, "EU declaration of conformity") for d in found], []
    gap = Gap(
        f"No EU declaration of conformity for `{ctx.label}`",
        "add an EvidenceArtifact with artifact_type: declaration_of_conformity "
        "(model_version set) once it is drawn up",
    )
    return [], [gap]


def post_market(ctx: ModelContext) -> Filled:
    """(9) The post-market monitoring plan (Art. 72) and where the system runs."""
    found = evidence_of(ctx, "monitoring_plan")
    out = [evidence_statement(d, "Post-market monitoring plan (Art. 72)") for d in found]
    if found:
        return out, []
    gap = Gap(
        f"No post-market monitoring plan (Art. 72) for `{ctx.name}`",
        "add an EvidenceArtifact with artifact_type: monitoring_plan",
    )
    return out, [gap]
