"""What every ``aigov import`` shares: where it writes (``-o``, ``--force``), the mapping
onto a plan's tests (``--plan``, ``--test``, ``--metric``), and the warning when an
imported run would become the run the gate judges (docs/interchange.md)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from aigov_gate.cli.conventions import force_option, output_option
from aigov_gate.cli.output import say
from aigov_gate.errors import UsageError

if TYPE_CHECKING:
    from aigov_gate.config import AigovConfig
    from aigov_gate.documents.imported import Imported
    from aigov_gate.interchange.onto_plan import Onto
    from aigov_gate.references import Checked

_OPTIONS = [
    output_option(
        "Folder to write into (default: the first of the config's paths).", folder=True, dest="out"
    ),
    force_option,
    click.option(
        "--plan",
        "onto_plan",
        metavar="PLAN",
        help="Put each imported metric under the tests of this TestPlan that ask for it, "
        "and record the plan in the run.",
    ),
    click.option(
        "--test",
        "onto_tests",
        multiple=True,
        metavar="NAME",
        help="With --plan: only these of its tests. Alone: the one test every metric goes under.",
    ),
    click.option(
        "--metric",
        "onto_metrics",
        multiple=True,
        metavar="PLAN_NAME=IMPORTED",
        help="The plan calls the imported metric IMPORTED this (repeatable, or a,b=c,d).",
    ),
]


def import_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the options every import shares (after the command's own)."""
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


def write_import(
    root: Path, config: AigovConfig, imported: Imported, header: str, given: dict[str, Any]
) -> None:
    """Map, check, warn, then write ``imported`` (all files or none) and say what was
    written; ``given`` holds the shared options' values."""
    from aigov_gate.interchange.onto_plan import judged, map_runs
    from aigov_gate.interchange.writing import planned, write_all
    from aigov_gate.validation import validate_repo

    existing = validate_repo(root, config).documents
    notes = list(imported.skipped)
    map_runs(imported.documents, _onto(existing, given), notes)
    plan = planned(given["out"] or root / config.paths[0], imported.documents)
    write_all(plan, header, force=given["force"])
    for path, doc in plan:
        shown = path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path
        say(f"wrote {shown} ({doc['kind']} '{doc['metadata']['name']}')")
    for note in notes:
        say(f"skipped: {note}" if note in imported.skipped else f"note: {note}", err=True)
    for found in judged(existing, plan, root.absolute(), config.organization):
        say(f"warning: TestRun '{found.run}' is now the run the gate judges for {found.model} "
            "(its newest completed run)", err=True)  # fmt: skip
        if found.missing:
            tests = ", ".join(f"'{test}' (plan {plan})" for plan, test in found.missing)
            say(f"  it has no result for the required test(s) {tests}: the gate will block "
                "(test.required-missing); import again with --force --plan PLAN "
                "[--metric PLAN_NAME=IMPORTED], or --test NAME", err=True)  # fmt: skip


def _onto(existing: list[Checked], given: dict[str, Any]) -> Onto:
    from aigov_gate.documents.testing import TestPlan
    from aigov_gate.interchange.onto_plan import Onto

    metrics: dict[str, str] = {}
    for value in given["onto_metrics"]:
        for part in value.split(","):
            ours, sep, theirs = (s.strip() for s in part.partition("="))
            if not sep or not ours or not theirs:
                raise UsageError(f"--metric {part!r}: expected PLAN_NAME=IMPORTED",
                                 hint="e.g. --metric accuracy=val_accuracy")  # fmt: skip
            metrics[ours] = theirs
    name = given["onto_plan"]
    if name is None:
        return Onto(None, tuple(given["onto_tests"]), metrics)
    plans = [d.model for d in existing if isinstance(d.model, TestPlan)]
    chosen = [plan for plan in plans if plan.metadata.name == name]
    if not chosen:
        known = ", ".join(sorted(plan.metadata.name for plan in plans)) or "none"
        raise UsageError(f"no TestPlan named '{name}'", hint=f"plans: {known}")
    return Onto(chosen[0], tuple(given["onto_tests"]), metrics)
