"""``aigov policy test``: run the unit tests written inside Policy documents."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from aigov_gate.cli.context import config_option, repo_option
from aigov_gate.cli.conventions import say_json
from aigov_gate.cli.output import decided, say

if TYPE_CHECKING:
    from aigov_gate.policy.unit_tests import CaseResult
    from aigov_gate.references import Checked
    from aigov_gate.result import Finding


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
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def policy_test_command(
    paths: tuple[Path, ...],
    packs: tuple[str, ...],
    all_packs: bool,
    repo: Path | None,
    config_path: Path | None,
    verbose: bool,
    fmt: str,
) -> None:
    """Run the test cases of policies (like conftest verify).

    With PATHS: the policies in those files. With --pack/--all-packs: built-in packs.
    Otherwise: the repository's policies and the packs enabled in .aigov.yaml.
    Exit 1 when a case fails, a policy file is invalid, or no case was found.
    """
    from aigov_gate.cli.context import find_repo
    from aigov_gate.config import find_config, load_config
    from aigov_gate.packs import PACKS, pack_policies
    from aigov_gate.policy.unit_tests import run_policy_tests
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
    results = run_policy_tests(policies)
    ok = _report(results, policies, problems, verbose) if fmt == "text" else None
    if ok is None:
        ok = _report_json(results, policies, problems)
    decided(ok)


def _report(
    results: list[CaseResult],
    policies: list[tuple[str | None, Checked]],
    problems: list[Finding],
    verbose: bool,
) -> bool:
    """The text report; whether every case passed and nothing was invalid."""
    from aigov_gate.policy.unit_tests import untested
    from aigov_gate.reporters.text import render_finding

    for finding in problems:
        say(render_finding(finding, colour=False))
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
    return not (failed or problems or not results)


def _report_json(
    results: list[CaseResult], policies: list[tuple[str | None, Checked]], problems: list[Finding]
) -> bool:
    """The ``--format json`` envelope (docs/json-output.md); the same verdict as the text."""
    from aigov_gate.policy.unit_tests import untested
    from aigov_gate.reporters.json_report import finding_to_json

    failed = sum(1 for r in results if not r.ok)
    passed = bool(results) and not (failed or problems)
    cases = [
        {
            "policy": r.policy,
            "name": r.name,
            "passed": r.ok,
            "path": r.location.path,
            "line": r.location.line,
            "column": r.location.column,
            "detail": r.detail,
        }
        for r in results
    ]
    say_json(
        "policy test",
        passed=passed,
        summary={
            "passed": len(results) - failed,
            "failed": failed,
            "policies": len(policies),
            "invalid": len(problems),
        },
        cases=cases,
        untested=untested(policies),
        problems=[finding_to_json(f) for f in problems],
    )
    return passed
