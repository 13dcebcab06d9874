"""A progress line on stderr for runs that take a while: only on a terminal, only after
two seconds, gone when the run ends; in CI logs only when asked (``AIGOV_PROGRESS=on``).

The core reports ``(step, done, total)`` through a plain callable and never prints; this
is the one that draws.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from typing import TextIO

_ON = {"on", "1", "true", "yes"}
_OFF = {"off", "0", "false", "no"}
#: Seconds between two redraws on a terminal, and between two lines in a log.
_REDRAW, _LOG_EVERY = 0.1, 10.0


class Progress:
    def __init__(self, stream: TextIO | None = None, env: Mapping[str, str] | None = None):
        env = os.environ if env is None else env
        self.stream = stream or sys.stderr
        said = env.get("AIGOV_PROGRESS", "").strip().lower()
        ci = env.get("CI", "").strip().lower() not in {"", "0", "false", "no"}
        self.terminal = self.stream.isatty()
        self.enabled = said in _ON or (said not in _OFF and self.terminal and not ci)
        try:
            self.after = float(env.get("AIGOV_PROGRESS_AFTER", "2"))
        except ValueError:
            self.after = 2.0
        self.started = time.monotonic()
        self._last = 0.0
        self._drawn = False

    def __call__(self, step: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.started < self.after and done < total:
            return
        if done < total and now - self._last < (_REDRAW if self.terminal else _LOG_EVERY):
            return
        if done >= total and not self._drawn:
            return  # finished before anything was shown: show nothing
        self._last = now
        line = f"aigov: {step} {done:,}/{total:,}"
        if self.terminal:
            self.stream.write(f"\r{line}\x1b[K")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """Clear the line (a terminal keeps no trace of it)."""
        if self._drawn and self.terminal:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
        self._drawn = False
