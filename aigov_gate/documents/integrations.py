"""Connections to other systems. Secrets are never written here: only env var names."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any, Literal

from pydantic import Field, field_validator

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


#: Every event aigov sends (docs/webhooks.md has a payload for each).
EVENT_TYPES = (
    "gate.passed",
    "gate.failed",
    "risk_assessment.submitted",
    "risk_assessment.approved",
    "risk_assessment.rejected",
    "test_run.completed",
    "evidence.published",
    "key.rotated",
    "review.overdue",
    "webhook.test",
)


def subscribed(patterns: list[str], event: str) -> bool:
    """Whether an event name matches one of a subscription's names or globs."""
    return any(fnmatchcase(event, pattern) for pattern in patterns)


class WebhookSubscriptionSpec(Strict):
    url: str = Field(pattern=r"^https?://[^\s]+$")
    events: list[str] = Field(
        min_length=1,
        description="Event names or globs like 'gate.*' (known: " + ", ".join(EVENT_TYPES) + ").",
    )
    status: Literal["active", "paused", "disabled"] = "active"
    secret_env: EnvVarName = Field(
        description="The env var holding the signing secret (whsec_<base64>); while a secret "
        "rotates, the new and the old separated by a space."
    )
    description: str | None = None

    @field_validator("events")
    @classmethod
    def _known_events(cls, events: list[str]) -> list[str]:
        for pattern in events:
            if not any(fnmatchcase(name, pattern) for name in EVENT_TYPES):
                raise ValueError(
                    f"'{pattern}' matches no event (known: {', '.join(EVENT_TYPES)}; "
                    "globs like 'gate.*' work)"
                )
        return events


class WebhookSubscription(Document[WebhookSubscriptionSpec]):
    """Who receives signed governance events."""

    kind: Literal["WebhookSubscription"]
