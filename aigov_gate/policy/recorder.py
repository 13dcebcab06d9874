"""What the checks of one model report: the rules that ran and the findings they made.

Rules that ran without findings are passes; reporters need them (a JUnit testcase per
model and rule, "N checks passed" in the summary).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aigov_gate.result import Finding


@dataclass(slots=True)
class Recorder:
    model: str = ""
    evaluated: set[str] = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)

    def ran(self, *rule_ids: str) -> None:
        self.evaluated.update(rule_ids)

    def found(self, finding: Finding) -> None:
        self.evaluated.add(finding.rule_id)
        self.findings.append(finding)
