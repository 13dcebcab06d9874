"""The events aigov sends, and their bytes: ``{"event", "type", "timestamp", "data"}``.

An event's webhook-id is derived from what it says (its type, organization and data),
so the same event emitted twice (the gate re-run on the same commit in the same CI run)
keeps its id: the outbox stores it once and receivers can dedupe on it. ``timestamp``
is when the event happened; the attempt's time travels in the ``webhook-timestamp``
header instead. Every string in ``data`` is PII-masked before the body is fixed.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aigov_gate.evidence.keyring import KeyEntry, stamp
from aigov_gate.evidence.rotation import Planned
from aigov_gate.reporters.gate_json import gate_to_json
from aigov_gate.result import Change, Finding, GateResult, Subscription

#: How many blocking findings a gate event lists (the rest are counted).
MAX_LISTED = 20
_GATE_FIELDS = (
    "decision",
    "passed",
    "stage",
    "environment",
    "production",
    "as_of",
    "fail_on",
    "base",
)
_REVIEW_RULES = ("risk.review-overdue", "deploy.review-overdue")
_RISK_EVENTS = {
    "under_review": "risk_assessment.submitted",
    "approved": "risk_assessment.approved",
    "rejected": "risk_assessment.rejected",
}


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    type: str
    organization: str
    timestamp: str
    data: dict[str, Any]

    def body(self, mask: Callable[[str], str]) -> bytes:
        """The exact bytes sent (and signed): compact JSON, data masked."""
        payload = {
            "event": self.type,
            "type": self.type,
            "timestamp": self.timestamp,
            "data": _masked(self.data, mask),
        }
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def make(kind: str, organization: str, data: dict[str, Any], moment: datetime) -> Event:
    """An event whose id is a digest of what it says (re-emitting it keeps the id)."""
    canonical = json.dumps([kind, organization, data], sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]
    return Event(f"msg_{digest}", kind, organization, stamp(moment), data)


def key_rotated(planned: Planned, new: KeyEntry, moment: datetime) -> Event:
    """``key.rotated``: the new key of one organization and purpose, and the one it replaced."""
    data = {
        "organization": planned.organization,
        "purpose": planned.purpose,
        "key_id": new.id,
        "previous_key_id": planned.old.id,
        "algorithm": new.algorithm,
        "provider": new.provider,
        "not_after": new.not_after,
        "reason": planned.reason,
    }
    return make("key.rotated", planned.organization, data, moment)


def test_event(sub: Subscription, moment: datetime) -> Event:
    """webhook.test: a fresh id every time, so each test is delivered."""
    data = {"subscription": sub.name, "message": "test event from aigov webhooks test"}
    return Event(
        f"msg_{secrets.token_hex(16)}", "webhook.test", sub.organization, stamp(moment), data
    )


def gate_events(
    result: GateResult, default_org: str, run: Mapping[str, Any], moment: datetime
) -> list[Event]:
    """gate.passed / gate.failed per organization of the gated models, then the
    risk_assessment.* and test_run.completed changes, then review.overdue and
    incident.overdue findings.

    ``run`` describes where this happened: commit, branch, run_url, and ``links`` (the
    reports and evidence bundle this run wrote).
    """
    orgs = sorted({m.organization or default_org for m in result.models} or {default_org})
    events = [_gate_event(result, org, default_org, run, moment) for org in orgs]
    for change in result.changes:
        kind = _kind_of(change)
        if kind:
            events.append(make(kind, change.organization, _change_data(change, run), moment))
    for finding in result.findings:
        if finding.rule_id in _REVIEW_RULES:
            org = _finding_org(finding, result, default_org)
            events.append(make("review.overdue", org, _review_data(finding, run), moment))
        elif finding.rule_id == "incident.report-overdue":
            org = _finding_org(finding, result, default_org)
            data = _review_data(finding, run)
            data["incident"] = data.pop("assessment")
            data["details"] = list(finding.details)
            events.append(make("incident.overdue", org, data, moment))
    return events


def _gate_event(
    result: GateResult, org: str, default_org: str, run: Mapping[str, Any], moment: datetime
) -> Event:
    """The gate report's decision fields and summary, that organization's models, and
    the first blocking findings (restated from the JSON report, never recounted)."""
    report = gate_to_json(result)
    data = {key: report[key] for key in _GATE_FIELDS}
    data.update(_where(run))
    data["summary"] = report["summary"]
    data["models"] = [
        {key: entry[key] for key in ("name", "version", "decision", "findings")}
        for verdict, entry in zip(result.models, report["models"], strict=True)
        if (verdict.organization or default_org) == org
    ]
    data["blocking"] = [_finding(f) for f in result.blocking[:MAX_LISTED]]
    kind = "gate.passed" if result.passed else "gate.failed"
    return make(kind, org, data, moment)


def _where(run: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "commit": run.get("commit"),
        "branch": run.get("branch"),
        "run_url": run.get("run_url"),
        "links": dict(run.get("links", {})),
    }


def _finding(f: Finding) -> dict[str, Any]:
    return {
        "rule": f.rule_id,
        "severity": f.severity.label,
        "message": f.message,
        "location": str(f.location),
        "model": f.model,
    }


def _kind_of(change: Change) -> str | None:
    if change.kind == "TestRun":
        return "test_run.completed"
    return _RISK_EVENTS.get(change.after)


def _change_data(change: Change, run: Mapping[str, Any]) -> dict[str, Any]:
    key = "assessment" if change.kind == "RiskAssessment" else "test_run"
    return {
        key: change.name,
        "model": change.model,
        "model_version": change.version or None,
        "previous_status": change.before,
        "status": change.after,
        "location": str(change.location),
        **dict(change.details),
        **_where(run),
    }


def _review_data(finding: Finding, run: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "assessment": finding.target,
        "model": finding.model,
        "message": finding.message,
        "location": str(finding.location),
        "rule": finding.rule_id,
        "waived_by": finding.waived_by or None,
        **_where(run),
    }


def _finding_org(finding: Finding, result: GateResult, default_org: str) -> str:
    for m in result.models:
        if finding.model in (m.label, m.name):
            return m.organization or default_org
    return default_org


def _masked(value: Any, mask: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: _masked(v, mask) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v, mask) for v in value]
    return value
