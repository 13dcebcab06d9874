"""Approvals that can never count, refused by ``aigov approvals sign`` before they are written.

The gate judges a recorded approval by the same rules whoever wrote it
(:func:`aigov_gate.signoff.rules.evaluate`); this asks those rules about one approval
before it is signed: the assessor approving their own assessment, a role the approver
does not hold, a role that does not approve this kind of document. A key listed for
another person is refused after signing, before anything is written.
"""

from __future__ import annotations

import difflib
from dataclasses import replace

from aigov_gate.config import AigovConfig
from aigov_gate.errors import UsageError
from aigov_gate.identity import same
from aigov_gate.references import Checked
from aigov_gate.signoff.model import Source, Vote
from aigov_gate.signoff.rules import evaluate, subject_of


def check_role(config: AigovConfig, role: str) -> None:
    """A role that ``.aigov.yaml`` does not define is a usage error, with a did-you-mean."""
    roles = sorted(str(r) for r in config.roles)
    if role in roles or role == config.signoff.authority_role:
        return
    close = difflib.get_close_matches(role, roles, n=1)
    raise UsageError(
        f"there is no role '{role}' in .aigov.yaml",
        hint=(f"did you mean '{close[0]}'? " if close else "") + f"roles: {', '.join(roles)}",
    )


def never_counts(
    doc: Checked, config: AigovConfig, assessors: dict[str, str], user: str, role: str
) -> str | None:
    """Why ``user``'s approval of ``doc`` as ``role`` would never count (None: it can)."""
    subject = replace(subject_of(doc, config, assessors), approvals=())
    source = Source("recorded", doc.raw.source.path, votes=(Vote(user, role=role),))
    verdict = evaluate(subject, config, source)
    return next((d.reason for d in verdict.discarded if same(d.user, user)), None)
