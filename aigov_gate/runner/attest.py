"""Attesting a run ``aigov test run`` made: an in-toto Statement, DSSE-signed (docs/testing.md).

Once every command has ended, each TestRun written gets ``<run>.attestation.json`` beside
it: a DSSE envelope (``evidence/dsse.py``, as the evidence bundle signs) over an in-toto
Statement v1 whose subjects are the run file and the predictions files it names that are
in the repository, and whose predicate (:data:`aigov_gate.gate.attested.PREDICATE_TYPE`)
holds what produced the numbers: the plan's digest, each test's command, exit code, the
digests of the result files read (they stay out of Git), of the predictions and of the
evaluation code the test declares, the dataset's digest, the commit and the CI job.

The signer is the keyring's active ``executor`` key (local, from ``AIGOV_EXECUTOR_KEY`` or
the private-key folder, or KMS). It is read here, after the commands ended: while they
ran, aigov held no key (issue 32's rule).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from aigov_gate.config import AigovConfig
from aigov_gate.gate.attested import PREDICATE_TYPE, STATEMENT_TYPE, attestation_path
from aigov_gate.gate.harness import in_tree
from aigov_gate.runner.run import Outcome
from aigov_gate.signoff.rules import digest

#: CI metadata recorded as the job's identity (never a token).
_CI = (
    "GITHUB_SERVER_URL",
    "GITHUB_REPOSITORY",
    "GITHUB_RUN_ID",
    "GITHUB_RUN_ATTEMPT",
    "GITHUB_WORKFLOW",
    "GITHUB_JOB",
    "GITHUB_EVENT_NAME",
    "GITHUB_REF",
    "GITHUB_ACTOR",
    "CI_SERVER_URL",
    "CI_PROJECT_PATH",
    "CI_PIPELINE_ID",
    "CI_JOB_ID",
    "CI_JOB_URL",
    "CI_PIPELINE_SOURCE",
    "CI_COMMIT_REF_NAME",
)


@dataclass(frozen=True, slots=True)
class Written:
    """One TestRun file written, with what produced it."""

    path: Path
    document: dict[str, Any]
    outcomes: list[Outcome]

    @property
    def organization(self) -> str:
        return self.outcomes[0].job.organization


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def commit(root: Path, env: Mapping[str, str]) -> str:
    """The commit tested: the CI's, else ``git rev-parse HEAD`` ('' outside Git)."""
    for name in ("GITHUB_SHA", "CI_COMMIT_SHA"):
        if env.get(name):
            return env[name]
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, check=False
        )
    except OSError:
        return ""
    return done.stdout.decode("ascii", "replace").strip() if done.returncode == 0 else ""


def ci_identity(env: Mapping[str, str], url: str) -> dict[str, str]:
    provider = "github" if env.get("GITHUB_ACTIONS") == "true" else ""
    provider = provider or ("gitlab" if env.get("GITLAB_CI") == "true" else "local")
    return {"provider": provider, "url": url, **{k: env[k] for k in _CI if env.get(k)}}


def _predictions(root: Path, outcome: Outcome) -> list[dict[str, Any]]:
    """Each predictions file a test's results name: path, sha256, and whether it is a
    subject (a file in the repository with those bytes)."""
    top = root.resolve()
    cwd = (root / (outcome.job.test.cwd or ".")).resolve()
    out = []
    for ref in outcome.predictions:
        given = str(ref.get("path", ""))
        entry = {"path": given, "sha256": str(ref.get("sha256", ""))}
        # The path as recorded, else an argument of the command with that file name
        # ('aigov metrics compute' records the file's name).
        named = [a for a in outcome.job.test.command or [] if Path(a).name == Path(given).name]
        for candidate in [given, *named]:
            path = (cwd / candidate).resolve()
            inside = path.is_relative_to(top) and path.is_file()
            if inside and _sha256(path) == entry["sha256"]:
                entry["in_repository"] = path.relative_to(top).as_posix()
                break
        out.append(entry)
    return out


def _test(root: Path, outcome: Outcome) -> dict[str, Any]:
    test = outcome.job.test
    return {
        "name": test.name,
        "command": list(test.command or []),
        "cwd": test.cwd or ".",
        "status": outcome.status,
        "exit_code": outcome.exit_code,
        "attempts": max(outcome.attempts, 1),
        "results": [{"name": name, "digest": {"sha256": sha}} for name, sha in outcome.read],
        "predictions": _predictions(root, outcome),
        "evaluation_code": [
            {"path": path, "digest": {"sha256": sha}}
            for path, sha in in_tree(root, test.evaluation_code).items()
        ],
    }


def statement(root: Path, written: Written, env: Mapping[str, str], now: datetime) -> bytes:
    """The in-toto Statement v1 of one written run, as the exact bytes to sign."""
    job = written.outcomes[0].job
    rel = written.path.resolve().relative_to(root.resolve()).as_posix()
    tests = [_test(root, o) for o in written.outcomes]
    subjects = [{"name": rel, "digest": {"sha256": _sha256(written.path)}}]
    for test in tests:
        for ref in test["predictions"]:
            name = ref.get("in_repository")
            if name and name not in {s["name"] for s in subjects}:
                subjects.append({"name": name, "digest": {"sha256": ref["sha256"]}})
    spec = written.document["spec"]
    dataset = job.dataset
    body = {
        "_type": STATEMENT_TYPE,
        "subject": subjects,
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "run": {
                "name": written.document["metadata"]["name"],
                "organization": job.organization,
                "model": job.model,
                "model_version": job.version,
                "run_id": spec["parameters"].get("run_id", ""),
            },
            "plan": {
                "name": job.plan_name,
                "path": job.plan.raw.source.path,
                "digest": {"sha256": digest(job.plan.raw.data)},
            },
            "dataset": {
                "name": dataset.model.metadata.name if dataset is not None else None,
                "digest": spec.get("dataset_digest"),
            },
            "tests": tests,
            "commit": commit(root, env),
            "ci": ci_identity(env, str(spec.get("executor", ""))),
            "attested_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    }
    return json.dumps(body, indent=2, sort_keys=True).encode("utf-8") + b"\n"


def signer(root: Path, config: AigovConfig, organization: str) -> Any:
    """The active executor key's signer (read now: the commands have ended)."""
    from aigov_gate.evidence.keyring import Keyring
    from aigov_gate.evidence.sealing import keyring_dir, signer_for

    keyring = Keyring.load(keyring_dir(root, config))
    return signer_for(config, keyring, organization, "executor")[0]


def not_ready(root: Path, config: AigovConfig, organization: str) -> str | None:
    """Why runs of ``organization`` cannot be attested (None: they can). Looks for the
    executor key's private half (the variable set, or the file there) without reading it:
    the commands have not run yet."""
    from aigov_gate.evidence.keyring import Keyring
    from aigov_gate.evidence.keys import EXECUTOR_KEY_ENV, private_dir
    from aigov_gate.evidence.sealing import keyring_dir

    keyring = Keyring.load(keyring_dir(root, config), missing_ok=True)
    entry = keyring.active(organization, "executor")
    if entry is None:
        return f"no active executor key for {organization} in {config.keys.dir}"
    if entry.provider != "local" or os.environ.get(EXECUTOR_KEY_ENV):
        return None
    path = private_dir(config.keys) / f"{entry.id}.pem"
    if not path.is_file():
        return (
            f"the private half of {organization}'s executor key {entry.id[:16]} is not here "
            f"(neither {EXECUTOR_KEY_ENV} nor {path})"
        )
    return None


def attest(written: Written, payload: bytes, sign: Any) -> Path:
    """Write the envelope beside the run (never over an existing file)."""
    from aigov_gate.evidence import dsse

    envelope = dsse.sign(payload, sign)
    path = attestation_path(written.path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(envelope)
    return path


__all__ = ["Written", "attest", "ci_identity", "commit", "not_ready", "signer", "statement"]
