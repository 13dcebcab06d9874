"""Quality gates run as part of the test suite: ruff, ruff format, mypy --strict, import-linter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        [str(BIN / "ruff"), "check", "."],
        [str(BIN / "ruff"), "format", "--check", "."],
        [sys.executable, "-m", "mypy"],
        [str(BIN / "lint-imports")],
    ],
    ids=["ruff", "ruff-format", "mypy", "import-linter"],
)
def test_quality_gate(command: list[str]) -> None:
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_validating_one_file_imports_nothing_it_does_not_need() -> None:
    # `aigov validate FILE` runs on every commit (pre-commit): CEL (~0.23 s), GitPython,
    # requests, cryptography, Jinja2, phonenumbers (~0.1 s) and the other reporters stay
    # out of it.
    import subprocess
    import sys

    from conftest import EXAMPLES

    repo = EXAMPLES / "credit-scoring"
    code = (
        "import sys\n"
        "from aigov_gate.cli.main import cli\n"
        "try:\n"
        "    cli.main(sys.argv[1:], standalone_mode=False)\n"
        "finally:\n"
        "    print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    args = ["validate", "--repo", str(repo), str(repo / "governance/models/credit-scoring.yaml")]
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    loaded = set(done.stderr.split())
    heavy = {
        "cel",
        "git",
        "requests",
        "cryptography",
        "sqlite3",
        "jinja2",
        "numpy",
        "phonenumbers",  # imported by the PII scan on a run of digits that could be one
        "aigov_gate.compliance.oscal",
        "aigov_gate.reporters.sarif",
        "aigov_gate.reporters.html",
        "aigov_gate.policy.evaluation",
    }
    assert not heavy & loaded, sorted(heavy & loaded)
    assert "aigov_gate.reporters.text" in loaded  # the check does see what it loads
