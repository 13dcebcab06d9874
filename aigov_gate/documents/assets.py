"""What is governed: models, the datasets they use, and evidence artifacts that prove things."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from aigov_gate.documents.base import (
    Classification,
    Day,
    Digest,
    Document,
    ModelDigest,
    Name,
    Reference,
    RiskTier,
    Sha256,
    Strict,
    Text,
)

ModelType = Literal[
    "tabular", "nlp", "vision", "speech", "llm", "recommender", "timeseries", "other"
]
AiActRole = Literal[
    "provider",
    "deployer",
    "importer",
    "distributor",
    "product_manufacturer",
    "authorised_representative",
]


class EuAiAct(Strict):
    """How the EU AI Act classifies the system (Regulation (EU) 2024/1689)."""

    role: AiActRole = "provider"
    annex_iii_category: str | None = Field(
        default=None,
        pattern=r"^[1-8](\([a-d]\))?$",
        description="Annex III area and point, e.g. '5(b)' for creditworthiness assessment.",
    )
    gpai: bool = Field(default=False, description="General-purpose AI model.")


class DatasetUse(Strict):
    """A dataset a model is built or evaluated with."""

    name: Name
    version: str | None = None
    purpose: Literal["training", "validation", "test", "reference", "other"] = "training"


class Deployment(Strict):
    """Where a version of the model runs or is meant to run."""

    version: Text
    status: Literal["planned", "active", "retired"] = "planned"
    since: Day | None = None
    endpoint: str | None = None


class ModelSpec(Strict):
    model_type: ModelType
    version: Text
    released: Day | None = Field(
        default=None,
        description="When this version was produced: evidence created before it no longer counts.",
    )
    uri: str | None = None
    digest: ModelDigest | None = None
    description: str | None = None
    intended_use: str | None = None
    out_of_scope_use: list[Text] = Field(default_factory=list)
    contains_pii: bool = False
    data_classification: Classification = "internal"
    risk_tier: RiskTier
    eu_ai_act: EuAiAct | None = None
    datasets: list[DatasetUse] = Field(default_factory=list)
    frameworks: list[Name] = Field(
        default_factory=list, description="Frameworks that apply to this model."
    )
    deployments: dict[Name, Deployment] = Field(
        default_factory=dict, description="Per environment name."
    )


class Model(Document[ModelSpec]):
    """A model asset (the platform's ModelAsset) at its current version."""

    kind: Literal["Model"]

    def references(self) -> Iterator[Reference]:
        for i, use in enumerate(self.spec.datasets):
            yield Reference("Dataset", use.name, ("spec", "datasets", i, "name"))
        for i, framework in enumerate(self.spec.frameworks):
            yield Reference("Framework", framework, ("spec", "frameworks", i))


class CollectionPeriod(Strict):
    start: Day
    end: Day | None = None

    @model_validator(mode="after")
    def _ordered(self) -> CollectionPeriod:
        if self.end is not None and self.end < self.start:
            raise ValueError("collection_period.end is before start")
        return self


class DatasetSpec(Strict):
    version: Text
    uri: str | None = None
    digest: Digest | None = None
    description: str | None = None
    contains_pii: bool = False
    data_classification: Classification = "internal"
    sources: list[Text] = Field(default_factory=list)
    collection_period: CollectionPeriod | None = None
    license: str | None = None
    records: int | None = Field(default=None, ge=0)
    protected_attributes: list[Text] = Field(default_factory=list)
    known_limitations: list[Text] = Field(default_factory=list)


class Dataset(Document[DatasetSpec]):
    """A dataset asset: provenance, classification, protected attributes, limitations."""

    kind: Literal["Dataset"]


ArtifactType = Literal[
    "model_card",
    "data_sheet",
    "test_report",
    "fria",
    "dpia",
    "monitoring_plan",
    "human_oversight_procedure",
    "technical_documentation",
    "declaration_of_conformity",
    "other",
]


class EvidenceArtifactSpec(Strict):
    # what _located says, for editors: a path or a uri, and a path with its sha256
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["path"], "properties": {"path": {"type": "string"}}},
                {"required": ["uri"], "properties": {"uri": {"type": "string"}}},
            ],
            "if": {"required": ["path"], "properties": {"path": {"type": "string"}}},
            "then": {"required": ["sha256"], "properties": {"sha256": {"type": "string"}}},
        }
    )

    artifact_type: ArtifactType
    path: str | None = Field(
        default=None, description="File in the repository, relative to its root."
    )
    uri: str | None = Field(default=None, description="Where the artifact lives outside Git.")
    sha256: Sha256 | None = None
    file_info: str | None = None
    description: str | None = None
    models: list[Name] = Field(default_factory=list)
    model_version: str | None = Field(
        default=None,
        description="The model version this artifact was written for: for another version "
        "it no longer counts.",
    )
    test_run: Name | None = None
    created: Day | None = None
    max_age_days: int | None = Field(
        default=None,
        ge=1,
        description="How long after 'created' it counts (overrides evidence.max_age_days).",
    )
    contains_pii: bool = False
    data_classification: Classification = "internal"
    retention_date: Day | None = None

    @model_validator(mode="after")
    def _located(self) -> EvidenceArtifactSpec:
        if self.path is None and self.uri is None:
            raise ValueError("an evidence artifact needs a path (in the repository) or a uri")
        if self.path is not None and self.sha256 is None:
            raise ValueError("an artifact with a path needs its sha256, so tampering shows")
        return self


class EvidenceArtifact(Document[EvidenceArtifactSpec]):
    """A file that proves something (model card, FRIA, test report), pinned by sha256."""

    kind: Literal["EvidenceArtifact"]

    def references(self) -> Iterator[Reference]:
        for i, model in enumerate(self.spec.models):
            yield Reference("Model", model, ("spec", "models", i))
        if self.spec.test_run is not None:
            yield Reference("TestRun", self.spec.test_run, ("spec", "test_run"))
