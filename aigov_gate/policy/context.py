"""The variables a CEL rule sees, as plain values CEL accepts (documented in docs/policies.md).

Documents become their full schema shape (every field present, defaults filled in, unset
optional fields ``null``), so a rule never trips over a field that is merely absent.
Dates become CEL timestamps (midnight UTC), so ``risk.spec.next_review_date < now`` works.

For a Model target: ``model``, ``datasets``, ``plans``, ``runs``, ``run``, ``risk``,
``mappings``, ``evidence``, ``approvals``, plus the generic ones. For any target:
``doc``, ``stage``, ``environment``, ``now``, ``organization``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from aigov_gate.documents.risk import RiskAssessment
from aigov_gate.graph import ModelContext
from aigov_gate.references import Checked
from aigov_gate.result import Situation

GENERIC_VARIABLES = ("doc", "stage", "environment", "now", "organization")
MODEL_VARIABLES = (
    "model",
    "datasets",
    "plans",
    "runs",
    "run",
    "risk",
    "mappings",
    "evidence",
    "approvals",
    *GENERIC_VARIABLES,
)


def to_cel(value: Any) -> Any:
    """Python data -> what CEL accepts: dates become UTC timestamps, tuples lists."""
    if isinstance(value, dict):
        return {k: to_cel(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_cel(v) for v in value]
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return value


class Values:
    """Converts each document once, however many rules and models look at it."""

    def __init__(self) -> None:
        self._cache: dict[int, dict[str, Any]] = {}

    def of(self, doc: Checked | None) -> dict[str, Any] | None:
        if doc is None:
            return None
        key = id(doc)
        found = self._cache.get(key)
        if found is None:
            found = to_cel(doc.model.model_dump(by_alias=True))
            self._cache[key] = found
        return found

    def many(self, docs: Sequence[Checked]) -> list[dict[str, Any]]:
        return [v for v in (self.of(d) for d in docs) if v is not None]


def situation_variables(situation: Situation, organization: str) -> dict[str, Any]:
    environment = None
    if situation.environment is not None:
        environment = {"name": situation.environment, "production": situation.production}
    today = situation.today
    return {
        "stage": situation.stage,
        "environment": environment,
        "now": datetime(today.year, today.month, today.day, tzinfo=UTC),
        "organization": organization,
    }


def model_variables(
    ctx: ModelContext, situation: Situation, values: Values, wanted: frozenset[str]
) -> dict[str, Any]:
    """The variables of ``wanted`` for a model target (others are not computed)."""
    builders: dict[str, Callable[[], Any]] = {
        "model": lambda: values.of(ctx.model),
        "doc": lambda: values.of(ctx.model),
        "datasets": lambda: values.many(ctx.datasets),
        "plans": lambda: values.many(ctx.plans),
        "runs": lambda: values.many(ctx.runs),
        "run": lambda: values.of(ctx.run),
        "risk": lambda: values.of(ctx.risk),
        "mappings": lambda: values.many(ctx.mappings),
        "evidence": lambda: values.many(ctx.evidence),
        "approvals": lambda: approvals(ctx.risk),
    }
    out = situation_variables(situation, ctx.model.organization)
    out.update({name: build() for name, build in builders.items() if name in wanted})
    return {k: v for k, v in out.items() if k in wanted}


def document_variables(
    doc: Checked, situation: Situation, values: Values, wanted: frozenset[str]
) -> dict[str, Any]:
    out = situation_variables(situation, doc.organization)
    out["doc"] = values.of(doc)
    return {k: v for k, v in out.items() if k in wanted}


def approvals(risk: Checked | None) -> list[dict[str, Any]]:
    """Sign-offs known for the version: those recorded in the risk assessment."""
    if risk is None or not isinstance(risk.model, RiskAssessment):
        return []
    return [{**to_cel(a.model_dump()), "source": "recorded"} for a in risk.model.spec.approvals]
