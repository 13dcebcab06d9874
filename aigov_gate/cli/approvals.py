"""``aigov approvals``: who signed off what (``status``), and signing an approval (``sign``)."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from aigov_gate.cli.context import config_option, pr_option, repo_option
from aigov_gate.cli.output import decided, say

if TYPE_CHECKING:
    from aigov_gate.authority import Authority
    from aigov_gate.config import AigovConfig
    from aigov_gate.graph import Graph
    from aigov_gate.references import Checked
    from aigov_gate.result import SignOff
    from aigov_gate.signoff.sign import Entry


@click.group("approvals")
def approvals_group() -> None:
    """Risk sign-off: approvals by people in the right roles (docs/ci.md)."""


@approvals_group.command("status")
@pr_option
@click.option("--assessment", "-a", metavar="NAME", help="Only this RiskAssessment.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option(
    "--base",
    metavar="REF",
    help="Take roles, sign-off rules and signing keys from REF, as the gate does with --base.",
)
@repo_option
@config_option
def status_command(
    pr: int | None,
    assessment: str | None,
    fmt: str,
    base: str | None,
    repo: Path | None,
    config_path: Path | None,
) -> None:
    """Show each assessment's sign-off: approved by whom in which role, what is missing.

    With the recorded provider: every assessment, with the digest to record. With github
    or gitlab and a pull request (--pr, or the CI event): the assessments it changes;
    without one: every approved assessment, through the pull request that last changed it.

    Exit codes: 0 every assessment shown is signed off, 1 some are not, 2 could not ask.
    """
    from aigov_gate.authority import from_base, from_worktree
    from aigov_gate.cli.context import find_repo
    from aigov_gate.config import find_config, load_config
    from aigov_gate.graph import Graph
    from aigov_gate.reporters import signoff as report
    from aigov_gate.signoff.check import status
    from aigov_gate.signoff.context import from_env
    from aigov_gate.validation import validate_repo

    root = find_repo(repo)
    config = load_config(config_path or find_config(root))
    from aigov_gate import git

    trust = (
        from_base(root, config, git.open_base(root, base)) if base else from_worktree(root, config)
    )
    context = from_env(trust.config.signoff, os.environ, pr)
    graph = Graph(validate_repo(root, config).documents)
    _known_assessment(graph, assessment)
    signoffs = status(root, trust, graph, context, assessment)
    ok = all(s.satisfied for s in signoffs)
    if fmt == "json":
        body = {"provider": context.provider, "signoff": [report.to_json(s) for s in signoffs]}
        say(json.dumps(body, indent=2))
    else:
        where = f"{context.provider}"
        if context.number is not None:
            where += f", {'PR #' if context.provider == 'github' else 'MR !'}{context.number}"
        say(f"sign-off ({where})")
        if not signoffs:
            say("  no risk assessment to show")
        say("\n".join(report.text_lines(signoffs)))
    _could_ask(signoffs)
    decided(ok)


def _known_assessment(graph: Graph, name: str | None) -> None:
    """``--assessment NAME`` names a RiskAssessment of the repository, or it is a usage error."""
    import difflib

    from aigov_gate.errors import UsageError

    names = sorted({doc.model.metadata.name for doc in graph.by_kind.get("RiskAssessment", [])})
    if name is None or name in names:
        return
    close = difflib.get_close_matches(name, names, n=1)
    raise UsageError(
        f"no RiskAssessment named '{name}'",
        hint=(f"did you mean '{close[0]}'? " if close else "")
        + f"assessments: {', '.join(names) or 'none'}",
    )


def _could_ask(signoffs: list[SignOff]) -> None:
    """Exit 2 (after the report) when a sign-off could not be checked at all: the provider
    could not be asked, or there was no pull request to ask about (docs/ci.md)."""
    from aigov_gate.errors import ProviderError

    failed = [s for s in signoffs if s.error]
    if failed:
        raise ProviderError(
            f"{len(failed)} sign-off(s) could not be checked: {failed[0].error}",
            hint=failed[0].error_hint or "see the report above",
        )


@approvals_group.command("sign")
@click.argument("name", required=False)
@click.option(
    "--authority",
    is_flag=True,
    help="Sign off this change to roles, signoff, waivers, policy_packs or the "
    "allowed-signers file (authority.changed) instead of a document.",
)
@click.option(
    "--base",
    metavar="REF",
    help="With --authority: the base the change is judged against (the gate's --base); "
    "the approval binds it, so it counts for no other base.",
)
@click.option("--as", "approver", required=True, metavar="USER", help="Your user name.")
@click.option("--role", required=True, help="The role you approve in (e.g. risk_approver).")
@click.option(
    "--key",
    "-k",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Your SSH key (private, or .pub with the key in ssh-agent), as for Git signing.",
)
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Approval date (default: today).",
)
@click.option(
    "--timestamp",
    "tsa",
    metavar="URL",
    help="Have this RFC 3161 time-stamping authority stamp the signature: proves the "
    "approval (a plan's bar) existed before, say, a run's started_at (docs/gate.md).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Record an approval the gate would never count (a role you do not hold, your own "
    "assessment, another person's key) instead of refusing it.",
)
@repo_option
@config_option
def sign_command(
    name: str | None,
    authority: bool,
    base: str | None,
    approver: str,
    role: str,
    key: Path,
    day: datetime | None,
    tsa: str | None,
    force: bool,
    repo: Path | None,
    config_path: Path | None,
) -> None:
    """Sign an approval of a RiskAssessment, Waiver, TestPlan or TestRun NAME with your SSH key.

    The approval (approver, role, date, the document's digest) is signed with
    'ssh-keygen -Y sign' in the aigov-approval namespace and added to the document's
    spec.approvals; nothing else in the file changes. The gate counts it when your key is
    listed for you in the allowed-signers file of the base revision (docs/ci.md). One that
    could never count is refused, nothing written (exit 2), unless --force.
    """
    from aigov_gate.cli.context import find_repo
    from aigov_gate.config import find_config, load_config
    from aigov_gate.errors import UsageError
    from aigov_gate.signoff import sign
    from aigov_gate.signoff.sshsig import statement

    root = find_repo(repo)
    config = load_config(config_path or find_config(root))
    when = (day or datetime.now(UTC)).date()
    if authority == (name is not None):
        raise UsageError("name a RiskAssessment, Waiver, TestPlan or TestRun, or pass --authority")
    trust = _trust(root, config, authority)
    if authority:
        kind, title, org = "Authority", ".aigov.yaml", config.organization
        current, target_doc = _authority_digest(root, config, base, when), None
    else:
        assert name is not None
        target_doc = _signable(root, trust.config, name, approver, role, force)
        kind, title, org = target_doc.model.kind, name, target_doc.organization
        current = sign.digest(target_doc.raw.data)
    message = statement(kind, org, title, current, approver, role, when)
    signature = sign.ssh_sign(message, key)
    _check_key(trust, sign.Entry(approver, role, when, current, signature), message, force)
    stamp = _stamp(tsa, signature)  # asked for only once the approval can count
    entry = sign.Entry(approver, role, when, current, signature, stamp)
    shown = _record(root, target_doc, entry)
    stamped = " (timestamped)" if stamp else ""
    say(
        f"recorded {approver}'s approval as {role} of {kind} {title} "
        f"(digest {current[:12]}){stamped} in {shown}"
    )


def _stamp(tsa: str | None, signature: str) -> str:
    """A TSA's token over the signature text, base64 ("" without --timestamp)."""
    if not tsa:
        return ""
    import base64

    from aigov_gate.tsp import request

    return base64.b64encode(request(tsa, signature.strip().encode())).decode()


def _record(root: Path, target_doc: Checked | None, entry: Any) -> str:
    """Write ``entry`` into the document's file (or the authority approvals); where."""
    from aigov_gate.signoff import sign
    from aigov_gate.signoff.check import AUTHORITY_APPROVALS

    if target_doc is None:
        sign.append_authority(root / AUTHORITY_APPROVALS, entry)
        return AUTHORITY_APPROVALS
    shown = target_doc.raw.source.path
    path = root / shown
    before = path.read_text(encoding="utf-8")
    after = sign.insert(before, target_doc.raw.index, entry)
    sign.check_unchanged(before, after, target_doc.raw.index, entry)
    sign.write(path, after)
    return shown


def _authority_digest(root: Path, config: AigovConfig, base: str | None, day: date) -> str:
    """What an approver of this change's authority edits signs: bound to ``base``, with the
    completed runs it rewrites (as the gate computes it with ``--base``)."""
    from aigov_gate import git
    from aigov_gate.authority import controls_digest, from_base
    from aigov_gate.errors import UsageError
    from aigov_gate.graph import Graph
    from aigov_gate.transitions import BASE_KINDS, rewritten
    from aigov_gate.validation import validate_repo

    if base is None:
        raise UsageError(
            "--authority needs --base REF: an authority approval binds the base the change "
            "is judged against",
            hint="pass the ref the gate runs with, e.g. --base origin/main",
        )
    ref = git.open_base(root, base)
    trust = from_base(root, config, ref)
    judge = trust.config  # as the gate does: the base's discovery finds the change's files
    docs = git.documents_at(ref, judge.organization, judge.limits.to_limits(), BASE_KINDS)
    documents = validate_repo(root, judge).documents
    trust.proposed_controls = controls_digest(documents)
    trust.changes.extend(rewritten(Graph(documents), docs, day, trust))
    return trust.digest()


def _check_key(trust: Authority, entry: Entry, message: bytes, force: bool) -> None:
    """Warn when the gate will not count the signature yet; refuse another person's key."""
    from aigov_gate.signoff.sshsig import AnotherPersonsKey, SignatureError

    try:
        if trust.signers is None:
            where = trust.config.signoff.recorded.allowed_signers
            raise SignatureError(f"there is no {where}")
        trust.signers.verify(entry.signature, message, entry.approver, entry.day)
    except SignatureError as exc:
        _refuse(isinstance(exc, AnotherPersonsKey) and not force, f"{exc}", "use your own key")
        say(f"warning: the gate will not count this signature yet: {exc}", err=True)


def _refuse(refused: bool, why: str, hint: str) -> None:
    """Stop before anything is written: the approval could never count."""
    from aigov_gate.errors import UsageError

    if refused:
        raise UsageError(
            f"refused: the gate would never count this approval: {why}",
            hint=f"{hint}, or pass --force to record it anyway (nothing was written)",
        )


def _signable(
    root: Path, config: AigovConfig, name: str, approver: str, role: str, force: bool
) -> Checked:
    """The document NAME, once the approval is known to be one that can count."""
    import difflib

    from aigov_gate.errors import UsageError
    from aigov_gate.graph import Graph
    from aigov_gate.signoff.check import assessors
    from aigov_gate.signoff.refusal import check_role, never_counts
    from aigov_gate.validation import validate_repo

    check_role(config, role)
    graph = Graph(validate_repo(root, config).documents)
    docs = [*graph.by_kind.get("RiskAssessment", []), *graph.waivers]
    docs += graph.by_kind.get("TestPlan", []) + graph.by_kind.get("TestRun", [])
    found = [d for d in docs if d.model.metadata.name == name]
    if len(found) == 1:
        why = never_counts(found[0], config, assessors(graph), approver, role)
        _refuse(why is not None and not force, f"{approver} {why}", "ask someone who can")
        return found[0]
    names = sorted({d.model.metadata.name for d in docs})
    if found:
        raise UsageError(
            f"{name} names {len(found)} documents", hint="rename one: names must be unique"
        )
    close = difflib.get_close_matches(name, names, n=1)
    did = f"did you mean '{close[0]}'? " if close else ""
    raise UsageError(
        f"no RiskAssessment, Waiver, TestPlan or TestRun named '{name}'",
        hint=f"{did}known: {', '.join(names) or 'none'}",
    )


def _trust(root: Path, config: AigovConfig, authority: bool) -> Authority:
    """The working tree's authority; for ``--authority`` its digest covers what the gate's
    ``--base`` run asks to be approved: every setting, the keys, the control documents."""
    from aigov_gate.authority import from_worktree
    from aigov_gate.validation import validate_repo

    return from_worktree(root, config, validate_repo(root, config).documents if authority else None)
