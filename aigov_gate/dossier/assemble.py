"""A repository's records to a model's dossier: validate, pick the model, read Git."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from aigov_gate.config import AigovConfig
from aigov_gate.dossier import Dossier
from aigov_gate.errors import UsageError
from aigov_gate.frameworks import catalogs_for
from aigov_gate.graph import Graph, ModelContext
from aigov_gate.result import Severity


def known_version(ctx: ModelContext) -> bool:
    """Whether any record speaks of ``ctx.version``: the manifest, a run, a risk assessment
    or a deployment."""
    spec = ctx.spec.spec
    return (
        ctx.version == spec.version
        or bool(ctx.runs_for_version())
        or ctx.risk is not None
        or any(d.version == ctx.version for d in spec.deployments.values())
    )


def select(graph: Graph, model: str) -> ModelContext:
    """``NAME[@VERSION]`` to its context, or a usage error naming what exists."""
    name, _, version = model.partition("@")
    found = [doc for doc in graph.models if doc.raw.name == name]
    if not found:
        known = ", ".join(sorted(doc.raw.name for doc in graph.models)) or "none"
        raise UsageError(f"no Model named '{name}'", hint=f"known models: {known}")
    if len(found) > 1:
        orgs = ", ".join(sorted(doc.organization for doc in found))
        raise UsageError(
            f"{len(found)} Models are named '{name}' (organizations {orgs})",
            hint="run the report in a repository of one organization",
        )
    ctx = graph.model_context(found[0], version or None)
    if not known_version(ctx):
        raise UsageError(
            f"no record of {ctx.label}: not the manifest's version ({ctx.spec.spec.version}), "
            "and no test run, risk assessment or deployment names it",
            hint=f"name a version the records hold, or just '{name}'",
        )
    return ctx


def annex_iv(root: Path, config: AigovConfig, model: str, today: date) -> Dossier:
    """The dossier of ``model`` on ``today``; it counts the validation problems (documents
    that fail their schema are left out, and their absence shows as gaps)."""
    from aigov_gate.dossier.annex_iv import FRAMEWORK, build, lifecycle_inputs, records_of
    from aigov_gate.git import history
    from aigov_gate.validation import validate_repo

    validated = validate_repo(root, config)
    graph = Graph(validated.documents)
    ctx = select(graph, model)
    catalog = catalogs_for(graph.by_kind["Framework"], ctx.model.organization)[FRAMEWORK]
    paths, since = lifecycle_inputs(ctx)
    found = history(root, paths, since)
    dossier = build(ctx, catalog, config, today, found, records_of(graph, ctx))
    problems = sum(1 for f in validated.findings if f.severity >= Severity.HIGH)
    return replace(dossier, problems=problems)


def high_risk_dossiers(
    root: Path, config: AigovConfig, labels: list[str], today: date
) -> list[Dossier]:
    """The dossiers of the high-risk models among ``labels`` (``name@version``), for an
    evidence bundle: one validation of the repository for all of them."""
    from aigov_gate.dossier.annex_iv import FRAMEWORK, build, lifecycle_inputs, records_of
    from aigov_gate.git import history
    from aigov_gate.validation import validate_repo

    graph = Graph(validate_repo(root, config).documents)
    out = []
    for label in labels:
        try:
            ctx = select(graph, label)
        except UsageError:
            continue
        if ctx.spec.spec.risk_tier != "high":
            continue
        catalog = catalogs_for(graph.by_kind["Framework"], ctx.model.organization)[FRAMEWORK]
        paths, since = lifecycle_inputs(ctx)
        found = history(root, paths, since)
        out.append(build(ctx, catalog, config, today, found, records_of(graph, ctx)))
    return out
