"""The TestRun ``aigov test run`` writes: a normal document the gate reads at once.

One TestRun per plan and model version, named ``MODEL-VERSION-run-RUNID``, written under
``testing.runs_dir`` (default: the first of ``paths``, then ``runs/``) and never over an
existing file. ``executor`` is the CI job's URL (GitHub Actions, GitLab CI), else the
host. stderr tails are PII-masked like every other output.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from aigov_gate.config import AigovConfig
from aigov_gate.errors import UsageError
from aigov_gate.runner.run import Outcome


def executor(env: Mapping[str, str]) -> str:
    if env.get("GITHUB_RUN_ID") and env.get("GITHUB_REPOSITORY"):
        server = env.get("GITHUB_SERVER_URL", "https://github.com")
        return f"{server}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
    if env.get("CI_JOB_URL"):
        return env["CI_JOB_URL"]
    return f"aigov test run on {socket.gethostname()}"


def runs_dir(root: Path, config: AigovConfig) -> Path:
    rel = config.testing.runs_dir or str(Path(config.paths[0]) / "runs")
    path = (root / rel).resolve()
    if not path.is_relative_to(root.resolve()):
        raise UsageError(f"testing.runs_dir {rel} leaves the repository", hint="fix .aigov.yaml")
    return path


def status_of(outcomes: list[Outcome], cancelled: bool) -> str:
    if cancelled or any(o.status == "cancelled" for o in outcomes):
        return "cancelled"
    return "completed" if all(o.ok for o in outcomes) else "failed"


def document(
    name: str,
    outcomes: list[Outcome],
    status: str,
    times: tuple[datetime, datetime],
    parameters: dict[str, Any],
    executed_by: str,
    mask: Callable[[str], str],
) -> dict[str, Any]:
    job = outcomes[0].job
    spec: dict[str, Any] = {
        "model": job.model,
        "model_version": job.version,
    }
    if job.dataset is not None:
        spec["dataset"] = job.dataset.model.metadata.name
        digest = getattr(job.dataset.model.spec, "digest", None)
        if digest:
            spec["dataset_digest"] = str(digest)
    spec.update(
        test_plan=job.plan_name,
        status=status,
        parameters=parameters,
        started_at=_z(times[0]),
        finished_at=_z(times[1]),
        executor=executed_by,
        results=[_result(o, mask) for o in outcomes],
    )
    metadata: dict[str, Any] = {"name": name}
    if job.plan.model.metadata.organization:
        metadata["organization"] = job.organization
    return {"apiVersion": "aigov/v1", "kind": "TestRun", "metadata": metadata, "spec": spec}


def _z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _result(outcome: Outcome, mask: Callable[[str], str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "test_name": outcome.job.test.name,
        "metrics": outcome.metrics,
        "exit_code": outcome.exit_code,
        "duration_seconds": outcome.duration,
        "attempts": max(outcome.attempts, 1),
    }
    if outcome.predictions:
        out["predictions"] = outcome.predictions[-1]
    if outcome.error:
        out["error"] = mask(outcome.error)
    if outcome.stderr_tail:
        out["stderr_tail"] = mask(outcome.stderr_tail)
    return out


def run_name(model: str, version: str, run_id: str) -> str:
    raw = f"{model}-{version}-run-{run_id}".lower()
    name = re.sub(r"[^a-z0-9._-]+", "-", raw).strip("-._")
    return name[:128].rstrip("-._")


def write(folder: Path, name: str, doc: dict[str, Any], run_id: str) -> Path:
    """Write ``doc`` as ``folder/name.yaml``; never over an existing file."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    header = f"# Written by aigov test run {run_id}.\n"
    text = header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    return path


__all__ = ["document", "executor", "run_name", "runs_dir", "status_of", "write"]
