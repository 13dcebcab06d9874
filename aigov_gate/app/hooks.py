"""A repository's webhook subscriptions and its outbox: queue events, deliver, report.

Used by ``aigov webhooks`` and by every command with ``--notify`` (gate, evidence build,
keys rotate).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from aigov_gate.app import Log
from aigov_gate.errors import AigovError, UsageError

if TYPE_CHECKING:
    from aigov_gate.config import AigovConfig
    from aigov_gate.result import Subscription
    from aigov_gate.webhooks.delivery import Report
    from aigov_gate.webhooks.events import Event
    from aigov_gate.webhooks.outbox import Outbox


@dataclass(frozen=True, slots=True)
class Hooks:
    root: Path
    config: AigovConfig
    subscriptions: list[Subscription]
    #: The base's ``webhooks.outbox`` (with ``--base``): the change's own is not used.
    outbox: str | None = None

    @property
    def outbox_path(self) -> Path:
        """``AIGOV_WEBHOOK_OUTBOX`` (the job's), else the base's or this config's setting."""
        from aigov_gate.webhooks.outbox import outbox_path

        job = os.environ.get("AIGOV_WEBHOOK_OUTBOX")
        return outbox_path(self.root, job or self.outbox or self.config.webhooks.outbox, bool(job))

    def open(self) -> Outbox:
        from aigov_gate.webhooks.outbox import Outbox

        return Outbox(self.outbox_path)

    def named(self, name: str) -> Subscription:
        found = [s for s in self.subscriptions if name in (s.name, s.key)]
        if len(found) == 1:
            return found[0]
        names = ", ".join(s.key for s in self.subscriptions) or "none"
        if found:
            raise UsageError(f"'{name}' names several subscriptions", hint=f"use one of {names}")
        raise UsageError(f"no WebhookSubscription named '{name}'", hint=f"subscriptions: {names}")


def hooks_of(root: Path, config: AigovConfig) -> Hooks:
    """The repository's subscriptions (documents that fail validation are left out)."""
    from aigov_gate.graph import Graph
    from aigov_gate.validation import validate_repo

    documents = validate_repo(root, config).documents
    kept = [d for d in documents if d.model.kind == "WebhookSubscription"]
    return Hooks(root, config, Graph(kept).subscriptions())


def hooks_in_force(
    root: Path, config: AigovConfig, base: str | None, env: Mapping[str, str]
) -> Hooks:
    """The subscriptions and settings that send: with ``base``, the base's (its
    configuration, every section, its WebhookSubscriptions as its discovery finds them, its
    outbox), never the change's; without, the working tree's."""
    if not base:
        return hooks_of(root, config)
    from aigov_gate.gate.base import read_base
    from aigov_gate.graph import Graph

    before = read_base(root, config, base, env)
    judge = before.authority.config
    kept = [d for d in before.controls if d.model.kind == "WebhookSubscription"]
    return Hooks(root, judge, Graph(kept).subscriptions(), judge.webhooks.outbox)


def base_outbox(root: Path, base: str | None, limit: int) -> str | None:
    """The base's ``webhooks.outbox`` (its default when it sets none); None without a base."""
    if not base:
        return None
    from aigov_gate import git
    from aigov_gate.config import CONFIG_FILE, parse_config

    ref = git.open_base(root, base)
    raw = git.read_at(ref, CONFIG_FILE, limit)
    text = raw.decode("utf-8", "replace") if raw is not None else ""
    return parse_config(text, f"{base}:{CONFIG_FILE}").webhooks.outbox


def report_lines(report: Report, outbox: Path) -> list[str]:
    """What a delivery run did, as the lines ``webhooks deliver`` and ``--notify`` show."""
    lines = [f"held      {key}: {why}" for key, why in sorted(report.held.items())]
    line = (
        f"{report.delivered} delivered, {report.retried} retried, {len(report.failed)} failed, "
        f"{report.attempts} attempts; {report.pending} pending in {outbox}"
    )
    if report.pending and report.next_attempt is not None:
        when = datetime.fromtimestamp(report.next_attempt, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        line += f" (next attempt {when}: run `aigov webhooks deliver` then)"
    return [*lines, line]


def run_delivery(
    hooks: Hooks,
    wait_seconds: float,
    log: Log,
    only: set[str] | None = None,
    budget: bool = False,
) -> Report:
    """Send what is due, retrying for ``wait_seconds``; one deliverer per outbox."""
    from aigov_gate.webhooks.delivery import deliver
    from aigov_gate.webhooks.outbox import delivering

    outbox = hooks.open()
    try:
        with delivering(hooks.outbox_path):
            return deliver(
                outbox,
                hooks.subscriptions,
                hooks.config.webhooks,
                os.environ,
                wait_seconds,
                log,
                only,
                budget,
            )
    finally:
        outbox.close()


def notify(hooks: Hooks, events: list[Event], log: Log) -> None:
    """Queue ``events`` and try to deliver them for ``webhooks.notify_wait`` seconds.

    Never raises for a receiver or outbox problem: it says so through ``log``, because
    ``--notify`` must not change the command's outcome.
    """
    from aigov_gate.pii import masker
    from aigov_gate.webhooks.delivery import queue

    if not events:
        return
    try:
        outbox = hooks.open()
        try:
            queued = queue(outbox, events, hooks.subscriptions, masker(hooks.config), time.time())
        finally:
            outbox.close()
    except AigovError as exc:
        log(f"warning: webhooks: events not queued: {exc.message} ({exc.hint})")
        return
    if not queued:
        kinds = ", ".join(sorted({e.type for e in events}))
        log(f"webhooks: no active subscription wants {kinds}")
        return
    for event in events:
        if event.id in queued:
            log(f"webhooks: queued {event.type} {event.id} for {', '.join(queued[event.id])}")
    try:
        report = run_delivery(hooks, hooks.config.webhooks.notify_wait, log, budget=True)
    except AigovError as exc:
        log(f"warning: webhooks: not delivered now: {exc.message} ({exc.hint})")
        return
    for line in report_lines(report, hooks.outbox_path):
        log(line)
