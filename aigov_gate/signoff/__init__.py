"""Risk sign-off: who approved a RiskAssessment, in which role, and whether that is enough.

A RiskAssessment that says ``approval_status: approved`` must be backed by approvals that
verify (DESIGN.md, "Git and sign-off"):

* ``recorded``: approvals written in the YAML, each bound to :func:`digest` of the
  assessment without its approval fields;
* ``github``: the pull request's reviews (each user's latest non-comment review,
  APPROVED on the head commit);
* ``gitlab``: the merge request's approvals, stale after a push unless GitLab says when.

Providers (``recorded.py``, ``github.py``, ``gitlab.py``) turn their source into a
:class:`Source`; :func:`evaluate` applies roles, separation of duties and the required
counts, the same way for all three. ``check.py`` is the gate's step. Network clients are
imported only when a provider needs them.
"""

from aigov_gate.signoff.model import Request, Source, Vote
from aigov_gate.signoff.rules import digest, evaluate

__all__ = ["Request", "Source", "Vote", "digest", "evaluate"]
