"""Annex IV points 1 to 5, each filled from one model's records with its sources."""

from __future__ import annotations

from collections.abc import Iterator

from aigov_gate.documents.assets import Dataset, EvidenceArtifact
from aigov_gate.documents.risk import RiskAssessment
from aigov_gate.documents.testing import TestPlan, TestRun
from aigov_gate.dossier import Gap, Statement
from aigov_gate.graph import ModelContext
from aigov_gate.metrics import requirement_text
from aigov_gate.references import Checked

Filled = tuple[list[Statement], list[Gap]]


def say(text: str, doc: Checked, *path: str | int) -> Statement:
    return Statement(text, doc.raw, path)


def num(value: float | int | None) -> str:
    if value is None:
        return ""
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def general(ctx: ModelContext) -> Filled:
    """(1) Intended purpose, provider, version, forms placed on the market, deployments."""
    doc, spec = ctx.model, ctx.spec.spec
    meta = ctx.spec.metadata
    out = [
        say(
            f"Provider: {ctx.model.organization}; "
            f"owner of the record: {meta.owner or 'not named'}.",
            doc,
            "metadata",
            "name",
        )
    ]
    out.append(say(f"Version {ctx.version}, a {spec.model_type} model.", doc, "spec", "version"))
    gaps: list[Gap] = []
    for field, label in (("description", "What it is"), ("intended_use", "Intended purpose")):
        value = getattr(spec, field)
        if value:
            out.append(say(f"{label}: {value.strip()}", doc, "spec", field))
        else:
            gaps.append(
                Gap(
                    f"Model `{ctx.name}` has no `spec.{field}`",
                    f"write `spec.{field}` in {doc.raw.source.path}",
                )
            )
    out += [
        say(f"Not for: {use}", doc, "spec", "out_of_scope_use", i)
        for i, use in enumerate(spec.out_of_scope_use)
    ]
    _classification(ctx, out, gaps)
    out += list(_delivery(ctx))
    return out, gaps


def _classification(ctx: ModelContext, out: list[Statement], gaps: list[Gap]) -> None:
    doc, spec = ctx.model, ctx.spec.spec
    act = spec.eu_ai_act
    if act is None:
        gap = Gap(
            f"Model `{ctx.name}` records no EU AI Act role or Annex III category",
            "add `spec.eu_ai_act` (role, annex_iii_category)",
        )
        gaps.append(gap)
        return
    area = f", Annex III point {act.annex_iii_category}" if act.annex_iii_category else ""
    text = f"Under the EU AI Act: {act.role}{area}; risk tier {spec.risk_tier}."
    out.append(say(text, doc, "spec", "eu_ai_act"))


def _delivery(ctx: ModelContext) -> Iterator[Statement]:
    doc, spec = ctx.model, ctx.spec.spec
    if spec.uri or spec.digest:
        where = f" at {spec.uri}" if spec.uri else ""
        pinned = f", pinned as {spec.digest}" if spec.digest else ""
        field = "digest" if spec.digest else "uri"
        yield say(f"Delivered as an artifact{where}{pinned}.", doc, "spec", field)
    for env, dep in sorted(spec.deployments.items()):
        since = f" since {dep.since}" if dep.since else ""
        text = f"Deployment `{env}`: version {dep.version}, {dep.status}{since}."
        yield say(text, doc, "spec", "deployments", env)


def development(ctx: ModelContext) -> Filled:
    """(2) Data requirements and datasheets, design of the tests, validation and testing."""
    out: list[Statement] = []
    gaps: list[Gap] = []
    known = {d.model.metadata.name: d for d in ctx.datasets if isinstance(d.model, Dataset)}
    for use in ctx.spec.spec.datasets:
        found = known.get(use.name)
        if found is None:
            gaps.append(
                Gap(f"Dataset `{use.name}` has no Dataset record", "add a Dataset document for it")
            )
            continue
        out.append(say(_dataset_text(use.purpose, found), found, "metadata", "name"))
    if not any(u.purpose == "training" for u in ctx.spec.spec.datasets):
        gaps.append(
            Gap(
                f"Model `{ctx.name}` names no training dataset",
                "list it under `spec.datasets` with purpose: training",
            )
        )
    for plan in ctx.plans:
        for i, test in enumerate(plan.model.spec.tests):
            about = f": {test.description.strip()}" if test.description else ""
            out.append(
                say(
                    f"Test plan `{plan.raw.name}`, test `{test.name}`{about}",
                    plan,
                    "spec",
                    "tests",
                    i,
                    "name",
                )
            )
    if not ctx.plans:
        gaps.append(Gap(f"No TestPlan covers `{ctx.name}`", "write a TestPlan naming the model"))
    out += list(_validation(ctx, gaps))
    return out, gaps


def _dataset_text(purpose: str, doc: Checked[Dataset]) -> str:
    spec = doc.model.spec
    parts = [f"{purpose.capitalize()} data: `{doc.raw.name}` version {spec.version}"]
    if spec.sources:
        parts.append("from " + ", ".join(spec.sources))
    if spec.collection_period is not None:
        end = spec.collection_period.end or "ongoing"
        parts.append(f"collected {spec.collection_period.start} to {end}")
    if spec.records is not None:
        parts.append(f"{spec.records} records")
    parts.append(f"licence {spec.license or 'not stated'}")
    if spec.protected_attributes:
        parts.append("protected attributes: " + ", ".join(spec.protected_attributes))
    return "; ".join(parts) + "."


def _validation(ctx: ModelContext, gaps: list[Gap]) -> Iterator[Statement]:
    run = ctx.run
    if run is None or not isinstance(run.model, TestRun):
        gaps.append(Gap(f"No completed TestRun of `{ctx.label}`", "run the plan: `aigov test run`"))
        return
    spec = run.model.spec
    when = spec.finished_at.isoformat() if spec.finished_at else "time not recorded"
    by = f" by {spec.executor}" if spec.executor else ""
    yield say(
        f"Validated and tested in TestRun `{run.raw.name}` "
        f"on `{spec.dataset or 'an unnamed dataset'}`, "
        f"completed {when}{by}.",
        run,
        "metadata",
        "name",
    )


def functioning(ctx: ModelContext) -> Filled:
    """(3) Performance, including for groups of persons, limitations, human oversight."""
    out: list[Statement] = []
    gaps: list[Gap] = []
    run = ctx.run
    sliced = False
    if run is not None and isinstance(run.model, TestRun):
        for i, result in enumerate(run.model.spec.results):
            for j, m in enumerate(result.metrics):
                where = f" for {m.slice_key}={m.slice_value}" if m.slice_key else ""
                sliced = sliced or m.slice_key is not None
                extra = (
                    f", 95% CI [{num(m.ci_low)}, {num(m.ci_high)}]" if m.ci_low is not None else ""
                )
                extra += f", n={m.n}" if m.n is not None else ""
                text = f"`{result.test_name}`: {m.name}{where} = {num(m.value)}{extra}."
                out.append(say(text, run, "spec", "results", i, "metrics", j, "value"))
    if not sliced:
        gaps.append(
            Gap(
                f"No per-group (sliced) results for `{ctx.label}`",
                "evaluate per slice (`slice_key` in the plan) and record the run",
            )
        )
    for d in ctx.datasets:
        if isinstance(d.model, Dataset):
            for i, text in enumerate(d.model.spec.known_limitations):
                out.append(
                    say(
                        f"Known limitation of `{d.raw.name}`: {text}",
                        d,
                        "spec",
                        "known_limitations",
                        i,
                    )
                )
    oversight = evidence_of(ctx, "human_oversight_procedure")
    out += [_evidence(e, "Human oversight procedure (Art. 14)") for e in oversight]
    if not oversight:
        gaps.append(
            Gap(
                f"No human oversight procedure (Art. 14) on record for `{ctx.name}`",
                "add an EvidenceArtifact with artifact_type: human_oversight_procedure",
            )
        )
    return out, gaps


def metrics_rationale(ctx: ModelContext) -> Filled:
    """(4) The metrics the plans require, and why they suit the system (the test's words)."""
    out: list[Statement] = []
    gaps: list[Gap] = []
    for plan in ctx.plans:
        if not isinstance(plan.model, TestPlan):
            continue
        for i, test in enumerate(plan.model.spec.tests):
            for j, req in enumerate(test.metrics):
                text = requirement_text(req)
                if req.slice_key:
                    text += f" in every {req.slice_key} slice"
                if req.max_disparity is not None:
                    d = req.max_disparity
                    text += f"; max disparity ({d.measure}) {num(d.limit)}"
                out.append(
                    say(
                        f"`{test.name}` requires {text}.",
                        plan,
                        "spec",
                        "tests",
                        i,
                        "metrics",
                        j,
                        "name",
                    )
                )
            if test.metrics and not test.description:
                gaps.append(
                    Gap(
                        f"Test `{test.name}` of `{plan.raw.name}` does not say why its metrics "
                        "suit the system",
                        "write the test's `description`",
                    )
                )
    if not out:
        gaps.append(
            Gap(
                f"No metric requirement is recorded for `{ctx.name}`",
                "state the metrics and thresholds in a TestPlan",
            )
        )
    return out, gaps


def risk_management(ctx: ModelContext) -> Filled:
    """(5) The risk management system (Art. 9): the assessment, its factors and measures."""
    risk = ctx.risk
    if risk is None or not isinstance(risk.model, RiskAssessment):
        gap = Gap(f"No RiskAssessment of `{ctx.label}`", "write a RiskAssessment for this version")
        return [], [gap]
    spec = risk.model.spec
    status = spec.approval_status.replace("_", " ")
    head = (
        f"RiskAssessment `{risk.raw.name}`: {spec.risk_level} risk, assessed by "
        f"{spec.assessor} on {spec.assessment_date}, {status}, "
        f"{len(spec.approvals)} recorded approval(s)."
    )
    out = [say(head, risk, "spec", "approval_status")]
    for i, f in enumerate(spec.risk_factors):
        about = f": {f.description}" if f.description else ""
        text = f"Risk `{f.name}` (likelihood {f.likelihood}, impact {f.impact}){about}"
        out.append(say(text, risk, "spec", "risk_factors", i, "name"))
    for i, m in enumerate(spec.mitigation_measures):
        text = f"Measure ({m.status.replace('_', ' ')}): {m.description}"
        out.append(say(text, risk, "spec", "mitigation_measures", i, "description"))
    if spec.next_review_date is not None:
        text = f"Next review {spec.next_review_date}, every {spec.review_frequency_months} months."
        out.append(say(text, risk, "spec", "next_review_date"))
    if spec.risk_factors:
        return out, []
    return out, [Gap(f"`{risk.raw.name}` lists no risk factors", "record the foreseeable risks")]


def evidence_of(ctx: ModelContext, kind: str) -> list[Checked[EvidenceArtifact]]:
    """The model's evidence of ``kind`` written for this version (or for any version)."""
    return [
        e
        for e in ctx.evidence
        if isinstance(e.model, EvidenceArtifact)
        and e.model.spec.artifact_type == kind
        and e.model.spec.model_version in (None, ctx.version)
    ]


def _evidence(doc: Checked[EvidenceArtifact], label: str) -> Statement:
    spec = doc.model.spec
    where = spec.path or spec.uri or ""
    created = f", written {spec.created}" if spec.created else ""
    return say(f"{label}: `{doc.raw.name}` ({where}{created}).", doc, "spec", "artifact_type")


def evidence_statement(doc: Checked[EvidenceArtifact], label: str) -> Statement:
    return _evidence(doc, label)
