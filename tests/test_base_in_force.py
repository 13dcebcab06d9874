"""Deny by default beyond the gate's decision (issue 33's residue): with ``--base``, what
signs, encrypts, verifies and sends is the base's, never what the change under review holds.

Each test is an attack on a real Git repository: the example (with keys or a webhook
subscription) committed on the base, then edited on a branch as the author of a pull
request would: their own encryption key in the keyring, a subscription pointed at their
own receiver, SSRF protection turned off. The commands run in-process on that branch with
``--base``; before this change each of them used the branch's copy (or had no ``--base``).
"""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, git, invoke
from receiver import serve
from standardwebhooks import Webhook
from test_webhooks import ENV, SECRET, SUBSCRIPTION, hook_repo

from aigov_gate.app.gate import GateRequest
from aigov_gate.app.gate import run as run_gate
from aigov_gate.app.gate import seal as seal_gate
from aigov_gate.app.hooks import hooks_of
from aigov_gate.config import AigovConfig, find_config, load_config
from aigov_gate.errors import AigovError
from aigov_gate.evidence import rotation
from aigov_gate.evidence.keyring import Keyring, now_utc
from aigov_gate.evidence.sealing import keyring_dir
from aigov_gate.evidence.verify import verify
from aigov_gate.pii import masker
from aigov_gate.webhooks.delivery import queue
from aigov_gate.webhooks.events import make
from aigov_gate.webhooks.outbox import Outbox

AS_OF = date(2026, 11, 1)


def _config(repo: Path) -> AigovConfig:
    return load_config(find_config(repo))


def _commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)


def _keyed(repo: Path, monkeypatch: pytest.MonkeyPatch, private: Path) -> Keyring:
    """A signing and an encryption key for the repository's organization, their private
    halves in ``private``: what the base's key administrator set up."""
    monkeypatch.setenv("AIGOV_PRIVATE_KEY_DIR", str(private))
    config = _config(repo)
    keyring = Keyring.load(keyring_dir(repo, config), missing_ok=True)
    moment = now_utc() - timedelta(minutes=2)  # after the example's demo executor key
    for purpose in ("signing", "encryption"):
        keyring.add(config.organization, purpose, config, moment)
    return keyring


def _their_encryption_key(repo: Path, monkeypatch: pytest.MonkeyPatch, private: Path) -> str:
    """The author rotates the encryption key to one whose private half they hold."""
    monkeypatch.setenv("AIGOV_PRIVATE_KEY_DIR", str(private))
    config = _config(repo)
    keyring = Keyring.load(keyring_dir(repo, config))
    moment = now_utc() - timedelta(minutes=1)
    plan = rotation.due(keyring, [config.organization], moment, True, config.keys.rotation_days)
    [item] = [p for p in plan if p.purpose == "encryption"]
    rotation.rotate(keyring, item, config, moment, None)
    entry = keyring.active(config.organization, "encryption")
    assert entry is not None
    return entry.id


def _example(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLES / "credit-scoring", repo)
    # without the example's demo executor key: each test sets up the keyring it is about
    shutil.rmtree(repo / ".aigov" / "keys")
    git(repo, "init", "-q", "-b", "main")
    _commit(repo, "governance")
    return repo


def _wrapped_to(bundle: Path) -> list[str]:
    with tarfile.open(bundle, "r:gz") as archive:
        member = archive.extractfile("wrapped-keys.json")
        assert member is not None
        data = json.load(io.TextIOWrapper(member, encoding="utf-8"))
    return [w["key_id"] for w in data["wrapped"]]


def test_gate_evidence_is_encrypted_to_the_bases_key_not_the_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _example(tmp_path)
    ours = _keyed(repo, monkeypatch, tmp_path / "ours")
    _commit(repo, "keys")
    organization = _config(repo).organization
    base_key = ours.active(organization, "encryption")
    assert base_key is not None
    git(repo, "checkout", "-q", "-b", "change")
    theirs = _their_encryption_key(repo, monkeypatch, tmp_path / "theirs")
    with (repo / ".aigov.yaml").open("a", encoding="utf-8") as handle:
        handle.write("retention:\n  test_runs: 1\n")
    _commit(repo, "the change")
    assert theirs != base_key.id  # the working tree now encrypts to the author

    monkeypatch.setenv("AIGOV_PRIVATE_KEY_DIR", str(tmp_path / "ours"))  # the CI job's keys
    request = GateRequest(repo, _config(repo), base="main", as_of=AS_OF, evidence=True, ci=False)
    gate = run_gate(request, {})
    said: list[str] = []
    out = tmp_path / "bundle.tar.gz"
    built = seal_gate(gate, out, {}, said.append)
    assert built.encrypted  # the data sheet holds personal data
    assert _wrapped_to(out) == [base_key.id]
    # the configuration the run used, as the bundle records it, is the base's
    with tarfile.open(out, "r:gz") as archive:
        member = archive.extractfile("evidence/config/.aigov.yaml")
        assert member is not None
        assert member.read().decode() == git(repo, "show", "main:.aigov.yaml") + "\n"
    assert any(f.rule_id == "authority.changed" for f in gate.result.findings)
    # signed by the base's key, so the base's keyring verifies it
    git(repo, "worktree", "add", "-q", str(tmp_path / "base"), "main")
    assert verify(out, Keyring.load(keyring_dir(tmp_path / "base", _config(repo)))).ok
    assert not any(str(tmp_path / "theirs") in line for line in said)


def test_a_base_without_a_keyring_seals_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _example(tmp_path)
    git(repo, "checkout", "-q", "-b", "change")
    _keyed(repo, monkeypatch, tmp_path / "theirs")  # the change brings the first keyring
    _commit(repo, "the change")
    request = GateRequest(repo, _config(repo), base="main", as_of=AS_OF, evidence=True, ci=False)
    gate = run_gate(request, {})
    with pytest.raises(AigovError) as raised:
        seal_gate(gate, tmp_path / "bundle.tar.gz", {}, lambda _line: None)
    assert raised.value.message.startswith("no keyring at main:.aigov/keys/keyring.yaml")
    assert "once it has merged" in raised.value.hint
    assert not (tmp_path / "bundle.tar.gz").exists()


@pytest.mark.dated  # bundles sealed today are due by 2099
def test_prune_verifies_with_the_bases_keyring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _example(tmp_path)
    _keyed(repo, monkeypatch, tmp_path / "ours")
    _commit(repo, "keys")
    store = tmp_path / "store"
    store.mkdir()
    gate = run_gate(GateRequest(repo, _config(repo), as_of=AS_OF, evidence=True, ci=False), {})
    seal_gate(gate, store / "old.tar.gz", {}, lambda _line: None)
    git(repo, "checkout", "-q", "-b", "change")
    shutil.rmtree(repo / ".aigov/keys")  # the author's own keyring in its place
    _keyed(repo, monkeypatch, tmp_path / "theirs")
    _commit(repo, "the change")

    args = ("evidence", "prune", str(store), "--dry-run", "--as-of", "2099-01-01")
    theirs = invoke(*args, "--repo", str(repo))
    assert "keep " in theirs.stdout and "does not verify" in theirs.stdout  # premise
    based = invoke(*args, "--repo", str(repo), "--base", "main")
    assert based.exit_code == 0, based.output
    assert f"would delete {store / 'old.tar.gz'}: retention ended" in based.stdout
    assert "would delete 1, kept 0" in based.stdout
    both = invoke(*args, "--base", "main", "--keyring", str(repo / ".aigov/keys"))
    assert both.exit_code == 2 and "--base and --keyring exclude each other" in both.output


def _queued(repo: Path) -> None:
    """An event waiting in the outbox for the base's subscription."""
    config = _config(repo)
    subscriptions = hooks_of(repo, config).subscriptions
    outbox = Outbox(repo / config.webhooks.outbox)
    try:
        event = make("gate.failed", config.organization, {"n": 1}, now_utc())
        assert queue(outbox, [event], subscriptions, masker(config), 0.0)
    finally:
        outbox.close()


def _branch(repo: Path) -> str:
    return git(repo, "rev-parse", "--abbrev-ref", "HEAD")


def test_deliver_sends_to_the_bases_subscription_not_the_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, SECRET)
    with serve() as receiver:
        repo = hook_repo(tmp_path, receiver.url())
        base = _branch(repo)
        _queued(repo)
        git(repo, "checkout", "-q", "-b", "change")
        sub = repo / SUBSCRIPTION
        sub.write_text(sub.read_text().replace(receiver.url(), receiver.url("/stolen")))
        _commit(repo, "the change")
        done = invoke("webhooks", "deliver", "--wait", "5", "--repo", str(repo), "--base", base)
        assert done.exit_code == 0, done.output
        assert receiver.at("/stolen") == []
        [got] = receiver.at("/hook")
        assert Webhook(SECRET).verify(got.body, got.headers)["type"] == "gate.failed"


def test_deliver_keeps_the_bases_ssrf_protection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, SECRET)
    with serve() as receiver:
        guard = "webhooks:\n  block_private_addresses: true\n"
        repo = hook_repo(tmp_path, receiver.url())
        config = repo / ".aigov.yaml"
        text = config.read_text()
        config.write_text(text.replace("webhooks:\n", guard, 1))
        _commit(repo, "guard")
        base = _branch(repo)
        _queued(repo)
        git(repo, "checkout", "-q", "-b", "change")
        config.write_text(text)  # the author drops the guard
        _commit(repo, "the change")
        done = invoke("webhooks", "deliver", "--wait", "1", "--repo", str(repo), "--base", base)
        assert done.exit_code == 1, done.output
        assert "a private or internal address" in done.output
        assert receiver.at("/hook") == []


def _checks(stdout: str) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in json.loads(stdout)["checks"]}


@pytest.mark.dated  # keys generated today: not yet due for rotation
def test_doctor_checks_and_tests_what_the_base_has(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, SECRET)
    with serve() as receiver:
        repo = hook_repo(tmp_path, receiver.url())
        shutil.rmtree(repo / ".aigov/keys")  # the example's demo executor key ages
        base = _branch(repo)
        _keyed(repo, monkeypatch, tmp_path / "ours")
        _commit(repo, "keys")
        git(repo, "checkout", "-q", "-b", "change")
        sub = repo / SUBSCRIPTION
        sub.write_text(sub.read_text().replace(receiver.url(), receiver.url("/stolen")))
        shutil.rmtree(repo / ".aigov/keys")
        _keyed(repo, monkeypatch, tmp_path / "theirs")
        _commit(repo, "the change")
        monkeypatch.setenv("AIGOV_PRIVATE_KEY_DIR", str(tmp_path / "ours"))
        args = ("doctor", "--format", "json", "--send-test", "--repo", str(repo))
        here = _checks(invoke(*args).stdout)
        assert here["keys acme-bank"]["status"] == "warn"  # premise: the author's key
        assert len(receiver.at("/stolen")) == 1  # without --base, the working tree's
        done = invoke(*args, "--base", base)
        found = _checks(done.stdout)
        assert done.exit_code == 0, done.output
        assert found["config"]["message"].startswith(f"{base}:.aigov.yaml: in force")
        assert found["keys acme-bank"]["status"] == "ok"
        assert found["webhook risk-office"]["message"].endswith("webhook.test HTTP 200")
        assert len(receiver.at("/stolen")) == 1 and len(receiver.at("/hook")) == 1
        authority = found["authority"]
        assert authority["status"] == "warn"
        assert "WebhookSubscription risk-office" in authority["message"]
        assert "the keyring (6 file(s))" in authority["message"]
