"""``eu-ai-act.annex-iv-incomplete``: a production deploy of a model Annex IV binds, on or
after the day it applies, with points of its technical documentation the records cannot
fill. The dossier is the one ``aigov report annex-iv`` writes, built from the documents
the gate judged, the configuration in force and the framework pack in force."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

from aigov_gate.config import AigovConfig
from aigov_gate.dossier import Dossier
from aigov_gate.graph import Graph, ModelContext
from aigov_gate.result import Finding, Severity

RULE = "eu-ai-act.annex-iv-incomplete"


def dossier_for(
    root: Path, graph: Graph, ctx: ModelContext, config: AigovConfig, today: date
) -> Dossier:
    from aigov_gate.dossier.annex_iv import FRAMEWORK, build, lifecycle_inputs
    from aigov_gate.frameworks import catalogs_for
    from aigov_gate.git import history

    catalog = catalogs_for(graph.by_kind["Framework"], ctx.model.organization)[FRAMEWORK]
    paths, since = lifecycle_inputs(ctx)
    return build(ctx, catalog, config, today, history(root, paths, since))


def findings(
    root: Path,
    graph: Graph,
    contexts: Iterable[ModelContext],
    config: AigovConfig,
    today: date,
) -> list[Finding]:
    out = []
    for ctx in contexts:
        if ctx.spec.spec.risk_tier != "high":
            continue
        dossier = dossier_for(root, graph, ctx, config, today)
        if not dossier.obliged or not dossier.gaps:
            continue
        details = tuple(f"point {n}: {gap.what}; to fill it: {gap.fix}" for n, gap in dossier.gaps)
        out.append(
            ctx.finding(
                RULE,
                Severity.HIGH,
                f"Annex IV technical documentation of {ctx.label} has {len(dossier.gaps)} gap(s)",
                ("metadata", "name"),
                f"`aigov report annex-iv {ctx.label}` shows each point; record what is missing",
            )
        )
        out[-1] = _with(out[-1], details)
    return out


def _with(finding: Finding, details: tuple[str, ...]) -> Finding:
    from dataclasses import replace

    return replace(finding, details=details, clauses=("eu-ai-act:Annex IV", "eu-ai-act:Art. 11"))
