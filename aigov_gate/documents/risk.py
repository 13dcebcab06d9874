"""Model risk assessments with their approval workflow (the platform's ModelRiskAssessment)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field, model_validator

from aigov_gate.documents.base import (
    Approval,
    ClauseRef,
    Day,
    Document,
    Name,
    Reference,
    RiskLevel,
    Strict,
    Text,
)

Likelihood = Literal["low", "medium", "high"]


class RiskFactor(Strict):
    name: Text
    description: str | None = None
    likelihood: Likelihood = "medium"
    impact: Likelihood = "medium"


class Mitigation(Strict):
    description: Text
    status: Literal["planned", "in_progress", "implemented"] = "planned"
    owner: str | None = None
    risk_factors: list[Text] = Field(default_factory=list, description="Names of factors.")


class DeploymentCondition(Strict):
    description: Text
    met: bool = False
    evidence: Name | None = Field(default=None, description="An EvidenceArtifact showing it.")


class RiskAssessmentSpec(Strict):
    model: Name
    model_version: str | None = Field(
        default=None, description="The version assessed; the model's current one if omitted."
    )
    risk_level: RiskLevel
    assessor: Text
    assessment_date: Day
    approval_status: Literal["draft", "under_review", "approved", "rejected"] = "draft"
    approvals: list[Approval] = Field(default_factory=list)
    risk_factors: list[RiskFactor] = Field(default_factory=list)
    mitigation_measures: list[Mitigation] = Field(default_factory=list)
    compliance_requirements: list[ClauseRef] = Field(default_factory=list)
    evidence_documents: list[Name] = Field(
        default_factory=list, description="EvidenceArtifact names."
    )
    production_approved: bool = False
    production_deployment_date: Day | None = None
    deployment_conditions: list[DeploymentCondition] = Field(default_factory=list)
    next_review_date: Day | None = None
    review_frequency_months: int = Field(default=12, ge=1, le=120)

    @model_validator(mode="after")
    def _dates(self) -> RiskAssessmentSpec:
        if self.next_review_date and self.next_review_date < self.assessment_date:
            raise ValueError("next_review_date is before assessment_date")
        return self


class RiskAssessment(Document[RiskAssessmentSpec]):
    """A model's risk assessment for one version, with approvals and production gating."""

    kind: Literal["RiskAssessment"]

    def references(self) -> Iterator[Reference]:
        yield Reference("Model", self.spec.model, ("spec", "model"))
        for i, name in enumerate(self.spec.evidence_documents):
            yield Reference("EvidenceArtifact", name, ("spec", "evidence_documents", i))
        for i, cond in enumerate(self.spec.deployment_conditions):
            if cond.evidence is not None:
                path = ("spec", "deployment_conditions", i, "evidence")
                yield Reference("EvidenceArtifact", cond.evidence, path)
        for i, ref in enumerate(self.spec.compliance_requirements):
            path = ("spec", "compliance_requirements", i, "clause")
            yield Reference("Framework", ref.framework, path, member=ref.clause)
