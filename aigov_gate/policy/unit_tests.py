"""``aigov policy test``: run the test cases written inside Policy documents.

Like ``conftest verify``: each case gives a context (``given``), a stage and environment,
and the outcome the rule must have: ``pass``, ``fail`` (optionally with text the message
must contain) or ``skip`` (the policy does not apply). Documents in ``given`` are
validated as their kind, so tests see exactly the shape the gate builds.

    >>> results = run_policy_tests([(None, checked_policy)])  # doctest: +SKIP
    >>> [r.ok for r in results]  # doctest: +SKIP
    [True, True]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from aigov_gate.documents import API_VERSION, KINDS
from aigov_gate.documents.diagnostics import explain
from aigov_gate.documents.policy import Policy, PolicyTest
from aigov_gate.policy.context import (
    MODEL_VARIABLES,
    situation_variables,
    to_cel,
)
from aigov_gate.policy.expressions import new_context
from aigov_gate.policy.policies import PolicyRule, Target, compile_policy
from aigov_gate.references import Checked
from aigov_gate.result import Location, Situation

_SINGLE = {"run": "TestRun", "risk": "RiskAssessment"}
_LISTS = {
    "datasets": "Dataset",
    "plans": "TestPlan",
    "runs": "TestRun",
    "mappings": "ComplianceMapping",
    "evidence": "EvidenceArtifact",
}
_MODEL_DEFAULT_SPEC = {"model_type": "tabular", "version": "1.0.0", "risk_tier": "minimal"}


@dataclass(frozen=True, slots=True)
class CaseResult:
    policy: str
    name: str
    location: Location
    ok: bool
    detail: str = ""


class _GivenError(Exception):
    pass


def run_policy_tests(policies: list[tuple[str | None, Checked]]) -> list[CaseResult]:
    """Every test case of every policy, in order."""
    results: list[CaseResult] = []
    for pack, doc in policies:
        rule = compile_policy(doc, pack)
        for i, case in enumerate(rule.policy.spec.tests):
            where = doc.raw.locate(("spec", "tests", i, "name"))
            results.append(_run_case(rule, case, where))
    return results


def untested(policies: list[tuple[str | None, Checked]]) -> list[str]:
    out = []
    for _pack, doc in policies:
        assert isinstance(doc.model, Policy)
        if not doc.model.spec.tests:
            out.append(doc.model.metadata.name)
    return out


def _run_case(rule: PolicyRule, case: PolicyTest, where: Location) -> CaseResult:
    def result(ok: bool, detail: str = "") -> CaseResult:
        return CaseResult(rule.id, case.name, where, ok, detail)

    if rule.problems:
        return result(False, f"the policy does not compile: {rule.problems[0].message}")
    spec = rule.policy.spec
    env = case.environment
    today = case.today or datetime.now(UTC).date()
    situation = Situation(
        case.stage or spec.stages[0], env.name if env else None, bool(env and env.production), today
    )
    try:
        variables = _variables(rule, case, situation)
    except _GivenError as exc:
        return result(False, str(exc))
    outcome, message = _outcome(rule, situation, variables, where)
    if outcome != case.expect:
        shown = f" ({message})" if message else ""
        return result(False, f"expected {case.expect}, got {outcome}{shown}")
    if case.message and case.message not in message:
        return result(False, f"message {message!r} does not contain {case.message!r}")
    return result(True)


def _outcome(
    rule: PolicyRule, situation: Situation, variables: dict[str, Any], where: Location
) -> tuple[str, str]:
    if not rule.applies_in(situation):
        return "skip", ""
    target = Target(rule.doc, where, "test")
    found = rule.evaluate(new_context(variables), target)
    if found is None:
        return "skip", ""
    if not found:
        return "pass", ""
    finding = found[0]
    if finding.rule_id != rule.id:
        return "error", finding.message
    return "fail", finding.message


def _variables(rule: PolicyRule, case: PolicyTest, situation: Situation) -> dict[str, Any]:
    given = dict(case.given)
    model_policy = set(rule.kinds) == {"Model"}
    known = MODEL_VARIABLES if model_policy else ("doc",)
    extra = sorted(set(given) - set(known) - {"approvals"})
    if extra:
        raise _GivenError(f"given: unknown variable(s) {', '.join(extra)}")
    out = situation_variables(situation, "default")
    if model_policy:
        model = _document("model", "Model", _with_model_defaults(given.get("model", {})))
        out["model"] = out["doc"] = to_cel(model.model_dump(by_alias=True))
        for name, kind in _LISTS.items():
            items = given.get(name, [])
            if not isinstance(items, list):
                raise _GivenError(f"given.{name} must be a list")
            out[name] = [_value(f"{name}[{i}]", kind, x) for i, x in enumerate(items)]
        for name in ("run", "risk"):
            value = given.get(name)
            out[name] = None if value is None else _value(name, _SINGLE[name], value)
        out["approvals"] = given.get("approvals", [])
    else:
        out["doc"] = _value("doc", rule.kinds[0], given.get("doc", {}))
    return out


def _with_model_defaults(data: Any) -> Any:
    if not isinstance(data, dict):
        return data
    spec = data.get("spec", {})
    spec = {**_MODEL_DEFAULT_SPEC, **spec} if isinstance(spec, dict) else spec
    return {**data, "spec": spec}


def _value(where: str, kind: str, data: Any) -> Any:
    return to_cel(_document(where, kind, data).model_dump(by_alias=True))


def _document(where: str, kind: str, data: Any) -> BaseModel:
    if not isinstance(data, dict):
        raise _GivenError(f"given.{where} must be a mapping (a {kind} document)")
    filled = {"apiVersion": API_VERSION, "kind": kind, **data}
    filled.setdefault("metadata", {"name": f"test-{kind.lower()}"})
    model = KINDS[kind]
    try:
        return model.model_validate(filled)
    except ValidationError as exc:
        first = explain(exc.errors()[0], model)
        raise _GivenError(f"given.{where}: {first.message}") from None
