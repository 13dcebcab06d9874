"""``aigov test merge``: the shard runs of one test run become its TestRuns (:mod:`shards`)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aigov_gate.errors import UsageError
from aigov_gate.references import Checked
from aigov_gate.runner.shards import SAME, Piece, plan_digest

#: The plan a group's shards ran, from the repository the merge runs in (None: not there).
PlanOf = Callable[[str, str], Checked | None]


def merge(pieces: list[Piece], plan_of: PlanOf, executed_by: str) -> list[dict[str, Any]]:
    """One TestRun document per (organization, plan, model, version) of the shard runs."""
    groups: dict[tuple[str, str, str, str], list[Piece]] = {}
    for piece in pieces:
        groups.setdefault(piece.group, []).append(piece)
    return [_one(group, plan_of, executed_by) for group in groups.values()]


def _one(group: list[Piece], plan_of: PlanOf, executed_by: str) -> dict[str, Any]:
    first = group[0]
    _same_run(group)
    org, plan_name, model, version = first.group
    plan = plan_of(org, plan_name)
    if plan is None:
        raise UsageError(
            f"{first.path}: plan {plan_name} is not in this repository",
            hint="merge in a checkout of the commit the shards ran",
        )
    if plan_digest(plan.raw.data) != first.shard["plan_sha256"]:
        raise UsageError(
            f"{first.path}: the shards ran plan {plan_name} sha256 "
            f"{first.shard['plan_sha256'][:12]}, this repository's is "
            f"{plan_digest(plan.raw.data)[:12]}",
            hint="merge in a checkout of the commit the shards ran",
        )
    order = [t.name for t in plan.model.spec.tests if t.command is not None]
    results = _results(group, order, f"{plan_name} for {model}@{version}")
    digest = hashlib.sha256("".join(sorted(p.sha256 for p in group)).encode()).hexdigest()
    run_id = f"merge-{digest[:12]}"
    return _document(group, run_id, results, executed_by)


def _same_run(group: list[Piece]) -> None:
    """Refuse shard runs that are not pieces of one run (or one piece given twice)."""
    first = group[0]
    seen: dict[int, Piece] = {}
    for piece in group:
        if piece.shard["total"] != first.shard["total"]:
            raise UsageError(
                f"{piece.path} is shard {piece.shard['index']}/{piece.shard['total']}, "
                f"{first.path} is of {first.shard['total']}",
                hint="merge the shards of one 'aigov test run --shard K/N' matrix",
            )
        twice = seen.setdefault(piece.shard["index"], piece)
        if twice is not piece:
            raise UsageError(
                f"shard {piece.shard['index']}/{piece.shard['total']} is given twice: "
                f"{twice.path} and {piece.path}",
                hint="pass each shard's run once",
            )
        for key in SAME:
            if piece.value(key) != first.value(key):
                raise UsageError(
                    f"{piece.path}: {key} is {piece.value(key)!r}, but {first.path} has "
                    f"{first.value(key)!r}",
                    hint="merge the shards of one run: same commit, plan, model and dataset",
                )


def _results(group: list[Piece], order: list[str], what: str) -> list[dict[str, Any]]:
    """Every test of the plan exactly once, in the plan's order."""
    by_test: dict[str, tuple[Piece, dict[str, Any]]] = {}
    for piece in group:
        for result in piece.spec.get("results", []):
            name = result["test_name"]
            if name in by_test:
                raise UsageError(
                    f"test {name} of {what} is in {by_test[name][0].path} and {piece.path}",
                    hint="each test runs in one shard: were these shards of one run?",
                )
            by_test[name] = (piece, result)
    unknown = sorted(set(by_test) - set(order))
    if unknown:
        raise UsageError(
            f"{by_test[unknown[0]][0].path}: test {unknown[0]} is not a test of {what}",
            hint="merge in a checkout of the commit the shards ran",
        )
    missing = [t for t in order if t not in by_test]
    if missing:
        total = group[0].shard["total"]
        given = sorted(p.shard["index"] for p in group)
        raise UsageError(
            f"{what}: no shard ran {', '.join(missing)} (shards given: "
            f"{', '.join(map(str, given))} of {total})",
            hint="pass every shard's runs; a shard that failed to start must be run again",
        )
    return [by_test[t][1] for t in order]


def _when(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def _document(
    group: list[Piece], run_id: str, results: list[dict[str, Any]], executed_by: str
) -> dict[str, Any]:
    from aigov_gate.runner.record import run_name

    first = group[0]
    statuses = {p.spec["status"] for p in group}
    status = next((s for s in ("cancelled", "failed") if s in statuses), "completed")
    spec: dict[str, Any] = {k: first.spec[k] for k in ("model", "model_version")}
    spec.update({k: first.spec[k] for k in ("dataset", "dataset_digest") if k in first.spec})
    starts = [_when(p.spec["started_at"]) for p in group if p.spec.get("started_at")]
    ends = [_when(p.spec["finished_at"]) for p in group if p.spec.get("finished_at")]
    shards = [
        {
            "index": p.shard["index"],
            "run_id": p.spec.get("parameters", {}).get("run_id"),
            "executor": p.spec.get("executor"),
            "sha256": p.sha256,
            "tests": p.shard["tests"],
        }
        for p in sorted(group, key=lambda p: int(p.shard["index"]))
    ]
    parameters = {
        "run_id": run_id,
        "plan_sha256": first.shard["plan_sha256"],
        "commit": first.shard["commit"],
        "shards_total": first.shard["total"],
        "shards": shards,
    }
    spec.update(test_plan=first.spec["test_plan"], status=status, parameters=parameters)
    if starts:
        spec["started_at"] = min(starts)
    if ends:
        spec["finished_at"] = max(ends)
    spec.update(executor=executed_by, results=results)
    metadata: dict[str, Any] = {"name": run_name(spec["model"], spec["model_version"], run_id)}
    if first.group[0]:
        metadata["organization"] = first.group[0]
    return {"apiVersion": "aigov/v1", "kind": "TestRun", "metadata": metadata, "spec": spec}


__all__ = ["PlanOf", "merge"]
