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

    role: AiActRole = Field(
        default="provider",
        description="The organization's role for this system: provider, "
        "deployer, importer, distributor, ...",
    )
    annex_iii_category: str | None = Field(
        default=None,
        pattern=r"^[1-8](\([a-d]\))?$",
        description="Annex III area and point, e.g. '5(b)' for creditworthiness assessment.",
    )
    gpai: bool = Field(default=False, description="General-purpose AI model.")


class DatasetUse(Strict):
    """A dataset a model is built or evaluated with."""

    name: Name
    version: str | None = Field(
        default=None, description="The dataset version used (default: the Dataset's own)."
    )
    purpose: Literal["training", "validation", "test", "reference", "other"] = Field(
        default="training", description="training, validation, test, reference or other."
    )


class Deployment(Strict):
    """Where a version of the model runs or is meant to run."""

    version: Text = Field(description="The model version deployed there.")
    status: Literal["planned", "active", "retired"] = Field(
        default="planned", description="planned, active or retired."
    )
    since: Day | None = Field(default=None, description="The day it went live there.")
    endpoint: str | None = Field(default=None, description="Where it serves (URL or service name).")


class ModelSpec(Strict):
    model_type: ModelType = Field(
        description="What kind of model: tabular, nlp, vision, speech, "
        "llm, recommender, timeseries or other."
    )
    version: Text = Field(
        description="The version being governed; TestRuns, RiskAssessments and deploys name it."
    )
    released: Day | None = Field(
        default=None,
        description="When this version was produced: evidence created before it no longer counts.",
    )
    uri: str | None = Field(
        default=None, description="Where the model artifact lives (registry or storage URI)."
    )
    digest: ModelDigest | None = Field(
        default=None,
        description="The artifact's digest ('sha256:...'); a deploy with --model-artifact "
        "checks the bytes against it.",
    )
    description: str | None = Field(
        default=None, description="What the model does, in a sentence or two."
    )
    intended_use: str | None = Field(
        default=None, description="The use it is built and tested for."
    )
    out_of_scope_use: list[Text] = Field(
        default_factory=list, description="Uses it must not be put to."
    )
    contains_pii: bool = Field(
        default=False, description="Whether the model (or what it memorised) holds personal data."
    )
    data_classification: Classification = Field(
        default="internal", description="public, internal, confidential or restricted."
    )
    risk_tier: RiskTier = Field(
        description="The EU AI Act risk tier: prohibited, high, limited or minimal."
    )
    eu_ai_act: EuAiAct | None = Field(
        default=None, description="The model's role and Annex III category under the EU AI Act."
    )
    datasets: list[DatasetUse] = Field(
        default_factory=list, description="The Datasets it was trained, validated and tested on."
    )
    frameworks: list[Name] = Field(
        default_factory=list, description="Frameworks that apply to this model."
    )
    deployments: dict[Name, Deployment] = Field(
        default_factory=dict, description="Per environment name."
    )


class Model(Document[ModelSpec]):
    """A model asset (the platform's ModelAsset) at its current version."""

    kind: Literal["Model"] = Field(description="The document kind: always Model.")

    def references(self) -> Iterator[Reference]:
        for i, use in enumerate(self.spec.datasets):
            yield Reference("Dataset", use.name, ("spec", "datasets", i, "name"))
        for i, framework in enumerate(self.spec.frameworks):
            yield Reference("Framework", framework, ("spec", "frameworks", i))


class CollectionPeriod(Strict):
    start: Day = Field(description="The first day of collection.")
    end: Day | None = Field(default=None, description="The last day of collection (none: ongoing).")

    @model_validator(mode="after")
    def _ordered(self) -> CollectionPeriod:
        if self.end is not None and self.end < self.start:
            raise ValueError("collection_period.end is before start")
        return self


class DatasetSpec(Strict):
    version: Text = Field(description="The dataset's version (a snapshot, a date, a tag).")
    uri: str | None = Field(default=None, description="Where the data lives.")
    digest: Digest | None = Field(
        default=None,
        description="The data's digest ('sha256:...'); aigov metrics compute checks "
        "predictions against it.",
    )
    description: str | None = Field(default=None, description="What the data is.")
    contains_pii: bool = Field(default=False, description="Whether it holds personal data.")
    data_classification: Classification = Field(
        default="internal", description="public, internal, confidential or restricted."
    )
    sources: list[Text] = Field(default_factory=list, description="Where the records come from.")
    collection_period: CollectionPeriod | None = Field(
        default=None, description="When the records were collected."
    )
    license: str | None = Field(
        default=None, description="The data's licence (an SPDX id where there is one)."
    )
    records: int | None = Field(
        default=None,
        ge=0,
        description="The number of rows; aigov metrics compute refuses a file with another count.",
    )
    protected_attributes: list[Text] = Field(
        default_factory=list,
        description="Columns holding protected characteristics (for fairness slices).",
    )
    known_limitations: list[Text] = Field(
        default_factory=list, description="What the data does not represent well."
    )


class Dataset(Document[DatasetSpec]):
    """A dataset asset: provenance, classification, protected attributes, limitations."""

    kind: Literal["Dataset"] = Field(description="The document kind: always Dataset.")


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

    artifact_type: ArtifactType = Field(
        description="What the artifact is (model_card, data_sheet, monitoring_plan, ...)."
    )
    path: str | None = Field(
        default=None, description="File in the repository, relative to its root."
    )
    uri: str | None = Field(default=None, description="Where the artifact lives outside Git.")
    sha256: Sha256 | None = Field(
        default=None, description="The file's sha256 (hex); validate checks it against the file."
    )
    file_info: str | None = Field(default=None, description="Format or size notes, for people.")
    description: str | None = Field(default=None, description="What the artifact shows.")
    models: list[Name] = Field(
        default_factory=list,
        description="The Models it is evidence for (empty: none in particular).",
    )
    model_version: str | None = Field(
        default=None,
        description="The model version this artifact was written for: for another version "
        "it no longer counts.",
    )
    test_run: Name | None = Field(default=None, description="The TestRun it came from, if any.")
    created: Day | None = Field(
        default=None, description="The day it was made; with max_age_days, when it goes stale."
    )
    max_age_days: int | None = Field(
        default=None,
        ge=1,
        description="How long after 'created' it counts (overrides evidence.max_age_days).",
    )
    contains_pii: bool = Field(
        default=False, description="Whether it holds personal data (then bundles encrypt it)."
    )
    data_classification: Classification = Field(
        default="internal", description="public, internal, confidential or restricted."
    )
    retention_date: Day | None = Field(
        default=None, description="Keep it until this day (evidence prune keeps it until then)."
    )

    @model_validator(mode="after")
    def _located(self) -> EvidenceArtifactSpec:
        if self.path is None and self.uri is None:
            raise ValueError("an evidence artifact needs a path (in the repository) or a uri")
        if self.path is not None and self.sha256 is None:
            raise ValueError("an artifact with a path needs its sha256, so tampering shows")
        return self


class EvidenceArtifact(Document[EvidenceArtifactSpec]):
    """A file that proves something (model card, FRIA, test report), pinned by sha256."""

    kind: Literal["EvidenceArtifact"] = Field(
        description="The document kind: always EvidenceArtifact."
    )

    def references(self) -> Iterator[Reference]:
        for i, model in enumerate(self.spec.models):
            yield Reference("Model", model, ("spec", "models", i))
        if self.spec.test_run is not None:
            yield Reference("TestRun", self.spec.test_run, ("spec", "test_run"))
