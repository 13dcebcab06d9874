"""Hugging Face model cards out: a README.md from a Model, its latest completed TestRun for
the version, its datasets and its risk assessment.

The front matter is what the Hub reads (``license``, ``tags``, ``datasets``,
``model-index`` with one result per test and dataset, sliced metrics carrying their slice
in ``args``); the body has the sections the model-card convention and the EU AI Act's
Annex IV (technical documentation) ask for, each filled from the documents or saying
what is not documented. The card is an export: the governance documents stay the source.
"""

from __future__ import annotations

from typing import Any

import yaml

from aigov_gate.documents.assets import Dataset, Model
from aigov_gate.documents.risk import RiskAssessment
from aigov_gate.documents.testing import TestRun
from aigov_gate.graph import ModelContext
from aigov_gate.interchange.model_card import slug
from aigov_gate.metrics import requirement_text

_NONE = "_Not documented._"


def render_card(ctx: ModelContext) -> str:
    model = ctx.spec
    run = ctx.run.model if ctx.run is not None else None
    front = _front_matter(model, ctx.version, run if isinstance(run, TestRun) else None)
    text = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=100)
    body = _body(ctx, model, run if isinstance(run, TestRun) else None)
    return f"---\n{text}---\n\n{body}"


def _front_matter(model: Model, version: str, run: TestRun | None) -> dict[str, Any]:
    front: dict[str, Any] = {}
    licence = model.metadata.labels.get("license")
    if licence:
        front["license"] = licence
    front["tags"] = ["aigov-gate", model.spec.model_type, f"risk-tier-{model.spec.risk_tier}"]
    training = [use.name for use in model.spec.datasets if use.purpose == "training"]
    if training:
        front["datasets"] = training
    if run is not None and run.spec.results:
        dataset = run.spec.dataset or "unspecified"
        front["model-index"] = [
            {
                "name": model.metadata.name,
                "results": [
                    {
                        "task": {"type": slug(result.test_name), "name": result.test_name},
                        "dataset": {"type": dataset, "name": dataset},
                        "metrics": [_metric(m) for m in result.metrics],
                    }
                    for result in run.spec.results
                    if result.metrics
                ],
            }
        ]
    return front


def _metric(metric: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": metric.name, "value": metric.value}
    if metric.slice_key is not None:
        out["name"] = f"{metric.name} ({metric.slice_key}={metric.slice_value})"
        out["args"] = {"slice_key": metric.slice_key, "slice_value": metric.slice_value}
    return out


def _body(ctx: ModelContext, model: Model, run: TestRun | None) -> str:
    spec = model.spec
    lines = [f"# {model.metadata.name}", "", spec.description or _NONE, ""]
    lines += ["## Model details", "", "| | |", "|---|---|"]
    act = spec.eu_ai_act
    rows = [
        ("Version", ctx.version),
        ("Type", spec.model_type),
        ("Organization", ctx.model.organization),
        ("Owner", model.metadata.owner or ""),
        ("EU AI Act risk tier", spec.risk_tier),
        ("EU AI Act role", act.role if act else ""),
        ("Annex III category", (act.annex_iii_category or "") if act else ""),
        ("Released", spec.released.isoformat() if spec.released else ""),
        ("Artifact digest", spec.digest or ""),
        ("Frameworks", ", ".join(spec.frameworks)),
    ]
    lines += [f"| {k} | {_cell(v)} |" for k, v in rows if v]
    lines += ["", "## Intended use", "", spec.intended_use or _NONE, ""]
    lines += ["## Out-of-scope use", ""]
    lines += [f"- {use}" for use in spec.out_of_scope_use] or [_NONE]
    lines += ["", "## Training and evaluation data", ""]
    lines += _datasets(ctx, model) or [_NONE]
    lines += ["", "## Evaluation", ""]
    lines += _evaluation(ctx, run) or [_NONE]
    lines += ["", "## Risks and limitations", ""]
    lines += (_risk(ctx) + _limitations(ctx)) or [_NONE]
    lines += [
        "",
        "## About this card",
        "",
        f"Exported by aigov-gate from `{ctx.model.raw.source.path}` (version {ctx.version}). "
        "The governance documents are the record: change them, not this card.",
        "",
    ]
    return "\n".join(lines)


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def _datasets(ctx: ModelContext, model: Model) -> list[str]:
    known = {d.model.metadata.name: d.model for d in ctx.datasets if isinstance(d.model, Dataset)}
    lines = []
    for use in model.spec.datasets:
        doc = known.get(use.name)
        version = f" {use.version}" if use.version else ""
        detail = ""
        if doc is not None:
            sources = ", ".join(doc.spec.sources)
            detail = f": from {sources}; licence {doc.spec.license or 'not stated'}"
            if doc.spec.contains_pii:
                detail += "; holds personal data"
        lines.append(f"- `{use.name}`{version} ({use.purpose}){detail}")
    return lines


def _evaluation(ctx: ModelContext, run: TestRun | None) -> list[str]:
    if run is None or ctx.run is None:
        return []
    when = run.spec.finished_at.isoformat() if run.spec.finished_at else "time not recorded"
    lines = [
        f"From TestRun `{ctx.run.model.metadata.name}` ({when}) on "
        f"`{run.spec.dataset or 'an unnamed dataset'}`.",
        "",
        "| test | metric | slice | value | threshold | n | 95% CI |",
        "|---|---|---|---:|---:|---:|---|",
    ]
    for result in run.spec.results:
        for m in result.metrics:
            where = f"{m.slice_key}={m.slice_value}" if m.slice_key else ""
            interval = f"[{_num(m.ci_low)}, {_num(m.ci_high)}]" if m.ci_low is not None else ""
            bar = _bar(ctx, result.test_name, m.name, m.slice_key) or _num(m.threshold)
            cells = [result.test_name, m.name, where, _num(m.value), bar, _num(m.n), interval]
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return lines


def _num(value: float | int | None) -> str:
    """Four significant digits (0.7813, not 0.7812999999999999); integers as they are."""
    if value is None:
        return ""
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _bar(ctx: ModelContext, test: str, metric: str, slice_key: str | None) -> str:
    """The plan's requirement for the metric, as the gate checks it (``>= 0.75``, and the
    disparity limit across a slice), or "" when no plan of the model states one."""
    for plan in ctx.plans:
        for t in plan.model.spec.tests:
            for req in t.metrics if t.name == test else ():
                if req.name == metric and req.slice_key in (None, slice_key):
                    text = requirement_text(req).removeprefix(f"{req.name} ")
                    if req.max_disparity is not None:
                        d = req.max_disparity
                        text += f"; max disparity ({d.measure}) {_num(d.limit)}"
                    return text
    return ""


def _risk(ctx: ModelContext) -> list[str]:
    risk = ctx.risk.model if ctx.risk is not None else None
    if not isinstance(risk, RiskAssessment):
        return []
    spec = risk.spec
    lines = [
        f"Risk assessment `{risk.metadata.name}`: {spec.risk_level} risk, "
        f"{spec.approval_status.replace('_', ' ')} (assessed {spec.assessment_date}).",
    ]
    for factor in spec.risk_factors:
        about = f": {factor.description}" if factor.description else ""
        lines.append(
            f"- Risk: {factor.name} (likelihood {factor.likelihood}, impact {factor.impact}){about}"
        )
    lines += [
        f"- Mitigation ({m.status.replace('_', ' ')}): {m.description}"
        for m in spec.mitigation_measures
    ]
    return lines


def _limitations(ctx: ModelContext) -> list[str]:
    return [
        f"- Data limitation (`{d.model.metadata.name}`): {limitation}"
        for d in ctx.datasets
        if isinstance(d.model, Dataset)
        for limitation in d.model.spec.known_limitations
    ]
