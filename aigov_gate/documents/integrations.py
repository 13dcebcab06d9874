"""Connections to other systems. Secrets are never written here: only env var names."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from aigov_gate.documents.base import Document, EnvVarName, Strict

ConnectorType = Literal[
    "github", "gitlab", "mlflow", "s3", "local", "aws_kms", "azure_key_vault", "gcp_kms"
]


class ConnectorConfigSpec(Strict):
    connector_type: ConnectorType
    configuration: dict[str, Any] = Field(default_factory=dict)
    secret_envs: dict[str, EnvVarName] = Field(
        default_factory=dict, description="Setting name -> env var holding the secret."
    )
    status: Literal["active", "inactive", "error"] = "active"
    description: str | None = None


class ConnectorConfig(Document[ConnectorConfigSpec]):
    """Settings for an external system (model registry, storage, key management)."""

    kind: Literal["ConnectorConfig"]


class WebhookSubscriptionSpec(Strict):
    url: str = Field(pattern=r"^https?://")
    events: list[str] = Field(min_length=1, description="Event names or globs like 'gate.*'.")
    status: Literal["active", "paused", "disabled"] = "active"
    secret_env: EnvVarName | None = Field(
        default=None, description="The env var that holds the signing secret."
    )
    description: str | None = None


class WebhookSubscription(Document[WebhookSubscriptionSpec]):
    """Who receives signed governance events."""

    kind: Literal["WebhookSubscription"]
