"""What moved since ``--base``: events, the approval workflow, and bars lowered in passing.

* :func:`changes`: a risk assessment whose ``approval_status`` differs from the base ref's
  (or that is new and not a draft), and a test run that is ``completed`` now but was not
  (the risk_assessment.* and test_run.completed events).
* :func:`workflow`: the approval workflow draft -> under_review -> approved | rejected;
  rejected re-enters through under_review; any content change after approval returns it
  to under_review; ``production_approved: true`` needs ``approved`` (``risk.workflow``).
* :func:`loosened`: a TestPlan made easier to pass in the same change as new results or a
  new model version (``test.threshold-loosened``): the bar is fixed before the jump.

Nothing here does I/O: the base documents are read by ``git.documents_at``.
"""

from __future__ import annotations

from collections.abc import Iterable

from aigov_gate.documents.assets import Model
from aigov_gate.documents.risk import RiskAssessment
from aigov_gate.documents.testing import MetricRequirement, TestPlan, TestRun
from aigov_gate.graph import Graph
from aigov_gate.references import Checked
from aigov_gate.result import Change, Finding, Severity
from aigov_gate.signoff.rules import digest

BASE_KINDS = ("TestRun", "RiskAssessment", "TestPlan", "Model")


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


#: approval_status -> where it may go next (None: the assessment is new).
_NEXT: dict[str | None, tuple[str, ...]] = {
    None: ("draft", "under_review"),
    "draft": ("draft", "under_review"),
    "under_review": ("under_review", "approved", "rejected", "draft"),
    "approved": ("approved", "under_review"),
    "rejected": ("rejected", "under_review"),
}


def _key(doc: Checked) -> tuple[str, str, str]:
    return (doc.model.kind, doc.organization, doc.model.metadata.name)


def workflow(graph: Graph, base: Iterable[Checked] | None) -> list[Finding]:
    """Approval workflow breaches; with ``base=None`` only what one revision can show."""
    before = {_key(d): d for d in base or () if isinstance(d.model, RiskAssessment)}
    out = []
    for doc in graph.by_kind.get("RiskAssessment", []):
        risk = doc.model
        assert isinstance(risk, RiskAssessment)
        now = risk.spec.approval_status
        if risk.spec.production_approved and now != "approved":
            out.append(
                _breach(
                    doc,
                    ("spec", "production_approved"),
                    f"{risk.metadata.name} says production_approved: true but is {now}: "
                    "production approval needs an approved assessment",
                    "set production_approved: false until the assessment is approved",
                )
            )
        if base is None:
            continue
        old = before.get(_key(doc))
        was = (
            old.model.spec.approval_status
            if old and isinstance(old.model, RiskAssessment)
            else None
        )
        if now not in _NEXT[was]:
            step = f"{was or 'new'} -> {now}"
            allowed = " or ".join(_NEXT[was])
            out.append(
                _breach(
                    doc,
                    ("spec", "approval_status"),
                    f"{risk.metadata.name} moves {step}, which the approval workflow does not "
                    f"allow (from {was or 'a new assessment'}: {allowed})",
                    "go through under_review: draft -> under_review -> approved | rejected, "
                    "each step its own reviewed change",
                )
            )
        elif (
            was == now == "approved"
            and old is not None
            and digest(old.raw.data) != digest(doc.raw.data)
        ):
            out.append(
                _breach(
                    doc,
                    ("spec", "approval_status"),
                    f"{risk.metadata.name} was changed after approval and still says "
                    "approved: a changed assessment returns to under_review",
                    "set approval_status: under_review and have it reviewed again",
                )
            )
    return out


def _breach(doc: Checked, path: tuple[str, ...], message: str, hint: str) -> Finding:
    return Finding(
        "risk.workflow", Severity.HIGH, message, doc.raw.locate(path), doc.raw.target, hint
    )


def _moved(graph: Graph, base: list[Checked]) -> set[tuple[str, str]]:
    """(organization, model) with new or changed TestRuns, or a new version, since the base."""
    before = {_key(d): d for d in base}
    out: set[tuple[str, str]] = set()
    for doc in graph.by_kind.get("TestRun", []):
        run = doc.model
        assert isinstance(run, TestRun)
        old = before.get(_key(doc))
        if old is None or old.raw.data != doc.raw.data:
            out.add((doc.organization, run.spec.model))
    for doc in graph.models:
        model = doc.model
        assert isinstance(model, Model)
        old = before.get(_key(doc))
        if old is not None and isinstance(old.model, Model):
            bumped = old.model.spec.version != model.spec.version
            if bumped:
                out.add((doc.organization, model.metadata.name))
    return out


def _looser(old: MetricRequirement, new: MetricRequirement) -> str | None:
    """How ``new`` is easier to pass than ``old`` (None when it is not)."""
    return _bar(old, new) or _limits(old, new)


def _bar(old: MetricRequirement, new: MetricRequirement) -> str | None:
    op = new.operator
    if op != old.operator:
        return f"operator {old.operator} -> {op}"
    if op == "between":
        lo, hi = old.range or (0.0, 0.0)
        nlo, nhi = new.range or (0.0, 0.0)
        return f"range [{lo:g}, {hi:g}] -> [{nlo:g}, {nhi:g}]" if nlo < lo or nhi > hi else None
    was, now = old.threshold or 0.0, new.threshold or 0.0
    easier = {">=": now < was, ">": now < was, "<=": now > was, "<": now > was, "==": now != was}
    return f"threshold {op} {was:g} -> {op} {now:g}" if easier[op] else None


def _limits(old: MetricRequirement, new: MetricRequirement) -> str | None:
    was, now = old.max_disparity, new.max_disparity
    if was is not None and now is None:
        return f"max_disparity {was.measure} {was.limit:g} removed"
    if was is not None and now is not None and now.measure != was.measure:
        return f"max_disparity {was.measure} -> {now.measure}"
    if was is not None and now is not None:
        easier = now.limit < was.limit if was.measure == "ratio" else now.limit > was.limit
        if easier:
            return f"max_disparity {was.measure} {was.limit:g} -> {now.limit:g}"
    if old.max_regression is not None and new.max_regression is None:
        return f"max_regression {old.max_regression:g} removed"
    if old.max_regression is not None and (new.max_regression or 0.0) > old.max_regression:
        return f"max_regression {old.max_regression:g} -> {new.max_regression:g}"
    dropped = [v for v in old.slices if v not in new.slices]
    return f"slices {old.slice_key}={','.join(dropped)} no longer required" if dropped else None


def loosened(graph: Graph, base: list[Checked]) -> list[Finding]:
    """TestPlans made easier in the same change as new results or a model version bump."""
    moved = _moved(graph, base)
    if not moved:
        return []
    models = {name for _org, name in moved}
    now = {_key(d): d for d in graph.by_kind.get("TestPlan", [])}
    out = []
    for old_doc in base:
        old = old_doc.model
        if not isinstance(old, TestPlan):
            continue
        scope = old.spec.applies_to
        doc = now.get(_key(old_doc))
        # a deleted plan: test.no-plan / gate.model-unchecked say it
        if doc is not None and (set(scope.models) & models or scope.labels):
            out.extend(_plan_loosened(old, doc))
    return out


def _plan_loosened(old: TestPlan, doc: Checked) -> list[Finding]:
    plan = doc.model
    assert isinstance(plan, TestPlan)
    tests = {t.name: (i, t) for i, t in enumerate(plan.spec.tests)}
    out = []
    for was in old.spec.tests:
        found = tests.get(was.name)
        if found is None:
            out.append(_lowered(doc, ("spec", "tests"), f"test '{was.name}' removed"))
            continue
        i, test = found
        if was.required and not test.required:
            where: tuple[str | int, ...] = ("spec", "tests", i, "required")
            out.append(_lowered(doc, where, f"'{was.name}' made optional"))
        metrics = {(m.name, m.slice_key): (j, m) for j, m in enumerate(test.metrics)}
        for req in was.metrics:
            hit = metrics.get((req.name, req.slice_key))
            if hit is None:
                where = ("spec", "tests", i, "metrics")
                out.append(_lowered(doc, where, f"{was.name}: metric {req.name} removed"))
                continue
            j, new = hit
            why = _looser(req, new)
            if why:
                where = ("spec", "tests", i, "metrics", j)
                out.append(_lowered(doc, where, f"{was.name}: {req.name} {why}"))
    return out


def _lowered(doc: Checked, path: tuple[str | int, ...], what: str) -> Finding:
    return Finding(
        "test.threshold-loosened",
        Severity.HIGH,
        f"{doc.model.metadata.name} is loosened in the same change as new results",
        doc.raw.locate(path),
        doc.raw.target,
        "restore the old bar, or have a risk approver sign the plan change off (on the pull "
        "request, or 'aigov approvals sign PLAN'); better: land plan changes before results",
        details=(
            f"loosened: {what}",
            "the bar must be fixed before the results are in (new results or a new model "
            "version come in the same change)",
        ),
    )
