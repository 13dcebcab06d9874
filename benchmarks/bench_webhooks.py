"""Deliver N queued events to a local receiver that fails a share of attempts at random.

    python benchmarks/bench_webhooks.py --events 1000 --fail-rate 0.2

The receiver (tests/receiver.py: a threaded HTTP server on 127.0.0.1) answers 503 to
each attempt with probability --fail-rate. Events are queued through the outbox, then
the real `aigov webhooks deliver` command sends them with fast retries (50 ms, doubling,
at most 1 s). Prints queue time, delivery time, attempts, and checks that every event
arrived (distinct webhook-ids), each request verified by the official standardwebhooks
library when installed (`pip install '.[bench]'`).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from receiver import serve  # noqa: E402

from aigov_gate.result import Location, Subscription  # noqa: E402
from aigov_gate.webhooks.delivery import queue  # noqa: E402
from aigov_gate.webhooks.events import make  # noqa: E402
from aigov_gate.webhooks.outbox import Outbox  # noqa: E402
from aigov_gate.webhooks.signing import new_secret  # noqa: E402

AIGOV = str(Path(sys.executable).with_name("aigov"))
ENV = "BENCH_WEBHOOK_SECRET"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--fail-rate", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    secret = new_secret()
    with tempfile.TemporaryDirectory() as tmp, serve(fail_rate=args.fail_rate) as receiver:
        root = Path(tmp)
        (root / "governance").mkdir()
        (root / ".aigov.yaml").write_text(
            "organization: bench\npaths: [governance]\n"
            f"webhooks:\n  concurrency: {args.concurrency}\n"
            "  retry: {initial_delay: 0.05, multiplier: 2, max_delay: 1, max_attempts: 30}\n"
        )
        (root / "governance/hook.yaml").write_text(
            "apiVersion: aigov/v1\nkind: WebhookSubscription\nmetadata:\n  name: bench\n"
            f"spec:\n  url: {receiver.url()}\n  events: ['gate.*']\n  secret_env: {ENV}\n"
        )
        sub = Subscription(
            "bench", "bench", receiver.url(), ("gate.*",), "active", ENV, Location("hook")
        )
        moment = datetime.now(UTC)
        events = [make("gate.failed", "bench", {"run": i}, moment) for i in range(args.events)]
        start = time.perf_counter()
        outbox = Outbox(root / ".aigov/outbox/webhooks.db")
        queue(outbox, events, [sub], lambda text: text, time.time())
        queued = time.perf_counter() - start
        start = time.perf_counter()
        done = subprocess.run(
            [AIGOV, "webhooks", "deliver", "--wait", "600", "--format", "json", "--repo", tmp],
            env={**os.environ, ENV: secret},
            capture_output=True,
            text=True,
            check=False,
        )
        took = time.perf_counter() - start
        counts = outbox.counts().get("bench/bench", {})
        attempts = outbox.attempts_total()
        outbox.close()
        got = receiver.at("/hook")
        ids = {r.headers["webhook-id"] for r in got}
        try:
            from standardwebhooks import Webhook

            hook = Webhook(secret)
            verified = sum(1 for r in got if hook.verify(r.body, r.headers) is not None)
            checked = f"{verified}/{len(got)} requests verified by standardwebhooks"
        except ImportError:
            checked = "standardwebhooks not installed: signatures not checked"
    print(f"events:            {args.events} (receiver fails {args.fail_rate:.0%} at random)")
    print(f"queue (1 txn):     {queued * 1000:.0f} ms")
    print(
        f"deliver:           {took:.2f} s, exit {done.returncode}, concurrency {args.concurrency}"
    )
    print(f"attempts:          {attempts} ({attempts / max(1, args.events):.2f} per event)")
    print(f"received:          {len(got)} requests, {len(ids)} distinct webhook-ids")
    print(f"outbox:            {counts}")
    print(f"signatures:        {checked}")
    lost = args.events - len(ids)
    print(f"lost:              {lost}")
    if lost or done.returncode:
        print(done.stdout[-2000:], done.stderr[-2000:])
        raise SystemExit(1)


if __name__ == "__main__":
    main()
