"""``aigov test run`` as a function: which tests to run, running them, what came back.

A *job* is one test of one plan for one model version. Jobs run at most ``jobs`` at a
time (threads that each watch one process: the work is in the processes). Each attempt
gets its own folder with ``stdout.log``, ``stderr.log`` and the result file, and these
variables: ``AIGOV_RESULT_FILE``, ``AIGOV_OUTPUT_DIR``, ``AIGOV_TEST_NAME``,
``AIGOV_TEST_PLAN``, ``AIGOV_MODEL``, ``AIGOV_MODEL_VERSION``, ``AIGOV_DATASET``,
``AIGOV_DATASET_DIGEST``, ``AIGOV_RUN_ID``. Of aigov's own environment a command gets
only an allowlist (PATH, HOME, LANG, TMPDIR, the CI job's metadata) and the test's
``pass_env`` names *as the base has them* (``--base``); it runs where it cannot read
aigov's or the CI runner's processes (``isolation.py``).
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from aigov_gate.config import AigovConfig
from aigov_gate.documents.assets import Dataset
from aigov_gate.documents.testing import TestPlan, TestSpecItem
from aigov_gate.errors import UsageError
from aigov_gate.references import Checked
from aigov_gate.runner import process
from aigov_gate.runner.formats import FORMATS, Metric, bindings, find_results
from aigov_gate.runner.isolation import allowed_env

_STDERR_TAIL = 2000


@dataclass(frozen=True, slots=True)
class Job:
    plan: Checked
    test: TestSpecItem
    model: str
    version: str
    organization: str
    dataset: Checked | None = None

    @property
    def plan_name(self) -> str:
        return self.plan.model.metadata.name

    @property
    def label(self) -> str:
        return f"{self.plan_name}/{self.test.name} for {self.model}@{self.version}"

    @property
    def group(self) -> tuple[str, str, str, str]:
        """The TestRun this job's result goes into."""
        return (self.organization, self.plan_name, self.model, self.version)


@dataclass(slots=True)
class Outcome:
    job: Job
    status: str  # passed | failed | timeout | cancelled | error
    metrics: list[Metric] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    exit_code: int | None = None
    duration: float = 0.0
    attempts: int = 0
    error: str = ""
    stderr_tail: str = ""
    predictions: list[dict[str, object]] = field(default_factory=list)
    #: ``(name, sha256)`` of each result file read (attested; the files stay out of Git).
    read: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "passed"


@dataclass(frozen=True, slots=True)
class Settings:
    root: Path
    out: Path
    jobs: int
    timeout: float | None  # --timeout: overrides every test's
    config: AigovConfig
    env: Mapping[str, str]
    run_id: str
    #: Before each command's argv: the isolation's (``unshare ...``), or nothing.
    prefix: tuple[str, ...] = ()
    #: ``pass_env`` by (organization, plan, test) as the base has it; None: the working tree's.
    passes: Mapping[tuple[str, str, str], tuple[str, ...]] | None = None
    #: The user commands run as when not aigov's (isolation "user"): owns each attempt's
    #: folder, which is also its HOME.
    owner: int | None = None


def secret_names(config: AigovConfig, subscriptions_env: list[str]) -> set[str]:
    """Variables the config names for secrets (tokens, webhook secrets, evidence keys)."""
    from aigov_gate.evidence.keys import ENCRYPTION_KEY_ENV, EXECUTOR_KEY_ENV, SIGNING_KEY_ENV
    from aigov_gate.signoff.context import SERVICES

    names = {name for service in SERVICES.values() for name in service.token_vars}
    if config.signoff.token_env:
        names.add(config.signoff.token_env)
    return names | set(subscriptions_env) | {SIGNING_KEY_ENV, ENCRYPTION_KEY_ENV, EXECUTOR_KEY_ENV}


def passed_names(job: Job, settings: Settings) -> tuple[str, ...]:
    """The test's ``pass_env``: the base's for this test with ``--base`` (none when the
    base has no such test), else the working tree's."""
    if settings.passes is None:
        return tuple(job.test.pass_env)
    return settings.passes.get((job.plan.organization, job.plan_name, job.test.name), ())


def child_env(job: Job, settings: Settings, own: Mapping[str, str]) -> dict[str, str]:
    """The allowlist of aigov's environment, the ``pass_env`` names, the test's ``env``,
    then ``own`` (aigov's variables for the attempt)."""
    return allowed_env(settings.env, passed_names(job, settings), {**job.test.env, **own})


def _inside(root: Path, rel: str | None, what: str) -> Path:
    if rel is None:
        return root
    path = (root / rel).resolve()
    if not path.is_relative_to(root.resolve()):
        raise UsageError(f"{what} {rel} leaves the repository", hint="use a path inside it")
    return path


def _attempt_dir(settings: Settings, job: Job, attempt: int) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{job.model}-{job.version}-{job.plan_name}")
    test = re.sub(r"[^A-Za-z0-9._-]+", "-", job.test.name)
    return settings.out / safe / f"{test}-{attempt}"


def _variables(settings: Settings, job: Job, out_dir: Path) -> dict[str, str]:
    dataset = job.dataset.model if job.dataset is not None else None
    digest = dataset.spec.digest if isinstance(dataset, Dataset) and dataset.spec.digest else ""
    return {
        "AIGOV_RESULT_FILE": str(out_dir / "result.jsonl"),
        "AIGOV_OUTPUT_DIR": str(out_dir),
        "AIGOV_TEST_NAME": job.test.name,
        "AIGOV_TEST_PLAN": job.plan_name,
        "AIGOV_MODEL": job.model,
        "AIGOV_MODEL_VERSION": job.version,
        "AIGOV_DATASET": dataset.metadata.name if dataset is not None else "",
        "AIGOV_DATASET_DIGEST": str(digest),
        "AIGOV_RUN_ID": settings.run_id,
    }


def argv(command: list[str]) -> tuple[str, ...]:
    """The command; ``aigov`` as its first word is this aigov (the same installation)."""
    if command[0] == "aigov":
        return (sys.executable, "-m", "aigov_gate", *command[1:])
    return tuple(command)


def run_one(job: Job, settings: Settings, cancel: threading.Event) -> Outcome:
    test = job.test
    assert test.command is not None
    cwd = _inside(settings.root, test.cwd, "cwd")
    limits = settings.config.testing
    timeout = settings.timeout or test.timeout or limits.timeout
    outcome = Outcome(job, "error")
    for attempt in range(1, test.retries + 2):
        out_dir = _attempt_dir(settings, job, attempt)
        result_file = out_dir / "result.jsonl"
        env = child_env(job, settings, _variables(settings, job, out_dir))
        if settings.owner is not None:
            env["HOME"] = str(out_dir)
        command = process.Command(
            (*settings.prefix, *argv(test.command)),
            cwd,
            env,
            timeout,
            limits.kill_grace,
            limits.max_output_bytes,
            out_dir,
            (result_file,),
            settings.owner,
        )
        ended = process.run(command, cancel)
        outcome = _outcome(job, ended, attempt, out_dir, cwd, settings)
        if outcome.ok or outcome.status == "cancelled" or cancel.is_set():
            break
    return outcome


def _outcome(
    job: Job, ended: process.Ended, attempt: int, out_dir: Path, cwd: Path, settings: Settings
) -> Outcome:
    test = job.test
    reader, _ = FORMATS[test.format]
    given = _inside(cwd, test.results, "results") if test.results else None
    metrics: list[Metric] = []
    problems: list[str] = []
    predictions: list[dict[str, object]] = []
    read: list[tuple[str, str]] = []
    files = find_results(test.format, out_dir, given)
    for path in files:
        shown = path.name if path.is_relative_to(out_dir) else str(path)
        if path.stat().st_size > settings.config.testing.max_output_bytes:
            problems.append(f"{shown}: larger than testing.max_output_bytes")
            continue
        data = path.read_bytes()
        read.append((shown, hashlib.sha256(data).hexdigest()))
        text = data.decode("utf-8", errors="replace")
        found, bad = reader(text, f"{test.name}: {shown}")
        metrics.extend(found)
        problems.extend(bad)
        if test.format == "jsonl":
            predictions.extend(bindings(text))
    if not files and ended.reason != "start":
        problems.append(f"{test.name}: no results ({_expected(test.format)})")
    status = {"timeout": "timeout", "cancelled": "cancelled", "start": "error"}.get(ended.reason)
    if status is None:
        status = "passed" if ended.ok and not problems else "failed"
    error = ended.detail
    if not error and ended.exit_code not in (0, None):
        error = f"exited with code {ended.exit_code}"
    if not error and problems:
        error = problems[0]
    return Outcome(
        job,
        status,
        metrics,
        problems,
        ended.exit_code,
        round(ended.duration, 3),
        attempt,
        error,
        _tail(out_dir / "stderr.log"),
        predictions,
        read,
    )


def _expected(fmt: str) -> str:
    if fmt == "jsonl":
        return "nothing was written to AIGOV_RESULT_FILE"
    return f"no {fmt} file ({FORMATS[fmt][1]}) in AIGOV_OUTPUT_DIR or at 'results'"


def _tail(path: Path) -> str:
    try:
        with path.open("rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - _STDERR_TAIL))
            return f.read().decode("utf-8", "replace").strip()
    except OSError:
        return ""


Progress = Callable[
    [str, Outcome | None, int, int, int], None
]  # event, outcome, done, running, failed


#: What ``.aigov/test-runs/.gitignore`` says: everything here stays out of Git.
GITIGNORE = (
    "# Written by aigov test run: raw logs (stdout.log, stderr.log) and result files are\n"
    "# not masked, so none of them is ever committed (docs/testing.md).\n*\n"
)


def keep_out_of_git(root: Path, out: Path) -> None:
    """Raw logs under ``.aigov/test-runs/`` are kept out of Git: the folder gets a
    ``.gitignore`` that ignores everything in it, itself included. (The TestRun documents
    a run writes, with their PII-masked ``stderr_tail``, go elsewhere.)"""
    runs = root / ".aigov" / "test-runs"
    if out.is_relative_to(runs.absolute()) or out.is_relative_to(runs):
        runs.mkdir(parents=True, exist_ok=True)
        ignore = runs / ".gitignore"
        if not ignore.exists():
            ignore.write_text(GITIGNORE, encoding="utf-8")


def run_all(jobs: list[Job], settings: Settings, progress: Progress) -> tuple[list[Outcome], bool]:
    """Every job's outcome (in job order), and whether the run was cancelled (Ctrl-C).

    Ctrl-C only sets the cancel event (a signal handler, not KeyboardInterrupt): however
    the interrupt falls, while waiting or while printing progress, the running tests are
    stopped, the waiting ones cancelled, and every outcome is returned.
    """
    keep_out_of_git(settings.root, settings.out)
    cancel = threading.Event()
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.set()) if main else None
    try:
        return _run_all(jobs, settings, progress, cancel), cancel.is_set()
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _run_all(
    jobs: list[Job],
    settings: Settings,
    progress: Progress,
    cancel: threading.Event,
) -> list[Outcome]:
    results: dict[int, Outcome] = {}
    failed = 0
    with ThreadPoolExecutor(max_workers=settings.jobs, thread_name_prefix="aigov-test") as pool:
        futures: dict[Future[Outcome], int] = {
            pool.submit(run_one, job, settings, cancel): i for i, job in enumerate(jobs)
        }
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            if cancel.is_set():
                for future in pending:
                    future.cancel()
            for future in done:
                i = futures[future]
                if future.cancelled():
                    results[i] = Outcome(jobs[i], "cancelled", error="cancelled before it started")
                    continue
                results[i] = future.result()
                failed += not results[i].ok
                progress("done", results[i], len(results), _running(pending), failed)
            if not done:
                progress("tick", None, len(results), _running(pending), failed)
    return [results[i] for i in range(len(jobs))]


def _running(pending: set[Future[Outcome]]) -> int:
    return sum(1 for f in pending if f.running())


def new_run_id(now: datetime | None = None) -> str:
    import secrets as random

    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dt%H%M%Sz")
    return f"{stamp}-{random.token_hex(2)}"


def plans_of(graph_plans: list[Checked], names: tuple[str, ...]) -> list[Checked]:
    """The TestPlans named on the command line (all when none), with did-you-mean."""
    import difflib

    plans = [p for p in graph_plans if isinstance(p.model, TestPlan)]
    if not names:
        return plans
    known = sorted({p.model.metadata.name for p in plans})
    out = []
    for name in names:
        found = [p for p in plans if p.model.metadata.name == name]
        if not found:
            close = difflib.get_close_matches(name, known, n=1)
            did = f"did you mean '{close[0]}'? " if close else ""
            raise UsageError(
                f"no TestPlan named '{name}'", hint=f"{did}plans: {', '.join(known) or 'none'}"
            )
        out.extend(found)
    return out


__all__ = [
    "Job",
    "Outcome",
    "Settings",
    "child_env",
    "new_run_id",
    "passed_names",
    "plans_of",
    "run_all",
    "secret_names",
]
