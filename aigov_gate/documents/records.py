"""Records the EU AI Act asks deployers and providers to keep (issue 42): a fundamental
rights impact assessment (Art. 27) and serious incidents with their reports (Art. 73)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field, model_validator

from aigov_gate.documents.base import Day, Document, Name, Reference, Strict, Text


class ImpactAssessmentSpec(Strict):
    """The contents Art. 27(1) lists, (a) to (f), and the notification of Art. 27(3)."""

    model: Name
    model_version: str | None = Field(
        default=None, description="The version first used after the assessment (any if unset)."
    )
    deployer: Text = Field(description="Who deploys the system (Art. 27(1)).")
    process: Text = Field(description="(a) The deployer's processes the system is used in.")
    period_and_frequency: Text = Field(description="(b) The period and frequency of use.")
    affected_persons: list[Text] = Field(
        min_length=1, description="(c) Categories of natural persons and groups affected."
    )
    risks_of_harm: list[Text] = Field(
        min_length=1, description="(d) The specific risks of harm to those categories."
    )
    human_oversight: Text = Field(description="(e) The human oversight measures in place.")
    measures: list[Text] = Field(
        min_length=1,
        description="(f) What is done if the risks materialise: governance, complaints.",
    )
    assessed_on: Day
    notified_on: Day | None = Field(
        default=None,
        description="When the market surveillance authority was notified of the results "
        "(Art. 27(3)).",
    )
    document: Name | None = Field(
        default=None,
        description="The EvidenceArtifact (artifact_type: fria) holding the assessment's "
        "full text; this record states its contents.",
    )

    @model_validator(mode="after")
    def _dates(self) -> ImpactAssessmentSpec:
        if self.notified_on is not None and self.notified_on < self.assessed_on:
            raise ValueError("notified_on is before assessed_on")
        return self


class ImpactAssessment(Document[ImpactAssessmentSpec]):
    """A fundamental rights impact assessment (FRIA, EU AI Act Art. 27)."""

    kind: Literal["ImpactAssessment"] = Field(
        description="The document kind: always ImpactAssessment."
    )

    def references(self) -> Iterator[Reference]:
        yield Reference("Model", self.spec.model, ("spec", "model"))
        if self.spec.document is not None:
            yield Reference("EvidenceArtifact", self.spec.document, ("spec", "document"))


IncidentType = Literal[
    "death",
    "serious_harm_to_health",
    "critical_infrastructure",
    "fundamental_rights",
    "property_or_environment",
]


class IncidentSpec(Strict):
    """A serious incident (Art. 3(49)) and its report (Art. 73)."""

    model: Name
    model_version: str | None = Field(
        default=None, description="The model version involved, when known."
    )
    incident_type: IncidentType = Field(
        description="death: a death may be linked (10 days); critical_infrastructure (2 "
        "days); the others 15 days, 2 when widespread."
    )
    widespread: bool = Field(
        default=False, description="A widespread infringement (Art. 3(61)): 2 days."
    )
    description: Text = Field(description="What happened, and its consequences.")
    occurred_on: Day | None = Field(default=None, description="When it happened, if known.")
    aware_on: Day = Field(description="When the provider became aware: the clock starts.")
    reported_on: Day | None = Field(
        default=None, description="When it was reported to the market surveillance authority."
    )
    authority: str | None = Field(default=None, description="Who it was reported to.")
    reference: str | None = Field(default=None, description="The report's reference.")

    @model_validator(mode="after")
    def _dates(self) -> IncidentSpec:
        if self.occurred_on is not None and self.aware_on < self.occurred_on:
            raise ValueError("aware_on is before occurred_on")
        if self.reported_on is not None and self.reported_on < self.aware_on:
            raise ValueError("reported_on is before aware_on")
        return self


class Incident(Document[IncidentSpec]):
    """A serious incident and its report to the authority (EU AI Act Art. 73)."""

    kind: Literal["Incident"] = Field(description="The document kind: always Incident.")

    def references(self) -> Iterator[Reference]:
        yield Reference("Model", self.spec.model, ("spec", "model"))


SpecialCategory = Literal[
    "racial_or_ethnic_origin",
    "political_opinions",
    "religious_or_philosophical_beliefs",
    "trade_union_membership",
    "genetic",
    "biometric",
    "health",
    "sex_life_or_sexual_orientation",
]


class SpecialCategoryProcessingSpec(Strict):
    """The safeguards under which special categories are processed to detect and correct
    bias (EU AI Act Art. 4a, as added by the Digital Omnibus; GDPR Art. 9)."""

    model: Name
    categories: list[SpecialCategory] = Field(
        min_length=1, description="The special categories of data (GDPR Art. 9(1)) processed."
    )
    datasets: list[Name] = Field(default_factory=list, description="Where the data is held.")
    purpose: Text = Field(description="The bias detection and correction it serves.")
    strict_necessity: Text = Field(
        description="Why other data (synthetic, anonymised) cannot serve the purpose."
    )
    pseudonymisation: Text = Field(description="How the data is pseudonymised.")
    access_limits: Text = Field(description="Who may access it, and how that is enforced.")
    deletion_date: Day = Field(description="When the data is deleted at the latest.")


class SpecialCategoryProcessing(Document[SpecialCategoryProcessingSpec]):
    """A record of the safeguards for processing special categories of personal data."""

    kind: Literal["SpecialCategoryProcessing"] = Field(
        description="The document kind: always SpecialCategoryProcessing."
    )

    def references(self) -> Iterator[Reference]:
        yield Reference("Model", self.spec.model, ("spec", "model"))
        for i, name in enumerate(self.spec.datasets):
            yield Reference("Dataset", name, ("spec", "datasets", i))
