"""``aigov policy test``: run the unit tests written inside Policy documents."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from aigov_gate.cli.context import config_option, repo_option
from aigov_gate.cli.output import decided, say

if TYPE_CHECKING:
    from aigov_gate.references import Checked


@click.group("policy")
def policy_group() -> None:
    """Work with policies (CEL rules and built-in packs)."""


@policy_group.command("test")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--pack", "packs", multiple=True, help="Test a built-in pack (repeatable).")
@click.option("--all-packs", is_flag=True, help="Test every built-in pack.")
@repo_option
@config_option
@click.option("--verbose", "-v", is_flag=True, help="List passing cases too.")
@click.pass_context
def policy_test_command(
    ctx: click.Context,
    paths: tuple[Path, ...],
    packs: tuple[str, ...],
    all_packs: bool,
    repo: Path | None,
    config_path: Path | None,
    verbose: bool,
) -> None:
    """Run the test cases of policies (like conftest verify).

    With PATHS: the policies in those files. With --pack/--all-packs: built-in packs.
    Otherwise: the repository's policies and the packs enabled in .aigov.yaml.
    Exit 1 when a case fails, a policy file is invalid, or no case was found.
    """
    from aigov_gate.cli.context import find_repo
    from aigov_gate.config import find_config, load_config
    from aigov_gate.packs import PACKS, pack_policies
    from aigov_gate.policy.unit_tests import run_policy_tests, untested
    from aigov_gate.reporters.text import render_finding
    from aigov_gate.validation import validate_repo

    root = find_repo(repo)
    config = load_config(config_path or find_config(root))
    chosen_packs = list(PACKS) if all_packs else list(packs)
    policies: list[tuple[str | None, Checked]] = []
    problems = []
    if paths or not chosen_packs:
        validation = validate_repo(root, config, paths)
        problems = [f for f in validation.findings if paths or f.target.startswith("Policy/")]
        policies += [(None, d) for d in validation.documents if d.model.kind == "Policy"]
        if not paths:
            chosen_packs = list(config.policy_packs)
    policies += pack_policies(chosen_packs)
    for finding in problems:
        say(render_finding(finding, colour=False))
    results = run_policy_tests(policies)
    for r in results:
        if not r.ok:
            say(f"FAIL {r.location}: {r.policy} > {r.name}: {r.detail}")
        elif verbose:
            say(f"PASS {r.policy} > {r.name}")
    failed = sum(1 for r in results if not r.ok)
    missing = untested(policies)
    if missing:
        say(f"note: {len(missing)} policy(ies) without tests: {', '.join(missing)}")
    say(
        f"{len(results) - failed} passed, {failed} failed, {len(policies)} policy(ies)"
        + (f", {len(problems)} invalid document problem(s)" if problems else "")
    )
    if not results:
        say("error: no policy test cases found: nothing was verified", err=True)
    decided(not (failed or problems or not results))
