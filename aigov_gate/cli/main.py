"""The ``aigov`` command group and the one place where errors become messages and exit codes.

Sub-commands import the core lazily, inside their functions, so ``aigov validate`` on
one file (pre-commit) does not pay for what other commands need.
"""

from __future__ import annotations

import gc
import os
import sys
import traceback
from typing import Any

import click

from aigov_gate import __version__
from aigov_gate.cli.approvals import approvals_group
from aigov_gate.cli.compliance import compliance_group, frameworks_group
from aigov_gate.cli.doctor import doctor_command
from aigov_gate.cli.evidence import evidence_group
from aigov_gate.cli.explain import explain_command
from aigov_gate.cli.exports import export_group
from aigov_gate.cli.gate import gate_command
from aigov_gate.cli.init import init_command
from aigov_gate.cli.interchange import import_group
from aigov_gate.cli.keys import keys_group
from aigov_gate.cli.metrics import metrics_group
from aigov_gate.cli.output import say
from aigov_gate.cli.pii import pii_group
from aigov_gate.cli.policy import policy_group
from aigov_gate.cli.report import report_group
from aigov_gate.cli.schema import schema_group
from aigov_gate.cli.testrun import test_group
from aigov_gate.cli.validate import validate_command
from aigov_gate.cli.webhooks import webhooks_group
from aigov_gate.errors import EXIT_BROKEN_PIPE, EXIT_INTERNAL, AigovError, internal_error_text


class AigovGroup(click.Group):
    """Maps :class:`AigovError` to its message and exit code, anything else to exit 3."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:  # --help and --version write while the arguments are parsed
            return super().make_context(info_name, args, parent, **extra)
        except BrokenPipeError:
            _discard_stdout()
            raise click.exceptions.Exit(EXIT_BROKEN_PIPE) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BrokenPipeError:
            _discard_stdout()
            raise click.exceptions.Exit(EXIT_BROKEN_PIPE) from None
        except AigovError as exc:
            say(exc.diagnostics(), err=True)
            ctx.exit(exc.exit_code)
        except Exception as exc:
            if ctx.find_root().params.get("debug"):
                traceback.print_exc()
            say(internal_error_text(exc), err=True)
            ctx.exit(EXIT_INTERNAL)


@click.group(cls=AigovGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="aigov")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def cli(debug: bool) -> None:
    """Policy-as-code gate for AI governance kept as YAML in Git.

    Exit codes: 0 passed, 1 blocked (problems found), 2 could not run (usage or
    configuration error), 3 internal error.
    """


cli.add_command(validate_command)
cli.add_command(gate_command)
cli.add_command(policy_group)
cli.add_command(explain_command)
cli.add_command(init_command)
cli.add_command(schema_group)
cli.add_command(frameworks_group)
cli.add_command(compliance_group)
cli.add_command(approvals_group)
cli.add_command(evidence_group)
cli.add_command(keys_group)
cli.add_command(pii_group)
cli.add_command(webhooks_group)
cli.add_command(doctor_command)
cli.add_command(report_group)
cli.add_command(test_group)
cli.add_command(metrics_group)
cli.add_command(import_group)
cli.add_command(export_group)


def main() -> None:
    """Console-script entry point.

    The cyclic garbage collector runs far less often: a run builds tens of thousands of
    acyclic dicts from YAML, and default thresholds made each collection rescan all of
    them (about 20% of ``validate`` on 10,000 documents, growing faster than linearly).
    """
    gc.set_threshold(50_000, 20, 100)
    try:
        cli(prog_name="aigov")
    except SystemExit as done:
        try:
            sys.stdout.flush()  # what is still buffered, while we can still say how it ended
        except BrokenPipeError:
            _discard_stdout()
            raise SystemExit(EXIT_BROKEN_PIPE) from None
        raise done from None


def _discard_stdout() -> None:
    """Point stdout at /dev/null: the reader left, and the interpreter's last flush would
    otherwise print "Exception ignored ... BrokenPipeError" on the way out."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
