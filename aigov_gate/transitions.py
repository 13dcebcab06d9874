"""What moved since ``--base``: events, the approval workflow, and completed runs rewritten.

* :func:`changes`: a risk assessment whose ``approval_status`` differs from the base ref's
  (or that is new and not a draft), and a test run that is ``completed`` now but was not
  (the risk_assessment.* and test_run.completed events).
* :func:`workflow`: the approval workflow draft -> under_review -> approved | rejected;
  rejected re-enters through under_review; any content change after approval returns it
  to under_review; ``production_approved: true`` needs ``approved`` (``risk.workflow``).
* :func:`rewritten`: a TestRun completed at the base that the change edits or deletes
  (``test.run-rewritten``): completed runs are append-only; and an Incident the base has
  that the change deletes or edits beyond recording its report (``incident.rewritten``);
  a Model whose ``risk_tier`` it lowers (``risk.tier-lowered``), and a Model or Dataset
  it deletes, or a Model, Dataset or EvidenceArtifact whose scope it narrows
  (``scope.narrowed``; both in :mod:`aigov_gate.scope`).

Nothing here does I/O: the base documents are read by ``git.documents_at``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, timedelta

from aigov_gate.authority import Authority, AuthorityChange
from aigov_gate.documents.assets import Dataset, EvidenceArtifact, Model
from aigov_gate.documents.records import Incident
from aigov_gate.documents.risk import RiskAssessment
from aigov_gate.documents.testing import TestRun
from aigov_gate.graph import Graph
from aigov_gate.references import Checked
from aigov_gate.result import Change, Finding, Severity, SignOff
from aigov_gate.scope import narrowed, tier_lowered
from aigov_gate.signoff.rules import digest

BASE_KINDS = (
    "TestRun",
    "RiskAssessment",
    "TestPlan",
    "Model",
    "Incident",
    "Dataset",
    "EvidenceArtifact",
)
#: What may be added to an Incident the base has: its report (nothing else changes).
_REPORT = ("reported_on", "authority", "reference")
Path = tuple[str | int, ...]
_MISSING = object()


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


def rewritten(
    graph: Graph, base: Iterable[Checked], today: date, authority: Authority
) -> list[AuthorityChange]:
    """TestRuns completed at the base that the change edits or deletes, keyed by
    organization and name (not path). Completed runs are append-only: each is an authority
    change (``test.run-rewritten``) unless it is deleted after its retention date
    (``finished_at`` plus the base's ``retention.test_runs`` days). Incidents the base has
    are kept the same way (``incident.rewritten``, :func:`_incident`)."""
    config = authority.base_config
    if config is None:
        return []
    now: dict[tuple[str, str, str], list[Checked]] = {}
    for kind in ("TestRun", "Incident", "Model", "Dataset", "EvidenceArtifact"):
        for doc in graph.by_kind.get(kind, []):
            now.setdefault(_key(doc), []).append(doc)
    out = []
    for old in base:
        run = old.model
        if isinstance(run, Model | Dataset | EvidenceArtifact):
            docs = now.get(_key(old), [])
            tier = tier_lowered(old, docs) if isinstance(run, Model) else []
            out.extend([*tier, *narrowed(old, docs, authority.source)])
            continue
        if isinstance(run, Incident):
            out.extend(_incident(old, now.get(_key(old), []), authority.source))
            continue
        if not isinstance(run, TestRun) or run.spec.status != "completed":
            continue
        docs = now.get(_key(old), [])
        edited = next((d for d in docs if d.raw.data != old.raw.data), None)
        if docs and edited is None:
            continue
        if edited is None and _expired(run, config.retention.test_runs, today):
            continue
        out.append(_rewrite(old, edited, authority.source))
    return out


def _incident(old: Checked, docs: list[Checked], source: str) -> list[AuthorityChange]:
    """An Incident the base has stays on record: deleting it or editing anything but adding
    its report (``_REPORT`` fields the base leaves empty) silences its Art. 73 clock."""
    was = old.raw.data.get("spec") or {}
    for doc in docs:
        spec = doc.raw.data.get("spec") or {}
        added = {k for k in _REPORT if was.get(k) is None}
        if {**doc.raw.data, "spec": {k: v for k, v in spec.items() if k not in added}} == {
            **old.raw.data,
            "spec": {k: v for k, v in was.items() if k not in added},
        }:
            return []
    change = _rewrite(old, docs[0] if docs else None, source)
    name = old.model.metadata.name
    verb = change.note.partition("this change ")[2]
    note = (
        f"Incident {name} is on record at {source}, and its reporting clock (Art. 73) runs "
        f"from it: this change {verb}"
    )
    return [replace(change, what=f"Incident/{name}", rule="incident.rewritten", note=note)]


def _expired(run: TestRun, days: int, today: date) -> bool:
    finished = run.spec.finished_at
    return finished is not None and finished.date() + timedelta(days=days) < today


def _rewrite(old: Checked, new: Checked | None, source: str) -> AuthorityChange:
    name = old.model.metadata.name
    if new is None:
        where, verb, after = old.raw.locate(("metadata", "name")), "deletes it", "deleted"
    else:
        path = first_difference(old.raw.data, new.raw.data)
        where, verb = new.raw.locate(path), f"edits {'.'.join(map(str, path))}"
        after = digest(new.raw.data)
    return AuthorityChange(
        f"TestRun/{name}",
        where,
        digest(old.raw.data),
        after,
        "test.run-rewritten",
        f"TestRun {name} was completed at {source}, and completed runs are append-only: "
        f"this change {verb} (was {digest(old.raw.data)}, now ",
    )


def first_difference(old: object, new: object, path: tuple[str | int, ...] = ()) -> Path:
    """The path of the first value that differs between two parsed documents."""
    if isinstance(old, dict) and isinstance(new, dict):
        for k in [*old, *(k for k in new if k not in old)]:
            if old.get(k, _MISSING) != new.get(k, _MISSING):
                inner = first_difference(old.get(k), new.get(k), (*path, k))
                return inner if k in new else path
    if isinstance(old, list) and isinstance(new, list):
        for i, (a, b) in enumerate(zip(old, new, strict=False)):
            if a != b:
                return first_difference(a, b, (*path, i))
    return path


def verified(
    moved: Iterable[Change], findings: Iterable[Finding], signoffs: Iterable[SignOff]
) -> list[Change]:
    """The transitions the gate verified, which events may announce: none whose document
    has an unwaived high or critical finding (a workflow breach, a rewritten run, an
    unverified sign-off...), and an assessment moving to ``approved`` only when its
    sign-off verified in this run."""
    refuted = {f.target for f in findings if f.severity >= Severity.HIGH and not f.waived}
    signed = {
        (s.organization, s.assessment)
        for s in signoffs
        if s.kind == "RiskAssessment" and s.satisfied and not s.error
    }
    return [
        change
        for change in moved
        if f"{change.kind}/{change.name}" not in refuted
        and (change.after != "approved" or (change.organization, change.name) in signed)
    ]
