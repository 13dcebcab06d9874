"""Rule entries: every stable rule id, what it checks, why, and how to fix it.

Pure data, at the bottom of the layers: ``catalog.py`` puts the families together (in the
order docs/rules.md lists them), findings and reporters look rules up there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

#: How bad a finding is, lowest first: the one spelling of severities. ``result.Severity``
#: orders them (a test keeps its members in step); config, documents and the CLI use it.
SeverityName = Literal["info", "low", "medium", "high", "critical"]
SEVERITIES: tuple[SeverityName, ...] = get_args(SeverityName)

#: The gate's stages: the one spelling (CLI choices, Situation, Policy stages, config).
Stage = Literal["merge", "deploy"]
STAGES: tuple[Stage, ...] = get_args(Stage)

DOCS_URL = "https://github.com/aigov-gate/aigov-gate/blob/main/docs/rules.md"


@dataclass(frozen=True, slots=True)
class RuleInfo:
    id: str
    title: str
    severity: SeverityName
    checks: str
    why: str
    fix: str
    clauses: tuple[str, ...] = field(default=())
    #: Whether a Waiver may waive its findings (``waiver.not-allowed`` if not). The people
    #: being gated write waivers: what would let them open the gate themselves is False.
    waivable: bool = True
    #: Whether its findings block whatever ``--fail-on`` says (invalid documents, broken
    #: policies, misspelt or forbidden waivers, authority changes). Never waivable.
    always_blocks: bool = False

    @property
    def anchor(self) -> str:
        return self.id.replace(".", "")

    @property
    def help_uri(self) -> str:
        return f"{DOCS_URL}#{self.anchor}"


def rule(
    id: str,
    title: str,
    severity: SeverityName,
    checks: str,
    why: str,
    fix: str,
    *clauses: str,
    waivable: bool = True,
    always_blocks: bool = False,
) -> RuleInfo:
    """One entry; a rule that always blocks is never waivable."""
    return RuleInfo(
        id,
        title,
        severity,
        checks,
        why,
        fix,
        clauses,
        waivable and not always_blocks,
        always_blocks,
    )
