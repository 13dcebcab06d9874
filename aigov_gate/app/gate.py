"""``aigov gate`` and ``aigov evidence build`` as use cases: decide, render, seal, announce."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aigov_gate.app import Log

if TYPE_CHECKING:
    from aigov_gate.config import AigovConfig
    from aigov_gate.evidence.bundle import Built
    from aigov_gate.git import BaseRef
    from aigov_gate.loading.loader import Report
    from aigov_gate.result import GateResult
    from aigov_gate.rules import Stage


@dataclass(frozen=True, slots=True)
class GateRequest:
    """What to gate: the options of ``aigov gate`` once parsed."""

    root: Path
    config: AigovConfig
    stage: Stage = "merge"
    environment: str | None = None
    model: str | None = None
    base: str | None = None
    fail_on: str | None = None
    as_of: date | None = None
    pr: int | None = None
    #: List the evaluated files for an evidence bundle.
    evidence: bool = False
    #: Build the dashboard's per-model sheets (HTML).
    dashboard: bool = False
    #: Only this framework's compliance (``aigov compliance``).
    framework: str | None = None
    #: As a CI gate (``aigov gate``): the sign-off provider's context, the workspace prefix
    #: and web links from the environment. Otherwise (``aigov compliance``) the configured
    #: provider with no pull request, and paths as they are.
    ci: bool = True
    #: ``--model-artifact``: the model's bytes to check at a deploy.
    model_artifact: Path | None = None


@dataclass(slots=True)
class GateRun:
    """A gate's result, with each report format rendered and masked once, however many
    places it goes to (stdout, ``--output`` files, the evidence bundle's report)."""

    root: Path
    config: AigovConfig
    result: GateResult
    mask: Callable[[str], str]
    rendered: dict[tuple[str, bool], str] = field(default_factory=dict)
    #: With ``--base``: the base, whose keyring seals the evidence (never the change's).
    base: BaseRef | None = None

    def report(self, fmt: str, colour: bool = False) -> str:
        from aigov_gate.reporters import GATE_REPORTER_BY_NAME

        key = (fmt, colour)
        if key not in self.rendered:
            self.rendered[key] = self.mask(GATE_REPORTER_BY_NAME[fmt](self.result, colour))
        return self.rendered[key]


def run(
    request: GateRequest,
    env: Mapping[str, str],
    progress: Report | None = None,
    now: datetime | None = None,
) -> GateRun:
    """Run the gate as ``request`` says, in the CI described by ``env``, at ``now`` (the
    clock when None): the one place the gate reads the clock and the environment."""
    from aigov_gate.gate import GateOptions, build, run_gate
    from aigov_gate.pii import masker
    from aigov_gate.signoff.context import from_env

    environ = dict(env)  # the snapshot every check reads
    ci = request.ci
    if ci:
        from_env(request.config.signoff, environ, request.pr)  # a bad event file: usage error
    workspace = environ.get("GITHUB_WORKSPACE") or environ.get("CI_PROJECT_DIR")
    options = GateOptions(
        request.stage,
        request.environment,
        request.model,
        request.base,
        request.fail_on,
        request.as_of,
        framework=request.framework,
        signoff_from_env=ci,
        pr=request.pr,
        evidence=request.evidence,
        dashboard=request.dashboard,
        progress=progress,
        path_prefix=workspace_prefix(request.root, workspace) if ci else "",
        web_url=web_url(environ) if ci else "",
        model_artifact=request.model_artifact,
    )
    moment = now if now is not None else datetime.now(UTC)
    built = build(request.root, request.config, options, moment, environ)
    result = run_gate(built)
    # The configuration in force (the base's with --base) masks, keeps and announces.
    return GateRun(request.root, built.config, result, masker(built.config), base=built.before.ref)


def web_url(env: Mapping[str, str]) -> str:
    """Where the CI's web UI shows the files of this commit (GitHub, GitLab), or ""."""
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


def workspace_prefix(root: Path, workspace: str | None) -> str:
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


def seal(
    gate: GateRun,
    out: Path,
    env: Mapping[str, str],
    log: Log,
    now: datetime | None = None,
    tsa: str | None = None,
) -> Built:
    """Write the evidence bundle of ``gate``, signed at ``now`` (the clock when None); say
    so, and any warning, through ``log``. ``tsa``: an RFC 3161 time-stamping authority's
    URL, asked to stamp the signature. With ``--base`` the base's keyring signs and
    encrypts: the change may have edited its own."""
    from aigov_gate.evidence.at_base import keyring_in_force
    from aigov_gate.evidence.keyring import now_utc
    from aigov_gate.evidence.sealing import seal as seal_run

    report = gate.report("json")
    moment = now_utc() if now is None else now
    config_file = None
    if gate.base is not None:  # the configuration the run used: the base's
        from aigov_gate import git
        from aigov_gate.config import CONFIG_FILE

        limit = gate.config.limits.max_file_bytes
        config_file = git.read_at(gate.base, CONFIG_FILE, limit) or b""
    with keyring_in_force(gate.root, gate.config, gate.base) as keyring:
        built = seal_run(
            keyring,
            gate.root,
            gate.config,
            gate.result,
            report,
            out,
            env,
            moment,
            gate.mask,
            tsa,
            config_file,
        )
    for warning in built.warnings:
        log(f"warning: {warning}")
    encrypted = f", {len(built.encrypted)} encrypted" if built.encrypted else ""
    log(
        f"evidence: {built.path} ({built.subjects} files{encrypted}; signed by key "
        f"{built.key_id[:16]}; keep until {built.retain_until})"
    )
    return built


def announce(
    gate: GateRun,
    reports: list[tuple[str, Path]],
    built: Built | None,
    env: Mapping[str, str],
    log: Log,
) -> None:
    """Queue and send the run's events: gate.*, changes against --base, overdue reviews,
    and evidence.published when a bundle was written."""
    from aigov_gate import git
    from aigov_gate.app.hooks import Hooks, base_outbox, notify
    from aigov_gate.evidence.bundle import ci_metadata
    from aigov_gate.webhooks.events import gate_events, make

    described = git.describe(gate.root)
    links = {f"report_{fmt}": str(path) for fmt, path in reports}
    if built is not None:
        links["evidence"] = str(built.path)
    where = {
        "commit": described["commit"],
        "branch": described["branch"],
        "run_url": ci_metadata(env)["run_url"],
        "links": links,
    }
    moment = datetime.now(UTC)
    events = gate_events(gate.result, gate.config.organization, where, moment)
    if built is not None:
        data = _published(gate, built, where)
        events.append(make("evidence.published", gate.config.organization, data, moment))
    limit = gate.config.limits.max_file_bytes  # the base's outbox, never the change's own:
    outbox = base_outbox(gate.root, gate.result.base, limit)
    notify(Hooks(gate.root, gate.config, gate.result.subscriptions, outbox), events, log)


def _published(gate: GateRun, built: Built, where: dict[str, Any]) -> dict[str, Any]:
    digest = hashlib.sha256()
    with built.path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return {
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
