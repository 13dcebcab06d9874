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
    name: Text = Field(description="A short name of the risk.")
    description: str | None = Field(default=None, description="What could go wrong, and for whom.")
    likelihood: Likelihood = Field(default="medium", description="low, medium or high.")
    impact: Likelihood = Field(default="medium", description="low, medium or high.")


class Mitigation(Strict):
    description: Text = Field(description="What is done about the risk.")
    status: Literal["planned", "in_progress", "implemented"] = Field(
        default="planned", description="planned, in_progress or implemented."
    )
    owner: str | None = Field(default=None, description="Who is responsible for it.")
    risk_factors: list[Text] = Field(default_factory=list, description="Names of factors.")


class DeploymentCondition(Strict):
    description: Text = Field(description="What must hold before production.")
    met: bool = Field(default=False, description="Whether it holds now.")
    evidence: Name | None = Field(default=None, description="An EvidenceArtifact showing it.")


class RiskAssessmentSpec(Strict):
    model: Name
    model_version: str | None = Field(
        default=None, description="The version assessed; the model's current one if omitted."
    )
    risk_level: RiskLevel = Field(description="The assessed risk level.")
    assessor: Text = Field(
        description="Who assessed it (cannot also approve it: separation of duties)."
    )
    assessment_date: Day = Field(description="The day of the assessment.")
    approval_status: Literal["draft", "under_review", "approved", "rejected"] = Field(
        default="draft",
        description="draft, under_review, approved or rejected; 'approved' "
        "is a claim the sign-off must back.",
    )
    approvals: list[Approval] = Field(
        default_factory=list,
        description="Signed approvals, recorded in the document (signoff.provider: recorded).",
    )
    risk_factors: list[RiskFactor] = Field(
        default_factory=list, description="The risks identified, with likelihood and impact."
    )
    mitigation_measures: list[Mitigation] = Field(
        default_factory=list, description="What reduces them, with status and owner."
    )
    compliance_requirements: list[ClauseRef] = Field(
        default_factory=list, description="Clauses this assessment addresses."
    )
    evidence_documents: list[Name] = Field(
        default_factory=list, description="EvidenceArtifact names."
    )
    production_approved: bool = Field(
        default=False,
        description="Whether production use is approved (a production deploy needs it).",
    )
    production_deployment_date: Day | None = Field(
        default=None, description="The planned or actual first production day."
    )
    deployment_conditions: list[DeploymentCondition] = Field(
        default_factory=list, description="Conditions a production deploy must meet."
    )
    next_review_date: Day | None = Field(
        default=None,
        description="When it must be reviewed again (the gate warns before and blocks after).",
    )
    review_frequency_months: int = Field(
        default=12, ge=1, le=120, description="Months between reviews."
    )

    @model_validator(mode="after")
    def _dates(self) -> RiskAssessmentSpec:
        if self.next_review_date and self.next_review_date < self.assessment_date:
            raise ValueError("next_review_date is before assessment_date")
        return self


class RiskAssessment(Document[RiskAssessmentSpec]):
    """A model's risk assessment for one version, with approvals and production gating."""

    kind: Literal["RiskAssessment"] = Field(description="The document kind: always RiskAssessment.")

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
