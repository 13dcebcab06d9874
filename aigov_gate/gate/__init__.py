"""``aigov gate`` as a function: build the Run, run the checks, apply waivers once, decide.

    >>> run = build(root, config, GateOptions(), now, environ={})  # doctest: +SKIP
    >>> run_gate(run).decision  # doctest: +SKIP
    'passed'

``app.gate`` builds the Run (it alone reads the clock and the environment). The checks
are the table ``gate.checks.CHECKS``; their findings are listed in its order: validation
findings first (invalid documents always block), then per model the built-in checks and
the CEL policies, then policies on other kinds, sign-off, then the waivers' own. Nothing
here prints; reporters render the result.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from aigov_gate.authority import Authority
from aigov_gate.catalog import RULES, RuleInfo
from aigov_gate.compliance import comply
from aigov_gate.config import AigovConfig
from aigov_gate.errors import AigovError
from aigov_gate.gate.base import Before
from aigov_gate.gate.checks import BASE_CHECKS, CHECKS, Check
from aigov_gate.gate.run import GateOptions, Run, build, select, situation_for
from aigov_gate.inventory import inventory
from aigov_gate.pii import Scanner
from aigov_gate.policy.waivers import Waiving, idle
from aigov_gate.result import (
    ClauseChange,
    Finding,
    FrameworkCompliance,
    GateResult,
    StaleEvidence,
    sort_findings,
)
from aigov_gate.rules import STAGES
from aigov_gate.transitions import verified

if TYPE_CHECKING:
    from collections.abc import Sequence

    from aigov_gate.sheets import ModelSheet


def run_gate(run: Run) -> GateResult:
    """Decide on ``run``: every check's findings, waived once, with compliance."""
    findings = _checked(run, CHECKS)
    refused = {f.target for f in findings if f.rule_id == "waiver.unapproved"}
    unusable = run.signoffs.rejected | {w.key for w in run.graph.waivers if w.raw.target in refused}
    waiving = Waiving(
        run.graph.waivers,
        run.situation,
        run.config.gate.waiver_warning_days,
        unusable,
        run.rules_of.waivers.unwaivable,
    )
    marked = waiving.mark(findings)
    compliance, more = _comply(run, marked + waiving.about())  # the base's dates, coverage
    findings = marked + waiving.mark(more) + waiving.about()
    findings = idle(findings, run.graph.waivers, run.models.verdicts, run.situation)  # kept
    moved = _compliance_moves(run, compliance)
    sheets: tuple[ModelSheet, ...] = ()
    models = run.models
    if run.options.dashboard:
        from aigov_gate.overview import sheets_for

        sheets = sheets_for(models.contexts, run.graph, run.config, run.situation.today, findings)
    return GateResult(
        situation=run.situation,
        fail_on=run.fail_on,
        findings=_lead_with_changed(sort_findings(findings), run.before.changed),
        models=models.verdicts,
        policies=run.evaluator.policies_evaluated,
        files=run.validation.files_read,
        documents=run.validation.documents_checked,
        packs=tuple(run.rules_of.policy_packs),
        base=run.options.base,
        changed=run.before.changed or (),
        policy_rules={rule.id: rule.info() for rule in run.evaluator.rules},
        compliance=compliance,
        signoffs=run.signoffs.signoffs,
        evidence=inventory(run.validation.documents, run.root, Scanner(run.config.pii))
        if run.options.evidence
        else [],
        changes=verified(run.before.moved, findings, run.signoffs.signoffs),
        subscriptions=run.graph.subscriptions(),
        compliance_changes=moved[0],
        stale_evidence=moved[1],
        compliance_base_error=moved[2],
        sheets=sheets,
        web_url=run.options.web_url,
        path_prefix=run.options.path_prefix,
        artifact=run.artifact[0],
    )


def _checked(run: Run, checks: Sequence[Check]) -> list[Finding]:
    return [finding for check in checks for finding in check.evaluate(run)]


def _comply(run: Run, findings: list[Finding]) -> tuple[list[FrameworkCompliance], list[Finding]]:
    models = run.models
    return comply(
        models.contexts,
        models.verdicts,
        run.graph,
        run.rules_of,
        run.situation.today,
        findings,
        _rules(run),
        run.options.framework,
    )


def _rules(run: Run) -> dict[str, RuleInfo]:
    """Every rule a finding can name: the built-in ones and the policies evaluated."""
    return {**RULES, **{rule.id: rule.info() for rule in run.evaluator.rules}}


def _compliance_moves(
    run: Run, compliance: list[FrameworkCompliance]
) -> tuple[tuple[ClauseChange, ...], tuple[StaleEvidence, ...], str]:
    """With ``--base``: the clauses whose status the change moves, evidence gone stale, and
    why the base could not be assessed ("" when it could).

    The base is exported to a temporary folder and assessed as it stands (its own
    configuration, documents, policies, runs and waivers; not its sign-offs), on the same
    stage, environment and day, through the same Run and checks (``BASE_CHECKS``).
    """
    ref = run.before.ref
    if ref is None or not (compliance or run.options.framework):
        return (), (), ""
    import tempfile

    from aigov_gate import git
    from aigov_gate.compliance.diff import clause_changes, stale_evidence
    from aigov_gate.config import find_config, load_config

    with tempfile.TemporaryDirectory(prefix="aigov-base-") as folder:
        base_root = Path(folder)
        git.export_root(ref, base_root)
        try:
            base_config = load_config(find_config(base_root))
            base = _base_compliance(base_root, base_config, run)
        except AigovError as exc:
            return (), (), str(exc)  # nothing to compare with, and the report says why
    return tuple(clause_changes(base, compliance)), tuple(stale_evidence(base, compliance)), ""


def _base_compliance(root: Path, config: AigovConfig, change: Run) -> list[FrameworkCompliance]:
    """The base's compliance, judged by its own settings, on the change's situation."""
    wanted = change.options.model
    options = replace(
        change.options,
        base=None,
        signoff=None,
        signoff_from_env=False,
        evidence=False,
        dashboard=False,
        progress=None,
    )
    unselected = replace(options, model=None)
    run = build(
        root,
        config,
        unselected,
        change.now,
        change.environ,
        before=Before(Authority(config, None, "the base")),
        situation=change.situation,
    )
    if wanted is not None:
        names = {doc.model.metadata.name for doc in run.graph.models}
        if wanted.partition("@")[0] not in names:
            return []
        run = replace(run, options=options, selected=select(run.graph, wanted))
    findings = _checked(run, BASE_CHECKS)
    waiving = Waiving(
        run.graph.waivers,
        run.situation,
        config.gate.waiver_warning_days,
        (),
        config.waivers.unwaivable,
    )
    compliance, _ = _comply(run, waiving.mark(findings) + waiving.about())
    return compliance


def _lead_with_changed(findings: list[Finding], changed: tuple[str, ...] | None) -> list[Finding]:
    """With ``--base``: findings in changed files first, each group in the usual order."""
    if not changed:
        return findings
    touched = set(changed)
    first = [f for f in findings if f.location.path in touched]
    return first + [f for f in findings if f.location.path not in touched]


__all__ = ["CHECKS", "STAGES", "Check", "GateOptions", "Run", "build", "run_gate", "situation_for"]
