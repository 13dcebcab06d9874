"""Reporters turn results into bytes; the CLI picks one from a ``*_BY_NAME`` table."""

from __future__ import annotations

from collections.abc import Callable

from aigov_gate.compliance.oscal import render_oscal
from aigov_gate.reporters.codequality import render_codequality
from aigov_gate.reporters.gate_json import render_gate_json
from aigov_gate.reporters.gate_text import render_gate_text
from aigov_gate.reporters.github import render_github
from aigov_gate.reporters.html import render_html
from aigov_gate.reporters.json_report import render_json
from aigov_gate.reporters.junit import render_junit, render_junit_gitlab
from aigov_gate.reporters.markdown import render_markdown
from aigov_gate.reporters.sarif import render_sarif
from aigov_gate.reporters.text import render_text
from aigov_gate.result import GateResult
from aigov_gate.validation import ValidationResult

Reporter = Callable[[ValidationResult, bool], str]
GateReporter = Callable[[GateResult, bool], str]

REPORTER_BY_NAME: dict[str, Reporter] = {
    "text": render_text,
    "json": render_json,
}

GATE_REPORTER_BY_NAME: dict[str, GateReporter] = {
    "text": render_gate_text,
    "json": render_gate_json,
    "sarif": render_sarif,
    "junit": render_junit,
    "junit-gitlab": render_junit_gitlab,
    "codequality": render_codequality,
    "markdown": render_markdown,
    "oscal": render_oscal,
    "github": render_github,
    "html": render_html,
}

__all__ = ["GATE_REPORTER_BY_NAME", "REPORTER_BY_NAME", "GateReporter", "Reporter"]
