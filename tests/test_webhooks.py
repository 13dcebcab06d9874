"""Webhooks end to end: aigov sends to a real receiver on 127.0.0.1, the official
standardwebhooks library verifies every request, and the outbox survives outages and a
SIGKILL."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, aigov_script, ci_free_env, git, invoke, run_aigov
from receiver import Received, Receiver, Reply, serve
from standardwebhooks import Webhook

from aigov_gate.config import AigovConfig, WebhooksConfig
from aigov_gate.result import Location, Subscription
from aigov_gate.webhooks.delivery import backoff, queue, retry_after, verdict
from aigov_gate.webhooks.events import make
from aigov_gate.webhooks.outbox import Outbox
from aigov_gate.webhooks.safety import refusal, shown
from aigov_gate.webhooks.signing import new_secret, parse_secret

SECRET = "whsec_" + "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0xMjM0NTY3OA=="
OLD_SECRET = "whsec_" + "b2xkLXNlY3JldC1rZXktZm9yLXRlc3RzLW9ubHktOTg3"
ENV = "AIGOV_WEBHOOK_RISK_OFFICE_SECRET"
SUBSCRIPTION = "governance/integrations/risk-office-webhook.yaml"
FAST = """
webhooks:
  connect_timeout: 1
  read_timeout: 1
  notify_wait: 15
  concurrency: {concurrency}
  retry: {{initial_delay: 0.05, multiplier: 2, max_delay: 0.5, max_attempts: 4}}
"""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serve() as r:
        yield r


def hook_repo(
    tmp_path: Path,
    url: str,
    events: str = '["gate.*", "risk_assessment.*", "test_run.completed", "review.overdue"]',
    concurrency: int = 4,
    extra: str = "",
) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLES / "credit-scoring", repo)
    sub = repo / SUBSCRIPTION
    text = sub.read_text().replace("https://hooks.acme-bank.example/aigov", url)
    text = re.sub(r"events: \[.*\]", f"events: {events}", text)
    sub.write_text(text + extra)
    config = repo / ".aigov.yaml"
    config.write_text(config.read_text() + FAST.format(concurrency=concurrency))
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "governance")
    return repo


def verified(secret: str, received: list[Received]) -> list[dict[str, Any]]:
    return [Webhook(secret).verify(r.body, r.headers) for r in received]


def outbox_rows(repo: Path) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(repo / ".aigov/outbox/webhooks.db")
    try:
        return db.execute(
            "SELECT m.event, d.state, d.attempts, d.last_status, d.last_error, d.message_id "
            "FROM deliveries d JOIN messages m ON m.id = d.message_id ORDER BY m.created"
        ).fetchall()
    finally:
        db.close()


@pytest.mark.dated
def test_gate_events_arrive_signed_and_the_official_library_verifies_them(
    tmp_path: Path, receiver: Receiver
) -> None:
    repo = hook_repo(tmp_path, receiver.url())
    done = run_aigov("gate", "--repo", str(repo), "--notify", env={ENV: SECRET}, process=True)
    assert done.returncode == 0, done.stderr
    [got] = receiver.at("/hook")
    [payload] = verified(SECRET, [got])
    assert payload["event"] == payload["type"] == "gate.passed"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", payload["timestamp"])
    data = payload["data"]
    assert data["decision"] == "passed" and data["stage"] == "merge"
    assert data["models"][0]["name"] == "credit-scoring"
    assert data["commit"] == git(repo, "rev-parse", "HEAD")
    assert set(data["summary"]) >= {"findings", "blocking", "by_severity", "documents"}
    assert re.fullmatch(r"msg_[0-9a-f]{32}", got.headers["webhook-id"])
    assert abs(int(got.headers["webhook-timestamp"]) - time.time()) < 300  # seconds, not ms
    assert got.headers["content-type"] == "application/json"
    assert "delivered gate.passed" in done.stderr
    assert SECRET not in done.stdout + done.stderr
    assert got.headers["webhook-signature"][3:] not in done.stdout + done.stderr


@pytest.mark.dated
def test_a_blocked_deploy_sends_gate_failed_and_keeps_its_exit_code(
    tmp_path: Path, receiver: Receiver
) -> None:
    repo = hook_repo(tmp_path, receiver.url())
    done = run_aigov(
        "gate",
        "--repo",
        str(repo),
        "--stage",
        "deploy",
        "-e",
        "production",
        "--notify",
        env={ENV: SECRET},
    )
    assert done.returncode == 1
    [payload] = verified(SECRET, receiver.at("/hook"))
    assert payload["type"] == "gate.failed"
    assert payload["data"]["production"] is True
    assert payload["data"]["blocking"], "the blocking findings are listed"
    assert payload["data"]["summary"]["blocking"] >= len(payload["data"]["blocking"])


def test_receiver_down_never_fails_the_gate_and_the_event_waits_in_the_outbox(
    tmp_path: Path,
) -> None:
    with serve() as probe:
        url = probe.url()  # the port is closed once this server stops
    repo = hook_repo(tmp_path, url)
    done = run_aigov("gate", "--repo", str(repo), "--notify", env={ENV: SECRET})
    assert done.returncode == 0
    assert "connection failed" in done.stderr and "gave up after 4 attempts" in done.stderr
    [(event, state, attempts, _, _, msg_id)] = outbox_rows(repo)
    assert (event, state, attempts) == ("gate.passed", "failed", 4)
    # The receiver comes back on another port: point the subscription at it and resend.
    with serve() as receiver:
        sub = repo / SUBSCRIPTION
        sub.write_text(sub.read_text().replace(url, receiver.url()))
        again = run_aigov("webhooks", "retry", "--failed", "--repo", str(repo), env={ENV: SECRET})
        assert again.returncode == 0, again.stdout + again.stderr
        [got] = receiver.at("/hook")
        assert got.headers["webhook-id"] == msg_id
        assert verified(SECRET, [got])[0]["type"] == "gate.passed"
    assert outbox_rows(repo)[0][1] == "delivered"


def test_retries_keep_the_id_and_body_and_re_sign_each_attempt(
    tmp_path: Path, receiver: Receiver
) -> None:
    receiver.plan("/hook", 500, 503, 200)
    repo = hook_repo(tmp_path, receiver.url())
    done = run_aigov("gate", "--repo", str(repo), "--notify", env={ENV: SECRET})
    assert done.returncode == 0
    got = receiver.at("/hook")
    assert len(got) == 3
    assert len({r.headers["webhook-id"] for r in got}) == 1
    assert len({r.body for r in got}) == 1
    assert all(verified(SECRET, got))
    [(_, state, attempts, status, _, _)] = outbox_rows(repo)
    assert (state, attempts, status) == ("delivered", 3, 200)
    status_json = json.loads(
        run_aigov("webhooks", "status", "--format", "json", "--repo", str(repo)).stdout
    )
    assert status_json["attempts"] == 3
    assert status_json["subscriptions"]["acme-bank/risk-office"]["delivered"] == 1


def test_while_a_secret_rotates_both_secrets_verify(tmp_path: Path, receiver: Receiver) -> None:
    repo = hook_repo(tmp_path, receiver.url())
    done = run_aigov("gate", "--repo", str(repo), "--notify", env={ENV: f"{SECRET} {OLD_SECRET}"})
    assert done.returncode == 0
    [got] = receiver.at("/hook")
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    assert verified(SECRET, [got]) == verified(OLD_SECRET, [got])
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(new_secret()).verify(got.body, got.headers)


def test_retry_after_is_honoured(tmp_path: Path, receiver: Receiver) -> None:
    receiver.plan("/hook", Reply(429, {"Retry-After": "2"}), 200)
    repo = hook_repo(tmp_path, receiver.url())
    done = run_aigov("gate", "--repo", str(repo), "--notify", env={ENV: SECRET})
    assert done.returncode == 0
    first, second = receiver.at("/hook")
    # The backoff alone would wait 0.05 s; the receiver asked for 2.
    assert second.at - first.at >= 1.9
    assert "next in 2.0s" in done.stderr


def test_410_disables_the_subscription_until_enabled(tmp_path: Path, receiver: Receiver) -> None:
    receiver.plan("/hook", 410, 200)
    repo = hook_repo(tmp_path, receiver.url())
    env = {ENV: SECRET}
    first = run_aigov("gate", "--repo", str(repo), "--notify", env=env)
    assert first.returncode == 0, first.stdout + first.stderr  # a 410 never fails the gate
    assert len(receiver.at("/hook")) == 1
    listed = json.loads(
        run_aigov("webhooks", "list", "--format", "json", "--repo", str(repo)).stdout
    )
    assert listed["subscriptions"][0]["status"] == "disabled (410 Gone)"
    again = run_aigov(
        "gate", "--repo", str(repo), "--stage", "deploy", "-e", "staging", "--notify", env=env
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert "no active subscription wants" in again.stderr
    assert len(receiver.at("/hook")) == 1
    # Checking the endpoint before enabling it again is allowed.
    test = run_aigov("webhooks", "test", "risk-office", "--repo", str(repo), env=env)
    assert test.returncode == 0, test.stdout + test.stderr
    held = run_aigov("webhooks", "retry", "--failed", "--repo", str(repo), env=env)
    assert held.returncode == 1
    assert "disabled after its receiver answered 410 Gone" in held.stdout
    assert len(receiver.at("/hook")) == 2
    enabled = run_aigov("webhooks", "enable", "risk-office", "--repo", str(repo))
    assert "enabled" in enabled.stdout
    resent = run_aigov("webhooks", "retry", "--failed", "--repo", str(repo), env=env)
    assert resent.returncode == 0, resent.stdout
    assert [p["type"] for p in verified(SECRET, receiver.at("/hook"))] == [
        "gate.passed",
        "webhook.test",
        "gate.passed",
    ]


@pytest.mark.parametrize(
    ("reply", "detail"),
    [
        (Reply(400), "HTTP 400: the receiver refused it; not retried"),
        (Reply(302, {"Location": "/moved"}), "redirect to http://127.0.0.1"),
    ],
)
def test_client_errors_and_redirects_are_not_retried(
    tmp_path: Path, receiver: Receiver, reply: Reply, detail: str
) -> None:
    receiver.plan("/hook", reply, 200)
    repo = hook_repo(tmp_path, receiver.url())
    done = run_aigov("gate", "--repo", str(repo), "--notify", env={ENV: SECRET})
    assert done.returncode == 0
    assert len(receiver.at("/hook")) == 1
    assert receiver.at("/moved") == []
    [(_, state, attempts, _, error, _)] = outbox_rows(repo)
    assert (state, attempts) == ("failed", 1)
    assert detail in error
    assert detail in done.stderr
    status = run_aigov("webhooks", "status", "--repo", str(repo))
    assert "retry --failed" in status.stdout
    deliver = run_aigov("webhooks", "deliver", "--repo", str(repo), env={ENV: SECRET})
    assert deliver.returncode == 0, "nothing due: the failure is already reported"


def test_a_slow_answer_times_out_and_is_retried_a_slow_body_is_not_waited_for(
    tmp_path: Path, receiver: Receiver
) -> None:
    # read_timeout is 1 s: no status in 2 s is a timeout; a body trickled one byte every
    # 0.2 s (4 s in all) is never read, so it cannot stall or time out the delivery.
    receiver.plan("/hook", Reply(200, delay=2), Reply(200, trickle=20))
    repo = hook_repo(tmp_path, receiver.url())
    done = run_aigov("gate", "--repo", str(repo), "--notify", env={ENV: SECRET})
    assert done.returncode == 0
    assert "no response within 1s" in done.stderr
    [(_, state, attempts, status, _, _)] = outbox_rows(repo)
    assert (state, attempts, status) == ("delivered", 2, 200)


def test_a_missing_secret_holds_deliveries_with_a_clear_error(
    tmp_path: Path, receiver: Receiver
) -> None:
    repo = hook_repo(tmp_path, receiver.url())
    gate = run_aigov("gate", "--repo", str(repo), "--notify")
    assert gate.returncode == 0
    assert f"the webhook secret env var {ENV} is not set" in gate.stderr
    assert receiver.at("/hook") == []
    deliver = run_aigov("webhooks", "deliver", "--repo", str(repo))
    assert deliver.returncode == 1
    assert (
        f"held      acme-bank/risk-office: the webhook secret env var {ENV} is not set"
        in deliver.stdout
    )
    test = run_aigov("webhooks", "test", "risk-office", "--repo", str(repo))
    assert test.returncode == 2
    assert f"the webhook secret env var {ENV} is not set" in test.stderr
    assert "Traceback" not in test.stderr
    bad = run_aigov("webhooks", "test", "risk-office", "--repo", str(repo), env={ENV: "hunter2"})
    assert bad.returncode == 2 and "does not hold a whsec_ secret" in bad.stderr
    assert "hunter2" not in bad.stdout + bad.stderr
    # Set the secret: the held event goes out.
    later = run_aigov("webhooks", "deliver", "--repo", str(repo), env={ENV: SECRET})
    assert later.returncode == 0
    assert [p["type"] for p in verified(SECRET, receiver.at("/hook"))] == ["gate.passed"]


def test_webhooks_test_sends_a_fresh_webhook_test_event(tmp_path: Path, receiver: Receiver) -> None:
    repo = hook_repo(tmp_path, receiver.url(), events='["gate.failed"]')
    first = run_aigov("webhooks", "test", "risk-office", "--repo", str(repo), env={ENV: SECRET})
    second = run_aigov(
        "webhooks",
        "test",
        "risk-office",
        "--format",
        "json",
        "--repo",
        str(repo),
        env={ENV: SECRET},
    )
    assert first.returncode == second.returncode == 0, first.stderr
    assert first.stdout.startswith("delivered: webhook.test msg_")
    assert json.loads(second.stdout)["delivered"] is True
    got = receiver.at("/hook")
    assert [p["type"] for p in verified(SECRET, got)] == ["webhook.test", "webhook.test"]
    assert got[0].headers["webhook-id"] != got[1].headers["webhook-id"]
    receiver.plan("/hook", 500)
    failed = run_aigov("webhooks", "test", "risk-office", "--repo", str(repo), env={ENV: SECRET})
    assert failed.returncode == 1 and failed.stdout.startswith("FAILED: webhook.test")


@pytest.mark.dated
def test_transitions_against_base_and_overdue_reviews_are_announced(
    tmp_path: Path, receiver: Receiver
) -> None:
    repo = hook_repo(tmp_path, receiver.url())
    risk = repo / "governance/risk/credit-scoring-2.3.0.yaml"
    risk.write_text(
        risk.read_text().replace("approval_status: under_review", "approval_status: rejected")
    )
    run2 = repo / "governance/tests/credit-scoring-2.3.0-run-2.yaml"
    text = (repo / "governance/tests/credit-scoring-2.3.0-run-1.yaml").read_text()
    run2.write_text(text.replace("credit-scoring-2.3.0-run-1", "credit-scoring-2.3.0-run-2"))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "reject and re-run")
    args = ("gate", "--repo", str(repo), "--base", "HEAD~1", "--as-of", "2029-11-01", "--notify")
    done = run_aigov(*args, env={ENV: SECRET})
    assert done.returncode == 1, done.stdout + done.stderr  # rejected, and the review overdue
    types = [p["type"] for p in verified(SECRET, receiver.at("/hook"))]
    assert sorted(types) == sorted(
        ["gate.failed", "risk_assessment.rejected", "test_run.completed", "review.overdue"]
    ), done.stderr
    by_type = {p["type"]: p["data"] for p in verified(SECRET, receiver.at("/hook"))}
    rejected = by_type["risk_assessment.rejected"]
    assert (rejected["previous_status"], rejected["status"]) == ("under_review", "rejected")
    assert rejected["assessment"] == "credit-scoring-2.3.0"
    assert by_type["test_run.completed"]["test_run"] == "credit-scoring-2.3.0-run-2"
    assert by_type["test_run.completed"]["previous_status"] is None
    assert "2029-10-06" in by_type["review.overdue"]["message"]
    # The same run again: same ids, already queued, nothing sent twice.
    assert run_aigov(*args, env={ENV: SECRET}).returncode == 1
    assert len(receiver.at("/hook")) == 4


@pytest.mark.dated
def test_evidence_published_and_key_rotated(tmp_path: Path, receiver: Receiver) -> None:
    repo = hook_repo(tmp_path, receiver.url(), events='["evidence.*", "key.rotated"]')
    env = {ENV: SECRET, "AIGOV_PRIVATE_KEY_DIR": str(tmp_path / "private")}
    assert run_aigov("keys", "generate", "--repo", str(repo), env=env).returncode == 0
    bundle = tmp_path / "run.tar.gz"
    done = run_aigov("gate", "--repo", str(repo), "--evidence", str(bundle), "--notify", env=env)
    assert done.returncode == 0, done.stderr
    rotated = run_aigov("keys", "rotate", "--force", "--notify", "--repo", str(repo), env=env)
    assert rotated.returncode == 0, rotated.stderr
    published, *keys = verified(SECRET, receiver.at("/hook"))
    assert published["type"] == "evidence.published"
    import hashlib

    assert published["data"]["sha256"] == hashlib.sha256(bundle.read_bytes()).hexdigest()
    assert published["data"]["decision"] == "passed"
    assert {k["type"] for k in keys} == {"key.rotated"}
    # the example also has a (demo) executor key: rotated with the others
    assert {k["data"]["purpose"] for k in keys} == {"signing", "encryption", "executor"}
    assert all(k["data"]["key_id"] != k["data"]["previous_key_id"] for k in keys)


@pytest.mark.dated
def test_a_killed_sender_restarted_delivers_everything_with_the_same_ids(
    tmp_path: Path, receiver: Receiver
) -> None:
    receiver.plan("/hook", Reply(200, delay=0.15))
    repo = hook_repo(tmp_path, receiver.url(), concurrency=1)
    outbox = Outbox(repo / ".aigov/outbox/webhooks.db")
    sub = Subscription(
        "risk-office", "acme-bank", receiver.url(), ("gate.*",), "active", ENV, Location("x")
    )
    moment = datetime.now(UTC)
    events = [make("gate.failed", "acme-bank", {"n": i}, moment) for i in range(40)]
    queue(outbox, events, [sub], lambda s: s, time.time())
    outbox.close()
    ids = {e.id for e in events}
    env = ci_free_env() | {ENV: SECRET}
    cmd = [aigov_script(), "webhooks", "deliver", "--repo", str(repo)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(400):
            if len(receiver.at("/hook")) >= 8:
                break
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    first_round = {r.headers["webhook-id"] for r in receiver.at("/hook")}
    assert 8 <= len(first_round) < 40
    pending = [row for row in outbox_rows(repo) if row[1] == "pending"]
    assert pending, "the kill left work in the outbox"
    again = run_aigov("webhooks", "deliver", "--repo", str(repo), env={ENV: SECRET})
    assert again.returncode == 0, again.stdout + again.stderr
    got = receiver.at("/hook")
    assert {r.headers["webhook-id"] for r in got} == ids
    assert all(verified(SECRET, got))
    assert len(got) - len(ids) <= 1, "at most the request in flight at the kill is repeated"
    assert {row[1] for row in outbox_rows(repo)} == {"delivered"}


def test_a_second_deliverer_is_told_who_holds_the_outbox(
    tmp_path: Path, receiver: Receiver
) -> None:
    from aigov_gate.webhooks.outbox import delivering

    repo = hook_repo(tmp_path, receiver.url())
    path = repo / ".aigov/outbox/webhooks.db"
    Outbox(path).close()
    with delivering(path):
        done = run_aigov("webhooks", "deliver", "--repo", str(repo), env={ENV: SECRET})
    assert done.returncode == 2
    assert f"is being delivered by pid {os.getpid()}" in done.stderr


def test_urls_must_be_https_unless_loopback_or_allowed(tmp_path: Path) -> None:
    assert refusal("http://127.0.0.1:8080/h", [], False) is None
    assert refusal("http://localhost/h", [], False) is None
    assert "plain http is refused" in (refusal("http://hooks.example/h", [], False) or "")
    assert refusal("http://hooks.example/h", ["hooks.example"], False) is None
    assert refusal("https://hooks.example/h", [], False) is None
    assert "private or internal" in (refusal("http://127.0.0.1/h", [], True) or "")
    assert "private or internal" in (refusal("https://169.254.169.254/latest", [], True) or "")
    assert "private or internal" in (refusal("https://10.0.0.8/h", [], True) or "")
    assert "scheme 'ftp'" in (refusal("ftp://hooks.example/h", [], False) or "")
    repo = hook_repo(tmp_path, "http://hooks.acme-bank.example/aigov")
    done = run_aigov("webhooks", "test", "risk-office", "--repo", str(repo), env={ENV: SECRET})
    assert done.returncode == 2
    assert "plain http is refused" in done.stderr


def test_shown_urls_hide_tokens() -> None:
    slack = "https://hooks.slack.com/services/T0000/B0000/XXXXabcd1234yyyy?x=1"
    assert shown(slack) == "https://hooks.slack.com/services/T0000/B0000/***?***"
    assert shown("https://user:pw@h.example:8443/aigov") == "https://h.example:8443/aigov"


def test_subscriptions_are_validated(tmp_path: Path, receiver: Receiver) -> None:
    repo = hook_repo(tmp_path, receiver.url(), events='["gate.finished"]')
    done = run_aigov("validate", "--repo", str(repo))
    assert done.returncode == 1
    assert f"{SUBSCRIPTION}:9:" in done.stdout
    assert "'gate.finished' is not an event" in done.stdout
    leaky = hook_repo(tmp_path / "2", receiver.url(), extra="  secret: whsec_abcdefabcdef\n")
    done = run_aigov("validate", "--repo", str(leaky))
    assert done.returncode == 1
    assert "secret.inline" in done.stdout and f"{SUBSCRIPTION}:13:" in done.stdout
    assert "whsec_abcdefabcdef" not in done.stdout + done.stderr


def test_payloads_are_pii_masked(tmp_path: Path) -> None:
    config = AigovConfig()
    from aigov_gate.pii import masker

    event = make(
        "gate.failed", "acme", {"message": "owner dana@acme-bank.example"}, datetime.now(UTC)
    )
    body = json.loads(event.body(masker(config)))
    assert body["data"]["message"] == "owner [redacted:email]"
    sub = Subscription(
        "s", "acme", "https://h.example/x", ("gate.*",), "active", ENV, Location("x")
    )
    outbox = Outbox(tmp_path / "o.db")
    queue(outbox, [event], [sub], masker(config), time.time())
    assert b"dana@" not in outbox.body(event.id)
    assert (tmp_path / ".gitignore").read_text().strip().endswith("*")


def test_retry_schedule_and_verdicts() -> None:
    import random

    retry = WebhooksConfig().retry
    rng = random.Random(1)
    waits = [backoff(n, retry, rng) for n in range(1, retry.max_attempts)]
    plain = [
        min(retry.max_delay, retry.initial_delay * retry.multiplier ** (n - 1))
        for n in range(1, retry.max_attempts)
    ]
    assert all(p * (1 - retry.jitter) <= w <= p for w, p in zip(waits, plain, strict=True))
    assert sum(plain) > 2 * 86400, "the default schedule spans days"
    assert retry_after("7") == 7.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert retry_after("soon") is None
    from aigov_gate.webhooks.delivery import Outcome

    assert verdict(Outcome(204, None, 0.1), 1, retry)[0] == "delivered"
    assert verdict(Outcome(410, None, 0.1), 1, retry)[0] == "gone"
    assert verdict(Outcome(404, None, 0.1), 1, retry)[0] == "failed"
    assert verdict(Outcome(408, None, 0.1), 1, retry)[0] == "retry"
    assert verdict(Outcome(429, None, 0.1), 1, retry)[0] == "retry"
    assert verdict(Outcome(None, "no response", 0.1), 1, retry)[0] == "retry"
    assert verdict(Outcome(502, None, 0.1), retry.max_attempts, retry)[0] == "failed"


def test_secrets_are_checked() -> None:
    assert len(parse_secret(new_secret(), "X")) == 32
    with pytest.raises(Exception, match="24 to 64"):
        parse_secret("whsec_" + "QUJD", "X")
    with pytest.raises(Exception, match="not base64"):
        parse_secret("whsec_***", "X")
    assert invoke("webhooks", "new-secret").output.startswith("whsec_")


def test_notify_wait_zero_only_queues_for_a_separate_deliver_job(
    tmp_path: Path, receiver: Receiver
) -> None:
    repo = hook_repo(tmp_path, receiver.url())
    config = repo / ".aigov.yaml"
    config.write_text(config.read_text().replace("notify_wait: 15", "notify_wait: 0"))
    done = run_aigov("gate", "--repo", str(repo), "--notify", env={ENV: SECRET})
    assert done.returncode == 0
    assert "queued gate.passed" in done.stderr and "1 pending in" in done.stderr
    assert receiver.at("/hook") == []
    sent = run_aigov(
        "webhooks", "deliver", "--format", "json", "--repo", str(repo), env={ENV: SECRET}
    )
    assert json.loads(sent.stdout)["delivered"] == 1
    assert [p["type"] for p in verified(SECRET, receiver.at("/hook"))] == ["gate.passed"]


@pytest.mark.dated
def test_concurrency_is_bounded(tmp_path: Path, receiver: Receiver) -> None:
    receiver.plan("/hook", Reply(200, delay=0.3))
    repo = hook_repo(tmp_path, receiver.url(), concurrency=3)
    outbox = Outbox(repo / ".aigov/outbox/webhooks.db")
    sub = Subscription(
        "risk-office", "acme-bank", receiver.url(), ("gate.*",), "active", ENV, Location("x")
    )
    events = [make("gate.failed", "acme-bank", {"n": i}, datetime.now(UTC)) for i in range(12)]
    queue(outbox, events, [sub], lambda s: s, time.time())
    outbox.close()
    done = run_aigov("webhooks", "deliver", "--repo", str(repo), env={ENV: SECRET})
    assert done.returncode == 0, done.stdout
    assert len(receiver.at("/hook")) == 12
    assert receiver.most_active == 3


def test_a_url_two_parsers_read_differently_is_refused_and_nothing_is_sent(
    tmp_path: Path,
) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.2", 0), Handler)  # the host the stack would reach
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        for i, url in enumerate(
            (
                f"http://127.0.0.2:{port}\\@localhost:{port}/hook",
                f"http://user@127.0.0.2:{port}/hook",
            )
        ):
            repo = hook_repo(tmp_path / str(i), url)
            done = run_aigov(
                "webhooks", "test", "risk-office", "--repo", str(repo), env={ENV: SECRET}
            )
            assert done.returncode == 2, done.stdout
            # validate refuses the url first (issue 38); delivery's own check stays behind it
            checked = run_aigov("validate", "--repo", str(repo))
            assert checked.returncode == 1 and "spec.url" in checked.stdout
        assert hits == []
        from aigov_gate.webhooks.safety import refusal

        bad = refusal(f"http://127.0.0.2:{port}\\@localhost/", ["127.0.0.2"], False)
        assert "backslash" in (bad or "")
    finally:
        server.shutdown()
        server.server_close()


def test_shared_and_mapped_addresses_count_as_internal() -> None:
    from aigov_gate.webhooks.safety import refusal

    for url in (
        "https://100.64.0.7/h",
        "https://[::ffff:169.254.169.254]/h",
        "https://169.254.169.254/h",
    ):
        why = refusal(url, [], True)
        assert why is not None and "private or internal address" in why, url
    assert refusal("https://hooks.example/h", [], False) is None


def test_the_connection_goes_to_the_address_that_was_resolved_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the name answers 127.0.0.1 first and 127.0.0.2 afterwards. The
    request must reach the address resolved for it, not whatever a second lookup says."""
    import socket
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: dict[str, int] = {"127.0.0.1": 0, "127.0.0.2": 0}

    def server(address: str, port: int) -> ThreadingHTTPServer:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                seen[address] += 1
                self.rfile.read(int(self.headers.get("content-length", 0)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        httpd = ThreadingHTTPServer((address, port), Handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        return httpd

    first = server("127.0.0.1", 0)
    port = first.server_address[1]
    second = server("127.0.0.2", port)
    real = socket.getaddrinfo
    answers = iter(["127.0.0.1"])

    def rebinding(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "hooks.test":
            return real(next(answers, "127.0.0.2"), *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    repo = hook_repo(tmp_path, f"http://hooks.test:{port}/hook", extra="")
    config = repo / ".aigov.yaml"
    config.write_text(config.read_text() + "  allow_http: [hooks.test]\n")
    monkeypatch.setenv(ENV, SECRET)
    try:
        done = invoke("webhooks", "test", "risk-office", "--repo", str(repo))
        assert done.exit_code == 0, done.output
        assert seen == {"127.0.0.1": 1, "127.0.0.2": 0}
    finally:
        first.shutdown()
        second.shutdown()


def _certificate(tmp_path: Path, name: str) -> tuple[Path, Path]:
    from datetime import timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.mark.parametrize(("served", "ok"), [("hooks.test", True), ("other.test", False)])
def test_a_pinned_address_keeps_tls_name_checks(
    served: str, ok: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", 0)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    cert, key = _certificate(tmp_path, served)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    port = httpd.server_address[1]
    real = socket.getaddrinfo
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, *a, **k: real("127.0.0.1" if host == "hooks.test" else host, *a, **k),
    )
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    monkeypatch.setenv(ENV, SECRET)
    repo = hook_repo(tmp_path / "r", f"https://hooks.test:{port}/hook")
    try:
        done = invoke("webhooks", "test", "risk-office", "--repo", str(repo))
        assert (done.exit_code == 0) is ok, done.output
        if not ok:
            assert "TLS handshake or certificate check failed" in done.output
    finally:
        httpd.shutdown()


def test_webhooks_test_says_it_made_one_attempt(tmp_path: Path, receiver: Receiver) -> None:
    """Issue 38: it made one POST and said "gave up after 11 attempts" (the retry limit)."""
    receiver.plan("/hook", Reply(503))
    repo = hook_repo(tmp_path, receiver.url())
    done = run_aigov("webhooks", "test", "risk-office", "--repo", str(repo), env={ENV: SECRET})
    assert done.returncode == 1
    assert len(receiver.at("/hook")) == 1
    assert "HTTP 503; gave up after 1 attempt " in done.stdout + done.stderr
