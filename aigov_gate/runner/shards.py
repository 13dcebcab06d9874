"""CI-matrix shards of one test run: ``aigov test run --shard K/N`` and ``aigov test merge``.

**Sharing.** Every job of the run (one test of one plan for one model version) is sorted by
(organization, plan, model, version, test); shard K of N takes the K-th job and every N-th
after it. Every shard computes the same list from the same commit, so the shares are
disjoint and cover the run. A shard writes its TestRuns into its own ``--out`` folder, not
``testing.runs_dir``: a run of some of a plan's tests must never reach the gate. Each holds
``parameters.shard``: ``index``, ``total``, the plan's digest, the commit, its tests.

**Merging.** :func:`merge` groups shard runs by (organization, plan, model, version) and
makes one TestRun of each group, refusing (exit 2) shard runs that are not one run cut in
pieces: a different plan digest (or a plan that changed since), commit, model version,
dataset or dataset digest; a shard given twice; a test in two shards, or in none; a test
the plan does not have; a shard whose results are not the tests it says it ran. The merged
run records what it was made from: each shard's index, run id, executor and the SHA-256 of
its file, so a reviewer (and, with attested runs, a verifier) can match it to the shards'
own records.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aigov_gate.errors import UsageError
from aigov_gate.runner.run import Job

MAX_BYTES = 16 << 20
SAME = ("plan_sha256", "commit", "dataset", "dataset_digest")


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    total: int

    def __str__(self) -> str:
        return f"{self.index}/{self.total}"


def parse(text: str) -> Shard:
    """``K/N`` with 1 <= K <= N."""
    k, sep, n = text.partition("/")
    if not sep or not k.strip().isdigit() or not n.strip().isdigit():
        raise UsageError(f"--shard {text}: expected K/N, e.g. 2/4", hint="K counts from 1")
    shard = Shard(int(k), int(n))
    if not 1 <= shard.index <= shard.total <= 1024:
        raise UsageError(f"--shard {text}: K must be 1..N (N at most 1024)", hint="e.g. 1/4")
    return shard


def share(jobs: list[Job], shard: Shard) -> list[Job]:
    """This shard's jobs: the K-th of the sorted jobs and every N-th after it."""
    ordered = sorted(
        jobs, key=lambda j: (j.organization, j.plan_name, j.model, j.version, j.test.name)
    )
    return ordered[shard.index - 1 :: shard.total]


def plan_digest(data: dict[str, Any]) -> str:
    """The plan document's SHA-256: its canonical JSON (as ``metrics --partial`` binds it)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def stamp(shard: Shard, job: Job, tests: list[str], commit: str | None) -> dict[str, Any]:
    """``parameters.shard`` of one shard's TestRun."""
    return {
        "index": shard.index,
        "total": shard.total,
        "plan_sha256": plan_digest(job.plan.raw.data),
        "commit": commit,
        "tests": tests,
    }


@dataclass(frozen=True)
class Piece:
    """One shard run, read and checked."""

    path: Path
    sha256: str
    doc: dict[str, Any]
    shard: dict[str, Any]

    @property
    def spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = self.doc["spec"]
        return spec

    @property
    def group(self) -> tuple[str, str, str, str]:
        org = str(self.doc.get("metadata", {}).get("organization") or "")
        s = self.spec
        return (org, str(s.get("test_plan")), str(s["model"]), str(s["model_version"]))

    def value(self, key: str) -> Any:
        return self.shard[key] if key in ("plan_sha256", "commit") else self.spec.get(key)


def read(path: Path) -> Piece:
    """A shard run file: one TestRun document with ``parameters.shard``, checked."""
    from aigov_gate.loading.safe_yaml import Limits, decode, parse_text

    if not path.is_file():
        raise UsageError(f"{path}: no such file", hint="pass the shards' TestRun files")
    data = path.read_bytes()
    if len(data) > MAX_BYTES:
        raise UsageError(f"{path}: over {MAX_BYTES} bytes", hint="is this a TestRun?")
    text, problem = decode(data)
    parsed = parse_text(text, Limits()) if text is not None else None
    problem = problem or (parsed.problems[0] if parsed and parsed.problems else None)
    if problem is not None or parsed is None:
        where = f"{path}:{problem.line}:{problem.column}" if problem else str(path)
        raise UsageError(f"{where}: {problem.message if problem else 'unreadable'}")
    if len(parsed.documents) != 1 or not isinstance(parsed.documents[0], dict):
        raise UsageError(f"{path}: not one TestRun document", hint="pass shard TestRun files")
    doc = parsed.documents[0]
    _validate(path, doc)
    shard = doc["spec"].get("parameters", {}).get("shard")
    if not isinstance(shard, dict):
        raise UsageError(
            f"{path}: not a shard run (no parameters.shard)",
            hint="merge the TestRuns of 'aigov test run --shard K/N'",
        )
    _check_stamp(path, shard, doc["spec"])
    return Piece(path, hashlib.sha256(data).hexdigest(), doc, shard)


def _validate(path: Path, doc: dict[str, Any]) -> None:
    from pydantic import ValidationError

    from aigov_gate.documents.testing import TestRun

    try:
        TestRun.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UsageError(
            f"{path}: not a valid TestRun: {where}: {first['msg']}", hint="pass shard runs"
        ) from None


def _check_stamp(path: Path, shard: dict[str, Any], spec: dict[str, Any]) -> None:
    index, total, tests = shard.get("index"), shard.get("total"), shard.get("tests")
    ok = isinstance(index, int) and isinstance(total, int) and 1 <= index <= total
    ok = ok and isinstance(tests, list) and all(isinstance(t, str) for t in tests)
    ok = ok and isinstance(shard.get("plan_sha256"), str)
    if not ok:
        raise UsageError(f"{path}: parameters.shard is malformed", hint="pass shard runs")
    ran = [r["test_name"] for r in spec.get("results", [])]
    assert isinstance(tests, list)
    if sorted(ran) != sorted(tests) or len(set(ran)) != len(ran):
        raise UsageError(
            f"{path}: shard {index}/{total} says it ran {', '.join(sorted(tests)) or 'nothing'}, "
            f"its results are of {', '.join(sorted(ran)) or 'nothing'}",
            hint="pass the shard runs as 'aigov test run --shard' wrote them",
        )


__all__ = ["Piece", "Shard", "parse", "plan_digest", "read", "share", "stamp"]
