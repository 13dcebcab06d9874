"""Reporters turn results into bytes; the CLI picks one from ``REPORTER_BY_NAME``."""

from __future__ import annotations

from collections.abc import Callable

from aigov_gate.reporters.json_report import render_json
from aigov_gate.reporters.text import render_text
from aigov_gate.validation import ValidationResult

Reporter = Callable[[ValidationResult, bool], str]

REPORTER_BY_NAME: dict[str, Reporter] = {
    "text": render_text,
    "json": render_json,
}

__all__ = ["REPORTER_BY_NAME", "Reporter"]
