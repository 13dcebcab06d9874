"""``aigov explain RULE_ID``: what a rule checks, why, which clauses, how to fix."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from aigov_gate.cli.conventions import say_json
from aigov_gate.cli.output import say

if TYPE_CHECKING:
    from aigov_gate.rules import RuleInfo


@click.command("explain")
@click.argument("rule_id", required=False)
@click.option("--list", "list_all", is_flag=True, help="List every rule id with its title.")
@click.option(
    "--markdown", is_flag=True, help="Print the whole catalog as Markdown (docs/rules.md)."
)
@click.option("--repo", type=click.Path(path_type=Path), help="Repository (for its policies).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def explain_command(
    rule_id: str | None, list_all: bool, markdown: bool, repo: Path | None, fmt: str
) -> None:
    """Explain a built-in rule, a pack policy or a policy of the repository."""
    from aigov_gate.cli.context import find_repo
    from aigov_gate.config import find_config, load_config
    from aigov_gate.errors import UsageError
    from aigov_gate.explain import catalog_markdown, describe, known_rules

    if markdown:
        say(catalog_markdown(), nl=False)
        return
    root = find_repo(repo)
    config = load_config(find_config(root))
    rules = known_rules(root, config)
    if list_all or rule_id is None:
        if fmt == "json":
            ordered = sorted(rules.values(), key=lambda r: r.id)
            say_json("explain", rules=[_rule_json(info) for info in ordered])
            return
        for info in sorted(rules.values(), key=lambda r: r.id):
            say(f"{info.id:40} {info.severity:8} {info.title}")
        return
    found = rules.get(rule_id)
    if found is None:
        import difflib

        close = difflib.get_close_matches(rule_id, list(rules), n=3, cutoff=0.5)
        raise UsageError(
            f"unknown rule '{rule_id}'",
            hint=(f"did you mean {', '.join(close)}? " if close else "")
            + "aigov explain --list shows every rule",
        )
    if fmt == "json":
        say_json("explain", rule=_rule_json(found))
        return
    say(describe(found), nl=False)


def _rule_json(info: RuleInfo) -> dict[str, Any]:
    from aigov_gate.catalog import RULES

    return {
        "id": info.id,
        "title": info.title,
        "severity": info.severity,
        "checks": info.checks,
        "why": info.why,
        "fix": info.fix,
        "clauses": list(info.clauses),
        "waivable": info.waivable,
        "always_blocks": info.always_blocks,
        "builtin": info.id in RULES,
        "help_uri": info.help_uri if info.id in RULES else None,
    }
