"""Running test plans: ``aigov test run`` (docs/testing.md).

``run.py`` selects and runs jobs (one test of one plan for one model version) in
parallel; ``process.py`` runs one command in its own process group with a timeout and a
sweep of what it leaves; ``formats.py`` reads what came back (a table of readers);
``record.py`` writes the TestRun the gate then reads. Nothing here prints: the CLI
renders progress and the summary.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from aigov_gate.errors import UsageError
from aigov_gate.graph import Graph
from aigov_gate.references import Checked
from aigov_gate.runner.run import Job


def select(
    graph: Graph, plans: list[Checked], model: str | None, dataset: str | None
) -> tuple[list[Job], list[str]]:
    """The jobs to run, and the tests skipped because they have no ``command``."""
    models = graph.models
    version: str | None = None
    if model is not None:
        name, _, version = model.partition("@")
        known = sorted({m.model.metadata.name for m in models})
        models = [m for m in models if m.model.metadata.name == name]
        if not models:
            close = difflib.get_close_matches(name, known, n=1)
            did = f"did you mean '{close[0]}'? " if close else ""
            raise UsageError(
                f"--model {model}: no model named '{name}'",
                hint=f"{did}models: {', '.join(known) or 'none'}",
            )
    wanted = {id(p) for p in plans}
    jobs, skipped = [], []
    for doc in models:
        ctx = graph.model_context(doc, version or None)
        data = _dataset(graph, ctx.datasets, doc.organization, dataset)
        for plan in (p for p in ctx.plans if id(p) in wanted):
            for test in plan.model.spec.tests:
                if test.command is None:
                    skipped.append(f"{plan.model.metadata.name}/{test.name} (no command)")
                    continue
                jobs.append(Job(plan, test, ctx.name, ctx.version, doc.organization, data))
    return jobs, skipped


def _dataset(
    graph: Graph, used: Sequence[Checked], organization: str, wanted: str | None
) -> Checked | None:
    if wanted is None:
        return used[0] if len(used) == 1 else None
    found = graph.get("Dataset", organization, wanted)
    if found is None:
        known = sorted(d.model.metadata.name for d in graph.by_kind.get("Dataset", []))
        close = difflib.get_close_matches(wanted, known, n=1)
        did = f"did you mean '{close[0]}'? " if close else ""
        raise UsageError(
            f"--dataset {wanted}: no such Dataset", hint=f"{did}datasets: {', '.join(known)}"
        )
    return found


__all__ = ["select"]
