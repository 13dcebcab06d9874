"""Approvals written in the document itself, each bound to its digest and signed.

An approval counts when it names the document's current digest and, unless
``signoff.recorded.require_signatures: false``, carries an SSH signature of its statement
(:func:`aigov_gate.signoff.sshsig.statement`) by a key the allowed-signers file lists for
the approver. Typing someone's name and the digest is not enough: that needs their key.
"""

from __future__ import annotations

from aigov_gate.config import AigovConfig
from aigov_gate.result import Discarded
from aigov_gate.signoff.model import Source, Vote
from aigov_gate.signoff.rules import Subject
from aigov_gate.signoff.sshsig import AllowedSigners, SignatureError, statement


def source(subject: Subject, aigov: AigovConfig, signers: AllowedSigners | None) -> Source:
    current = subject.digest
    required = aigov.signoff.recorded.require_signatures
    where = aigov.signoff.recorded.allowed_signers
    votes, discarded = [], []
    unsigned = []
    for approval in subject.approvals:
        if approval.digest != current:
            discarded.append(
                Discarded(
                    approval.approver,
                    f"approved content {approval.digest[:12]}, the document is now "
                    f"{current[:12]}: edited after approval (stale)",
                )
            )
            continue
        if approval.signature is None:
            if required:
                discarded.append(
                    Discarded(
                        approval.approver,
                        "unsigned: sign it with 'aigov approvals sign' "
                        "(signoff.recorded.require_signatures is on)",
                    )
                )
                continue
            unsigned.append(approval.approver)
        else:
            message = statement(
                subject.kind,
                subject.organization,
                subject.name,
                current,
                approval.approver,
                approval.role,
                approval.date,
            )
            try:
                if signers is None:
                    raise SignatureError(f"there is no allowed-signers file {where}")
                signers.verify(approval.signature, message, approval.approver, approval.date)
            except SignatureError as exc:
                discarded.append(Discarded(approval.approver, f"signature rejected: {exc}"))
                continue
        votes.append(Vote(approval.approver, approval.date.isoformat(), approval.role))
    notes: list[str] = []
    if unsigned:
        notes.append(
            f"unsigned approvals counted ({', '.join(unsigned)}): "
            "signoff.recorded.require_signatures is false"
        )
    if signers is not None:
        notes.extend(f"{signers.source}: {p}" for p in signers.problems)
    return Source(
        "recorded",
        f"approvals recorded in {subject.path}",
        tuple(votes),
        tuple(discarded),
        head=current,
        notes=tuple(notes),
    )
