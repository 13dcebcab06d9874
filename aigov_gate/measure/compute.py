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
from dataclasses import dataclass, field

from aigov_gate.documents.testing import TestPlan, TestSpecItem
from aigov_gate.errors import UsageError
from aigov_gate.measure import engine, resample
from aigov_gate.measure.intervals import Provenance, Settings, assemble
from aigov_gate.measure.table import Predictions, exact
from aigov_gate.references import Checked

Key = tuple[str, str, str]


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
    intervals: Mapping[Key, tuple[float, float, Provenance]],
    predictions: Predictions,
) -> tuple[list[str], list[str]]:
    """JSON lines for ``found``, and warnings for what is undefined.

    ``n`` is the metric's denominator for that slice (negatives for fpr, the smallest
    slice's for a disparity); an interval comes with its provenance (``interval``).
    """
    out, warnings = [], []
    for req in found:
        keys = keys_of(req, table)
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
            line["n"] = table.counts.get(key, predictions.rows)
            if key in intervals:
                low, high, provenance = intervals[key]
                line["ci_low"], line["ci_high"] = low, high
                line["interval"] = provenance.as_json()
            out.append(json.dumps(line))
    binding: dict[str, object] = {"path": predictions.path.name, "sha256": predictions.sha256}
    binding["rows"] = predictions.rows
    if predictions.source is not None:  # a table: the connection, query, snapshot...
        binding["source"] = predictions.source
    out.append(json.dumps({"predictions": binding}))
    return out, warnings


@dataclass(frozen=True)
class Options:
    """How to measure, from the command line."""

    threshold: float = 0.5
    regression: bool = False
    intersectional: bool = False
    intervals: bool = False  # report intervals (implied by replicates)
    settings: Settings = field(default_factory=Settings)
    jobs: int = 1


def measure(
    wanted: list[Request], data: Predictions, options: Options
) -> tuple[list[str], list[str]]:
    """The lines and warnings of ``aigov metrics compute`` for predictions already read."""
    import numpy as np

    y_pred = data.y_pred
    if y_pred is None and data.y_score is not None and not options.regression:
        y_pred = (data.y_score >= options.threshold).astype(np.float64)
    groupings = list(data.groupings)
    combined = {r.slice_key for r in wanted if "&" in r.slice_key}
    if options.intersectional and len(groupings) >= 2:
        combined.add("&".join(g.key for g in groupings))
    named = {g.key: g for g in groupings}
    for key in sorted(combined):
        joined = engine.intersect([named[k] for k in key.split("&")])
        groupings.append(exact(joined, str(data.path)))
    prepared = engine.prepare(
        data.y_true, y_pred, data.y_score, groupings, options.regression, data.counts
    )
    table = engine.compute(prepared)
    found: dict[Key, tuple[float, float, Provenance]] = {}
    warnings: list[str] = []
    s = options.settings
    if options.intervals or s.replicates:
        keys = [k for req in wanted for k in keys_of(req, table)]

        def boot(only: dict[str, frozenset[str]], level: float) -> dict[Key, tuple[float, float]]:
            return resample.bootstrap(prepared, s.replicates, s.seed, level, only, options.jobs)

        found, without = assemble(keys, table, s, boot)
        warnings += _no_interval(without)
    out, undefined = lines(wanted, table, found, data)
    return out, undefined + warnings


def _no_interval(keys: list[Key]) -> list[str]:
    """One warning per metric and slice key for the lines left without an interval."""
    slices: dict[tuple[str, str], list[str]] = {}
    for name, slice_key, value in keys:
        slices.setdefault((name, slice_key), []).append(value)
    out = []
    for (name, slice_key), values in slices.items():
        where = ""
        if len(values) == 1 and values[0]:
            where = f" for {slice_key}={values[0]}"
        elif len(values) > 1:
            where = f" for {len(values)} slices of {slice_key}"
        out.append(f"{name}{where}: no interval (it needs --bootstrap N)")
    return out


def keys_of(req: Request, table: engine.Table) -> list[Key]:
    """The table keys of one request: its slices, or its one disparity."""
    every = [*table.values, *table.undefined]
    if req.metric in engine.FAIRNESS:
        return [k for k in every if k[0] == req.metric and k[1] == req.slice_key]
    return sorted(
        k
        for k in every
        if k[0] == req.metric and k[1] == req.slice_key and (req.slice_key or k[2] == "")
    )


__all__ = ["Options", "Request", "keys_of", "lines", "measure", "requests"]
