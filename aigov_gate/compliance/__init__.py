"""Clause-level compliance per framework and model, evidence freshness, OSCAL in and out.

``comply`` is the gate's step 5: after the checks and waivers, each framework that
applies to a gated model (``frameworks`` in ``.aigov.yaml`` or on the Model) gets every
clause's derived status (see :mod:`.status`), and contradictions, stale evidence and
low coverage become findings.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from datetime import date

from aigov_gate.catalog import RuleInfo
from aigov_gate.compliance.status import Inputs, derive, frameworks_for
from aigov_gate.config import AigovConfig
from aigov_gate.errors import UsageError
from aigov_gate.frameworks import Catalog, catalogs_for, crosswalk
from aigov_gate.graph import Graph, ModelContext
from aigov_gate.result import Finding, FrameworkCompliance, Location, ModelVerdict, Severity


def comply(
    contexts: Sequence[ModelContext],
    verdicts: Sequence[ModelVerdict],
    graph: Graph,
    config: AigovConfig,
    today: date,
    findings: Sequence[Finding],
    rules: Mapping[str, RuleInfo],
    framework: str | None = None,
) -> tuple[list[FrameworkCompliance], list[Finding]]:
    wanted = [
        (c, v)
        for c, v in zip(contexts, verdicts, strict=True)
        if frameworks_for(c, config, framework)
    ]
    if not wanted:
        return [], []
    out: list[FrameworkCompliance] = []
    problems: list[Finding] = []
    inputs_by_org: dict[str, Inputs] = {}
    for ctx, verdict in wanted:
        org = ctx.model.organization
        inputs = inputs_by_org.get(org)
        if inputs is None:
            catalogs = catalogs_for(graph.by_kind["Framework"], org)
            inputs = Inputs(config, today, graph, catalogs, crosswalk(catalogs), findings, rules)
            inputs_by_org[org] = inputs
            problems.extend(_unknown(config, catalogs, framework))
            problems.extend(_overridden(config, catalogs))
        derived = derive(ctx, verdict, inputs, framework)
        out.extend(derived.compliance)
        problems.extend(derived.findings)
    return out, problems


def _unknown(
    config: AigovConfig, catalogs: Mapping[str, object], framework: str | None
) -> list[Finding]:
    known = sorted(catalogs)
    if framework is not None and framework not in catalogs:
        close = difflib.get_close_matches(framework, known, n=1)
        did = f"did you mean '{close[0]}'? " if close else ""
        raise UsageError(
            f"unknown framework '{framework}'", hint=f"{did}frameworks: {', '.join(known)}"
        )
    out = []
    for name in config.frameworks:
        if name not in catalogs:
            close = difflib.get_close_matches(name, known, n=1)
            did = f"did you mean '{close[0]}'? " if close else ""
            out.append(
                Finding(
                    "compliance.unknown-framework",
                    Severity.HIGH,
                    f"frameworks in .aigov.yaml names '{name}', which is neither built in "
                    "nor in the repository",
                    Location(".aigov.yaml"),
                    hint=f"{did}known: {', '.join(known)}",
                )
            )
    return out


def _overridden(config: AigovConfig, catalogs: Mapping[str, Catalog]) -> list[Finding]:
    """Every date set in .aigov.yaml in place of the catalog's: said in every report."""
    out = []
    for name, clauses in sorted(config.compliance.applies_from.items()):
        catalog = catalogs.get(name)
        for number, override in sorted(clauses.items()):
            where = Location(".aigov.yaml")
            if catalog is None or number not in catalog.clauses:
                what = f"framework '{name}'" if catalog is None else f"clause '{number}' of {name}"
                out.append(
                    Finding(
                        "compliance.date-overridden",
                        Severity.HIGH,
                        f"compliance.applies_from in .aigov.yaml dates {what}, which does "
                        "not exist",
                        where,
                        hint="name a framework and clause number as `aigov frameworks show` "
                        "lists them",
                    )
                )
                continue
            enacted = catalog.applies(number).since
            out.append(
                Finding(
                    "compliance.date-overridden",
                    Severity.INFO,
                    f"{name} {number} applies from {override.applies_from} by .aigov.yaml, not "
                    f"{enacted or 'its catalog date'} (and no amendment): {override.reason}",
                    where,
                    hint="remove the override to follow the catalog (and its amendments) again",
                )
            )
    return out


__all__ = ["comply"]
