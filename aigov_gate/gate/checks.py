"""The built-in checks as a table: each names the rules it owns and reads a built Run.

    >>> [check.name for check in CHECKS][:3]  # doctest: +SKIP
    ['validation', 'policy-problems', 'approval-workflow']

``run_gate`` evaluates :data:`CHECKS` in order, then applies waivers once and decides. To
add a check: write a class with ``name``, ``rules`` (the rule ids it writes, each with a
``RuleInfo`` in ``aigov_gate/rules/``) and ``evaluate(run) -> findings``, and add one
entry to :data:`CHECKS` (docs/architecture.md, "A new check").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from aigov_gate.catalog import BUILTIN
from aigov_gate.gate.run import Run
from aigov_gate.graph import ModelContext
from aigov_gate.references import Checked
from aigov_gate.result import Finding, Location, Severity
from aigov_gate.rules.validation import VALIDATION


class Check(Protocol):
    """One source of findings. ``rules``: the rule ids it writes (its catalog entries)."""

    @property
    def name(self) -> str: ...

    @property
    def rules(self) -> tuple[str, ...]: ...

    def evaluate(self, run: Run) -> Sequence[Finding]: ...


@dataclass(frozen=True, slots=True)
class Validation:
    """Files, YAML, schemas, references, evidence files: invalid documents always block."""

    name: str = "validation"

    @property
    def rules(self) -> tuple[str, ...]:
        owned = {"evidence.remote-unverifiable"}
        files = tuple(r.id for r in VALIDATION if r.id not in owned)
        return (*files, "secret.inline", "pii.undeclared")

    def evaluate(self, run: Run) -> Sequence[Finding]:
        return run.validation.findings


@dataclass(frozen=True, slots=True)
class PolicyProblems:
    """Policies that do not compile, or name variables or functions CEL does not have."""

    name: str = "policy-problems"
    rules: tuple[str, ...] = (
        "policy.syntax-error",
        "policy.unknown-variable",
        "policy.unknown-function",
        "policy.too-complex",
    )

    def evaluate(self, run: Run) -> Sequence[Finding]:
        return run.evaluator.problems()


@dataclass(frozen=True, slots=True)
class ApprovalWorkflow:
    """Approval steps skipped or reversed (with ``--base``: compared with the base)."""

    name: str = "approval-workflow"
    rules: tuple[str, ...] = ("risk.workflow",)

    def evaluate(self, run: Run) -> Sequence[Finding]:
        from aigov_gate.transitions import workflow

        return workflow(run.graph, run.before.documents if run.with_base else None)


@dataclass(frozen=True, slots=True)
class RemoteEvidence:
    """Evidence held in object stores: its digest, read through a ConnectorConfig."""

    name: str = "remote-evidence"
    rules: tuple[str, ...] = ("evidence.remote-unverifiable",)

    def evaluate(self, run: Run) -> Sequence[Finding]:
        from aigov_gate.remote import check_remote_evidence

        return list(
            check_remote_evidence(run.validation.documents, run.environ, run.before.ref, run.config)
        )


@dataclass(frozen=True, slots=True)
class Models:
    """Per model: tests and metrics, risk, deploy, data, then the CEL policies on Models."""

    name: str = "models"

    @property
    def rules(self) -> tuple[str, ...]:
        family = ("metric.", "test.", "risk.", "deploy.", "data.")
        taken = {
            "risk.workflow",
            "test.threshold-loosened",
            "test.run-rewritten",
            "risk.tier-lowered",
            "scope.narrowed",
            "deploy.production-not-approved",
        }
        taken |= {*ModelBytes().rules, *TimestampedBar().rules}  # issue 41's checks
        taken |= {*Records().rules}  # issue 42's
        taken |= set(Attestations().rules)
        built_in = tuple(r.id for r in BUILTIN if r.id.startswith(family) and r.id not in taken)
        return (*built_in, "policy.eval-error", "gate.model-unchecked")

    def evaluate(self, run: Run) -> Sequence[Finding]:
        return run.models.findings


@dataclass(frozen=True, slots=True)
class OtherDocuments:
    """CEL policies whose ``applies_to.kinds`` name kinds other than Model."""

    name: str = "other-documents"
    rules: tuple[str, ...] = ()
    #: With ``--model``, only the documents the gated models use.
    only_related: bool = True

    def evaluate(self, run: Run) -> Sequence[Finding]:
        graph = run.graph
        if run.options.model and self.only_related:
            others = _related(run.models.contexts)
        else:
            others = [d for kind, docs in graph.by_kind.items() if kind != "Model" for d in docs]
        return run.evaluator.evaluate_documents(others)


@dataclass(frozen=True, slots=True)
class Coverage:
    """No silent pass: no policy evaluated, or no model at all, is a finding."""

    name: str = "coverage"
    rules: tuple[str, ...] = ("gate.no-policies", "gate.no-models")

    def evaluate(self, run: Run) -> Sequence[Finding]:
        out = []
        if run.evaluator.policies_evaluated == 0:
            out.append(
                Finding(
                    "gate.no-policies",
                    Severity.HIGH,
                    "no policy applies at this stage: the gate would decide on nothing",
                    Location(".aigov.yaml"),
                    hint="enable a pack (policy_packs: [baseline]) or add Policy documents",
                )
            )
        no_documents = any(f.rule_id == "load.no-documents" for f in run.validation.findings)
        if not run.graph.models and not no_documents:
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


@dataclass(frozen=True, slots=True)
class SignOff:
    """Sign-off of assessments, waivers, authority changes and loosened test plans."""

    name: str = "signoff"
    rules: tuple[str, ...] = (
        "signoff.unverified",
        "signoff.unavailable",
        "signoff.not-checked",
        "deploy.production-not-approved",
        "waiver.unverified",
        "authority.changed",
        "test.threshold-loosened",
        "test.run-rewritten",
        "incident.rewritten",
        "risk.tier-lowered",
        "scope.narrowed",
    )

    def evaluate(self, run: Run) -> Sequence[Finding]:
        return run.signoffs.findings


@dataclass(frozen=True, slots=True)
class Lookalikes:
    """Names in approvals that imitate a role member (homoglyphs, invisible characters)."""

    name: str = "lookalikes"
    rules: tuple[str, ...] = ("identity.lookalike",)

    def evaluate(self, run: Run) -> Sequence[Finding]:
        from aigov_gate.signoff.identities import lookalikes

        return lookalikes(run.graph, run.rules_of)


@dataclass(frozen=True, slots=True)
class WaiverApprovals:
    """Each waiver's approval against ``waivers`` in force, before its sign-off."""

    name: str = "waiver-approvals"
    rules: tuple[str, ...] = ("waiver.unapproved",)

    def evaluate(self, run: Run) -> Sequence[Finding]:
        from aigov_gate.policy.waivers import vet
        from aigov_gate.signoff.check import assessors

        return vet(run.graph.waivers, run.rules_of, assessors(run.graph), run.situation.today)


@dataclass(frozen=True, slots=True)
class ModelBytes:
    """``--model-artifact``: the bytes deployed are the Model's digest, signed as required."""

    name: str = "model-bytes"
    rules: tuple[str, ...] = (
        "deploy.artifact-mismatch",
        "deploy.artifact-unsigned",
        "deploy.signature-invalid",
    )

    def evaluate(self, run: Run) -> Sequence[Finding]:
        return run.artifact[1]


@dataclass(frozen=True, slots=True)
class TimestampedBar:
    """A plan's approval stamped by a trusted TSA before the run started: bar fixed first."""

    name: str = "timestamped-bar"
    rules: tuple[str, ...] = ("test.bar-timestamped",)

    def evaluate(self, run: Run) -> Sequence[Finding]:
        from aigov_gate.artifact import bar

        authority = run.authority
        roots = run.rules_of.timestamps.tsa_roots
        return bar.check(run.models.contexts, roots, authority.files, authority.signers)


@dataclass(frozen=True, slots=True)
class AnnexIv:
    """A production deploy of a high-risk model needs its Annex IV documentation complete."""

    name: str = "annex-iv"
    rules: tuple[str, ...] = ("eu-ai-act.annex-iv-incomplete",)

    def evaluate(self, run: Run) -> Sequence[Finding]:
        if not run.situation.production_deploy:
            return []
        from aigov_gate.dossier.check import findings

        contexts = run.models.contexts
        return findings(run.root, run.graph, contexts, run.rules_of, run.situation.today)


@dataclass(frozen=True, slots=True)
class Records:
    """Serious incidents' reporting clocks, special categories' safeguards; at a production
    deploy, the FRIA (Art. 27)."""

    name: str = "records"
    rules: tuple[str, ...] = (
        "incident.report-overdue",
        "incident.report-due",
        "incident.reported-late",
        "eu-ai-act.fria-missing",
        "eu-ai-act.fria-not-notified",
        "data.special-category-unrecorded",
        "data.special-category-retained",
    )

    def evaluate(self, run: Run) -> Sequence[Finding]:
        from aigov_gate.dossier import obligations, special

        today, config = run.situation.today, run.rules_of
        out = obligations.incident_findings(run.graph, config, today, run.situation.model)
        out += special.findings(run.graph, run.models.contexts, today)
        if run.situation.production_deploy:
            out += obligations.fria_findings(run.graph, run.models.contexts, config, today)
        return out


@dataclass(frozen=True, slots=True)
class Attestations:
    """The run each model is judged on: attested, approved or claimed, and its harness."""

    name: str = "attestations"
    rules: tuple[str, ...] = ("test.unattested", "test.harness-changed")

    def evaluate(self, run: Run) -> Sequence[Finding]:
        from aigov_gate.gate.attested import findings

        return findings(run)


#: The built-in checks, in the order their findings are listed (before sorting).
CHECKS: tuple[Check, ...] = (
    Validation(),
    PolicyProblems(),
    ApprovalWorkflow(),
    RemoteEvidence(),
    Models(),
    ModelBytes(),
    TimestampedBar(),
    AnnexIv(),
    Records(),
    Attestations(),
    OtherDocuments(),
    Coverage(),
    SignOff(),
    Lookalikes(),
    WaiverApprovals(),
)

#: The checks of the base's compliance assessment (``--base``): what the base's documents
#: say on their own, without sign-off, approvals or remote evidence.
BASE_CHECKS: tuple[Check, ...] = (
    Validation(),
    PolicyProblems(),
    Models(),
    OtherDocuments(only_related=False),
)

#: Rules written after the checks: by applying waivers and by the compliance assessment.
AFTER_CHECKS: tuple[str, ...] = (
    "waiver.expired",
    "waiver.expiring",
    "waiver.unused",
    "waiver.not-allowed",
    "compliance.overclaimed",
    "compliance.understated",
    "compliance.coverage-below",
    "compliance.date-overridden",
    "compliance.unknown-framework",
    "evidence.stale",
)


def _related(contexts: list[ModelContext]) -> list[Checked]:
    """With ``--model``: the documents those models use, for policies on other kinds."""
    seen: dict[tuple[str, str, str], Checked] = {}
    for ctx in contexts:
        seen.update((doc.key, doc) for doc in ctx.used())
    return list(seen.values())
