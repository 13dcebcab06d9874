"""``aigov test run``: run the test plans' commands and write the TestRuns (docs/testing.md)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from aigov_gate.cli.context import config_option, repo_option
from aigov_gate.cli.output import decided, say

if TYPE_CHECKING:
    from aigov_gate.config import AigovConfig
    from aigov_gate.graph import Graph
    from aigov_gate.runner.attest import Written
    from aigov_gate.runner.run import Job, Outcome, Settings


@click.group("test")
def test_group() -> None:
    """Run test plans and record what they measured."""


@test_group.command("run")
@click.argument("plans", nargs=-1, metavar="[PLAN]...")
@click.option("--model", "-m", metavar="NAME[@VERSION]", help="Only this model (version).")
@click.option("--dataset", "-d", metavar="NAME", help="The Dataset evaluated (AIGOV_DATASET).")
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1, max=256),
    help="Tests at once (default: testing.max_concurrent / AIGOV_MAX_CONCURRENT_TESTS, 5, "
    "at most the CPU count).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds per test, overriding every test's own.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for logs and result files (default: .aigov/test-runs/RUN_ID).",
)
@click.option("--dry-run", is_flag=True, help="Say what would run; run nothing, write nothing.")
@click.option(
    "--base",
    metavar="REF",
    help="Take each test's pass_env from REF (the branch the change goes into), not the change.",
)
@click.option(
    "--isolation",
    type=click.Choice(["auto", "namespace", "none"]),
    default="auto",
    show_default=True,
    help="Where commands run: their own user+PID namespace (Linux); auto refuses to run "
    "next to a secret it cannot isolate them from (docs/testing.md).",
)
@click.option(
    "--attest",
    type=click.Choice(["auto", "require", "off"]),
    default="auto",
    show_default=True,
    help="Sign each run written with the keyring's executor key, once the commands ended "
    "(<run>.attestation.json); auto: when the keyring has one; require: exit 2 without one.",
)
@repo_option
@config_option
@click.pass_context
def run_command(
    ctx: click.Context,
    plans: tuple[str, ...],
    model: str | None,
    dataset: str | None,
    jobs: int | None,
    timeout: float | None,
    out: Path | None,
    dry_run: bool,
    base: str | None,
    isolation: str,
    attest: str,
    repo: Path | None,
    config_path: Path | None,
) -> None:
    """Run each test of each PLAN (default: all) for each model it applies to.

    Each test's command runs in its own process group, at most --jobs at once, with a
    timeout; its results come back in AIGOV_RESULT_FILE (or a JUnit, lm-eval or AI Verify
    file). One TestRun per plan and model version is written under testing.runs_dir,
    ready for 'aigov gate', and attested with the executor key (docs/testing.md).

    Exit codes: 0 every test ran and reported, 1 a test failed, timed out or reported
    bad results, 2 usage, 130 cancelled (Ctrl-C; the TestRun is still written).
    """
    from aigov_gate.cli.context import find_repo
    from aigov_gate.cli.output import use_config
    from aigov_gate.config import find_config, load_config
    from aigov_gate.graph import Graph
    from aigov_gate.runner import select
    from aigov_gate.runner.run import new_run_id, plans_of, run_all
    from aigov_gate.validation import validate_repo

    root = find_repo(repo)
    config = load_config(config_path or find_config(root))
    mask = use_config(config)
    validation = validate_repo(root, config)
    graph = Graph(validation.documents)
    chosen = plans_of(graph.by_kind.get("TestPlan", []), plans)
    todo, skipped = select(graph, chosen, model, dataset)
    width = jobs or min(config.testing.max_concurrent, os.cpu_count() or 1)
    run_id = new_run_id()
    if validation.findings:
        count = len(validation.findings)
        say(f"note: {count} validation finding(s); 'aigov validate' lists them", err=True)
    for line in skipped:
        say(f"skipped  {line}")
    if dry_run:
        _dry(todo, root, config.testing.timeout, timeout, width)
        decided(True)
    if not todo:
        say("nothing to run: no test with a 'command' applies (docs/testing.md)")
        decided(True)
    signing = _attesting(root, config, todo, attest)
    where = (out or root / ".aigov" / "test-runs" / run_id).absolute()
    settings = _settings(root, config, graph, (where, width, timeout, run_id), base, isolation)
    started = datetime.now(UTC)
    clock = time.monotonic()
    live = _Live(len(todo), clock, sys.stdout.isatty())
    outcomes, cancelled = run_all(todo, settings, live)
    finished = datetime.now(UTC)
    live.close()
    written = _write_runs(
        root, config, outcomes, cancelled, (started, finished, run_id, width), mask
    )
    if signing:
        _attest(root, config, written, finished)
    say(f"logs: {settings.out}")
    decided(all(o.ok for o in outcomes), cancelled=cancelled)


def _write_runs(
    root: Path,
    config: AigovConfig,
    outcomes: list[Outcome],
    cancelled: bool,
    run: tuple[datetime, datetime, str, int],
    mask: Callable[[str], str],
) -> list[Written]:
    """One TestRun per plan and model version, each never over an existing file."""
    from aigov_gate.runner import record
    from aigov_gate.runner.attest import Written

    started, finished, run_id, width = run
    folder = record.runs_dir(root, config)
    groups: dict[tuple[str, str, str, str], list[Outcome]] = {}
    for outcome in outcomes:
        groups.setdefault(outcome.job.group, []).append(outcome)
    written = []
    for outs in groups.values():
        status = record.status_of(outs, cancelled)
        job = outs[0].job
        name = record.run_name(job.model, job.version, run_id)
        parameters = {"run_id": run_id, "jobs": width}
        doc = record.document(
            name, outs, status, (started, finished), parameters, record.executor(os.environ), mask
        )
        path = record.write(folder, name, doc, run_id)
        say(f"wrote {path.relative_to(root.resolve())} ({status})")
        written.append(Written(path, doc, outs))
    return written


def _attesting(root: Path, config: AigovConfig, todo: list[Job], mode: str) -> bool:
    """Whether the runs will be attested: checked before anything runs, the key not read."""
    from aigov_gate.errors import UsageError
    from aigov_gate.runner.attest import not_ready

    if mode == "off":
        return False
    organizations = sorted({job.organization for job in todo})
    reasons = [why for org in organizations if (why := not_ready(root, config, org))]
    if not reasons:
        return True
    if mode == "require":
        raise UsageError(
            f"--attest require: {'; '.join(reasons)}",
            hint="create a key with 'aigov keys generate --purpose executor', or give the "
            "job its private half (AIGOV_EXECUTOR_KEY; docs/ci.md)",
        )
    say(
        f"note: the runs will not be attested: {'; '.join(reasons)}; the gate counts them "
        "as claimed (docs/testing.md)",
        err=True,
    )
    return False


def _attest(root: Path, config: AigovConfig, written: list[Written], now: datetime) -> None:
    """Sign each run written; the executor key is read only now, the commands have ended."""
    from aigov_gate.runner.attest import attest, signer, statement

    signers = {}
    for item in written:
        org = item.outcomes[0].job.organization
        if org not in signers:
            signers[org] = signer(root, config, org)
        path = attest(item, statement(root, item, os.environ, now), signers[org])
        say(f"attested {path.relative_to(root.resolve())}")


def _settings(
    root: Path,
    config: AigovConfig,
    graph: Graph,
    run: tuple[Path, int, float | None, str],
    base: str | None,
    isolation: str,
) -> Settings:
    """The run's settings: where, how wide, the base's pass_env, the isolation chosen."""
    from aigov_gate.runner.isolation import choose
    from aigov_gate.runner.run import Settings, secret_names

    passes = None
    if base is not None:
        from aigov_gate import git
        from aigov_gate.documents.testing import TestPlan

        plans = git.base_documents(root, base, config, ("TestPlan",))
        passes = {
            (doc.organization, doc.model.metadata.name, test.name): tuple(test.pass_env)
            for doc in plans
            if isinstance(doc.model, TestPlan)
            for test in doc.model.spec.tests
        }
    elif os.environ.get("GITHUB_ACTIONS") == "true" or os.environ.get("GITLAB_CI") == "true":
        say("note: no --base: pass_env comes from the working tree (the change)", err=True)
    subscriptions = [s.secret_env for s in graph.subscriptions() if s.secret_env]
    chosen = choose(isolation, os.environ, secret_names(config, subscriptions))
    say(f"isolation: {chosen.why}", err=True)
    out, width, timeout, run_id = run
    return Settings(
        root, out, width, timeout, config, os.environ, run_id, chosen.prefix, passes, chosen.owner
    )


class _Live:
    """Progress: a line per finished test; on a TTY also a status line kept up to date."""

    def __init__(self, total: int, start: float, tty: bool) -> None:
        self.total, self.start, self.tty = total, start, tty
        self.shown = False

    def __call__(
        self, event: str, outcome: Outcome | None, done: int, running: int, failed: int
    ) -> None:
        if self.tty and self.shown:
            say("\r\x1b[2K", nl=False)
            self.shown = False
        if outcome is not None:
            say(_line(outcome))
        if self.tty:
            elapsed = time.monotonic() - self.start
            status = (
                f"tests: {done}/{self.total} done, {running} running, {failed} failed, "
                f"{elapsed:.1f} s"
            )
            say(status, nl=False)
            self.shown = True

    def close(self) -> None:
        if self.tty and self.shown:
            say("\r\x1b[2K", nl=False)


def _line(outcome: Outcome) -> str:
    mark = {"passed": "ok"}.get(outcome.status, outcome.status.upper())
    took = f"{outcome.duration:.1f} s, {len(outcome.metrics)} metric(s)"
    text = f"{mark:<9} {outcome.job.label}  ({took})"
    if outcome.error:
        text += f": {outcome.error}"
    extra = [p for p in outcome.problems if p != outcome.error]
    return "\n".join([text, *(f"          {p}" for p in extra)])


def _dry(todo: list[Job], root: Path, default: float, override: float | None, width: int) -> None:
    say(f"would run {len(todo)} test(s), {width} at a time:")
    for job in todo:
        test = job.test
        assert test.command is not None
        seconds = override or test.timeout or default
        cwd = test.cwd or "."
        say(f"  {job.label}: {' '.join(test.command)}  (cwd {cwd}, timeout {seconds:g} s)")
