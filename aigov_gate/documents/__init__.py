"""Pydantic models for every governance document kind: the single source of truth.

``KINDS`` maps each ``kind`` to its model; JSON Schemas in ``schemas`` are
generated from these (see ``documents.schema``).
"""

from __future__ import annotations

from typing import Any

from aigov_gate.documents.assets import Dataset, EvidenceArtifact, Model
from aigov_gate.documents.base import API_VERSION, API_VERSIONS, Document, Reference
from aigov_gate.documents.compliance import ComplianceMapping, Framework
from aigov_gate.documents.integrations import ConnectorConfig, WebhookSubscription
from aigov_gate.documents.policy import Policy, Waiver
from aigov_gate.documents.records import (
    ImpactAssessment,
    Incident,
    SpecialCategoryProcessing,
)
from aigov_gate.documents.risk import RiskAssessment
from aigov_gate.documents.testing import TestPlan, TestRun

AnyDocument = Document[Any]

KINDS: dict[str, type[AnyDocument]] = {
    "Model": Model,
    "Dataset": Dataset,
    "TestPlan": TestPlan,
    "TestRun": TestRun,
    "RiskAssessment": RiskAssessment,
    "Framework": Framework,
    "ComplianceMapping": ComplianceMapping,
    "EvidenceArtifact": EvidenceArtifact,
    "Policy": Policy,
    "Waiver": Waiver,
    "ConnectorConfig": ConnectorConfig,
    "WebhookSubscription": WebhookSubscription,
    "ImpactAssessment": ImpactAssessment,
    "Incident": Incident,
    "SpecialCategoryProcessing": SpecialCategoryProcessing,
}

__all__ = ["API_VERSION", "API_VERSIONS", "KINDS", "AnyDocument", "Reference"]
