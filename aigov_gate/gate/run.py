"""The Run: everything one gate decides on, gathered once and then only read.

``build`` is called by ``app.gate`` (the only place that reads the clock and the process
environment: it passes their snapshot in as ``now`` and ``environ``) and by the base's
compliance assessment (with the same snapshot). Checks (``gate.checks``) read a Run and
return findings; nothing changes it after it is built.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from aigov_gate.authority import Authority, controls_digest
from aigov_gate.bars import loosened
from aigov_gate.config import AigovConfig
from aigov_gate.deployed import ArtifactVerdict
from aigov_gate.documents.testing import TestRun
from aigov_gate.errors import UsageError
from aigov_gate.gate.base import Before, read_base, with_base_controls
from aigov_gate.graph import Graph, ModelContext, latest_completed
from aigov_gate.overview import judged_on
from aigov_gate.packs import pack_policies
from aigov_gate.policy.evaluation import Evaluator
from aigov_gate.references import Checked
from aigov_gate.result import Finding, ModelVerdict, Severity, Situation
from aigov_gate.rules import STAGES, Stage
from aigov_gate.signoff.context import Context
from aigov_gate.transitions import changes, rewritten
from aigov_gate.validation import ValidationResult, validate_repo

if TYPE_CHECKING:
    from aigov_gate.gate.attested import ExecutorKeys, Provenance
    from aigov_gate.loading.loader import Report
    from aigov_gate.signoff.check import Outcome


@dataclass(frozen=True, slots=True)
class GateOptions:
    """The options of one gate run, as parsed (``app.gate.GateRequest`` fills them)."""

    stage: Stage = "merge"
    environment: str | None = None
    model: str | None = None
    base: str | None = None
    fail_on: str | None = None
    #: The day the run is evaluated as of (``--as-of``); None: the day of ``Run.now``.
    as_of: date | None = None
    framework: str | None = None
    #: The sign-off provider's context when the caller gives one outright (tests, tools).
    signoff: Context | None = None
    #: Build the provider context from the environment snapshot and ``pr`` (``aigov gate``);
    #: it is built from the base's signoff settings, not the change's.
    signoff_from_env: bool = False
    pr: int | None = None
    #: List the evaluated files for an evidence bundle (``GateResult.evidence``).
    evidence: bool = False
    #: Build the dashboard's per-model sheets (``GateResult.sheets``): only for HTML.
    dashboard: bool = False
    #: Told how reading files and evaluating models goes (a progress line on a terminal).
    progress: Report | None = None
    #: Where CI shows a file, the root in CI's workspace (GateResult.web_url, .path_prefix).
    web_url: str = ""
    path_prefix: str = ""
    #: ``--model-artifact``: the bytes being deployed (docs/gate.md, issue 41).
    model_artifact: Path | None = None


@dataclass(frozen=True, slots=True)
class Models:
    """The selected models, evaluated once: what is known of each, its verdict, findings."""

    contexts: list[ModelContext]
    verdicts: list[ModelVerdict]
    findings: list[Finding]


@dataclass(frozen=True)
class Run:
    """One gate run's inputs. Built by :func:`build`; checks only read it."""

    root: Path
    #: The working tree's ``.aigov.yaml`` (discovery, limits, gate settings, pii).
    config: AigovConfig
    options: GateOptions
    situation: Situation
    #: The clock and the environment variables, read once where the Run is built.
    now: datetime
    environ: Mapping[str, str]
    validation: ValidationResult
    graph: Graph
    #: The base's documents, the changed files and the authority in force.
    before: Before
    #: The repository's policies and the packs in force, compiled.
    evaluator: Evaluator
    #: The sign-off provider's context, from the settings in force.
    signoff: Context
    #: The models to gate: all of them, or ``--model NAME[@VERSION]``.
    selected: list[tuple[Checked, str | None]]

    @property
    def rules_of(self) -> AigovConfig:
        """Roles, sign-off, waivers, packs and compliance: the base's with ``--base``."""
        return self.before.authority.config

    @property
    def authority(self) -> Authority:
        return self.before.authority

    @property
    def fail_on(self) -> Severity:
        return Severity.parse(self.options.fail_on or self.config.gate.fail_on)

    @property
    def with_base(self) -> bool:
        return bool(self.options.base)

    @cached_property
    def models(self) -> Models:
        """Each selected model's built-in checks and policies, evaluated on first use."""
        return evaluate_models(self, self.options.progress)

    @cached_property
    def executor_keys(self) -> ExecutorKeys:
        """The executor keys runs are attested with: the base's keyring's with ``--base``."""
        from aigov_gate.gate.attested import executor_keys

        return executor_keys(self)

    @cached_property
    def _provenance(self) -> dict[tuple[str, str], Provenance]:
        return {}

    def provenance(self, doc: Checked[TestRun]) -> Provenance:
        """The run's class (attested, approved, claimed) and why, decided once per run."""
        from aigov_gate.gate.attested import classify

        key = (doc.organization, doc.raw.name)
        if key not in self._provenance:
            self._provenance[key] = classify(self, doc, self.executor_keys)
        return self._provenance[key]

    @cached_property
    def artifact(self) -> tuple[ArtifactVerdict | None, list[Finding]]:
        """``--model-artifact``: the bytes hashed and checked, once (None without it)."""
        from aigov_gate.artifact.check import for_gate

        return for_gate(self.options, self.situation, self.models.contexts, self.authority)

    @cached_property
    def signoffs(self) -> Outcome:
        """Sign-off of assessments, waivers, authority changes and loosened plans, once."""
        from aigov_gate.signoff.check import check

        lowered = loosened(self.graph, self.before.documents) if self.with_base else []
        return check(
            self.root,
            self.authority,
            self.situation,
            self.graph,
            self.models.contexts,
            self.before.changed,
            self.signoff,
            lowered,
        )


def build(
    root: Path,
    config: AigovConfig,
    options: GateOptions,
    now: datetime,
    environ: Mapping[str, str],
    *,
    before: Before | None = None,
    situation: Situation | None = None,
) -> Run:
    """Read the repository (and the base) once, for ``options``, as of ``now``.

    ``before``: what is known of the base when the caller has it already (the base's own
    compliance assessment is judged by its own settings, with no base of its own);
    ``situation``: the stage, environment and day when they are the change's run's.
    """
    if before is None:
        before = read_base(root, config, options.base, environ)
    judge = before.authority.config  # with --base: the base's, every section
    if situation is None:
        situation = situation_for(judge, options, now)
    validation = validate_repo(root, judge, progress=options.progress)
    documents = validation.documents
    if before.ref is not None:
        before.authority.proposed_controls = controls_digest(documents)
        documents = with_base_controls(before, documents)
        before.moved = changes(Graph(documents), before.documents)
    graph = Graph(documents)
    if before.ref is not None:  # completed runs are append-only
        rewrites = rewritten(graph, before.documents, situation.today, before.authority)
        before.authority.changes.extend(rewrites)
    selected = select(graph, options.model)
    evaluator = _evaluator(situation, judge, judge, graph)
    return Run(
        root=root,
        config=judge,
        options=options,
        situation=situation,
        now=now,
        environ=environ,
        validation=validation,
        graph=graph,
        before=before,
        evaluator=evaluator,
        signoff=_signoff_context(options, judge, environ),
        selected=selected,
    )


def situation_for(config: AigovConfig, options: GateOptions, now: datetime) -> Situation:
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
    as_of = options.as_of if options.as_of is not None else now.date()
    return Situation(options.stage, env, production, as_of, options.model)


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


def evaluate_models(run: Run, progress: Report | None = None) -> Models:
    """Each selected model's checks and policies."""
    contexts, verdicts, findings = [], [], []
    base_runs = run.before.runs if run.with_base else None
    selected = run.selected
    for done, (doc, version) in enumerate(selected, 1):
        if progress is not None:
            progress("evaluating models", done - 1, len(selected))
        ctx = run.graph.model_context(doc, version)
        contexts.append(ctx)
        rec = run.evaluator.evaluate_model(ctx, _baseline(ctx, base_runs))
        findings.extend(rec.findings)
        where = doc.raw.locate(("metadata", "name"))
        evaluated = tuple(sorted(rec.evaluated))
        verdict = ModelVerdict(ctx.name, ctx.version, where, evaluated, doc.organization)
        judged = judged_on(ctx)  # what the decision rests on, and how far its run is trusted
        if ctx.run is not None:
            judged = replace(judged, run_class=run.provenance(ctx.run).kind)
        verdicts.append(replace(verdict, judged=judged))
    if progress is not None:
        progress("evaluating models", len(selected), len(selected))
    return Models(contexts, verdicts, findings)


def _signoff_context(
    options: GateOptions, rules_of: AigovConfig, environ: Mapping[str, str]
) -> Context:
    """The provider context from the settings in force (the base's with --base)."""
    if options.signoff_from_env:
        from aigov_gate.signoff.context import from_env

        return from_env(rules_of.signoff, environ, options.pr)
    return options.signoff or Context(rules_of.signoff.provider)


def select(graph: Graph, wanted: str | None) -> list[tuple[Checked, str | None]]:
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
