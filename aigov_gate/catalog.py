"""The built-in rule catalog: every stable rule id, what it checks, why, and how to fix it.

Pure data, kept by family in ``aigov_gate/rules/``. ``aigov explain RULE_ID`` prints an
entry, SARIF carries them as ``rules``, and docs/rules.md is generated from it (a test keeps
the page in step, another that every rule id the code writes has an entry here).

    >>> RULES["metric.disparity"].severity
    'high'
"""

from __future__ import annotations

from collections.abc import Collection

from aigov_gate.rules import DOCS_URL, RuleInfo
from aigov_gate.rules.change import CHANGE_RULES
from aigov_gate.rules.models import MODEL_RULES
from aigov_gate.rules.validation import VALIDATION

PACKS = ("baseline", "eu-ai-act-high-risk", "nist-ai-rmf", "iso-42001")
BUILTIN: tuple[RuleInfo, ...] = (*MODEL_RULES, *CHANGE_RULES)

RULES: dict[str, RuleInfo] = {rule.id: rule for rule in (*BUILTIN, *VALIDATION)}


def always_blocks(rule_id: str) -> bool:
    """Invalid documents, broken or failing policies and misspelt or forbidden waivers block
    whatever ``--fail-on``."""
    return rule_id in _ALWAYS_BLOCKING


def waivable(rule_id: str, more: Collection[str] = ()) -> bool:
    """Whether a waiver may waive findings of ``rule_id`` (``waiver.not-allowed`` if not).

    ``more`` is ``waivers.unwaivable`` from the config: it can only add to the built-in list.
    """
    return (
        rule_id not in _UNWAIVABLE
        and rule_id not in more
        and not rule_id.startswith(("signoff.", "waiver.", "authority.", "identity."))
    )


_ALWAYS_BLOCKING = frozenset(
    [r.id for r in VALIDATION]
    + [
        "policy.syntax-error",
        "policy.unknown-variable",
        "policy.unknown-function",
        "policy.eval-error",
        "policy.too-complex",
        "waiver.not-allowed",
        "authority.changed",
        "identity.lookalike",
    ]
)

#: What a waiver, written by the people being gated, must never open.
_UNWAIVABLE = _ALWAYS_BLOCKING | {
    "signoff.unverified",
    "signoff.unavailable",
    "deploy.production-not-approved",
    "deploy.assessment-missing",
    "deploy.untested",
    "risk.workflow",
    "test.threshold-loosened",
}

__all__ = [
    "BUILTIN",
    "DOCS_URL",
    "PACKS",
    "RULES",
    "VALIDATION",
    "RuleInfo",
    "always_blocks",
    "waivable",
]
