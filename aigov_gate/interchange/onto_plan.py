"""Imported runs onto a plan's tests, and which imported run the gate would judge.

An importer names its results after the source ("mlflow run NAME", "quantitative
analysis"); the gate looks results up by the plan's test names. :func:`map_runs` puts
each imported metric under the tests of a TestPlan that ask for it (``--plan``), or all
of them under one test (``--test``), renaming metrics first (``--metric PLAN=IMPORTED``).
:func:`judged` says which imported runs would become the run the gate judges (the newest
completed one of the version) and which required tests each would leave without a result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aigov_gate.documents import KINDS
from aigov_gate.documents.testing import TestPlan
from aigov_gate.errors import UsageError
from aigov_gate.graph import Graph
from aigov_gate.loading.source import RawDocument, SourceFile
from aigov_gate.references import Checked, is_a


@dataclass(frozen=True, slots=True)
class Onto:
    """Where imported metrics go: a plan (and some of its tests), or one test's name."""

    plan: TestPlan | None = None
    tests: tuple[str, ...] = ()
    metrics: Mapping[str, str] = field(default_factory=dict)  # plan's name -> imported name

    @property
    def given(self) -> bool:
        return self.plan is not None or bool(self.tests) or bool(self.metrics)


def check_onto(onto: Onto) -> None:
    """Refuse what cannot map: --test names the plan lacks, --test alone more than once."""
    if onto.plan is None:
        if len(onto.tests) > 1:
            raise UsageError(
                "without --plan, give one --test: every imported metric goes under it",
                hint="or name the TestPlan with --plan to spread them over its tests",
            )
        if onto.metrics and not onto.tests:
            raise UsageError("--metric renames metrics for --plan or --test; give one of them")
        return
    names = [test.name for test in onto.plan.spec.tests]
    unknown = [name for name in onto.tests if name not in names]
    if unknown:
        raise UsageError(
            f"TestPlan '{onto.plan.metadata.name}' has no test '{unknown[0]}'",
            hint=f"its tests: {', '.join(names)}",
        )


def map_runs(documents: Sequence[dict[str, Any]], onto: Onto, notes: list[str]) -> None:
    """Rewrite each imported TestRun's results as ``onto`` says (in place); what cannot
    be mapped is said in ``notes``, and metrics no test asks for are kept as they were."""
    if not onto.given:
        return
    check_onto(onto)
    for doc in documents:
        if doc["kind"] == "TestRun":
            _map_run(doc, onto, notes)


def _map_run(doc: dict[str, Any], onto: Onto, notes: list[str]) -> None:
    spec, name = doc["spec"], doc["metadata"]["name"]
    renamed = {imported: ours for ours, imported in onto.metrics.items()}
    for result in spec["results"]:
        for metric in result["metrics"]:
            metric["name"] = renamed.get(metric["name"], metric["name"])
    if onto.plan is None:
        metrics = [m for result in spec["results"] for m in result["metrics"]]
        spec["results"] = [{"test_name": onto.tests[0], "metrics": metrics}]
        return
    _record_plan(spec, onto.plan.metadata.name)
    mapped: list[dict[str, Any]] = []
    used: set[int] = set()
    for test in onto.plan.spec.tests:
        if onto.tests and test.name not in onto.tests:
            continue
        found: list[dict[str, Any]] = []
        for req in test.metrics:
            these = [
                m
                for r in spec["results"]
                for m in r["metrics"]
                if m["name"] == req.name and m.get("slice_key") == req.slice_key
            ]
            if not these:
                per = f" per {req.slice_key}" if req.slice_key else ""
                notes.append(
                    f"{name}: test '{test.name}' asks for metric '{req.name}'{per}, which the "
                    f"import has not (map one with --metric {req.name}=IMPORTED_NAME)"
                )
            used.update(id(m) for m in these)
            found += [dict(m) for m in these if m not in found]
        if found:
            mapped.append({"test_name": test.name, "metrics": found})
    for result in spec["results"]:
        rest = [m for m in result["metrics"] if id(m) not in used]
        if rest:
            left = ", ".join(sorted({m["name"] for m in rest}))
            notes.append(f"{name}: no test asks for {left}; kept under '{result['test_name']}'")
            mapped.append({**result, "metrics": rest})
    spec["results"] = mapped


def _record_plan(spec: dict[str, Any], plan: str) -> None:
    """``spec.test_plan = plan``, where a person writing the run would put it."""
    items = list(spec.items())
    spec.clear()
    for key, value in items:
        if key != "test_plan":
            spec[key] = value
        if key == "model_version":
            spec["test_plan"] = plan


@dataclass(frozen=True, slots=True)
class Judged:
    """An imported run the gate would judge, and the required tests it has no result for."""

    run: str
    model: str  # NAME@VERSION
    missing: tuple[tuple[str, str], ...]  # (plan, test)


def judged(
    existing: Sequence[Checked],
    planned: Sequence[tuple[Path, dict[str, Any]]],
    root: Path,
    organization: str,
) -> list[Judged]:
    """The imported TestRuns that would be the newest completed run of their model
    version once written next to ``existing``, as the gate picks it (graph.model_context)."""
    imported = [_checked(path, doc, root, organization) for path, doc in planned]
    replaced = {doc.raw.source.path for doc in imported}  # with --force
    graph = Graph([*(d for d in existing if d.raw.source.path not in replaced), *imported])
    found = []
    for doc in imported:
        if doc.raw.kind != "TestRun":
            continue
        spec = doc.raw.data["spec"]
        model = graph.get("Model", doc.organization, spec["model"])
        if model is None or not is_a(model, KINDS["Model"]):
            continue
        ctx = graph.model_context(model, spec["model_version"])
        if ctx.run is None or ctx.run.raw is not doc.raw:
            continue
        names = {result["test_name"] for result in spec["results"]}
        missing = tuple(
            (plan.model.metadata.name, test.name)
            for plan in ctx.plans
            for test in plan.model.spec.tests
            if test.required and test.name not in names
        )
        found.append(Judged(doc.raw.name, ctx.label, missing))
    return found


def _checked(path: Path, doc: dict[str, Any], root: Path, organization: str) -> Checked:
    path = path.absolute()
    shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()
    raw = RawDocument(SourceFile(shown, ""), 0, doc)
    return Checked(raw, KINDS[doc["kind"]].model_validate(doc), raw.organization(organization))
