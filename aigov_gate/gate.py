"""``aigov gate`` as a function: validate, resolve, evaluate, waive, decide.

    >>> result = run_gate(Path("examples/credit-scoring"), config, GateOptions())  # doctest: +SKIP
    >>> result.decision  # doctest: +SKIP
    'passed'

The order is DESIGN.md's "Evaluation, in one pass": validation findings first (invalid
documents always block), then per model the built-in checks and the CEL policies, then
policies on other kinds, then waivers. Nothing here prints; reporters render the result.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from aigov_gate.authority import Authority, from_base, from_worktree
from aigov_gate.catalog import RULES, RuleInfo
from aigov_gate.compliance import comply
from aigov_gate.config import AigovConfig
from aigov_gate.documents.testing import TestRun
from aigov_gate.errors import AigovError, UsageError
from aigov_gate.graph import Graph, ModelContext, latest_completed
from aigov_gate.inventory import inventory
from aigov_gate.packs import pack_policies
from aigov_gate.pii import Scanner
from aigov_gate.policy.evaluation import Evaluator
from aigov_gate.policy.waivers import apply_waivers as waive
from aigov_gate.policy.waivers import vet
from aigov_gate.references import Checked, of_kind
from aigov_gate.remote import check_remote_evidence
from aigov_gate.result import (
    Change,
    ClauseChange,
    Finding,
    FrameworkCompliance,
    GateResult,
    Location,
    ModelVerdict,
    Severity,
    Situation,
    StaleEvidence,
    sort_findings,
)
from aigov_gate.signoff.check import assessors
from aigov_gate.signoff.check import check as check_signoff
from aigov_gate.signoff.context import Context
from aigov_gate.signoff.identities import lookalikes
from aigov_gate.transitions import BASE_KINDS, changes, loosened, workflow
from aigov_gate.validation import validate_repo

if TYPE_CHECKING:
    from aigov_gate.git import BaseRef
    from aigov_gate.loading.loader import Report
    from aigov_gate.sheets import ModelSheet

STAGES = ("merge", "deploy")


@dataclass(frozen=True, slots=True)
class GateOptions:
    stage: str = "merge"
    environment: str | None = None
    model: str | None = None
    base: str | None = None
    fail_on: str | None = None
    today: date | None = None
    framework: str | None = None
    signoff: Context | None = None
    #: How to find the sign-off provider's API, token and pull request (the environment
    #: and --pr); the context is built from the base's signoff settings, not the change's.
    signoff_env: Mapping[str, str] | None = None
    pr: int | None = None
    #: List the evaluated files for an evidence bundle (``GateResult.evidence``); only
    #: ``--evidence`` pays for scanning every file for personal data.
    evidence: bool = False
    #: Build the dashboard's per-model sheets (``GateResult.sheets``): only for HTML.
    dashboard: bool = False
    #: Told how reading files and evaluating models goes (a progress line on a terminal).
    progress: Report | None = None
    #: Where CI shows a file, the root in CI's workspace (GateResult.web_url, .path_prefix).
    web_url: str = ""
    path_prefix: str = ""


def situation_for(config: AigovConfig, options: GateOptions) -> Situation:
    """Check stage and environment against the config; usage errors say what is known."""
    if options.stage not in STAGES:
        raise UsageError(f"unknown stage '{options.stage}'", hint="use merge or deploy")
    env = options.environment
    known = sorted(config.environments)
    if options.stage == "merge" and env is not None:
        raise UsageError(
            f"--environment {env} is for a deploy gate, but the stage is merge (the default): "
            "a merge gate would silently ignore it",
            hint=f"add --stage deploy to gate the deploy to {env}, or drop --environment",
        )
    if options.stage == "deploy" and env is None:
        listed = ", ".join(known) if known else "none configured"
        raise UsageError(
            "--stage deploy needs --environment",
            hint=f"environments in .aigov.yaml: {listed}",
        )
    production = False
    if env is not None:
        if env not in config.environments:
            close = [k for k in known if k.startswith(env)] or difflib.get_close_matches(
                env, known, n=1, cutoff=0.5
            )
            did = f"did you mean '{close[0]}'? " if close else ""
            raise UsageError(
                f"unknown environment '{env}'",
                hint=f"{did}environments in .aigov.yaml: {', '.join(known) or 'none'}",
            )
        production = config.environments[env].production
    today = options.today or datetime.now(UTC).date()
    return Situation(options.stage, env, production, today)


def run_gate(root: Path, config: AigovConfig, options: GateOptions) -> GateResult:
    situation = situation_for(config, options)
    fail_on = Severity.parse(options.fail_on or config.gate.fail_on)
    validation = validate_repo(root, config, progress=options.progress)
    graph = Graph(validation.documents)
    selected = _select(graph, options.model)
    before = _base(root, config, graph, options.base)
    base_runs = before.runs if options.base else None
    base_docs, changed, authority = before.documents, before.changed, before.authority
    rules_of = authority.config  # roles, sign-off, waivers, packs, compliance: the base's
    evaluator = _evaluator(situation, config, rules_of, graph)
    findings = list(validation.findings) + evaluator.problems()
    findings.extend(workflow(graph, base_docs if options.base else None))
    env = options.signoff_env if options.signoff_env is not None else os.environ
    findings.extend(check_remote_evidence(validation.documents, env, before.ref, config))
    lowered = loosened(graph, base_docs) if options.base else []
    contexts, verdicts = _evaluate_models(
        evaluator, graph, selected, base_runs, findings, options.progress
    )
    others = _related(contexts, graph) if options.model else _all_others(graph)
    findings.extend(evaluator.evaluate_documents(others))
    findings.extend(_coverage(evaluator, graph, validation.findings))
    signoff = check_signoff(
        root,
        authority,
        situation,
        graph,
        contexts,
        changed,
        _signoff_context(options, rules_of),
        lowered,
    )
    findings.extend(signoff.findings)
    findings.extend(lookalikes(graph, rules_of))
    vetted = vet(graph.waivers, rules_of, assessors(graph))
    findings.extend(vetted)
    refused = {f.target for f in vetted}
    unusable = signoff.rejected | {id(w) for w in graph.waivers if w.raw.target in refused}
    warn_days = config.gate.waiver_warning_days

    def apply_waivers(found: list[Finding]) -> list[Finding]:
        return waive(
            found, graph.waivers, situation, warn_days, unusable, rules_of.waivers.unwaivable
        )

    waived = apply_waivers(findings)
    rules = _rules(evaluator)
    compliance, compliance_findings = comply(  # the base's clause dates and coverage
        contexts, verdicts, graph, rules_of, situation.today, waived, rules, options.framework
    )
    if compliance_findings:
        waived = apply_waivers(findings + compliance_findings)
    findings = waived
    moved = _compliance_moves(root, situation, options, before, compliance)
    sheets: tuple[ModelSheet, ...] = ()
    if options.dashboard:
        from aigov_gate.overview import sheets_for

        sheets = sheets_for(contexts, graph, config, situation.today, findings)
    return GateResult(
        situation=situation,
        fail_on=fail_on,
        findings=_lead_with_changed(sort_findings(findings), changed),
        models=verdicts,
        policies=evaluator.policies_evaluated,
        files=validation.files_read,
        documents=validation.documents_checked,
        packs=tuple(rules_of.policy_packs),
        base=options.base,
        changed=changed or (),
        policy_rules={rule.id: rule.info() for rule in evaluator.rules},
        compliance=compliance,
        signoffs=signoff.signoffs,
        evidence=inventory(validation.documents, root, Scanner(config.pii))
        if options.evidence
        else [],
        changes=before.moved,
        subscriptions=graph.subscriptions(),
        compliance_changes=moved[0],
        stale_evidence=moved[1],
        compliance_base_error=moved[2],
        sheets=sheets,
        web_url=options.web_url,
        path_prefix=options.path_prefix,
    )


def _evaluator(
    situation: Situation, config: AigovConfig, rules_of: AigovConfig, graph: Graph
) -> Evaluator:
    """The repository's policies and the packs in force, for this situation."""
    evidence = (
        config.gate.insufficient_evidence_production
        if situation.production_deploy
        else config.gate.insufficient_evidence
    )
    evaluator = Evaluator(situation, config.gate.review_warning_days, Severity.parse(evidence))
    evaluator.add_policies(graph.policies)
    for pack, doc in pack_policies(rules_of.policy_packs):
        evaluator.add_policies([doc], pack)
    return evaluator


def _rules(evaluator: Evaluator) -> dict[str, RuleInfo]:
    """Every rule a finding can name: the built-in ones and the policies evaluated."""
    return {**RULES, **{rule.id: rule.info() for rule in evaluator.rules}}


def _evaluate_models(
    evaluator: Evaluator,
    graph: Graph,
    selected: list[tuple[Checked, str | None]],
    base_runs: list[Checked[TestRun]] | None,
    findings: list[Finding],
    progress: Report | None = None,
) -> tuple[list[ModelContext], list[ModelVerdict]]:
    """Each selected model's checks and policies; their findings go to ``findings``."""
    contexts, verdicts = [], []
    for done, (doc, version) in enumerate(selected, 1):
        if progress is not None:
            progress("evaluating models", done - 1, len(selected))
        ctx = graph.model_context(doc, version)
        contexts.append(ctx)
        rec = evaluator.evaluate_model(ctx, _baseline(ctx, base_runs))
        findings.extend(rec.findings)
        where = doc.raw.locate(("metadata", "name"))
        evaluated = tuple(sorted(rec.evaluated))
        verdicts.append(ModelVerdict(ctx.name, ctx.version, where, evaluated, doc.organization))
    if progress is not None:
        progress("evaluating models", len(selected), len(selected))
    return contexts, verdicts


def _compliance_moves(
    root: Path,
    situation: Situation,
    options: GateOptions,
    before: _Before,
    compliance: list[FrameworkCompliance],
) -> tuple[tuple[ClauseChange, ...], tuple[StaleEvidence, ...], str]:
    """With ``--base``: the clauses whose status the change moves, evidence gone stale, and
    why the base could not be assessed ("" when it could).

    The base is exported to a temporary folder and assessed as it stands (its own
    configuration, documents, policies, runs and waivers; not its sign-offs), on the same
    stage, environment and day.
    """
    if before.ref is None or not (compliance or options.framework):
        return (), (), ""
    import tempfile

    from aigov_gate import git
    from aigov_gate.compliance.diff import clause_changes, stale_evidence
    from aigov_gate.config import find_config, load_config

    with tempfile.TemporaryDirectory(prefix="aigov-base-") as folder:
        base_root = Path(folder)
        git.export_root(before.ref, base_root)
        try:
            base_config = load_config(find_config(base_root))
            base = _base_compliance(base_root, base_config, situation, options)
        except AigovError as exc:
            return (), (), str(exc)  # nothing to compare with, and the report says why
    return tuple(clause_changes(base, compliance)), tuple(stale_evidence(base, compliance)), ""


def _base_compliance(
    root: Path, config: AigovConfig, situation: Situation, options: GateOptions
) -> list[FrameworkCompliance]:
    validation = validate_repo(root, config)
    graph = Graph(validation.documents)
    names = {doc.model.metadata.name for doc in graph.models}
    wanted = options.model.partition("@")[0] if options.model else None
    if wanted is not None and wanted not in names:
        return []
    evaluator = _evaluator(situation, config, config, graph)
    findings = list(validation.findings) + evaluator.problems()
    contexts, verdicts = _evaluate_models(
        evaluator, graph, _select(graph, options.model), None, findings
    )
    findings.extend(evaluator.evaluate_documents(_all_others(graph)))
    waived = waive(
        findings,
        graph.waivers,
        situation,
        config.gate.waiver_warning_days,
        set(),
        config.waivers.unwaivable,
    )
    compliance, _ = comply(
        contexts,
        verdicts,
        graph,
        config,
        situation.today,
        waived,
        _rules(evaluator),
        options.framework,
    )
    return compliance


@dataclass(slots=True)
class _Before:
    """What ``--base`` tells: the base's documents, what changed, and whose authority."""

    authority: Authority
    documents: list[Checked] = field(default_factory=list)
    changed: tuple[str, ...] | None = None
    moved: list[Change] = field(default_factory=list)
    ref: BaseRef | None = None

    @property
    def runs(self) -> list[Checked[TestRun]]:
        return of_kind(self.documents, TestRun)


def _base(root: Path, config: AigovConfig, graph: Graph, ref_name: str | None) -> _Before:
    if not ref_name:
        return _Before(from_worktree(root, config))
    from aigov_gate import git

    ref = git.open_base(root, ref_name)
    limits = config.limits.to_limits()
    docs = git.documents_at(ref, config.organization, limits, BASE_KINDS)
    return _Before(
        from_base(root, config, ref), docs, git.changed_since(ref), changes(graph, docs), ref
    )


def _signoff_context(options: GateOptions, rules_of: AigovConfig) -> Context:
    """The provider context from the settings in force (the base's with --base)."""
    if options.signoff_env is not None:
        from aigov_gate.signoff.context import from_env

        return from_env(rules_of.signoff, options.signoff_env, options.pr)
    return options.signoff or Context(rules_of.signoff.provider)


def _select(graph: Graph, wanted: str | None) -> list[tuple[Checked, str | None]]:
    """``(model, version)`` to gate: all models, or ``NAME`` / ``NAME@VERSION``."""
    if wanted is None:
        return [(doc, None) for doc in graph.models]
    name, _, version = wanted.partition("@")
    found = [doc for doc in graph.models if doc.model.metadata.name == name]
    if not found:
        names = sorted({doc.model.metadata.name for doc in graph.models})
        close = difflib.get_close_matches(name, names, n=1)
        did = f"did you mean '{close[0]}'? " if close else ""
        raise UsageError(
            f"--model {wanted}: no model named '{name}'",
            hint=f"{did}models: {', '.join(names) or 'none'}",
        )
    return [(doc, version or None) for doc in found]


def _baseline(ctx: ModelContext, runs: list[Checked[TestRun]] | None) -> Checked[TestRun] | None:
    """The base ref's latest completed run with ``--base``; else another version's."""
    if runs is not None:
        return latest_completed(
            r
            for r in runs
            if r.organization == ctx.model.organization and r.model.spec.model == ctx.name
        )
    return latest_completed(r for r in ctx.runs if r.model.spec.model_version != ctx.version)


def _related(contexts: list[ModelContext], graph: Graph) -> list[Checked]:
    """With ``--model``: the documents those models use, for policies on other kinds."""
    seen: dict[int, Checked] = {}
    for ctx in contexts:
        seen.update((id(doc), doc) for doc in ctx.used())
    return list(seen.values())


def _all_others(graph: Graph) -> list[Checked]:
    return [doc for kind, docs in graph.by_kind.items() if kind != "Model" for doc in docs]


def _coverage(evaluator: Evaluator, graph: Graph, validation: list[Finding]) -> list[Finding]:
    """No silent pass: no policy evaluated, or no model at all, is a finding."""
    out = []
    if evaluator.policies_evaluated == 0:
        out.append(
            Finding(
                "gate.no-policies",
                Severity.HIGH,
                "no policy applies at this stage: the gate would decide on nothing",
                Location(".aigov.yaml"),
                hint="enable a pack (policy_packs: [baseline]) or add Policy documents",
            )
        )
    no_documents = any(f.rule_id == "load.no-documents" for f in validation)
    if not graph.models and not no_documents:
        out.append(
            Finding(
                "gate.no-models",
                Severity.HIGH,
                "no Model document found: there is nothing to gate",
                Location(".aigov.yaml"),
                hint="add Model documents, or check 'paths' in .aigov.yaml",
            )
        )
    return out


def _lead_with_changed(findings: list[Finding], changed: tuple[str, ...] | None) -> list[Finding]:
    """With ``--base``: findings in changed files first, each group in the usual order."""
    if not changed:
        return findings
    touched = set(changed)
    first = [f for f in findings if f.location.path in touched]
    return first + [f for f in findings if f.location.path not in touched]


__all__ = ["STAGES", "GateOptions", "run_gate", "situation_for"]
