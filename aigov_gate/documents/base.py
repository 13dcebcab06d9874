"""The document envelope and the value types every kind shares.

Every governance document is ``apiVersion`` / ``kind`` / ``metadata`` / ``spec``. Models
are strict (no silent coercion: ``"yes"`` is not a bool, a list is not a string) and
forbid unknown fields. A ``Day`` is a YAML date or a ``YYYY-MM-DD`` string; an ``Instant``
is an RFC 3339 date-time with an offset, or a day (its midnight UTC). Those are exactly the
JSON Schema formats ``date`` and ``date-time``, so editors and aigov agree on every value
(tests/test_schema_agreement.py): no timestamps as numbers, no date-times without an offset.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Annotated, Any, Generic, Literal, TypeVar, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, model_validator

from aigov_gate.rules import SeverityName, Stage

__all__ = ["Severity", "Stage"]  # the one spelling of each lives in aigov_gate.rules

API_VERSION = "aigov/v1"
API_VERSIONS = (API_VERSION,)


#: The largest finite float: "not above it and not below minus it" is how a JSON Schema
#: refuses .inf, -.inf and .nan (every comparison with NaN is false, so NaN passes both
#: exclusive bounds inside the "not" and the "not" refuses it).
_MAX = 1.7976931348623157e308
FINITE_SCHEMA = {"not": {"anyOf": [{"exclusiveMinimum": _MAX}, {"exclusiveMaximum": -_MAX}]}}


class Strict(BaseModel):
    """Base of every model: strict types, unknown fields are errors, immutable."""

    model_config = ConfigDict(
        strict=True, extra="forbid", frozen=True, populate_by_name=True, defer_build=True
    )

    @model_validator(mode="before")
    @classmethod
    def _whole_numbers(cls, data: Any) -> Any:
        """``records: 412870.0`` is the integer 412870 to JSON Schema ("integer"), so to
        editors: to us too. 0.5, "3" and true are still refused."""
        if not isinstance(data, dict):
            return data
        wanted = _int_fields(cls)
        whole = {
            k: int(v)
            for k, v in data.items()
            if k in wanted and isinstance(v, float) and math.isfinite(v) and v.is_integer()
        }
        return {**data, **whole} if whole else data


@cache
def _int_fields(model: type[BaseModel]) -> frozenset[str]:
    """The names (and aliases) of a model's int and optional-int fields."""
    out = set()
    for name, info in model.model_fields.items():
        if info.annotation is int or set(get_args(info.annotation)) == {int, type(None)}:
            out.update({name, info.alias or name})
    return frozenset(out)


Name = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9]([a-z0-9._-]{0,126}[a-z0-9])?$",
        description="Lower-case letters, digits, '.', '_' and '-'; starts and ends alphanumeric.",
    ),
]
Text = Annotated[str, Field(min_length=1)]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="Hex SHA-256 digest.")]
Digest = Annotated[
    str, Field(pattern=r"^sha256:[0-9a-f]{64}$", description="Content digest, 'sha256:<hex>'.")
]
ModelDigest = Annotated[
    str,
    Field(
        pattern=r"^(sha256|oms-sha256):[0-9a-f]{64}$",
        description="The model's bytes: 'sha256:<hex>' of a single file, or "
        "'oms-sha256:<hex>' the OpenSSF Model Signing root digest of a file or directory.",
    ),
]
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_INSTANT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)


def _day(value: Any) -> Any:
    """A date object, or YYYY-MM-DD for pydantic to parse (it checks the calendar)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DAY.fullmatch(value):
        return value
    raise ValueError("expected a date, YYYY-MM-DD (like 2026-11-20), without a time")


def _instant(value: Any) -> Any:
    """An aware datetime, an RFC 3339 string for pydantic to parse, or a day at 00:00 UTC."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(_NO_OFFSET)
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str) and _DAY.fullmatch(value):
        return value + "T00:00:00Z"
    if isinstance(value, str) and _INSTANT.fullmatch(value):
        return value
    raise ValueError(_NO_OFFSET)


_NO_OFFSET = (
    "expected an RFC 3339 date-time with an offset, like 2026-11-20T10:00:00Z "
    "(Z is UTC) or 2026-11-20T10:00:00+01:00, or a date, YYYY-MM-DD"
)
Day = Annotated[
    date,
    Field(strict=False),
    BeforeValidator(_day),
    WithJsonSchema({"type": "string", "format": "date", "description": "A date, YYYY-MM-DD."}),
]
Instant = Annotated[
    datetime,
    Field(strict=False),
    BeforeValidator(_instant),
    WithJsonSchema(
        {
            "type": "string",
            "anyOf": [{"format": "date-time"}, {"format": "date"}],
            "description": "An RFC 3339 date-time with an offset (2026-11-20T10:00:00Z), "
            "or a date (midnight UTC).",
        }
    ),
]
EnvVarName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]

Classification = Literal["public", "internal", "confidential", "restricted"]
Severity = SeverityName
RiskTier = Literal["prohibited", "high", "limited", "minimal"]
RiskLevel = Literal["low", "medium", "high", "critical"]
ComplianceStatus = Literal[
    "compliant", "partially_compliant", "non_compliant", "not_assessed", "not_applicable"
]


CLASSIFICATION_RANK: dict[str, int] = {
    "public": 0,
    "internal": 1,
    "confidential": 2,
    "restricted": 3,
}


class Metadata(Strict):
    """Identity and ownership. ``name`` is unique per kind and organization."""

    name: Name
    organization: Name | None = Field(
        default=None, description="Defaults to the organization in .aigov.yaml."
    )
    owner: str | None = Field(
        default=None, description="The person or team accountable for the document (a user name)."
    )
    labels: dict[str, str] = Field(
        default_factory=dict,
        description="Key-value labels; TestPlans and policies select models by them.",
    )
    annotations: dict[str, str] = Field(
        default_factory=dict, description="Free-form key-value notes; the gate does not read them."
    )


class ClauseRef(Strict):
    """A clause of a framework, by the framework's name and the clause's official id."""

    framework: Name
    clause: Text = Field(description="The clause's official id in that framework (e.g. 'Art. 9').")


@dataclass(frozen=True, slots=True)
class Reference:
    """An outgoing reference from a document: which kind and name, from which field.

    ``member`` names something inside the target (a framework's clause number).
    ``path`` is the field's path inside the document, for the finding's line number.
    """

    kind: str
    name: str
    path: tuple[str | int, ...]
    member: str | None = None


SpecT = TypeVar("SpecT", bound=Strict)


class Document(Strict, Generic[SpecT]):
    """The envelope. Subclasses fix ``kind`` and the spec type."""

    api_version: Literal["aigov/v1"] = Field(
        alias="apiVersion", description="The schema version of the document: always aigov/v1."
    )
    kind: str
    metadata: Metadata = Field(description="Name, organization, owner, labels and annotations.")
    spec: SpecT = Field(description="The kind's own fields.")

    def references(self) -> Iterator[Reference]:
        """Cross-document references this document makes (none by default)."""
        return iter(())


class Approval(Strict):
    """A sign-off recorded in YAML, bound to the content it approved by ``digest``.

    ``signature`` is an SSH signature (``ssh-keygen -Y sign``, namespace ``aigov-approval``)
    of the approval's statement, made by ``aigov approvals sign`` (docs/ci.md).
    """

    approver: Text = Field(
        description="Who approves: their user name, as roles in .aigov.yaml list it."
    )
    role: Name
    date: Day = Field(description="The day of the approval.")
    notes: str | None = Field(default=None, description="Conditions or remarks of the approver.")
    digest: Sha256 = Field(
        description="sha256 of the document without its approvals, when approved."
    )
    signature: str | None = Field(
        default=None,
        description="-----BEGIN SSH SIGNATURE----- ... made by 'aigov approvals sign'.",
    )
    timestamp: str | None = Field(
        default=None,
        description="Base64 RFC 3161 time-stamp response over the signature text "
        "('aigov approvals sign --timestamp URL'): shows the approval existed by its time.",
    )
