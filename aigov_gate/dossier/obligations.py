"""The gate's checks on the records of issue 42: serious-incident reporting clocks
(Art. 73) and the fundamental rights impact assessment deployers owe (Art. 27).

The clocks count calendar days from ``aware_on``: 15 (Art. 73(2)); 10 where a death may
be linked (Art. 73(4)); 2 for a widespread infringement or critical infrastructure
(Art. 73(3)). The day the clock ends is still in time. When the articles apply comes from
the framework pack in force (``compliance.applies_from`` overrides), as of the run's day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from aigov_gate.config import AigovConfig
from aigov_gate.documents.assets import Model
from aigov_gate.documents.records import ImpactAssessment, Incident, IncidentSpec
from aigov_gate.frameworks import Catalog, catalogs_for
from aigov_gate.graph import Graph, ModelContext
from aigov_gate.references import Checked, of_kind
from aigov_gate.result import Finding, Severity

FRAMEWORK = "eu-ai-act"
#: The Annex III points Art. 27(1) names: creditworthiness and credit scores, and risk
#: assessment and pricing of life and health insurance.
FRIA_POINTS = ("5(b)", "5(c)")


@dataclass(frozen=True, slots=True)
class Clock:
    days: int
    clause: str
    why: str

    def due(self, aware: date) -> date:
        return aware + timedelta(days=self.days)


def clock(spec: IncidentSpec) -> Clock:
    if spec.widespread or spec.incident_type == "critical_infrastructure":
        what = "a widespread infringement" if spec.widespread else "critical infrastructure"
        return Clock(2, "Art. 73(3)", what)
    if spec.incident_type == "death":
        return Clock(10, "Art. 73(4)", "a death may be linked")
    return Clock(15, "Art. 73(2)", "a serious incident")


def applies_from(catalog: Catalog, config: AigovConfig, clause: str, today: date) -> date | None:
    """When ``clause`` applies, as the law stood on ``today`` (the configuration's override
    of it or of an ancestor first)."""
    if clause not in catalog.clauses:
        return None
    overrides = config.compliance.applies_from.get(catalog.name, {})
    for number in (clause, *catalog.ancestors(clause)):
        if number in overrides:
            return overrides[number].applies_from
    return catalog.applies(clause).since_on(today, None)[0]


def _catalog(graph: Graph, organization: str) -> Catalog:
    return catalogs_for(graph.by_kind["Framework"], organization)[FRAMEWORK]


def incident_findings(
    graph: Graph, config: AigovConfig, today: date, model: str | None
) -> list[Finding]:
    """Reports overdue, due, or made late, for incidents the provider learnt of once
    Art. 73 applied to its high-risk model."""
    out = []
    wanted = model.partition("@")[0] if model else None
    models = {(d.organization, d.raw.name): d for d in graph.models}
    for doc in of_kind(graph.by_kind["Incident"], Incident):
        spec = doc.model.spec
        owner = models.get((doc.organization, spec.model))
        if owner is None or (wanted is not None and spec.model != wanted):
            continue
        assert isinstance(owner.model, Model)
        if owner.model.spec.risk_tier != "high":
            continue
        since = applies_from(_catalog(graph, doc.organization), config, "Art. 73", today)
        if since is None or spec.aware_on < since:
            continue
        found = _incident(doc, clock(spec), today)
        if found is not None:
            out.append(found)
    return out


def _incident(doc: Checked[Incident], c: Clock, today: date) -> Finding | None:
    spec = doc.model.spec
    due = c.due(spec.aware_on)
    label = f"{spec.model}@{spec.model_version}" if spec.model_version else spec.model
    details = (f"aware on {spec.aware_on}; {c.why}: {c.days} days ({c.clause}); due {due}",)
    if spec.reported_on is None:
        late = (today - due).days
        if late > 0:
            rule, severity, path = "incident.report-overdue", Severity.HIGH, "aware_on"
            message = f"Serious incident {doc.raw.name}: report overdue by {late} day(s)"
        else:
            rule, severity, path = "incident.report-due", Severity.LOW, "aware_on"
            message = f"Serious incident {doc.raw.name}: report due in {-late} day(s), by {due}"
    elif spec.reported_on > due:
        late = (spec.reported_on - due).days
        rule, severity, path = "incident.reported-late", Severity.MEDIUM, "reported_on"
        message = f"Serious incident {doc.raw.name}: reported {late} day(s) late"
    else:
        return None
    hint = "report it to the market surveillance authority and record reported_on"
    return Finding(
        rule, severity, message, doc.raw.locate(("spec", path)), doc.raw.target, hint,
        clauses=(f"eu-ai-act:{c.clause}",), model=label, details=details,
    )  # fmt: skip


def needs_fria(ctx: ModelContext) -> bool:
    """A high-risk system of an Annex III point Art. 27 names, that its organization
    deploys (a deployer, or a provider recording its own deployments)."""
    spec = ctx.spec.spec
    act = spec.eu_ai_act
    if spec.risk_tier != "high" or act is None or act.annex_iii_category not in FRIA_POINTS:
        return False
    return act.role == "deployer" or bool(spec.deployments)


def fria_findings(
    graph: Graph, contexts: Iterable[ModelContext], config: AigovConfig, today: date
) -> list[Finding]:
    """At a production deploy: the FRIA Art. 27 requires, and its notification."""
    out = []
    frias = of_kind(graph.by_kind["ImpactAssessment"], ImpactAssessment)
    for ctx in contexts:
        if not needs_fria(ctx):
            continue
        since = applies_from(_catalog(graph, ctx.model.organization), config, "Art. 27", today)
        if since is None or today < since:
            continue
        mine = [
            f
            for f in frias
            if f.organization == ctx.model.organization
            and f.model.spec.model == ctx.name
            and f.model.spec.model_version in (None, ctx.version)
        ]
        out += _fria(ctx, mine)
    return out


def _fria(ctx: ModelContext, mine: list[Checked[ImpactAssessment]]) -> list[Finding]:
    area = ctx.spec.spec.eu_ai_act.annex_iii_category if ctx.spec.spec.eu_ai_act else ""
    if not mine:
        f = ctx.finding(
            "eu-ai-act.fria-missing",
            Severity.HIGH,
            f"No fundamental rights impact assessment for {ctx.label}",
            ("metadata", "name"),
            "write an ImpactAssessment (Art. 27(1) (a) to (f)) before first use",
        )
        detail = f"Annex III point {area} is an Art. 27(1) case, and {ctx.name} is deployed"
        return [replace(f, details=(detail,), clauses=("eu-ai-act:Art. 27",))]
    unnotified = [f for f in mine if f.model.spec.notified_on is None]
    if len(unnotified) < len(mine):
        return []
    doc = unnotified[0]
    f = ctx.finding(
        "eu-ai-act.fria-not-notified",
        Severity.MEDIUM,
        f"The impact assessment {doc.raw.name} was not notified to the authority",
        ("spec", "assessed_on"),
        "notify the market surveillance authority of the results and record notified_on",
        doc=doc,
    )
    return [replace(f, clauses=("eu-ai-act:Art. 27",))]
