"""Connections to other systems. Secrets are never written here: only env var names."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, WithJsonSchema

from aigov_gate.documents.base import Document, EnvVarName, Strict

ConnectorType = Literal[
    "github", "gitlab", "mlflow", "s3", "local", "aws_kms", "azure_key_vault", "gcp_kms"
]


class ConnectorConfigSpec(Strict):
    connector_type: ConnectorType = Field(description="The system connected (mlflow, s3, ...).")
    configuration: dict[str, Any] = Field(
        default_factory=dict, description="Its settings (no secrets: name them in secret_envs)."
    )
    secret_envs: dict[str, EnvVarName] = Field(
        default_factory=dict, description="Setting name -> env var holding the secret."
    )
    status: Literal["active", "inactive", "error"] = Field(
        default="active", description="active, inactive or error."
    )
    description: str | None = Field(default=None, description="What it connects to, for people.")


class ConnectorConfig(Document[ConnectorConfigSpec]):
    """Settings for an external system (model registry, storage, key management)."""

    kind: Literal["ConnectorConfig"] = Field(
        description="The document kind: always ConnectorConfig."
    )


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
    "incident.overdue",
    "webhook.test",
)


def subscribed(patterns: list[str], event: str) -> bool:
    """Whether an event name matches one of a subscription's names or globs."""
    return any(fnmatchcase(event, pattern) for pattern in patterns)


#: What ``events`` may hold: an event's name, ``family.*`` for a family, or ``*`` for all.
#: A closed list, so the JSON Schema says exactly what the model accepts.
EVENT_PATTERNS = (
    *EVENT_TYPES,
    *sorted({name.split(".", 1)[0] + ".*" for name in EVENT_TYPES}),
    "*",
)


def _known_event(pattern: str) -> str:
    if pattern not in EVENT_PATTERNS:
        raise ValueError(
            f"'{pattern}' is not an event (known: {', '.join(EVENT_TYPES)}; "
            "'gate.*' stands for a family, '*' for all)"
        )
    return pattern


EventPattern = Annotated[
    str,
    AfterValidator(_known_event),
    WithJsonSchema({"type": "string", "enum": list(EVENT_PATTERNS)}),
]


class WebhookSubscriptionSpec(Strict):
    url: str = Field(
        pattern=r"^https?://[^\s\\/@]+(?:[/?#][^\s\\]*)?$",
        description="http(s) url of the receiver: no space, backslash or user info (delivery "
        "refuses urls that two parsers could read differently).",
    )
    events: list[EventPattern] = Field(
        min_length=1,
        description="Event names, 'family.*' (like 'gate.*') or '*' (known: "
        + ", ".join(EVENT_TYPES)
        + ").",
    )
    status: Literal["active", "paused", "disabled"] = Field(
        default="active", description="active, paused or disabled."
    )
    secret_env: EnvVarName = Field(
        description="The env var holding the signing secret (whsec_<base64>); while a secret "
        "rotates, the new and the old separated by a space."
    )
    description: str | None = Field(default=None, description="Who receives it and why.")


class WebhookSubscription(Document[WebhookSubscriptionSpec]):
    """Who receives signed governance events."""

    kind: Literal["WebhookSubscription"] = Field(
        description="The document kind: always WebhookSubscription."
    )
