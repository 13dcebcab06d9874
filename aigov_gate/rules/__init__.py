"""Rule entries: every stable rule id, what it checks, why, and how to fix it.

Pure data, at the bottom of the layers: ``catalog.py`` puts the families together (in the
order docs/rules.md lists them), findings and reporters look rules up there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DOCS_URL = "https://github.com/aigov-gate/aigov-gate/blob/main/docs/rules.md"


@dataclass(frozen=True, slots=True)
class RuleInfo:
    id: str
    title: str
    severity: str
    checks: str
    why: str
    fix: str
    clauses: tuple[str, ...] = field(default=())

    @property
    def anchor(self) -> str:
        return self.id.replace(".", "")

    @property
    def help_uri(self) -> str:
        return f"{DOCS_URL}#{self.anchor}"


def rule(
    id: str, title: str, severity: str, checks: str, why: str, fix: str, *clauses: str
) -> RuleInfo:
    return RuleInfo(id, title, severity, checks, why, fix, clauses)
