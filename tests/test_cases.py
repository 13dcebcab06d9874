"""Data-driven cases: each folder under tests/cases is a repo; expected.txt lists its findings.

A line of expected.txt is ``path:line:column rule_id``; an empty file means "valid".
"""

from __future__ import annotations

from pathlib import Path

import pytest

from aigov_gate.config import AigovConfig
from aigov_gate.validation import validate_repo

CASES = Path(__file__).parent / "cases"
ALL = sorted(p.parent for p in CASES.glob("*/*/expected.txt"))


@pytest.mark.parametrize("case", ALL, ids=[f"{p.parent.name}/{p.name}" for p in ALL])
def test_case(case: Path) -> None:
    expected = (case / "expected.txt").read_text(encoding="utf-8").split()
    result = validate_repo(case, AigovConfig())
    got = [item for f in result.findings for item in (str(f.location), f.rule_id)]
    assert got == expected
    assert (case.parent.name == "valid") == (not result.findings)


def test_there_are_valid_and_invalid_cases() -> None:
    kinds = {p.parent.name for p in ALL}
    assert kinds == {"valid", "invalid"}
    assert len(ALL) >= 7
