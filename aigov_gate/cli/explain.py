"""``aigov explain RULE_ID``: what a rule checks, why, which clauses, how to fix."""

from __future__ import annotations

from pathlib import Path

import click

from aigov_gate.cli.output import say


@click.command("explain")
@click.argument("rule_id", required=False)
@click.option("--list", "list_all", is_flag=True, help="List every rule id with its title.")
@click.option(
    "--markdown", is_flag=True, help="Print the whole catalog as Markdown (docs/rules.md)."
)
@click.option("--repo", type=click.Path(path_type=Path), help="Repository (for its policies).")
def explain_command(rule_id: str | None, list_all: bool, markdown: bool, repo: Path | None) -> None:
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
    say(describe(found), nl=False)
