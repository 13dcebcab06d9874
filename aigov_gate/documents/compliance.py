"""Frameworks with their clauses, and mappings that say what satisfies a clause."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import Field

from aigov_gate.documents.assets import AiActRole
from aigov_gate.documents.base import (
    ClauseRef,
    ComplianceStatus,
    Day,
    Document,
    Name,
    Reference,
    RiskTier,
    Strict,
    Text,
)

ComplianceLevel = Literal["mandatory", "recommended", "voluntary"]


class Source(Strict):
    publication: Text = Field(description="The publication's title or reference.")
    version: str | None = Field(default=None, description="The version of the publication.")
    date: Day | None = Field(default=None, description="Its date.")
    url: str | None = Field(default=None, description="Where to read it.")
    caveat: str | None = Field(
        default=None,
        description="What about the source was not verified; documents built from the catalog "
        "repeat it.",
    )


class Applicability(Strict):
    """Which systems a clause applies to; empty lists mean all."""

    risk_tiers: list[RiskTier] = Field(
        default_factory=list, description="EU AI Act risk tiers it applies to (empty: all)."
    )
    roles: list[AiActRole] = Field(
        default_factory=list,
        description="EU AI Act roles; a model without an eu_ai_act block counts as provider.",
    )
    annex_iii_areas: list[Annotated[str, Field(pattern=r"^[1-8]$")]] = Field(
        default_factory=list,
        description="EU AI Act Annex III areas ('1' to '8'): applies only to models classified "
        "in one of them (eu_ai_act.annex_iii_category).",
    )
    personal_data: bool | None = Field(
        default=None,
        description="true: applies only to models that process personal data (the model or "
        "one of its datasets has contains_pii: true).",
    )

    @property
    def unset(self) -> bool:
        return not (self.risk_tiers or self.roles or self.annex_iii_areas) and (
            self.personal_data is None
        )


class Amendment(Strict):
    """A later reading of when a clause applies: the law as dated data.

    As of a day on or after ``in_force`` this reading replaces the earlier ones (the last
    in force wins); as of an earlier day (``--as-of``) the law is evaluated as it then stood.
    """

    applies_from: Day = Field(description="The day the amended clause applies from.")
    in_force: Day = Field(description="When the amending act became law.")
    amended_by: Text = Field(description="The amending act, e.g. 'Regulation (EU) 2026/1744'.")
    on_market_before: Day | None = Field(
        default=None,
        description="Only for systems placed on the market before this day (the Model's "
        "'released'); a model released later, or with no 'released', keeps the earlier reading.",
    )


class OscalIds(Strict):
    """Where an imported clause came from in its OSCAL catalog, so exports use the same ids."""

    control_id: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.\-]*$")] = Field(
        description="The OSCAL control id."
    )
    statement_id: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.\-]*$")] | None = Field(
        default=None,
        description="The OSCAL statement part id, when the clause is one statement of a control.",
    )


class Clause(Strict):
    clause_number: Text = Field(description="The official id, e.g. 'Art. 9', 'MEASURE 2.11'.")
    title: Text = Field(description="The clause's title.")
    description: str | None = Field(default=None, description="In our own words.")
    requirements: list[Text] = Field(
        default_factory=list, description="What it requires, in short statements."
    )
    compliance_level: ComplianceLevel = Field(
        default="mandatory", description="mandatory, recommended or voluntary."
    )
    applies_to: Applicability = Field(
        default_factory=Applicability,
        description="Which models it applies to (tiers, roles, Annex III areas, personal data).",
    )
    applies_from: Day | None = Field(
        default=None, description="When the clause applies, as first enacted (see amendments)."
    )
    amendments: list[Amendment] = Field(
        default_factory=list,
        description="Later readings of applies_from, each from the day its amending act is in "
        "force. Children inherit them with applies_from.",
    )
    in_force: Day | None = Field(
        default=None,
        description="For a clause an amendment added: the day it became law. Before it, the "
        "clause (and its children) is not applicable: not yet law.",
    )
    added_by: Text | None = Field(default=None, description="The act that added the clause.")
    parent: str | None = Field(
        default=None,
        description="clause_number of the enclosing clause (an article, a category). A clause "
        "inherits applies_to and applies_from from its parent unless it sets its own.",
    )
    superseded_by: str | list[str] | None = Field(
        default=None,
        description="clause_number(s) of the clause(s) that replaced this one in the same "
        "framework (ISO/IEC 27001:2013 ids and their 2022 successors; a withdrawn CSF 2.0 "
        "subcategory and the two it moved to): mappings to it count for each successor.",
    )
    equivalents: list[ClauseRef] = Field(
        default_factory=list,
        description="Crosswalk: clauses of other frameworks that ask for the same thing. "
        "Evidence for one counts toward the other as supporting, marked 'via crosswalk'.",
    )
    oscal: OscalIds | None = Field(
        default=None, description="Its ids in the OSCAL catalog it came from."
    )

    @property
    def successors(self) -> tuple[str, ...]:
        """``superseded_by`` as a tuple, whether one clause or several."""
        if self.superseded_by is None:
            return ()
        if isinstance(self.superseded_by, str):
            return (self.superseded_by,)
        return tuple(self.superseded_by)


class FrameworkSpec(Strict):
    title: Text = Field(description="The framework's title.")
    version: Text = Field(description="The version or consolidation used.")
    description: str | None = Field(default=None, description="What the framework is.")
    scope: str | None = Field(default=None, description="What and whom it covers.")
    compliance_level: ComplianceLevel = Field(
        default="mandatory",
        description="mandatory, recommended or voluntary (the default of its clauses).",
    )
    source: Source | None = Field(default=None, description="The publication it was taken from.")
    clauses: list[Clause] = Field(min_length=1, description="Its clauses (articles, controls).")


class Framework(Document[FrameworkSpec]):
    """A clause catalog (EU AI Act, NIST AI RMF, ISO/IEC 42001, or the organization's own)."""

    kind: Literal["Framework"] = Field(description="The document kind: always Framework.")

    def references(self) -> Iterator[Reference]:
        for i, clause in enumerate(self.spec.clauses):
            for j, eq in enumerate(clause.equivalents):
                path = ("spec", "clauses", i, "equivalents", j, "clause")
                yield Reference("Framework", eq.framework, path, member=eq.clause)


class SatisfiedBy(Strict):
    policies: list[Name] = Field(
        default_factory=list, description="Policy names (or built-in rule ids) that check it."
    )
    test_plans: list[Name] = Field(
        default_factory=list, description="TestPlans whose tests evidence it."
    )
    evidence: list[Name] = Field(
        default_factory=list, description="EvidenceArtifacts that document it."
    )
    risk_assessment_fields: list[Text] = Field(
        default_factory=list,
        description="RiskAssessment fields that must be filled (e.g. risk_factors).",
    )


class ComplianceMappingSpec(Strict):
    framework: Name
    clause: Text = Field(description="The clause's id in the framework.")
    models: list[Name] = Field(
        default_factory=list, description="Models this mapping is for; empty means all."
    )
    satisfied_by: SatisfiedBy = Field(
        description="What satisfies it: policies, test plans, evidence, risk assessment fields."
    )
    mapping_type: Literal["direct", "partial", "supporting"] = Field(
        default="direct", description="direct, partial or supporting."
    )
    description: str | None = Field(
        default=None, description="How the clause is met, for auditors."
    )
    compliance_status: ComplianceStatus = Field(
        default="not_assessed",
        description="The declared status; the gate derives its own and reports a contradiction.",
    )


class ComplianceMapping(Document[ComplianceMappingSpec]):
    """What satisfies one clause of one framework, and the status the organization declares."""

    kind: Literal["ComplianceMapping"] = Field(
        description="The document kind: always ComplianceMapping."
    )

    def references(self) -> Iterator[Reference]:
        spec = self.spec
        yield Reference("Framework", spec.framework, ("spec", "clause"), member=spec.clause)
        for i, model in enumerate(spec.models):
            yield Reference("Model", model, ("spec", "models", i))
        by = spec.satisfied_by
        for field, kind, names in (
            ("policies", "Policy", by.policies),
            ("test_plans", "TestPlan", by.test_plans),
            ("evidence", "EvidenceArtifact", by.evidence),
        ):
            for i, name in enumerate(names):
                yield Reference(kind, name, ("spec", "satisfied_by", field, i))
