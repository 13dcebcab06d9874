"""Regular expressions that run in linear time on any text: RE2, through google-re2.

Python's ``re`` backtracks, so a pattern like ``(a+)+$`` can take exponential time, and
even a tame one tries every position of the text. What runs over every output (the PII
masker) or comes from a user's config runs here instead. RE2 has no look-arounds or
back-references, and its ``\\w``, ``\\d`` and ``\\s`` are ASCII (``\\pL``, ``\\pN`` are
Unicode). The module is imported on first use (2 ms).
"""

from __future__ import annotations

from typing import Any


def compile_linear(pattern: str) -> Any:
    """The compiled RE2 pattern, or ValueError saying why RE2 refuses it."""
    import re2  # type: ignore[import-untyped]

    options = re2.Options()
    options.log_errors = False
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        raise ValueError(str(exc) or "RE2 cannot compile it") from None
