"""A real webhook receiver: a threaded HTTP server on 127.0.0.1 with scripted answers.

Each path answers from a list of replies, in order (the last one repeats): a status, extra
headers, a delay before answering (timeouts), a body trickled a byte at a time (slow
bodies), or a random failure rate for the benchmark. Every request is recorded with its
exact body bytes and headers, for the official ``standardwebhooks`` library to verify.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    trickle: int = 0  # bytes of body sent one per 0.2 s after the headers


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


class Receiver:
    def __init__(self, port: int, fail_rate: float = 0.0, seed: int = 7) -> None:
        self.port = port
        self.plans: dict[str, list[Reply]] = {}
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.fail_rate = fail_rate
        self.rng = random.Random(seed)
        self.active = 0
        self.most_active = 0  # the most requests being answered at once

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def plan(self, path: str, *replies: Reply | int) -> None:
        self.plans[path] = [r if isinstance(r, Reply) else Reply(r) for r in replies]

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]

    def next_reply(self, path: str) -> Reply:
        with self.lock:
            if self.fail_rate and self.rng.random() < self.fail_rate:
                return Reply(503)
            plan = self.plans.get(path) or [Reply()]
            return plan.pop(0) if len(plan) > 1 else plan[0]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def handle(self) -> None:
            # The sender closes the connection early: aigov never reads response bodies.
            with contextlib.suppress(ConnectionResetError, BrokenPipeError):
                super().handle()

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            with receiver.lock:
                receiver.received.append(Received(self.path, headers, body, time.time()))
                receiver.active += 1
                receiver.most_active = max(receiver.most_active, receiver.active)
            reply = receiver.next_reply(self.path)
            if reply.delay:
                time.sleep(reply.delay)
            with receiver.lock:
                receiver.active -= 1
            try:
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(reply.trickle or 2))
                self.end_headers()
                if reply.trickle:
                    for _ in range(reply.trickle):
                        self.wfile.write(b".")
                        self.wfile.flush()
                        time.sleep(0.2)
                else:
                    self.wfile.write(b"ok")
            except (BrokenPipeError, ConnectionResetError):
                pass

        do_GET = do_PUT = do_POST  # connectors' requests too (what a host was sent)

    return Handler


@contextmanager
def serve(fail_rate: float = 0.0, seed: int = 7) -> Iterator[Receiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(Receiver(0)))
    receiver = Receiver(server.server_address[1], fail_rate, seed)
    server.RequestHandlerClass = _handler(receiver)
    server.daemon_threads = True
    server.block_on_close = False
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
