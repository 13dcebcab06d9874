"""Issue 38: ``aigov approvals sign`` refuses approvals the gate would never count, before
writing anything; ``--force`` records them anyway. Real ssh-keygen keys, the real CLI."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import gate_repo as g
import pytest
from conftest import WriteRepo, run_aigov

from aigov_gate.signoff.sshsig import NAMESPACE

RISK = "risk/scorer.yaml"
pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs ssh-keygen")


def _keygen(tmp_path: Path, name: str) -> Path:
    key = tmp_path / name
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)],
        check=True,
        capture_output=True,
    )
    return key


def test_approvals_that_can_never_count_are_refused_and_nothing_is_written(
    write_repo: WriteRepo, tmp_path: Path
) -> None:
    keys = {who: _keygen(tmp_path, who) for who in ("miguel", "sam", "dana", "lena")}
    signers = "".join(
        f'{who} namespaces="{NAMESPACE}" '
        + " ".join(key.with_suffix(".pub").read_text().split()[:2])
        + "\n"
        for who, key in keys.items()
    )
    repo = write_repo(g.repo_files({RISK: g.risk(approvers=()), g.SIGNERS_FILE: signers}))
    before = (repo / RISK).read_text()

    def sign(who: str, role: str, key: str, *more: str) -> subprocess.CompletedProcess[str]:
        return run_aigov(
            "approvals", "sign", "scorer-risk", "--repo", str(repo), "--as", who,
            "--role", role, "--key", str(keys[key]), "--date", g.APPROVED, *more,
        )  # fmt: skip

    refused = {
        "the assessor": sign("dana", "risk_approver", "dana"),
        "a role not held": sign("lena", "risk_approver", "lena"),
        "another person's key": sign("miguel", "risk_approver", "sam"),
    }
    for case, done in refused.items():
        assert done.returncode == 2, (case, done.stdout, done.stderr)
        assert "refused: the gate would never count this approval" in done.stderr, case
        assert "--force" in done.stderr and "Traceback" not in done.stderr
        assert (repo / RISK).read_text() == before, case  # the file is unchanged
    assert "dana is the assessor (separation of duties)" in refused["the assessor"].stderr
    assert "lena " in refused["a role not held"].stderr
    assert "is not listed for miguel" in refused["another person's key"].stderr

    typo = sign("miguel", "risk_aprover", "miguel")
    assert typo.returncode == 2 and "did you mean 'risk_approver'?" in typo.stderr
    assert (repo / RISK).read_text() == before

    forced = sign("dana", "risk_approver", "dana", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "approver: dana" in (repo / RISK).read_text()
    ok = sign("miguel", "risk_approver", "miguel")
    assert ok.returncode == 0 and ok.stderr == ""
    status = run_aigov("approvals", "status", "--repo", str(repo), "--format", "json")
    assert '"user": "dana"' in status.stdout and "separation of duties" in status.stdout
