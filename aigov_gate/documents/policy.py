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
    kinds: list[TargetKind] = Field(
        default_factory=_models,
        min_length=1,
        description="The document kinds it is evaluated on (default: Model).",
    )
    selector: str | None = Field(
        default=None, description="CEL expression; the policy applies where it is true."
    )


class PolicyTestEnvironment(Strict):
    name: Name
    production: bool = Field(default=False, description="Whether the environment is production.")


class PolicyTest(Strict):
    """A unit test of the policy: a context, and whether the rule must pass or fail on it.

    ``given`` holds context variables (``model``, ``risk``, ``datasets``, ``doc``...);
    documents in it are validated as their kind, ``apiVersion``/``kind`` may be left out.
    """

    __test__ = False  # not a pytest class
    name: Text = Field(description="The case's name.")
    expect: Literal["pass", "fail", "skip"] = Field(
        description="pass, fail or skip (the selector leaves it out)."
    )
    given: dict[str, Any] = Field(
        default_factory=dict,
        description="The context variables: model, risk, datasets, run, doc, ...",
    )
    stage: Stage | None = Field(
        default=None, description="The stage it runs in (default: the policy's first)."
    )
    environment: PolicyTestEnvironment | None = Field(
        default=None, description="The deploy environment it runs in."
    )
    today: Day | None = Field(default=None, description="The day it runs on (for date rules).")
    message: str | None = Field(
        default=None, description="Text the rendered message must contain (expect: fail)."
    )


class PolicySpec(Strict):
    title: Text = Field(description="What the policy requires, in one line.")
    description: str | None = Field(default=None, description="Why, in more words.")
    severity: Severity = Field(
        description="info, low, medium, high or critical; --fail-on decides which block."
    )
    applies_to: PolicyScope = Field(
        default_factory=PolicyScope, description="Which documents it is evaluated on."
    )
    rule: Text = Field(description="CEL expression that must hold for every target.")
    message: Text = Field(description="Shown when the rule does not hold; may name fields.")
    remediation: str | None = Field(
        default=None, description="How to fix a document that fails it."
    )
    clauses: list[ClauseRef] = Field(default_factory=list, description="Clauses it helps satisfy.")
    stages: list[Stage] = Field(
        default_factory=_all_stages,
        min_length=1,
        description="merge and/or deploy: where it is evaluated.",
    )
    environments: list[Name] = Field(
        default_factory=list, description="Deploy environments; empty means all."
    )
    tests: list[PolicyTest] = Field(
        default_factory=list, description="Unit tests run by 'aigov policy test'."
    )


class Policy(Document[PolicySpec]):
    """A rule of the organization's own. Its id is ``metadata.name``."""

    kind: Literal["Policy"] = Field(description="The document kind: always Policy.")

    def references(self) -> Iterator[Reference]:
        for i, ref in enumerate(self.spec.clauses):
            path = ("spec", "clauses", i, "clause")
            yield Reference("Framework", ref.framework, path, member=ref.clause)


class WaiverTarget(Strict):
    kind: TargetKind = Field(description="The kind of the waived document.")
    name: Name
    version: str | None = Field(
        default=None, description="Only this model version (default: every version)."
    )


class WaiverSpec(Strict):
    policy: Name = Field(description="The id of the policy or built-in rule waived.")
    target: WaiverTarget = Field(description="What is waived: a document (kind, name, version).")
    justification: str = Field(
        min_length=20, description="Why the risk is accepted (at least 20 characters)."
    )
    approved_by: list[Text] = Field(
        min_length=1, description="Who accepted the risk: members of waivers.approver_roles."
    )
    approved_at: Day = Field(description="When; expires is at most waivers.max_days later.")
    expires: Day = Field(description="The day the waiver ends (required: no waiver is forever).")
    approvals: list[Approval] = Field(
        default_factory=list,
        description="Signed approvals of the waiver's digest (the recorded provider).",
    )


class Waiver(Document[WaiverSpec]):
    """A time-boxed, approved exception to one policy for one target."""

    kind: Literal["Waiver"] = Field(description="The document kind: always Waiver.")

    def references(self) -> Iterator[Reference]:
        yield Reference("Policy", self.spec.policy, ("spec", "policy"))
        target = self.spec.target
        yield Reference(target.kind, target.name, ("spec", "target", "name"))
