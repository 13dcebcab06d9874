"""Issue 38: ``aigov approvals sign`` refuses approvals the gate would never count, before
writing anything; ``--force`` records them anyway. Real ssh-keygen keys, the real CLI."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import gate_repo as g
import pytest
from conftest import WriteRepo, aigov_script, ci_free_env, run_aigov

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


def test_validate_refuses_a_webhook_url_that_delivery_would_refuse(write_repo: WriteRepo) -> None:
    hook = (
        "apiVersion: aigov/v1\nkind: WebhookSubscription\nmetadata: {name: risk-office}\n"
        "spec:\n  url: {url}\n  events: [gate.failed]\n  secret_env: RISK_OFFICE_SECRET\n"
    )
    for bad in ('"https://127.0.0.2\\\\@hooks.example.com/x"', "https://user@hooks.example.com/x"):
        repo = write_repo(g.repo_files({"hooks/h.yaml": hook.replace("{url}", bad)}))
        done = run_aigov("validate", "--repo", str(repo))
        assert done.returncode == 1, done.stdout
        assert "hooks/h.yaml:5:" in done.stdout and "spec.url" in done.stdout
    good = "https://hooks.example.com/aigov?team=risk@acme#x"
    repo = write_repo(g.repo_files({"hooks/h.yaml": hook.replace("{url}", good)}))
    assert run_aigov("validate", "--repo", str(repo)).returncode == 0


def test_the_audit_log_names_the_account_when_user_is_unset(
    write_repo: WriteRepo, tmp_path: Path
) -> None:
    import getpass
    import json

    repo = write_repo(g.repo_files())
    env = {k: v for k, v in ci_free_env().items() if k not in ("USER", "USERNAME", "LOGNAME")}
    env["AIGOV_PRIVATE_KEY_DIR"] = str(tmp_path / "private")
    done = subprocess.run(
        [aigov_script(), "keys", "generate", "--repo", str(repo)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    entries = (repo / ".aigov/keys/audit.jsonl").read_text().splitlines()
    actors = {json.loads(line)["actor"] for line in entries}
    assert actors == {getpass.getuser()} and "unknown" not in actors


def test_the_model_card_export_rounds_values_and_fills_the_threshold_from_the_plan(
    tmp_path: Path,
) -> None:
    from conftest import EXAMPLES

    repo = tmp_path / "credit-scoring"
    shutil.copytree(EXAMPLES / "credit-scoring", repo)
    shutil.rmtree(repo / "governance/runs")  # the shipped attested run: run-1 is judged
    run = repo / "governance/tests/credit-scoring-2.3.0-run-1.yaml"
    run.write_text(run.read_text().replace("value: 0.781,", "value: 0.7812999999999999,"))
    out = tmp_path / "card.md"
    done = run_aigov(
        "export", "model-card", "credit-scoring", "--repo", str(repo), "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    card = out.read_text()
    assert "| discrimination | auc |  | 0.7813 | >= 0.75 |" in card
    assert "0.7812999999999999" not in card.split("---", 2)[2]  # the body; front matter is data
    female = next(line for line in card.splitlines() if "| sex=female |" in line)
    assert "| between [0.35, 0.75]; max disparity (ratio) 0.8 |" in female
