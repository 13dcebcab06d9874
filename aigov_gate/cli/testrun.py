"""``aigov test run``: run the test plans' commands and write the TestRuns (docs/testing.md)."""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from aigov_gate.cli.context import config_option, repo_option
from aigov_gate.cli.conventions import force_option, output_option
from aigov_gate.cli.output import decided, say
from aigov_gate.cli.testmerge import merge_command

if TYPE_CHECKING:
    from aigov_gate.config import AigovConfig
    from aigov_gate.graph import Graph
    from aigov_gate.runner.attest import Written
    from aigov_gate.runner.run import Job, Outcome, Settings
    from aigov_gate.runner.shards import Shard


@click.group("test")
def test_group() -> None:
    """Run test plans and record what they measured."""


test_group.add_command(merge_command)


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
@output_option(
    "Folder for logs and result files (default: .aigov/test-runs/RUN_ID).", folder=True, dest="out"
)
@force_option
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
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option(
    "--attest",
    type=click.Choice(["auto", "require", "off"]),
    default="auto",
    show_default=True,
    help="Sign each run written with the keyring's executor key, once the commands ended "
    "(<run>.attestation.json); auto: when the keyring has one; require: exit 2 without one. "
    "Shard runs are not attested.",
)
@click.option(
    "--shard",
    metavar="K/N",
    help="Run only shard K of N (a CI matrix); its TestRuns go to -o, for 'aigov test merge'.",
)
@repo_option
@config_option
def run_command(
    plans: tuple[str, ...],
    model: str | None,
    dataset: str | None,
    jobs: int | None,
    timeout: float | None,
    out: Path | None,
    force: bool,
    dry_run: bool,
    base: str | None,
    isolation: str,
    fmt: str,
    attest: str,
    shard: str | None,
    repo: Path | None,
    config_path: Path | None,
) -> None:
    """Run each test of each PLAN (default: all) for each model it applies to.

    Each test's command runs in its own process group, at most --jobs at once, with a
    timeout; its results come back in AIGOV_RESULT_FILE (or a JUnit, lm-eval or AI Verify
    file). One TestRun per plan and model version is written under testing.runs_dir,
    ready for 'aigov gate', and attested with the executor key (docs/testing.md).

    With --shard K/N, only the K-th of every N tests runs, and the TestRuns go to -o
    (not to the gate): 'aigov test merge' makes the run's TestRuns of all N shards.

    Exit codes: 0 every test ran and reported, 1 a test failed, timed out or reported
    bad results, 2 usage, 130 cancelled (Ctrl-C; the TestRun is still written).
    """
    from aigov_gate.cli.context import find_repo
    from aigov_gate.cli.conventions import refuse_overwrite
    from aigov_gate.config import find_config, load_config
    from aigov_gate.runner.run import new_run_id, run_all

    refuse_overwrite([out], force or dry_run)  # a dry run writes nothing
    report = _Report(fmt == "json")
    root = find_repo(repo)
    config = load_config(config_path or find_config(root))
    graph, todo = _todo(root, config, plans, model, dataset, report)
    part = _share(shard, todo)
    todo = todo if part is None else part[1]
    width = jobs or min(config.testing.max_concurrent, os.cpu_count() or 1)
    run_id = new_run_id()
    if dry_run:
        _dry(todo, config.testing.timeout, timeout, width, report)
        decided(True)
    if not todo:
        report.say("nothing to run: no test with a 'command' applies (docs/testing.md)")
        report.done(True, False)
    signing = part is None and _attesting(root, config, todo, attest)
    where = (out or root / ".aigov" / "test-runs" / run_id).absolute()
    settings = _settings(root, config, graph, (where, width, timeout, run_id), base, isolation)
    started = datetime.now(UTC)
    live = _Live(len(todo), time.monotonic(), sys.stdout.isatty() and not report.json, report)
    outcomes, cancelled = run_all(todo, settings, live)
    live.close()
    times = (started, datetime.now(UTC), run_id, width)
    written = _record(root, config, outcomes, cancelled, times, (report, settings.out, part))
    if signing:
        _attest(root, config, written, times[1], report)
    report.say(f"logs: {settings.out}", logs=str(settings.out))
    report.done(all(o.ok for o in outcomes), cancelled)


def _todo(
    root: Path,
    config: AigovConfig,
    plans: tuple[str, ...],
    model: str | None,
    dataset: str | None,
    report: _Report,
) -> tuple[Graph, list[Job]]:
    """The repository's graph and the tests to run; what is skipped is said."""
    from aigov_gate.cli.output import use_config
    from aigov_gate.graph import Graph
    from aigov_gate.runner import select
    from aigov_gate.runner.run import plans_of
    from aigov_gate.validation import validate_repo

    use_config(config)
    validation = validate_repo(root, config)
    graph = Graph(validation.documents)
    todo, skipped = select(
        graph, plans_of(graph.by_kind.get("TestPlan", []), plans), model, dataset
    )
    if validation.findings:
        count = len(validation.findings)
        say(f"note: {count} validation finding(s); 'aigov validate' lists them", err=True)
    for line in skipped:
        report.say(f"skipped  {line}")
        report.body.setdefault("skipped", []).append(line)
    return graph, todo


def _share(shard: str | None, todo: list[Job]) -> tuple[Shard, list[Job]] | None:
    """With --shard K/N: the shard and its jobs."""
    if shard is None:
        return None
    from aigov_gate.runner import shards

    chosen = shards.parse(shard)
    mine = shards.share(todo, chosen)
    say(f"shard {chosen}: {len(mine)} of {len(todo)} test(s)", err=True)
    return chosen, mine


def _record(
    root: Path,
    config: AigovConfig,
    outcomes: list[Outcome],
    cancelled: bool,
    run: tuple[datetime, datetime, str, int],
    where: tuple[_Report, Path, tuple[Shard, list[Job]] | None],
) -> list[Written]:
    """Write one TestRun per plan and model version (a shard's: into its -o folder)."""
    from aigov_gate import git
    from aigov_gate.cli.output import use_config
    from aigov_gate.runner import record, shards
    from aigov_gate.runner.attest import Written

    started, finished, run_id, width = run
    report, out, part = where
    mask = use_config(config)
    folder = record.runs_dir(root, config) if part is None else out
    commit = git.describe(root)["commit"] if part is not None else None
    groups: dict[tuple[str, str, str, str], list[Outcome]] = {}
    written = []
    for outcome in outcomes:
        groups.setdefault(outcome.job.group, []).append(outcome)
        report.body["tests"].append(_test_json(outcome))
    for outs in groups.values():
        status = record.status_of(outs, cancelled)
        job = outs[0].job
        name = record.run_name(job.model, job.version, run_id)
        parameters: dict[str, object] = {"run_id": run_id, "jobs": width}
        if part is not None:
            tests = [o.job.test.name for o in outs]
            parameters["shard"] = shards.stamp(part[0], job, tests, commit)
            name = f"{name}-shard-{part[0].index}-of-{part[0].total}"
        doc = record.document(
            name, outs, status, (started, finished), parameters, record.executor(os.environ), mask
        )
        path = record.write(folder, name, doc, run_id)
        inside = path.is_relative_to(root.resolve())
        shown = (path.relative_to(root.resolve()) if inside else path).as_posix()
        report.say(f"wrote {shown} ({status})")
        report.body["runs"].append({"name": name, "path": shown, "status": status})
        written.append(Written(path, doc, outs))
    report.body["run_id"] = run_id
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


def _attest(
    root: Path, config: AigovConfig, written: list[Written], now: datetime, report: _Report
) -> None:
    """Sign each run written; the executor key is read only now, the commands have ended."""
    from aigov_gate.runner.attest import attest, signer, statement

    orgs = {item.organization for item in written}
    signers = {org: signer(root, config, org) for org in sorted(orgs)}
    for item in written:
        path = attest(item, statement(root, item, os.environ, now), signers[item.organization])
        shown = path.relative_to(root.resolve()).as_posix()
        report.say(f"attested {shown}", attested=[*report.body.get("attested", []), shown])


def _test_json(outcome: Outcome) -> dict[str, object]:
    return {
        "test": outcome.job.label,
        "status": outcome.status,
        "passed": outcome.ok,
        "duration_seconds": round(outcome.duration, 3),
        "metrics": len(outcome.metrics),
        "error": outcome.error or None,
        "problems": list(outcome.problems),
    }


class _Report:
    """Text lines as they happen, or with --format json one envelope at the end."""

    def __init__(self, json: bool) -> None:
        self.json = json
        self.body: dict[str, Any] = {"tests": [], "runs": []}

    def say(self, line: str, **fields: Any) -> None:
        if not self.json:
            say(line)
        self.body.update(fields)

    def done(self, passed: bool, cancelled: bool) -> NoReturn:
        if self.json:
            from aigov_gate.cli.conventions import say_json

            say_json("test run", passed=passed, cancelled=cancelled, **self.body)
        decided(passed, cancelled=cancelled)


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

    def __init__(self, total: int, start: float, tty: bool, report: _Report) -> None:
        self.total, self.start, self.tty = total, start, tty
        self.shown = False
        self.err = report.json  # stdout holds the one JSON envelope

    def __call__(
        self, event: str, outcome: Outcome | None, done: int, running: int, failed: int
    ) -> None:
        if self.tty and self.shown:
            say("\r\x1b[2K", nl=False)
            self.shown = False
        if outcome is not None:
            say(_line(outcome), err=self.err)
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


def _dry(
    todo: list[Job], default: float, override: float | None, width: int, report: _Report
) -> None:
    report.say(f"would run {len(todo)} test(s), {width} at a time:", dry_run=True, jobs=width)
    would = []
    for job in todo:
        test = job.test
        assert test.command is not None
        seconds = override or test.timeout or default
        cwd = test.cwd or "."
        report.say(f"  {job.label}: {' '.join(test.command)}  (cwd {cwd}, timeout {seconds:g} s)")
        would.append({"test": job.label, "command": test.command, "cwd": cwd, "timeout": seconds})
    if report.json:
        from aigov_gate.cli.conventions import say_json

        say_json("test run", passed=True, cancelled=False, would_run=would, **report.body)
