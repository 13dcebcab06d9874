"""One test command as a process: its own process group, bounded in time and output.

The command runs with stdin closed and stdout/stderr going to files (a pipe nobody reads
would stall it), in a new session so that it and everything it starts share a process
group. On timeout (or cancel, or output over the limit) the group gets SIGTERM, then
SIGKILL after the grace period. Whatever it leaves behind is swept when it ends, however it
ends: the group is killed, and on Linux every process still carrying this attempt's
``AIGOV_TEST_TOKEN`` in its environment (a daemon that left the group with ``setsid``).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

_POLL = 0.02
TOKEN_VAR = "AIGOV_TEST_TOKEN"


@dataclass(frozen=True, slots=True)
class Command:
    argv: tuple[str, ...]
    cwd: Path
    env: dict[str, str]
    timeout: float
    grace: float
    max_output: int
    out_dir: Path  # stdout.log, stderr.log and the result file live here
    watched: tuple[Path, ...] = ()  # more files whose size is bounded (the result file)
    owner: int | None = None  # the user the command runs as, when not aigov's: owns out_dir


@dataclass(frozen=True, slots=True)
class Ended:
    exit_code: int | None
    duration: float
    reason: str = ""  # "", "timeout", "cancelled", "output", "start"
    detail: str = ""

    @property
    def ok(self) -> bool:
        return not self.reason and self.exit_code == 0


def run(command: Command, cancel: threading.Event) -> Ended:
    command.out_dir.mkdir(parents=True, exist_ok=True)
    if command.owner is not None:
        os.chown(command.out_dir, command.owner, -1)
    token = secrets.token_hex(12)
    env = {**command.env, TOKEN_VAR: token}
    start = time.monotonic()
    with (
        (command.out_dir / "stdout.log").open("wb") as out,
        (command.out_dir / "stderr.log").open("wb") as err,
    ):
        try:
            proc = subprocess.Popen(
                command.argv,
                cwd=command.cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        except OSError as exc:
            return Ended(None, 0.0, "start", f"cannot start {command.argv[0]}: {exc.strerror}")
        try:
            reason, detail = _watch(proc, command, cancel, start, (out, err))
            if reason:
                _stop(proc, command.grace)
            code = proc.wait()
        finally:
            sweep(proc.pid, token)
    return Ended(code, time.monotonic() - start, reason, detail)


def _watch(
    proc: subprocess.Popen[bytes],
    command: Command,
    cancel: threading.Event,
    start: float,
    streams: tuple[object, ...],
) -> tuple[str, str]:
    while proc.poll() is None:
        if cancel.is_set():
            return "cancelled", "cancelled"
        if time.monotonic() - start > command.timeout:
            return "timeout", f"timed out after {command.timeout:g} s"
        for path in (*(Path(getattr(s, "name", "")) for s in streams), *command.watched):
            try:
                size = path.stat().st_size
            except OSError:
                continue
            if size > command.max_output:
                return "output", f"{path.name} grew over {command.max_output} bytes"
        time.sleep(_POLL)
    return "", ""


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _stop(proc: subprocess.Popen[bytes], grace: float) -> None:
    _signal_group(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)
    _signal_group(proc.pid, signal.SIGKILL)


def _marked(token: str) -> list[int]:
    """Processes (Linux /proc) whose environment carries this attempt's token."""
    needle = f"{TOKEN_VAR}={token}".encode()
    found: list[int] = []
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def sweep(pgid: int, token: str, wait: float = 2.0) -> None:
    """Kill what the test left: its process group, and every process marked with its token."""
    _signal_group(pgid, signal.SIGKILL)
    deadline = time.monotonic() + wait
    while True:
        left = [pid for pid in _marked(token) if pid != os.getpid()]
        if not left or time.monotonic() > deadline:
            return
        for pid in left:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(_POLL)


__all__ = ["TOKEN_VAR", "Command", "Ended", "run", "sweep"]
