"""Policies (CEL rules the organization adds) and waivers (time-boxed exceptions)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from pydantic import Field

from aigov_gate.documents.base import (
    Approval,
    ClauseRef,
    Day,
    Document,
    Name,
    Reference,
    Severity,
    Strict,
    Text,
)
from aigov_gate.rules import STAGES, Stage

TargetKind = Literal[
    "Model",
    "Dataset",
    "TestPlan",
    "TestRun",
    "RiskAssessment",
    "Framework",
    "ComplianceMapping",
    "EvidenceArtifact",
    "ConnectorConfig",
    "WebhookSubscription",
]


def _models() -> list[TargetKind]:
    return ["Model"]


def _all_stages() -> list[Stage]:
    return list(STAGES)


class PolicyScope(Strict):
    kinds: list[TargetKind] = Field(default_factory=_models, min_length=1)
    selector: str | None = Field(
        default=None, description="CEL expression; the policy applies where it is true."
    )


class PolicyTestEnvironment(Strict):
    name: Name
    production: bool = False


class PolicyTest(Strict):
    """A unit test of the policy: a context, and whether the rule must pass or fail on it.

    ``given`` holds context variables (``model``, ``risk``, ``datasets``, ``doc``...);
    documents in it are validated as their kind, ``apiVersion``/``kind`` may be left out.
    """

    __test__ = False  # not a pytest class
    name: Text
    expect: Literal["pass", "fail", "skip"]
    given: dict[str, Any] = Field(default_factory=dict)
    stage: Stage | None = None
    environment: PolicyTestEnvironment | None = None
    today: Day | None = None
    message: str | None = Field(
        default=None, description="Text the rendered message must contain (expect: fail)."
    )


class PolicySpec(Strict):
    title: Text
    description: str | None = None
    severity: Severity
    applies_to: PolicyScope = Field(default_factory=PolicyScope)
    rule: Text = Field(description="CEL expression that must hold for every target.")
    message: Text = Field(description="Shown when the rule does not hold; may name fields.")
    remediation: str | None = None
    clauses: list[ClauseRef] = Field(default_factory=list)
    stages: list[Stage] = Field(default_factory=_all_stages, min_length=1)
    environments: list[Name] = Field(
        default_factory=list, description="Deploy environments; empty means all."
    )
    tests: list[PolicyTest] = Field(
        default_factory=list, description="Unit tests run by 'aigov policy test'."
    )


class Policy(Document[PolicySpec]):
    """A rule of the organization's own. Its id is ``metadata.name``."""

    kind: Literal["Policy"]

    def references(self) -> Iterator[Reference]:
        for i, ref in enumerate(self.spec.clauses):
            path = ("spec", "clauses", i, "clause")
            yield Reference("Framework", ref.framework, path, member=ref.clause)


class WaiverTarget(Strict):
    kind: TargetKind
    name: Name
    version: str | None = None


class WaiverSpec(Strict):
    policy: Name = Field(description="The id of the policy or built-in rule waived.")
    target: WaiverTarget
    justification: str = Field(min_length=20)
    approved_by: list[Text] = Field(
        min_length=1, description="Who accepted the risk: members of waivers.approver_roles."
    )
    approved_at: Day = Field(description="When; expires is at most waivers.max_days later.")
    expires: Day
    approvals: list[Approval] = Field(
        default_factory=list,
        description="Signed approvals of the waiver's digest (the recorded provider).",
    )


class Waiver(Document[WaiverSpec]):
    """A time-boxed, approved exception to one policy for one target."""

    kind: Literal["Waiver"]

    def references(self) -> Iterator[Reference]:
        yield Reference("Policy", self.spec.policy, ("spec", "policy"))
        target = self.spec.target
        yield Reference(target.kind, target.name, ("spec", "target", "name"))
