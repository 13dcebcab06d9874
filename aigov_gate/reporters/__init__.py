"""Reporters turn results into bytes; the CLI picks one from a ``*_BY_NAME`` table.

The tables are the registry of output formats: the CLI's ``--format`` choices are their
keys, so a format is one module and one line here. They name each reporter by module and
function, and a reporter's module is imported when it is first asked for: ``aigov
validate`` (on every commit) loads the text or JSON reporter only, not OSCAL, SARIF or the
dashboard and what they import; importing this module imports nothing else of aigov.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aigov_gate.result import GateResult
    from aigov_gate.validation import ValidationResult

Reporter = Callable[["ValidationResult", bool], str]
GateReporter = Callable[["GateResult", bool], str]


class _Table(Mapping[str, Any]):
    """name -> reporter, each imported on first use; iterating lists the names."""

    def __init__(self, entries: dict[str, str]) -> None:
        self._entries = entries

    def __getitem__(self, name: str) -> Any:
        module, _, function = self._entries[name].rpartition(".")
        return getattr(import_module(module), function)

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


REPORTER_BY_NAME: Mapping[str, Reporter] = _Table(
    {
        "text": "aigov_gate.reporters.text.render_text",
        "json": "aigov_gate.reporters.json_report.render_json",
    }
)

GATE_REPORTER_BY_NAME: Mapping[str, GateReporter] = _Table(
    {
        "text": "aigov_gate.reporters.gate_text.render_gate_text",
        "json": "aigov_gate.reporters.gate_json.render_gate_json",
        "sarif": "aigov_gate.reporters.sarif.render_sarif",
        "junit": "aigov_gate.reporters.junit.render_junit",
        "junit-gitlab": "aigov_gate.reporters.junit.render_junit_gitlab",
        "codequality": "aigov_gate.reporters.codequality.render_codequality",
        "markdown": "aigov_gate.reporters.markdown.render_markdown",
        "oscal": "aigov_gate.compliance.oscal.render_oscal",
        "github": "aigov_gate.reporters.github.render_github",
        "html": "aigov_gate.reporters.html.render_html",
    }
)

#: ``aigov compliance report``: the compliance view of a gate run.
COMPLIANCE_REPORTER_BY_NAME: Mapping[str, GateReporter] = _Table(
    {
        "text": "aigov_gate.reporters.compliance.render_compliance_text",
        "json": "aigov_gate.reporters.compliance.render_compliance_json",
        "markdown": "aigov_gate.reporters.compliance.render_compliance_markdown",
        "oscal": "aigov_gate.compliance.oscal.render_oscal",
    }
)

__all__ = [
    "COMPLIANCE_REPORTER_BY_NAME",
    "GATE_REPORTER_BY_NAME",
    "REPORTER_BY_NAME",
    "GateReporter",
    "Reporter",
]
