"""``aigov doctor`` on real repositories: what a new user gets wrong, found and explained."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, git, run_aigov
from receiver import serve
from standardwebhooks import Webhook
from test_webhooks import ENV, SECRET, hook_repo

#: Gates and keys here run on today's date (no --as-of): CI runs them under a fake clock too.
pytestmark = pytest.mark.dated


def checks(stdout: str) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in json.loads(stdout)["checks"]}


def doctor(
    repo: Path, code: int, env: dict[str, str] | None = None, *args: str
) -> dict[str, dict[str, Any]]:
    """``aigov doctor --format json`` on ``repo``, which must exit ``code`` (1 when any fails)."""
    done = run_aigov("doctor", "--format", "json", "--repo", str(repo), *args, env=env)
    assert done.returncode == code, done.stdout + done.stderr
    return checks(done.stdout)


def test_a_new_user_is_told_what_is_missing(tmp_path: Path) -> None:
    repo = hook_repo(tmp_path, "https://hooks.acme-bank.example/aigov")
    done = run_aigov("doctor", "--repo", str(repo), process=True)
    assert done.returncode == 1
    assert f"FAIL  webhook risk-office  the webhook secret env var {ENV} is not set" in done.stdout
    assert "fix: export " in done.stdout
    assert "warn  keys" in done.stdout and "aigov keys generate" in done.stdout
    assert "1 failed" in done.stdout
    found = doctor(repo, 1)
    assert found["config"]["status"] == found["documents"]["status"] == "ok"
    assert found["git"]["status"] == "ok"
    assert found["approvals"]["status"] == "ok"


def test_all_set_and_send_test_reaches_the_receiver(tmp_path: Path) -> None:
    with serve() as receiver:
        repo = hook_repo(tmp_path, receiver.url())
        shutil.rmtree(repo / ".aigov/keys")  # the example's demo executor key is due in 90 days
        env = {ENV: SECRET, "AIGOV_PRIVATE_KEY_DIR": str(tmp_path / "private")}
        assert run_aigov("keys", "generate", "--repo", str(repo), env=env).returncode == 0
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "keys")
        done = run_aigov("doctor", "--send-test", "--format", "json", "--repo", str(repo), env=env)
        assert done.returncode == 0, done.stdout
        found = checks(done.stdout)
        assert json.loads(done.stdout)["status"] == "ok"
        assert found["webhook risk-office"]["message"].endswith("webhook.test HTTP 200")
        assert found["keys acme-bank"]["status"] == "ok"
        [got] = receiver.at("/hook")
        assert Webhook(SECRET).verify(got.body, got.headers)["type"] == "webhook.test"
        assert SECRET not in done.stdout + done.stderr
        receiver.plan("/hook", 503)
        down = run_aigov("doctor", "--send-test", "--repo", str(repo), env=env)
        assert down.returncode == 1
        assert "webhook.test not delivered: HTTP 503" in down.stdout


def test_a_private_key_missing_here_is_a_warning(tmp_path: Path) -> None:
    repo = hook_repo(tmp_path, "https://hooks.acme-bank.example/aigov")
    shutil.rmtree(repo / ".aigov/keys")  # the example's demo executor key is due in 90 days
    env = {ENV: SECRET, "AIGOV_PRIVATE_KEY_DIR": str(tmp_path / "private")}
    assert run_aigov("keys", "generate", "--repo", str(repo), env=env).returncode == 0
    elsewhere = {ENV: SECRET, "AIGOV_PRIVATE_KEY_DIR": str(tmp_path / "elsewhere")}
    found = doctor(repo, 0, elsewhere)  # a warning is not a failure
    assert found["keys acme-bank"]["status"] == "warn"
    assert "cannot sign here: no private key" in found["keys acme-bank"]["message"]


def test_broken_config_and_documents_fail_with_their_location(tmp_path: Path) -> None:
    repo = hook_repo(tmp_path, "https://hooks.acme-bank.example/aigov")
    config = repo / ".aigov.yaml"
    config.write_text(config.read_text() + "webhooks_typo: 1\n")
    done = run_aigov("doctor", "--format", "json", "--repo", str(repo), env={ENV: SECRET})
    assert done.returncode == 1
    found = checks(done.stdout)
    assert found["config"]["status"] == "fail"
    assert (
        ".aigov.yaml:" in found["config"]["message"]
        and "webhooks_typo" in found["config"]["message"]
    )
    config.write_text(config.read_text().replace("webhooks_typo: 1\n", ""))
    model = repo / "governance/models/credit-scoring.yaml"
    model.write_text(model.read_text().replace("risk_tier: high", "risk_tier: hihg"))
    found = doctor(repo, 1, {ENV: SECRET})
    assert found["documents"]["status"] == "fail"
    assert "governance/models/credit-scoring.yaml:" in found["documents"]["message"]


def test_ci_without_the_approval_token_fails(tmp_path: Path) -> None:
    repo = hook_repo(tmp_path, "https://hooks.acme-bank.example/aigov")
    config = repo / ".aigov.yaml"
    config.write_text(config.read_text() + "signoff:\n  provider: github\n")
    ci = {ENV: SECRET, "GITHUB_ACTIONS": "true"}
    found = doctor(repo, 1, ci)
    assert found["approvals"]["status"] == "fail"
    assert "AIGOV_GITHUB_TOKEN or GITHUB_TOKEN is not set" in found["approvals"]["message"]
    token = "ghp_doctor_token_never_shown_123456"
    done = run_aigov(
        "doctor", "--format", "json", "--repo", str(repo), env=ci | {"GITHUB_TOKEN": token}
    )
    assert checks(done.stdout)["approvals"]["message"] == "github token found in GITHUB_TOKEN"
    assert token not in done.stdout + done.stderr
    local = doctor(repo, 0, {ENV: SECRET})
    assert local["approvals"]["status"] == "warn"


def test_git_state_outside_a_repo_shallow_and_a_tracked_outbox(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    shutil.copytree(EXAMPLES / "credit-scoring", plain)
    found = doctor(plain, 1)
    assert (
        found["git"]["status"] == "fail"
        and "not inside a Git repository" in found["git"]["message"]
    )
    repo = hook_repo(tmp_path, "https://hooks.acme-bank.example/aigov")
    (repo / "README.extra").write_text("second commit\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "two")
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(shallow))
    found = doctor(shallow, 0, {ENV: SECRET})
    assert (
        found["git history"]["status"] == "warn"
        and "fetch-depth: 0" in found["git history"]["hint"]
    )
    outbox = repo / ".aigov/outbox/webhooks.db"
    outbox.parent.mkdir(parents=True)
    outbox.write_bytes(b"")
    git(repo, "add", "-f", str(outbox))
    found = doctor(repo, 1, {ENV: SECRET})  # notify and deliver refuse a tracked outbox
    assert found["git outbox"]["status"] == "warn"
    assert "git rm --cached .aigov/outbox/webhooks.db" in found["git outbox"]["hint"]
    assert found["webhooks"]["status"] == "fail"
    assert "is tracked by Git" in found["webhooks"]["message"]
