"""What moved since ``--base``: the source of the risk_assessment.* and test_run.completed events.

A risk assessment whose ``approval_status`` differs from the base ref's (or that is new
and not a draft) is a change; so is a test run that is ``completed`` now but was not (or
did not exist) at the base ref. Nothing here does I/O: the base documents are read by
``git.documents_at``.
"""

from __future__ import annotations

from collections.abc import Iterable

from aigov_gate.documents.risk import RiskAssessment
from aigov_gate.documents.testing import TestRun
from aigov_gate.graph import Graph
from aigov_gate.references import Checked
from aigov_gate.result import Change

BASE_KINDS = ("TestRun", "RiskAssessment")


def changes(graph: Graph, base: Iterable[Checked]) -> list[Change]:
    """Risk assessments whose status moved and test runs that completed since the base."""
    before: dict[tuple[str, str, str], str] = {}
    for doc in base:
        model = doc.model
        if isinstance(model, RiskAssessment):
            before[(model.kind, doc.organization, model.metadata.name)] = model.spec.approval_status
        elif isinstance(model, TestRun):
            before[(model.kind, doc.organization, model.metadata.name)] = model.spec.status
    out = []
    for doc in graph.by_kind.get("RiskAssessment", []):
        risk = doc.model
        assert isinstance(risk, RiskAssessment)
        was = before.get((risk.kind, doc.organization, risk.metadata.name))
        now = risk.spec.approval_status
        if now != was and not (was is None and now == "draft"):
            details: tuple[tuple[str, str | int], ...] = (("risk_level", risk.spec.risk_level),)
            version = risk.spec.model_version or ""
            out.append(_change(doc, risk.spec.model, version, was, now, details))
    for doc in graph.by_kind.get("TestRun", []):
        run = doc.model
        assert isinstance(run, TestRun)
        was = before.get((run.kind, doc.organization, run.metadata.name))
        if run.spec.status == "completed" and was != "completed":
            finished = run.spec.finished_at
            details = (
                ("results", len(run.spec.results)),
                ("test_plan", run.spec.test_plan or ""),
                ("finished_at", finished.isoformat() if finished else ""),
            )
            spec = run.spec
            out.append(_change(doc, spec.model, spec.model_version, was, "completed", details))
    return out


def _change(
    doc: Checked,
    model: str,
    version: str,
    was: str | None,
    now: str,
    details: tuple[tuple[str, str | int], ...],
) -> Change:
    return Change(
        doc.model.kind,
        doc.model.metadata.name,
        doc.organization,
        model,
        version,
        was,
        now,
        doc.raw.locate(("metadata", "name")),
        details,
    )
