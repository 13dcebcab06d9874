"""``aigov gate``: the decision for a merge or a deployment, with reports in several formats."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from aigov_gate.cli.context import config_option, pr_option, repo_option
from aigov_gate.cli.output import decided, say

if TYPE_CHECKING:
    from aigov_gate.config import AigovConfig
    from aigov_gate.evidence.bundle import Built
    from aigov_gate.result import GateResult

FORMATS = (
    "text",
    "json",
    "sarif",
    "junit",
    "junit-gitlab",
    "codequality",
    "markdown",
    "oscal",
    "github",
    "html",
)
SEVERITIES = ("info", "low", "medium", "high", "critical")


def _outputs(values: tuple[str, ...]) -> list[tuple[str, Path]]:
    from aigov_gate.errors import UsageError

    pairs = []
    for value in values:
        fmt, sep, path = value.partition("=")
        if not sep or fmt not in FORMATS or not path:
            raise UsageError(
                f"--output {value!r} is not FORMAT=PATH",
                hint=f"e.g. --output sarif=aigov.sarif; formats: {', '.join(FORMATS)}",
            )
        pairs.append((fmt, Path(path)))
    return pairs


def _write(path: Path, text: str) -> None:
    from aigov_gate.errors import UsageError

    try:
        if path.parent != Path():
            path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise UsageError(
            f"cannot write {path}: {exc.strerror}", hint="check the folder and permissions"
        ) from None


def web_url(env: Mapping[str, str]) -> str:
    """Where the CI's web UI shows the files of this commit (GitHub, GitLab), or ""."""
    import re

    sha = env.get("GITHUB_SHA") or env.get("CI_COMMIT_SHA") or ""
    if env.get("GITHUB_REPOSITORY") and env.get("GITHUB_SHA"):
        base = f"{env.get('GITHUB_SERVER_URL') or 'https://github.com'}/{env['GITHUB_REPOSITORY']}/blob/"
    elif env.get("CI_PROJECT_URL") and env.get("CI_COMMIT_SHA"):
        base = f"{env['CI_PROJECT_URL']}/-/blob/"
    else:
        return ""
    if not re.fullmatch(r"https?://[^\s\"'<>]+/", base) or not re.fullmatch(r"[0-9a-f]{7,64}", sha):
        return ""  # only http(s) and a commit id: nothing a link could run
    return f"{base}{sha}/"


def _workspace_prefix(root: Path, workspace: str | None) -> str:
    """Where ``root`` sits in the project: under the CI workspace (GITHUB_WORKSPACE,
    CI_PROJECT_DIR), else under the Git work tree's top. Annotations, SARIF and Code
    Quality paths are relative to the project, not to a governance sub-folder."""
    top = Path(workspace).resolve() if workspace else _git_top(root.resolve())
    if top is None:
        return ""
    try:
        prefix = root.resolve().relative_to(top).as_posix()
    except ValueError:
        return ""
    return "" if prefix == "." else prefix


def _git_top(start: Path) -> Path | None:
    """The nearest folder holding ``.git`` (a folder, or a worktree's file), or None."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def gate_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options that say what to gate (shared by ``gate`` and ``evidence build``)."""
    options = [
        click.option(
            "--stage", type=click.Choice(["merge", "deploy"]), default="merge", show_default=True
        ),
        click.option("--environment", "-e", help="Deploy environment (from .aigov.yaml)."),
        click.option("--model", "-m", metavar="NAME[@VERSION]", help="Gate one model (version)."),
        click.option("--base", metavar="REF", help="Git ref to compare with (changed files)."),
        click.option(
            "--fail-on", type=click.Choice(SEVERITIES), help="Block at this severity or above."
        ),
        click.option(
            "--as-of",
            "as_of",
            type=click.DateTime(["%Y-%m-%d"]),
            help="Evaluate as on this date (reproducible runs). Default: today (UTC).",
        ),
        pr_option,
        repo_option,
        config_option,
    ]
    for option in reversed(options):
        func = option(func)
    return func


@dataclass(slots=True)
class GateRun:
    root: Path
    config: AigovConfig
    result: GateResult
    mask: Callable[[str], str]
    #: Each format rendered and masked once, however many places it goes to (stdout,
    #: --output files, the evidence bundle's report).
    rendered: dict[tuple[str, bool], str] = field(default_factory=dict)

    def report(self, fmt: str, colour: bool = False) -> str:
        from aigov_gate.reporters import GATE_REPORTER_BY_NAME

        key = (fmt, colour)
        if key not in self.rendered:
            self.rendered[key] = self.mask(GATE_REPORTER_BY_NAME[fmt](self.result, colour))
        return self.rendered[key]


def run(
    stage: str,
    environment: str | None,
    model: str | None,
    base: str | None,
    fail_on: str | None,
    as_of: object,
    pr: int | None,
    repo: Path | None,
    config_path: Path | None,
    evidence: bool = False,
    dashboard: bool = False,
) -> GateRun:
    from aigov_gate.cli.context import find_repo
    from aigov_gate.cli.output import use_config
    from aigov_gate.cli.progress import Progress
    from aigov_gate.config import find_config, load_config
    from aigov_gate.gate import GateOptions, run_gate
    from aigov_gate.signoff.context import from_env

    root = find_repo(repo)
    config = load_config(config_path or find_config(root))
    today = as_of.date() if isinstance(as_of, datetime) else None
    from_env(config.signoff, os.environ, pr)  # a bad event file is a usage error up front
    options = GateOptions(
        stage,
        environment,
        model,
        base,
        fail_on,
        today,
        evidence=evidence,
        signoff_env=dict(os.environ),
        pr=pr,
        dashboard=dashboard,
        progress=(progress := Progress()),
    )
    try:
        result = run_gate(root, config, options)
    finally:
        progress.close()
    workspace = os.environ.get("GITHUB_WORKSPACE") or os.environ.get("CI_PROJECT_DIR")
    result.path_prefix = _workspace_prefix(root, workspace)
    result.web_url = web_url(os.environ)
    return GateRun(root, config, result, use_config(config))


def seal(gate: GateRun, out: Path) -> Built:
    """Write the evidence bundle of ``gate`` and say so on stderr."""
    from aigov_gate.evidence.keyring import now_utc
    from aigov_gate.evidence.sealing import seal as seal_run

    report = gate.report("json")
    built = seal_run(
        gate.root, gate.config, gate.result, report, out, os.environ, now_utc(), gate.mask
    )
    for warning in built.warnings:
        say(f"warning: {warning}", err=True)
    encrypted = f", {len(built.encrypted)} encrypted" if built.encrypted else ""
    say(
        f"evidence: {built.path} ({built.subjects} files{encrypted}; signed by key "
        f"{built.key_id[:16]}; keep until {built.retain_until})",
        err=True,
    )
    return built


notify_option = click.option(
    "--notify",
    is_flag=True,
    help="Send this run's events to the WebhookSubscriptions (docs/webhooks.md); a receiver "
    "that is down never changes the exit code.",
)


def announce(gate: GateRun, reports: list[tuple[str, Path]], built: Built | None) -> None:
    """Queue and send the run's events: gate.*, changes against --base, overdue reviews,
    and evidence.published when a bundle was written."""
    import hashlib
    from datetime import UTC

    from aigov_gate import git
    from aigov_gate.cli.webhooks import Hooks, notify
    from aigov_gate.evidence.bundle import ci_metadata
    from aigov_gate.webhooks.events import gate_events, make

    described = git.describe(gate.root)
    links = {f"report_{fmt}": str(path) for fmt, path in reports}
    if built is not None:
        links["evidence"] = str(built.path)
    where = {
        "commit": described["commit"],
        "branch": described["branch"],
        "run_url": ci_metadata(os.environ)["run_url"],
        "links": links,
    }
    moment = datetime.now(UTC)
    events = gate_events(gate.result, gate.config.organization, where, moment)
    if built is not None:
        digest = hashlib.sha256()
        with built.path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        data = {
            "bundle": str(built.path),
            "sha256": digest.hexdigest(),
            "bytes": built.path.stat().st_size,
            "files": built.subjects,
            "encrypted": len(built.encrypted),
            "signer_key_id": built.key_id,
            "retain_until": built.retain_until.isoformat(),
            "decision": gate.result.decision,
            "commit": where["commit"],
            "branch": where["branch"],
            "run_url": where["run_url"],
        }
        events.append(make("evidence.published", gate.config.organization, data, moment))
    notify(Hooks(gate.root, gate.config, gate.result.subscriptions), events)


@click.command("gate")
@gate_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option(
    "--output",
    "-o",
    "outputs",
    multiple=True,
    metavar="FORMAT=PATH",
    help="Also write a report to a file (repeatable).",
)
@click.option(
    "--evidence",
    "evidence",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PATH",
    help="Also write a signed evidence bundle (.tar.gz) of this run (docs/evidence.md).",
)
@notify_option
@click.pass_context
def gate_command(
    ctx: click.Context,
    /,
    fmt: str,
    outputs: tuple[str, ...],
    evidence: Path | None,
    notify: bool,
    **selection: Any,
) -> None:
    """Decide whether a merge or a deployment may go ahead, and say why.

    Exit codes: 0 passed, 1 blocked, 2 could not run, 3 internal error.
    """

    files = _outputs(outputs)
    dashboard = fmt == "html" or any(out_fmt == "html" for out_fmt, _ in files)
    gate = run(**selection, evidence=evidence is not None, dashboard=dashboard)
    result = gate.result
    for out_fmt, path in files:
        _write(path, gate.report(out_fmt))
    built = seal(gate, evidence) if evidence is not None else None
    colour = fmt == "text" and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    say(gate.report(fmt, colour), nl=False)
    if notify:
        announce(gate, files, built)
    decided(result.passed)
