"""``aigov test merge``: the shards of one test run ('aigov test run --shard K/N') made into
the TestRuns one job would have written (docs/testing.md, "Shards")."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from aigov_gate.cli.context import config_option, repo_option
from aigov_gate.cli.output import decided, say

if TYPE_CHECKING:
    from aigov_gate.references import Checked


@click.command("merge")
@click.argument("shard_runs", nargs=-1, required=True, type=click.Path(path_type=Path))
@repo_option
@config_option
def merge_command(
    shard_runs: tuple[Path, ...], repo: Path | None, config_path: Path | None
) -> None:
    """One TestRun per plan and model version from SHARD_RUNS ('aigov test run --shard K/N').

    SHARD_RUNS are the shards' TestRun files, or their -o folders (the *.yaml in them).

    Every shard must have run the same plan (digest, and this repository's plan), commit,
    model version and dataset; no shard may be given twice; every test of the plan must be
    in exactly one shard. The TestRuns go to testing.runs_dir, ready for 'aigov gate', and
    name each shard's file by its SHA-256.

    Exit codes: 0 every test passed, 1 a test failed or was cancelled, 2 usage.
    """
    from aigov_gate.cli.context import find_repo
    from aigov_gate.config import find_config, load_config
    from aigov_gate.errors import UsageError
    from aigov_gate.graph import Graph
    from aigov_gate.runner import merging, record, shards
    from aigov_gate.validation import validate_repo

    root = find_repo(repo)
    config = load_config(config_path or find_config(root))
    graph = Graph(validate_repo(root, config).documents)
    plans = graph.by_kind.get("TestPlan", [])

    def plan_of(org: str, name: str) -> Checked | None:
        same = (p for p in plans if (p.model.metadata.organization or "") == org)
        return next((p for p in same if p.model.metadata.name == name), None)

    files = [f for p in shard_runs for f in (sorted(p.glob("*.yaml")) if p.is_dir() else [p])]
    if not files:
        raise UsageError("no shard run in the folders given", hint="pass the shards' -o folders")
    docs = merging.merge([shards.read(p) for p in files], plan_of, record.executor(os.environ))
    folder = record.runs_dir(root, config)
    for doc in docs:
        if (folder / f"{doc['metadata']['name']}.yaml").exists():
            raise UsageError(
                f"{folder / doc['metadata']['name']}.yaml exists: these shards were merged before",
                hint="nothing to do; delete it to merge again",
            )
    for doc in docs:
        spec = doc["spec"]
        path = record.write(folder, doc["metadata"]["name"], doc, spec["parameters"]["run_id"])
        shown = path.relative_to(root.resolve()) if path.is_relative_to(root.resolve()) else path
        say(f"wrote {shown} ({spec['status']}, {len(spec['parameters']['shards'])} shard(s))")
    decided(all(d["spec"]["status"] == "completed" for d in docs))
