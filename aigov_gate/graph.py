"""One in-memory graph of the validated documents, and per model the context checks see.

    >>> graph = Graph(checked_documents)  # doctest: +SKIP
    >>> ctx = graph.model_context(graph.models[0])  # doctest: +SKIP
    >>> ctx.run  # the latest completed run for the model's version, or None  # doctest: +SKIP

Lookups are by (organization, name), so two organizations in one repository never see
each other's documents.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from aigov_gate.documents.assets import Dataset, EvidenceArtifact, Model
from aigov_gate.documents.compliance import ComplianceMapping
from aigov_gate.documents.integrations import WebhookSubscription
from aigov_gate.documents.policy import Policy, Waiver
from aigov_gate.documents.risk import RiskAssessment
from aigov_gate.documents.testing import TestPlan, TestRun
from aigov_gate.references import Checked, is_a, of_kind
from aigov_gate.result import Finding, Severity, Subscription

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
M = TypeVar("M", ComplianceMapping, EvidenceArtifact)


@dataclass(slots=True)
class ModelContext:
    """Everything known about one model at one version."""

    model: Checked[Model]
    version: str
    datasets: list[Checked[Dataset]] = field(default_factory=list)
    plans: list[Checked[TestPlan]] = field(default_factory=list)
    runs: list[Checked[TestRun]] = field(default_factory=list)
    run: Checked[TestRun] | None = None
    risk: Checked[RiskAssessment] | None = None
    mappings: list[Checked[ComplianceMapping]] = field(default_factory=list)
    evidence: list[Checked[EvidenceArtifact]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.model.model.metadata.name

    @property
    def label(self) -> str:
        """``name@version``, as findings and reports name a model."""
        return f"{self.name}@{self.version}"

    @property
    def spec(self) -> Model:
        """The Model document (``ctx.spec.spec`` is its ``spec``)."""
        return self.model.model

    def finding(
        self,
        rule: str,
        severity: Severity,
        message: str,
        path: tuple[str | int, ...],
        hint: str,
        doc: Checked | None = None,
    ) -> Finding:
        """A finding about this model, pointing at ``path`` in ``doc`` (default: the model)."""
        where = doc or self.model
        return Finding(
            rule,
            severity,
            message,
            where.raw.locate(path),
            where.raw.target,
            hint,
            model=self.label,
        )

    def used(self) -> list[Checked]:
        """The documents this model uses: datasets, plans, runs, mappings, evidence, risk."""
        risk: list[Checked] = [self.risk] if self.risk is not None else []
        return [*self.datasets, *self.plans, *self.runs, *self.mappings, *self.evidence, *risk]

    def runs_for_version(self) -> list[Checked[TestRun]]:
        return [r for r in self.runs if r.model.spec.model_version == self.version]


def run_time(doc: Checked[TestRun]) -> datetime:
    """When a run finished (else started); runs without times sort first."""
    spec = doc.model.spec
    moment = spec.finished_at or spec.started_at
    if moment is None:
        return _EPOCH
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def latest_completed(runs: Iterable[Checked[TestRun]]) -> Checked[TestRun] | None:
    """The completed run that finished last (file order breaks ties: the later file wins)."""
    completed = [r for r in runs if r.model.spec.status == "completed"]
    return max(completed, key=run_time) if completed else None


class Graph:
    """The validated documents, indexed by kind and by (organization, name)."""

    def __init__(self, documents: Iterable[Checked]) -> None:
        self.by_kind: dict[str, list[Checked]] = defaultdict(list)
        self._named: dict[tuple[str, str, str], Checked] = {}
        for doc in documents:
            kind = doc.model.kind
            self.by_kind[kind].append(doc)
            self._named.setdefault((kind, doc.organization, doc.model.metadata.name), doc)
        self._runs: dict[tuple[str, str], list[Checked[TestRun]]] = defaultdict(list)
        for run in of_kind(self.by_kind["TestRun"], TestRun):
            self._runs[(run.organization, run.model.spec.model)].append(run)
        self._plans: dict[tuple[str, str], list[Checked[TestPlan]]] = defaultdict(list)
        self._labelled_plans: list[Checked[TestPlan]] = []
        for doc in of_kind(self.by_kind["TestPlan"], TestPlan):
            scope = doc.model.spec.applies_to
            for name in scope.models:
                self._plans[(doc.organization, name)].append(doc)
            if scope.labels:
                self._labelled_plans.append(doc)
        self._mappings = self._by_model(
            "ComplianceMapping", ComplianceMapping, every_model_if_empty=True
        )
        self._evidence = self._by_model(
            "EvidenceArtifact", EvidenceArtifact, every_model_if_empty=False
        )
        self._risk: dict[tuple[str, str, str | None], Checked[RiskAssessment]] = {}
        for doc in of_kind(self.by_kind["RiskAssessment"], RiskAssessment):
            spec = doc.model.spec
            self._risk.setdefault((doc.organization, spec.model, spec.model_version), doc)

    def _by_model(
        self, kind: str, cls: type[M], *, every_model_if_empty: bool
    ) -> dict[tuple[str, str], list[Checked[M]]]:
        """Documents of ``kind`` by (organization, model); key ``""`` for all models."""
        out: dict[tuple[str, str], list[Checked[M]]] = defaultdict(list)
        for doc in of_kind(self.by_kind[kind], cls):
            names: list[str] = doc.model.spec.models
            if not names and every_model_if_empty:
                out[(doc.organization, "")].append(doc)
            for name in names:
                out[(doc.organization, name)].append(doc)
        return out

    @property
    def models(self) -> list[Checked[Model]]:
        return of_kind(self.by_kind["Model"], Model)

    @property
    def policies(self) -> list[Checked[Policy]]:
        return of_kind(self.by_kind["Policy"], Policy)

    @property
    def waivers(self) -> list[Checked[Waiver]]:
        return of_kind(self.by_kind["Waiver"], Waiver)

    def get(self, kind: str, organization: str, name: str) -> Checked | None:
        return self._named.get((kind, organization, name))

    def runs_of(self, organization: str, model: str) -> list[Checked[TestRun]]:
        return self._runs.get((organization, model), [])

    def model_context(self, doc: Checked, version: str | None = None) -> ModelContext:
        """The context of ``doc`` at ``version`` (default: the manifest's version)."""
        if not is_a(doc, Model):
            raise TypeError(f"{doc.raw.target} is a {doc.model.kind}, not a Model")
        model = doc.model
        org, name = doc.organization, model.metadata.name
        version = version or model.spec.version
        ctx = ModelContext(doc, version)
        for use in model.spec.datasets:
            dataset = self.get("Dataset", org, use.name)
            if dataset is not None and is_a(dataset, Dataset):
                ctx.datasets.append(dataset)
        ctx.plans = list(self._plans.get((org, name), []))
        ctx.plans += [
            p for p in self._labelled_plans if p not in ctx.plans and _plan_applies(p, org, model)
        ]
        ctx.runs = sorted(self.runs_of(org, name), key=run_time, reverse=True)
        ctx.run = latest_completed(ctx.runs_for_version())
        ctx.risk = self._risk_for(org, name, version, model.spec.version)
        ctx.mappings = self._mappings.get((org, ""), []) + self._mappings.get((org, name), [])
        ctx.evidence = list(self._evidence.get((org, name), []))
        return ctx

    def subscriptions(self) -> list[Subscription]:
        """The WebhookSubscription documents, as delivery needs them."""
        out = []
        for doc in self.by_kind.get("WebhookSubscription", []):
            sub = doc.model
            assert isinstance(sub, WebhookSubscription)
            spec = sub.spec
            out.append(
                Subscription(
                    sub.metadata.name,
                    doc.organization,
                    spec.url,
                    tuple(spec.events),
                    spec.status,
                    spec.secret_env,
                    doc.raw.locate(("metadata", "name")),
                )
            )
        return out

    def _risk_for(
        self, org: str, name: str, version: str, current: str
    ) -> Checked[RiskAssessment] | None:
        found = self._risk.get((org, name, version))
        if found is None and version == current:
            found = self._risk.get((org, name, None))
        return found


def _plan_applies(doc: Checked[TestPlan], org: str, model: Model) -> bool:
    plan = doc.model
    if doc.organization != org or not isinstance(plan, TestPlan):
        return False
    scope = plan.spec.applies_to
    if model.metadata.name in scope.models:
        return True
    labels = model.metadata.labels
    return bool(scope.labels) and all(labels.get(k) == v for k, v in scope.labels.items())
