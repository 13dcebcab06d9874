"""``eu-ai-act.annex-iv-incomplete``: a production deploy of a model Annex IV binds, on or
after the day it applies, with points of its technical documentation the records cannot
fill. The dossier is the one ``aigov report annex-iv`` writes, built from the documents
the gate judged, the configuration in force and the framework pack in force."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

from aigov_gate.config import AigovConfig
from aigov_gate.git import History
from aigov_gate.graph import Graph, ModelContext
from aigov_gate.result import Finding, Severity

RULE = "eu-ai-act.annex-iv-incomplete"


def findings(
    root: Path,
    graph: Graph,
    contexts: Iterable[ModelContext],
    config: AigovConfig,
    today: date,
) -> list[Finding]:
    from aigov_gate.dossier.annex_iv import FRAMEWORK, applies_on, build, obliged
    from aigov_gate.frameworks import catalogs_for
    from aigov_gate.git import checkout

    out = []
    git_state: list[History | None] = []
    for ctx in contexts:
        if ctx.spec.spec.risk_tier != "high":
            continue
        catalog = catalogs_for(graph.by_kind["Framework"], ctx.model.organization)[FRAMEWORK]
        since, _ = applies_on(catalog, config, ctx, today)
        if not obliged(catalog, ctx) or since is None or today < since:
            continue
        if not git_state:  # the gaps need to know only whether the records are in Git
            git_state.append(checkout(root))
        dossier = build(ctx, catalog, config, today, git_state[0])
        if not dossier.gaps:
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
