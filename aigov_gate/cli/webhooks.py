"""``aigov webhooks``: list subscriptions, send a test, deliver and retry the outbox, status.

Exit codes: 0 done; 1 a delivery failed, or deliveries are held by a configuration
problem (secret not set, url refused, subscription paused or gone); 2 could not run.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from aigov_gate.cli.context import config_option, repo_option
from aigov_gate.cli.output import decided, say

if TYPE_CHECKING:
    from aigov_gate.app.hooks import Hooks
    from aigov_gate.webhooks.delivery import Report

format_option = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
wait_option = click.option(
    "--wait",
    "wait_seconds",
    type=click.FloatRange(0, 86400),
    default=60,
    show_default=True,
    help="Seconds to keep retrying what fails; what is still due later stays in the outbox.",
)


base_option = click.option(
    "--base",
    metavar="REF",
    help="Take .aigov.yaml, the WebhookSubscriptions and the outbox as REF has them (the "
    "branch changes go into), never from the working tree (docs/webhooks.md).",
)


def load(repo: Path | None, config_path: Path | None, base: str | None = None) -> Hooks:
    """The repository's subscriptions; with ``base``, the base's (aigov_gate/app/hooks.py)."""
    from aigov_gate.app.hooks import hooks_in_force
    from aigov_gate.cli.context import find_repo
    from aigov_gate.cli.output import use_config
    from aigov_gate.config import find_config, load_config

    root = find_repo(repo)
    config = load_config(config_path or find_config(root))
    if base is None:
        use_config(config)  # with --base, only the base's settings may turn masking off
    hooks = hooks_in_force(root, config, base, os.environ)
    use_config(hooks.config)
    return hooks


def _echo_report(report: Report, outbox: Path, err: bool = False) -> None:
    from aigov_gate.app.hooks import report_lines

    for line in report_lines(report, outbox):
        say(line, err=err)


def _report_json(report: Report) -> dict[str, Any]:
    return {
        "delivered": report.delivered,
        "retried": report.retried,
        "failed": report.failed,
        "held": {k: {"reason": h.reason, "hint": h.hint} for k, h in report.held.items()},
        "attempts": report.attempts,
        "pending": report.pending,
        "next_attempt": report.next_attempt,
    }


@click.group("webhooks")
def webhooks_group() -> None:
    """Signed governance events to other systems (docs/webhooks.md)."""


@webhooks_group.command("list")
@format_option
@base_option
@repo_option
@config_option
def list_command(fmt: str, base: str | None, repo: Path | None, config_path: Path | None) -> None:
    """The WebhookSubscriptions, whether their secret is set (never its value), and their
    queue."""
    from aigov_gate.webhooks.safety import refusal, shown

    hooks = load(repo, config_path, base)
    outbox_exists = hooks.outbox_path.exists()
    counts: dict[str, dict[str, int]] = {}
    gone: dict[str, tuple[float, str]] = {}
    if outbox_exists:
        outbox = hooks.open()
        counts, gone = outbox.counts(), outbox.disabled()
        outbox.close()
    settings = hooks.config.webhooks
    rows: list[dict[str, Any]] = []
    for sub in hooks.subscriptions:
        rows.append(
            {
                "name": sub.name,
                "organization": sub.organization,
                "url": shown(sub.url),
                "events": list(sub.events),
                "status": "disabled (410 Gone)" if sub.key in gone else sub.status,
                "secret_env": sub.secret_env,
                "secret_set": bool(os.environ.get(sub.secret_env, "").strip()),
                "url_problem": refusal(sub.url, settings.allow_http, False),
                "location": str(sub.location),
                "queue": counts.get(sub.key, {"pending": 0, "delivered": 0, "failed": 0}),
            }
        )
    if fmt == "json":
        say(json.dumps({"subscriptions": rows}, indent=2))
        return
    if not rows:
        say("no WebhookSubscription documents (docs/webhooks.md shows one)")
        return
    for row in rows:
        secret = "set" if row["secret_set"] else "NOT SET"
        q = row["queue"]
        say(
            f"{row['organization']}/{row['name']}  {row['status']}  {row['url']}\n"
            f"  events: {', '.join(row['events'])}\n"
            f"  secret: {row['secret_env']} ({secret})\n"
            f"  queue:  {q['pending']} pending, {q['delivered']} delivered, {q['failed']} failed"
        )
        if row["url_problem"]:
            say(f"  url:    {row['url_problem']}")


@webhooks_group.command("test")
@click.argument("name")
@format_option
@base_option
@repo_option
@config_option
@click.pass_context
def test_command(
    ctx: click.Context,
    name: str,
    fmt: str,
    base: str | None,
    repo: Path | None,
    config_path: Path | None,
) -> None:
    """Send a webhook.test event to subscription NAME now (one attempt) and show the result."""
    from aigov_gate.errors import UsageError
    from aigov_gate.pii import masker
    from aigov_gate.webhooks.delivery import send_test
    from aigov_gate.webhooks.safety import refusal, shown
    from aigov_gate.webhooks.signing import secrets_from_env

    hooks = load(repo, config_path, base)
    sub = hooks.named(name)
    settings = hooks.config.webhooks
    why = refusal(sub.url, settings.allow_http, settings.block_private_addresses)
    if why:
        raise UsageError(f"{sub.name}: {shown(sub.url)}: {why}", hint=f"fix {sub.location}")
    keys = secrets_from_env(sub.secret_env, os.environ)
    tested = send_test(hooks.outbox_path, settings, sub, keys, masker(hooks.config))
    seconds = tested.outcome.seconds
    result = {
        "subscription": sub.key,
        "url": shown(sub.url),
        "webhook_id": tested.event.id,
        "delivered": tested.delivered,
        "status": tested.outcome.status,
        "detail": tested.reason,
        "seconds": round(seconds, 3),
    }
    if fmt == "json":
        say(json.dumps(result, indent=2))
    else:
        word = "delivered" if tested.delivered else "FAILED"
        say(
            f"{word}: webhook.test {tested.event.id} -> {sub.key} {result['url']}: "
            f"{tested.reason} ({seconds:.2f}s)"
        )
    decided(tested.delivered)


@webhooks_group.command("deliver")
@wait_option
@click.option("--subscription", "names", multiple=True, help="Only this subscription (repeat).")
@format_option
@base_option
@repo_option
@config_option
@click.pass_context
def deliver_command(
    ctx: click.Context,
    wait_seconds: float,
    names: tuple[str, ...],
    fmt: str,
    base: str | None,
    repo: Path | None,
    config_path: Path | None,
) -> None:
    """Send what is due in the outbox, retrying failures for up to --wait seconds."""
    hooks = load(repo, config_path, base)
    only = {hooks.named(n).key for n in names} if names else None
    quiet = fmt == "json"
    from aigov_gate.app.hooks import run_delivery

    report = run_delivery(hooks, wait_seconds, (lambda _: None) if quiet else say, only)
    if quiet:
        say(json.dumps(_report_json(report), indent=2))
    else:
        _echo_report(report, hooks.outbox_path)
    decided(report.ok)


@webhooks_group.command("retry")
@click.option("--failed", is_flag=True, help="Also send again deliveries that failed for good.")
@click.option("--subscription", "names", multiple=True, help="Only this subscription (repeat).")
@wait_option
@format_option
@base_option
@repo_option
@config_option
@click.pass_context
def retry_command(
    ctx: click.Context,
    failed: bool,
    names: tuple[str, ...],
    wait_seconds: float,
    fmt: str,
    base: str | None,
    repo: Path | None,
    config_path: Path | None,
) -> None:
    """Send pending deliveries now instead of at their next attempt (with --failed, the
    failed ones too, attempts counted afresh; same webhook-id and body)."""
    hooks = load(repo, config_path, base)
    only = {hooks.named(n).key for n in names} if names else None
    outbox = hooks.open()
    try:
        count = outbox.retry(time.time(), failed, sorted(only) if only is not None else None)
    finally:
        outbox.close()
    quiet = fmt == "json"
    if not quiet:
        say(f"{count} deliveries due now")
    from aigov_gate.app.hooks import run_delivery

    report = run_delivery(hooks, wait_seconds, (lambda _: None) if quiet else say, only)
    if quiet:
        say(json.dumps({"rescheduled": count, **_report_json(report)}, indent=2))
    else:
        _echo_report(report, hooks.outbox_path)
    decided(report.ok)


@webhooks_group.command("status")
@click.option("--limit", type=click.IntRange(1, 10000), default=20, show_default=True)
@format_option
@base_option
@repo_option
@config_option
def status_command(
    fmt: str, limit: int, base: str | None, repo: Path | None, config_path: Path | None
) -> None:
    """The outbox: deliveries per subscription and state, the latest failures, what is next."""
    hooks = load(repo, config_path, base)
    path = hooks.outbox_path
    if not path.exists():
        if fmt == "json":
            say(json.dumps({"outbox": str(path), "exists": False}, indent=2))
        else:
            say(f"no outbox yet at {path}: nothing was queued")
        return
    outbox = hooks.open()
    try:
        counts, gone = outbox.counts(), outbox.disabled()
        failed = outbox.deliveries("failed", limit)
        pending = outbox.deliveries("pending", limit)
        attempts = outbox.attempts_total()
    finally:
        outbox.close()
    data = {
        "outbox": str(path),
        "exists": True,
        "attempts": attempts,
        "subscriptions": counts,
        "disabled": {k: {"at": at, "reason": why} for k, (at, why) in gone.items()},
        "failed": [_row(d) for d in failed],
        "pending": [_row(d) for d in pending],
    }
    if fmt == "json":
        say(json.dumps(data, indent=2))
        return
    say(f"outbox {path}: {attempts} attempts so far")
    for key, c in sorted(counts.items()):
        off = " (disabled: 410 Gone)" if key in gone else ""
        say(
            f"  {key}{off}: {c['pending']} pending, {c['delivered']} delivered, "
            f"{c['failed']} failed"
        )
    for title, rows in (("failed", failed), ("pending", pending)):
        if rows:
            say(f"{title}:")
            for d in rows:
                say(f"  {_line(d)}")
    if failed:
        say("send them again with `aigov webhooks retry --failed`")


def _row(d: Any) -> dict[str, Any]:
    return {
        "webhook_id": d.message_id,
        "event": d.event,
        "subscription": d.subscription,
        "url": d.url,
        "state": d.state,
        "attempts": d.attempts,
        "next_attempt": d.next_attempt if d.state == "pending" else None,
        "last_status": d.last_status,
        "last_error": d.last_error,
    }


def _line(d: Any) -> str:
    last = d.last_error or "not attempted yet"
    return f"{d.event} {d.message_id} -> {d.subscription}: {last} ({d.attempts} attempts)"


@webhooks_group.command("enable")
@click.argument("name")
@base_option
@repo_option
@config_option
def enable_command(
    name: str, base: str | None, repo: Path | None, config_path: Path | None
) -> None:
    """Send to subscription NAME again after its receiver answered 410 Gone."""
    hooks = load(repo, config_path, base)
    sub = hooks.named(name)
    outbox = hooks.open()
    try:
        was = outbox.enable(sub.key)
    finally:
        outbox.close()
    if was:
        say(f"{sub.key} enabled; `aigov webhooks retry --failed` sends what it missed")
    else:
        say(f"{sub.key} was not disabled")


@webhooks_group.command("new-secret")
def new_secret_command() -> None:
    """Print a new whsec_ signing secret (32 random bytes) for a subscription's env var."""
    from aigov_gate.webhooks.signing import new_secret

    say(new_secret())
