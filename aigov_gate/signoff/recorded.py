"""Approvals written in the RiskAssessment itself, each bound to the assessment's digest."""

from __future__ import annotations

from aigov_gate.documents.risk import RiskAssessment
from aigov_gate.references import Checked
from aigov_gate.result import Discarded
from aigov_gate.signoff.model import Source, Vote
from aigov_gate.signoff.rules import digest


def source(assessment: Checked) -> Source:
    risk = assessment.model
    assert isinstance(risk, RiskAssessment)
    current = digest(assessment.raw.data)
    votes, discarded = [], []
    for approval in risk.spec.approvals:
        if approval.digest != current:
            discarded.append(
                Discarded(
                    approval.approver,
                    f"approved content {approval.digest[:12]}, the assessment is now "
                    f"{current[:12]}: edited after approval (stale)",
                )
            )
        else:
            votes.append(Vote(approval.approver, approval.date.isoformat(), approval.role))
    return Source(
        "recorded",
        f"approvals recorded in {assessment.raw.source.path}",
        tuple(votes),
        tuple(discarded),
        head=current,
    )
