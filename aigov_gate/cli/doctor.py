"""``aigov doctor``: tell a new user what is misconfigured, and how to fix it.

Exit codes: 0 nothing failed (warnings allowed), 1 a check failed, 2 could not run.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

import click

from aigov_gate.cli.context import config_option, repo_option
from aigov_gate.cli.output import decided, say

_MARK = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}


@click.command("doctor")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--send-test",
    is_flag=True,
    help="Also send a webhook.test event to each active subscription and report the answer.",
)
@click.option(
    "--base",
    metavar="REF",
    help="Check what is in force for a change going into REF: its .aigov.yaml, keyring, "
    "webhook subscriptions and connectors (only then are connector credentials sent).",
)
@repo_option
@config_option
@click.pass_context
def doctor_command(
    ctx: click.Context,
    fmt: str,
    send_test: bool,
    base: str | None,
    repo: Path | None,
    config_path: Path | None,
) -> None:
    """Check config, documents, keys, webhooks, connectors, approval tokens and Git."""
    from aigov_gate.cli.context import find_repo
    from aigov_gate.doctor import diagnose, worst

    root = find_repo(repo)
    checks = diagnose(root, config_path, os.environ, send_test, base)
    status = worst(checks)
    if fmt == "json":
        out = {"status": status, "checks": [asdict(c) for c in checks]}
        say(json.dumps(out, indent=2))
    else:
        width = max(len(c.name) for c in checks)
        for c in checks:
            say(f"{_MARK[c.status]}  {c.name:<{width}}  {c.message}")
            if c.hint and c.status != "ok":
                say(f"      {'':<{width}}  fix: {c.hint}")
        tally = {s: sum(1 for c in checks if c.status == s) for s in ("ok", "warn", "fail")}
        say(f"{tally['ok']} ok, {tally['warn']} warning(s), {tally['fail']} failed")
    decided(status != "fail")
