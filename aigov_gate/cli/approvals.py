"""``aigov approvals status``: who signed off which risk assessment, and who is still needed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from aigov_gate.cli.context import config_option, pr_option, repo_option


@click.group("approvals")
def approvals_group() -> None:
    """Risk sign-off: approvals by people in the right roles (docs/ci.md)."""


@approvals_group.command("status")
@pr_option
@click.option("--assessment", "-a", metavar="NAME", help="Only this RiskAssessment.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@repo_option
@config_option
@click.pass_context
def status_command(
    ctx: click.Context,
    pr: int | None,
    assessment: str | None,
    fmt: str,
    repo: Path | None,
    config_path: Path | None,
) -> None:
    """Show each assessment's sign-off: approved by whom in which role, what is missing.

    With the recorded provider: every assessment, with the digest to record. With github
    or gitlab and a pull request (--pr, or the CI event): the assessments it changes;
    without one: every approved assessment, through the pull request that last changed it.

    Exit codes: 0 every assessment shown is signed off, 1 some are not, 2 could not ask.
    """
    from aigov_gate.cli.context import find_repo
    from aigov_gate.config import find_config, load_config
    from aigov_gate.errors import EXIT_BLOCKED, EXIT_PASSED
    from aigov_gate.graph import Graph
    from aigov_gate.reporters import signoff as report
    from aigov_gate.signoff.check import status
    from aigov_gate.signoff.context import from_env
    from aigov_gate.validation import validate_repo

    root = find_repo(repo)
    config = load_config(config_path or find_config(root))
    context = from_env(config.signoff, os.environ, pr)
    graph = Graph(validate_repo(root, config).documents)
    signoffs = status(root, config, graph, context, assessment)
    ok = all(s.satisfied for s in signoffs)
    if fmt == "json":
        body = {"provider": context.provider, "signoff": [report.to_json(s) for s in signoffs]}
        click.echo(json.dumps(body, indent=2))
    else:
        where = f"{context.provider}"
        if context.number is not None:
            where += f", {'PR #' if context.provider == 'github' else 'MR !'}{context.number}"
        click.echo(f"sign-off ({where})")
        if not signoffs:
            click.echo("  no risk assessment to show")
        click.echo("\n".join(report.text_lines(signoffs)))
    ctx.exit(EXIT_PASSED if ok else EXIT_BLOCKED)
