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
from aigov_gate.rules.artifact import ARTIFACT_RULES
from aigov_gate.rules.change import CHANGE_RULES
from aigov_gate.rules.models import MODEL_RULES
from aigov_gate.rules.provenance import PROVENANCE_RULES
from aigov_gate.rules.records import RECORD_RULES
from aigov_gate.rules.validation import VALIDATION

PACKS = ("baseline", "eu-ai-act-high-risk", "nist-ai-rmf", "iso-42001")
#: Other names a pack answers to: the framework's id for the pack that follows it.
PACK_ALIASES = {"iso-iec-42001": "iso-42001"}


def pack_name(name: str) -> str:
    """The pack's own name for ``name`` (itself, or what its alias stands for)."""
    return PACK_ALIASES.get(name, name)


BUILTIN: tuple[RuleInfo, ...] = (
    *MODEL_RULES,
    *CHANGE_RULES,
    *PROVENANCE_RULES,
    *ARTIFACT_RULES,
    *RECORD_RULES,
)

RULES: dict[str, RuleInfo] = {rule.id: rule for rule in (*BUILTIN, *VALIDATION)}


def always_blocks(rule_id: str) -> bool:
    """Whether findings of ``rule_id`` block whatever ``--fail-on`` (``RuleInfo.always_blocks``)."""
    info = RULES.get(rule_id)
    return info is not None and info.always_blocks


#: Families no waiver opens, whatever the id: a policy may not borrow their names.
_RESERVED = ("signoff.", "waiver.", "authority.", "identity.")


def waivable(rule_id: str, more: Collection[str] = ()) -> bool:
    """Whether a waiver may waive findings of ``rule_id`` (``waiver.not-allowed`` if not):
    ``RuleInfo.waivable`` for a built-in rule; a policy's unless it is in a reserved family.

    ``more`` is ``waivers.unwaivable`` from the config: it can only add to the built-in list.
    """
    if rule_id in more:
        return False
    info = RULES.get(rule_id)
    return info.waivable if info is not None else not rule_id.startswith(_RESERVED)


__all__ = [
    "BUILTIN",
    "DOCS_URL",
    "PACKS",
    "PACK_ALIASES",
    "RULES",
    "VALIDATION",
    "RuleInfo",
    "always_blocks",
    "pack_name",
    "waivable",
]
