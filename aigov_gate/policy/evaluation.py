"""Runs the built-in checks and the compiled policies on each target.

Policies are compiled once; per model the CEL context is built once, holding only the
variables the active policies use (building values is the expensive part, see
docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from aigov_gate.documents.testing import TestRun
from aigov_gate.graph import ModelContext
from aigov_gate.packs import ALL_ORGANIZATIONS
from aigov_gate.policy.context import Values, document_variables, model_variables
from aigov_gate.policy.expressions import new_context
from aigov_gate.policy.metric_checks import check_tests
from aigov_gate.policy.policies import PolicyRule, Target, compile_policy
from aigov_gate.policy.recorder import Recorder
from aigov_gate.policy.risk_checks import check_data, check_deploy, check_risk
from aigov_gate.references import Checked
from aigov_gate.result import Finding, Severity, Situation


class Evaluator:
    def __init__(
        self,
        situation: Situation,
        review_warning_days: int,
        insufficient: Severity = Severity.MEDIUM,
    ) -> None:
        self.situation = situation
        self.review_warning_days = review_warning_days
        self.insufficient = insufficient  # metric.insufficient-evidence at this stage
        self.rules: list[PolicyRule] = []
        self.values = Values()
        self._by_kind: dict[tuple[str, str], list[PolicyRule]] = {}

    def add_policies(self, docs: Sequence[Checked], pack: str | None = None) -> None:
        self.rules.extend(compile_policy(doc, pack) for doc in docs)
        self._by_kind.clear()

    def problems(self) -> list[Finding]:
        return [p for rule in self.rules for p in rule.problems]

    @property
    def active(self) -> list[PolicyRule]:
        return [r for r in self.rules if r.applies_in(self.situation)]

    @property
    def policies_evaluated(self) -> int:
        return len(self.active)

    def _rules_for(self, kind: str, organization: str) -> list[PolicyRule]:
        key = (kind, organization)
        found = self._by_kind.get(key)
        if found is None:
            found = [
                r
                for r in self.active
                if kind in r.kinds and r.doc.organization in (ALL_ORGANIZATIONS, organization)
            ]
            self._by_kind[key] = found
        return found

    def evaluate_model(self, ctx: ModelContext, baseline: Checked[TestRun] | None) -> Recorder:
        rec = Recorder(ctx.label)
        tests = check_tests(ctx, baseline, rec, self.insufficient)
        check_risk(ctx, self.situation, self.review_warning_days, rec)
        check_deploy(ctx, self.situation, tests, rec)
        check_data(ctx, rec)
        rules = self._rules_for("Model", ctx.model.organization)
        applied = self._run_rules(rules, ctx, rec)
        if not ctx.plans and not applied:
            rec.found(_unchecked(ctx))
        return rec

    def _run_rules(self, rules: list[PolicyRule], ctx: ModelContext, rec: Recorder) -> int:
        if not rules:
            return 0
        wanted = frozenset().union(*(r.variables for r in rules))
        context = new_context(model_variables(ctx, self.situation, self.values, wanted))
        target = Target(ctx.model, ctx.model.raw.locate(("metadata", "name")), ctx.label)
        applied = 0
        for rule in rules:
            found = rule.evaluate(context, target)
            if found is None:
                continue
            applied += 1
            rec.ran(rule.id)
            for finding in found:
                rec.found(finding)
        return applied

    def evaluate_documents(self, docs: list[Checked]) -> list[Finding]:
        """Policies whose ``applies_to.kinds`` name kinds other than Model."""
        findings: list[Finding] = []
        if not any(set(r.kinds) - {"Model"} for r in self.active):
            return findings
        for doc in docs:
            rules = self._rules_for(doc.model.kind, doc.organization)
            if not rules:
                continue
            wanted = frozenset().union(*(r.variables for r in rules))
            context = new_context(document_variables(doc, self.situation, self.values, wanted))
            target = Target(doc, doc.raw.locate(("metadata", "name")))
            for rule in rules:
                findings.extend(rule.evaluate(context, target) or [])
        return findings


def _unchecked(ctx: ModelContext) -> Finding:
    return ctx.finding(
        "gate.model-unchecked",
        Severity.HIGH,
        f"no TestPlan and no policy applies to {ctx.label}: nothing was checked",
        ("metadata", "name"),
        "add a TestPlan for it, or enable a policy pack that covers it",
    )
