"""``aigov metrics compute`` as a function: which metrics a plan asks for, and their lines.

The plan's tests name metrics: each is one of :data:`engine.ALL`, or mapped to one
(``--metric approval_rate=selection_rate``). A metric with ``slice_key`` is computed per
value of that column; a fairness metric with ``slice_key`` is one value across those
slices. The lines are aigov's result protocol (docs/testing.md), plus one
``{"predictions": {...}}`` line that binds the run to the file it measured.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass

from aigov_gate.documents.testing import TestPlan, TestSpecItem
from aigov_gate.errors import UsageError
from aigov_gate.measure import engine
from aigov_gate.measure.table import Predictions
from aigov_gate.references import Checked


@dataclass(frozen=True)
class Request:
    """One metric line to produce: the plan's name, the engine's, and the slicing."""

    name: str
    metric: str
    slice_key: str


def requests(plan: Checked, tests: tuple[str, ...], aliases: Mapping[str, str]) -> list[Request]:
    model = plan.model
    assert isinstance(model, TestPlan)
    chosen: list[TestSpecItem] = list(model.spec.tests)
    if tests:
        names = [t.name for t in chosen]
        for name in tests:
            if name not in names:
                close = difflib.get_close_matches(name, names, n=1)
                did = f"did you mean '{close[0]}'? " if close else ""
                raise UsageError(
                    f"--test {name}: {model.metadata.name} has no such test",
                    hint=f"{did}tests: {', '.join(names)}",
                )
        chosen = [t for t in chosen if t.name in tests]
    out: list[Request] = []
    for test in chosen:
        for req in test.metrics:
            metric = aliases.get(req.name, req.name)
            if metric not in engine.ALL:
                close = difflib.get_close_matches(metric, engine.ALL, n=1)
                did = f"did you mean '{close[0]}'? " if close else ""
                raise UsageError(
                    f"{test.name}: metric {req.name} is not one aigov computes",
                    hint=f"{did}map it with --metric {req.name}=NAME; known: "
                    + ", ".join(engine.ALL),
                )
            out.append(Request(req.name, metric, req.slice_key or ""))
    return list(dict.fromkeys(out))


def lines(
    found: list[Request],
    table: engine.Table,
    intervals: Mapping[tuple[str, str, str], tuple[float, float]],
    predictions: Predictions,
) -> tuple[list[str], list[str]]:
    """JSON lines for ``found``, and warnings for what is undefined."""
    out, warnings = [], []
    for req in found:
        keys = _keys(req, table)
        if not keys:
            warnings.append(f"{req.name}: no value for slice key {req.slice_key!r}")
        for key in keys:
            _, slice_key, slice_value = key
            if key in table.undefined:
                where = f" for {slice_key}={slice_value}" if slice_value else ""
                warnings.append(f"{req.name}{where}: {table.undefined[key]}")
                continue
            line: dict[str, object] = {"name": req.name, "value": table.values[key]}
            if slice_key:
                line["slice_key"] = slice_key
            if slice_value:
                line["slice_value"] = slice_value
            count = table.counts.get((slice_key, slice_value))
            line["n"] = count if count is not None else predictions.rows
            if key in intervals:
                line["ci_low"], line["ci_high"] = intervals[key]
            out.append(json.dumps(line))
    binding = {"path": str(predictions.path.name), "sha256": predictions.sha256}
    out.append(json.dumps({"predictions": {**binding, "rows": predictions.rows}}))
    return out, warnings


def _keys(req: Request, table: engine.Table) -> list[tuple[str, str, str]]:
    every = [*table.values, *table.undefined]
    if req.metric in engine.FAIRNESS:
        return [k for k in every if k[0] == req.metric and k[1] == req.slice_key]
    return sorted(
        k
        for k in every
        if k[0] == req.metric and k[1] == req.slice_key and (req.slice_key or k[2] == "")
    )


__all__ = ["Request", "lines", "requests"]
