"""Sending queued deliveries: timeouts, backoff with jitter, Retry-After, 410, concurrency.

Each attempt re-signs the stored body with the attempt's time (``webhook-timestamp``),
so a retry hours later still passes the receiver's replay window, while ``webhook-id``
and the body stay the same. Responses are judged by status alone: 2xx delivered;
410 disables the subscription; other 3xx/4xx (but 408 and 429) fail without retry;
408, 429, 5xx, timeouts and connection errors are retried after
``initial_delay * multiplier**(n-1)`` seconds (capped at ``max_delay``, shortened by up to
``jitter``), or after ``Retry-After`` when the receiver sends one. Redirects are not
followed and response bodies are never read (a slow or endless body cannot stall us).

Configuration problems (no secret in the environment, a url refused by ``safety``, a
paused or missing subscription) do not count as attempts: those deliveries are held
and reported until the problem is fixed.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from aigov_gate import __version__
from aigov_gate.config import RetryConfig, WebhooksConfig
from aigov_gate.documents.integrations import subscribed
from aigov_gate.errors import UsageError
from aigov_gate.result import Subscription
from aigov_gate.webhooks.events import Event, test_event
from aigov_gate.webhooks.outbox import Delivery, Message, Outbox, delivering
from aigov_gate.webhooks.safety import pinned_address, refusal, shown
from aigov_gate.webhooks.signing import headers, secrets_from_env

_DAY = 86400.0
Mask = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt got: an HTTP status, or an error, and how long it took."""

    status: int | None
    error: str | None
    seconds: float
    retry_after: float | None = None
    location: str | None = None


@dataclass(frozen=True, slots=True)
class Held:
    """Why a subscription's deliveries wait (a configuration problem), and the fix."""

    reason: str
    hint: str

    def __str__(self) -> str:
        return f"{self.reason} ({self.hint})"


@dataclass(slots=True)
class Report:
    """What a delivery run did; ``held`` says which subscriptions could not be used."""

    delivered: int = 0
    retried: int = 0
    failed: list[str] = field(default_factory=list)
    held: dict[str, Held] = field(default_factory=dict)
    attempts: int = 0
    pending: int = 0
    next_attempt: float | None = None

    @property
    def ok(self) -> bool:
        return not self.failed and not self.held


def _pinning_adapter(requests: Any, pins: dict[tuple[str, int], str]) -> Any:
    """An HTTPAdapter whose connections go to the pinned address of their host.

    urllib3 opens the socket to ``_dns_host``; it is the pinned address only while the
    socket is opened, so SNI and the certificate check still use the host name.
    """
    import urllib3
    from urllib3.connection import HTTPConnection, HTTPSConnection

    def pinned(base: Any, default: int) -> Any:
        class Pinned(base):  # type: ignore[misc]
            def _new_conn(self) -> Any:
                # Only the socket goes to the pinned address: ``host`` (read right after
                # for SNI and the certificate check) is the name again once we return.
                address = pins.get((self.host.lower(), self.port or default))
                if address is None:
                    return super()._new_conn()
                name: str = getattr(self, "_dns_host")  # noqa: B009 (private, untyped)
                self._dns_host = address
                try:
                    return super()._new_conn()
                finally:
                    self._dns_host = name

        return Pinned

    class Http(urllib3.HTTPConnectionPool):
        ConnectionCls = pinned(HTTPConnection, 80)

    class Https(urllib3.HTTPSConnectionPool):
        ConnectionCls = pinned(HTTPSConnection, 443)

    class Adapter(requests.adapters.HTTPAdapter):  # type: ignore[misc]
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": Http, "https": Https}

    return Adapter


class Sender:
    """One HTTP session for a delivery run (``requests`` is imported here, not before)."""

    def __init__(self, settings: WebhooksConfig) -> None:
        import requests

        self._requests = requests
        self.session = requests.Session()
        self.pins: dict[tuple[str, int], str] = {}
        self.block_private = settings.block_private_addresses
        pool = _pinning_adapter(requests, self.pins)(
            pool_connections=settings.concurrency, pool_maxsize=settings.concurrency
        )
        self.session.mount("https://", pool)
        self.session.mount("http://", pool)
        # No netrc credentials, no env-chosen auth: proxies and CA bundle are passed below.
        self.session.trust_env = False
        self.timeout = (settings.connect_timeout, settings.read_timeout)
        self.verify: bool | str = (
            os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("SSL_CERT_FILE") or True
        )

    def close(self) -> None:
        self.session.close()

    def _pin(self, url: str) -> str | None:
        """Resolve the host once per run and connect only there; a refusal, or None."""
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        key = (
            (parts.hostname or "").lower(),
            parts.port or (443 if parts.scheme == "https" else 80),
        )
        if key in self.pins:
            return None
        address, refused = pinned_address(url, self.block_private)
        if refused:
            return refused
        if address is not None:
            self.pins.setdefault(key, address)
        return None

    def send(self, url: str, msg_id: str, body: bytes, keys: list[bytes]) -> Outcome:
        requests = self._requests
        sent = {
            "content-type": "application/json",
            "user-agent": f"aigov-gate/{__version__}",
            **headers(keys, msg_id, int(time.time()), body),
        }
        start = time.monotonic()
        proxies = requests.utils.get_environ_proxies(url)
        if not proxies:
            refused = self._pin(url)
            if refused:
                return Outcome(None, f"refused: {refused}", _since(start))
        try:
            response = self.session.post(
                url,
                data=body,
                headers=sent,
                timeout=self.timeout,
                allow_redirects=False,
                stream=True,
                verify=self.verify,
                proxies=proxies,
            )
        except requests.exceptions.ConnectTimeout:
            return Outcome(None, f"no connection within {self.timeout[0]:g}s", _since(start))
        except requests.exceptions.ReadTimeout:
            return Outcome(None, f"no response within {self.timeout[1]:g}s", _since(start))
        except requests.exceptions.SSLError:
            return Outcome(None, "TLS handshake or certificate check failed", _since(start))
        except requests.exceptions.RequestException as exc:
            return Outcome(None, f"connection failed ({_cause(exc)})", _since(start))
        with response:
            location = response.headers.get("location")
            return Outcome(
                response.status_code,
                None,
                _since(start),
                retry_after(response.headers.get("retry-after")),
                shown(urljoin(url, location)) if location else None,
            )


def _since(start: float) -> float:
    return time.monotonic() - start


def _cause(exc: BaseException) -> str:
    """The innermost exception's class: its message may carry the url."""
    while exc.__context__ is not None and exc.__context__ is not exc:
        exc = exc.__context__
    return type(exc).__name__


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    moment = datetime.now(UTC).timestamp() if now is None else now
    return max(0.0, when.timestamp() - moment)


def backoff(attempts: int, retry: RetryConfig, rng: random.Random) -> float:
    """The wait after ``attempts`` failed attempts: exponential, capped, with jitter."""
    base = min(retry.max_delay, retry.initial_delay * retry.multiplier ** (attempts - 1))
    return base * (1 - retry.jitter * rng.random())


def verdict(outcome: Outcome, attempts: int, retry: RetryConfig) -> tuple[str, str]:
    """``(state, reason)`` after an attempt: delivered, failed, gone or retry."""
    status = outcome.status
    if status is not None and 200 <= status < 300:
        return "delivered", f"HTTP {status}"
    if status == 410:
        return "gone", "HTTP 410 Gone: the receiver asked to stop; subscription disabled"
    if status is not None and 300 <= status < 400:
        where = f" to {outcome.location}" if outcome.location else ""
        return "failed", f"HTTP {status}: redirect{where} not followed; update the url"
    if status is not None and 400 <= status < 500 and status not in (408, 429):
        return "failed", f"HTTP {status}: the receiver refused it; not retried"
    reason = f"HTTP {status}" if status is not None else (outcome.error or "failed")
    if attempts >= retry.max_attempts:
        return "failed", f"{reason}; gave up after {attempts} attempt" + "s" * (attempts != 1)
    return "retry", reason


def queue(
    outbox: Outbox,
    events: list[Event],
    subscriptions: list[Subscription],
    mask: Mask,
    now: float,
) -> dict[str, list[str]]:
    """Write each event for the subscriptions that want it; returns event id -> names.

    Disabled subscriptions (in the document, or by a 410) get nothing but webhook.test;
    paused ones queue events that wait until the subscription is active again.
    """
    gone = outbox.disabled()
    out: dict[str, list[str]] = {}
    messages = []
    for event in events:
        targets = [
            s
            for s in subscriptions
            if s.organization == event.organization
            and (
                # a test goes wherever it is sent, even to a disabled endpoint being checked
                event.type == "webhook.test"
                or (
                    s.status != "disabled"
                    and s.key not in gone
                    and subscribed(list(s.events), event.type)
                )
            )
        ]
        if not targets:
            continue
        pairs = [(s.key, shown(s.url)) for s in targets]
        body = event.body(mask)
        messages.append(
            Message(event.id, event.type, event.organization, event.timestamp, body, pairs)
        )
        out[event.id] = [s.name for s in targets]
    if messages:
        outbox.add(messages, now)
    return out


def usable(
    subscriptions: list[Subscription],
    settings: WebhooksConfig,
    env: Mapping[str, str],
    gone: Mapping[str, Any],
) -> tuple[dict[str, tuple[Subscription, list[bytes]]], dict[str, Held]]:
    """The subscriptions that can be sent to now (with their keys), and why others cannot."""
    ready: dict[str, tuple[Subscription, list[bytes]]] = {}
    held: dict[str, Held] = {}
    for sub in subscriptions:
        if sub.key in gone:
            held[sub.key] = Held(
                "disabled after its receiver answered 410 Gone",
                f"once the receiver wants events again: aigov webhooks enable {sub.name}",
            )
            continue
        if sub.status != "active":
            held[sub.key] = Held(
                f"status is {sub.status}: its events wait in the outbox",
                f"set status: active in {sub.location} to send them",
            )
            continue
        why = refusal(sub.url, settings.allow_http, settings.block_private_addresses)
        if why:
            held[sub.key] = Held(f"{shown(sub.url)}: {why}", f"fix the url in {sub.location}")
            continue
        try:
            ready[sub.key] = (sub, secrets_from_env(sub.secret_env, env))
        except UsageError as exc:
            held[sub.key] = Held(exc.message, exc.hint)
    return ready, held


def deliver(
    outbox: Outbox,
    subscriptions: list[Subscription],
    settings: WebhooksConfig,
    env: Mapping[str, str],
    wait_seconds: float,
    log: Callable[[str], None],
    only: set[str] | None = None,
    budget: bool = False,
) -> Report:
    """Send everything due, and retry what fails for ``wait_seconds``; the rest stays
    queued. With ``budget`` no attempt starts after ``wait_seconds`` (``--notify``: a
    backlog for a dead receiver must not hold up the command)."""
    report = Report()
    ready, report.held = _selected(outbox, subscriptions, settings, env, only)
    if not ready:
        _finish(outbox, report, [])
        return report
    rng = random.Random()
    sender = Sender(settings)
    deadline = time.time() + wait_seconds
    active = list(ready)
    in_flight: dict[Future[Outcome], Delivery] = {}
    try:
        with ThreadPoolExecutor(settings.concurrency, thread_name_prefix="aigov-webhook") as pool:
            while True:
                now = time.time()
                busy = {d.key for d in in_flight.values()}
                free = settings.concurrency - len(in_flight)
                if budget and now >= deadline:
                    free = 0
                    if not in_flight:
                        break
                for d in outbox.due(now, active, free, busy):
                    sub, keys = ready[d.subscription]
                    body = outbox.body(d.message_id)
                    in_flight[pool.submit(sender.send, sub.url, d.message_id, body, keys)] = d
                if in_flight:
                    done, _ = wait(in_flight, timeout=0.25, return_when=FIRST_COMPLETED)
                    for future in done:
                        d = in_flight.pop(future)
                        gone = _settle(outbox, d, future.result(), settings.retry, rng, report, log)
                        if gone and d.subscription in active:
                            active.remove(d.subscription)
                    continue
                nxt = outbox.next_due(active)
                if nxt is None or nxt > deadline:
                    break
                time.sleep(max(0.0, min(nxt, deadline) - time.time()))
    finally:
        sender.close()
    _finish(outbox, report, active)
    return report


def _selected(
    outbox: Outbox,
    subscriptions: list[Subscription],
    settings: WebhooksConfig,
    env: Mapping[str, str],
    only: set[str] | None,
) -> tuple[dict[str, tuple[Subscription, list[bytes]]], dict[str, Held]]:
    """What can be sent to, and what waits with something queued (and why)."""
    ready, held = usable(subscriptions, settings, env, outbox.disabled())
    if only is not None:
        ready = {k: v for k, v in ready.items() if k in only}
        held = {k: v for k, v in held.items() if k in only}
    queued = outbox.counts()
    waiting = {k: v for k, v in held.items() if queued.get(k, {}).get("pending")}
    known = {s.key for s in subscriptions}
    for key, counts in queued.items():
        if counts.get("pending") and key not in known and (only is None or key in only):
            waiting[key] = Held(
                "no such WebhookSubscription in the repository (removed or invalid)",
                "restore it, or fix what `aigov validate` reports about it",
            )
    return ready, waiting


def _settle(
    outbox: Outbox,
    d: Delivery,
    outcome: Outcome,
    retry: RetryConfig,
    rng: random.Random,
    report: Report,
    log: Callable[[str], None],
) -> bool:
    """Record one attempt; True when the subscription was disabled by a 410."""
    attempts = d.attempts + 1
    state, reason = verdict(outcome, attempts, retry)
    started = time.time() - outcome.seconds
    report.attempts += 1
    name = d.subscription.split("/", 1)[-1]
    what = f"{d.event} {d.message_id} -> {name}"
    if state == "retry":
        if outcome.retry_after is not None:
            # The receiver knows best, up to a day (a later date is probably a mistake).
            wait_for = min(outcome.retry_after, max(retry.max_delay, _DAY))
        else:
            wait_for = backoff(attempts, retry, rng)
        outbox.record(
            d,
            "pending",
            outcome.status,
            reason,
            started + outcome.seconds + wait_for,
            started,
            outcome.seconds,
        )
        report.retried += 1
        log(f"retry     {what}: {reason} (attempt {attempts}; next in {wait_for:.1f}s)")
        return False
    final = "delivered" if state == "delivered" else "failed"
    outbox.record(d, final, outcome.status, reason, 0.0, started, outcome.seconds)
    if state == "delivered":
        report.delivered += 1
        log(f"delivered {what}: {reason} (attempt {attempts}, {outcome.seconds:.2f}s)")
        return False
    report.failed.append(f"{what}: {reason}")
    log(f"failed    {what}: {reason} (attempt {attempts})")
    if state == "gone":
        outbox.disable(d.subscription, reason, time.time())
        return True
    return False


def _finish(outbox: Outbox, report: Report, active: list[str]) -> None:
    counts = outbox.counts()
    report.pending = sum(c.get("pending", 0) for c in counts.values())
    report.next_attempt = outbox.next_due(active) if active else None


@dataclass(frozen=True, slots=True)
class Tested:
    event: Event
    outcome: Outcome
    delivered: bool
    reason: str


def send_test(
    path: Path, settings: WebhooksConfig, sub: Subscription, keys: list[bytes], mask: Mask
) -> Tested:
    """Queue a webhook.test for ``sub`` and make one attempt now (no retries: a test reports
    at once); the attempt is recorded in the outbox like any other."""
    event = test_event(sub, datetime.now(UTC))
    outbox = Outbox(path)
    sender = Sender(settings)
    try:
        queue(outbox, [event], [replace(sub, status="active")], mask, time.time())
        with delivering(path):
            outcome = sender.send(sub.url, event.id, outbox.body(event.id), keys)
        state, reason = verdict(outcome, 1, settings.retry.model_copy(update={"max_attempts": 1}))
        final = "delivered" if state == "delivered" else "failed"
        started = time.time() - outcome.seconds
        delivery = outbox.delivery(event.id, sub.key)
        outbox.record(delivery, final, outcome.status, reason, 0.0, started, outcome.seconds)
    finally:
        sender.close()
        outbox.close()
    return Tested(event, outcome, final == "delivered", reason)
