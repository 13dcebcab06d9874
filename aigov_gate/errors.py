"""Errors that stop a run, and the one place that says how each is shown and what it exits with.

Problems *in the user's documents* are not exceptions: they are findings (see
``result.py``). Exceptions here are for runs that cannot happen at all: a bad option,
an unreadable or invalid ``.aigov.yaml``, a path that does not exist.

Exit codes (documented in the README):

* 0 passed, 1 blocked (findings at or above the threshold, invalid documents included),
* 2 could not run (usage or configuration error), 3 unexpected internal error,
* 141 the reader of the output went away (``aigov keys list | head -1``): silent, as
  ``git`` and ``yes`` are, and never 0, so a pipeline under ``set -o pipefail`` does not
  take a truncated run for a passed one.
"""

from __future__ import annotations

EXIT_PASSED = 0
EXIT_BLOCKED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_BROKEN_PIPE = 128 + 13  # the shell's code for a process ended by SIGPIPE
EXIT_CANCELLED = 128 + 2  # Ctrl-C (SIGINT), as shells report it


class AigovError(Exception):
    """A failure the user can fix. ``message`` says what, ``hint`` says what to do."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, hint: str = "", where: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.where = where

    def diagnostics(self) -> str:
        """The text shown to the user: ``where: error: message`` and an indented hint."""
        head = f"{self.where}: error: {self.message}" if self.where else f"error: {self.message}"
        return f"{head}\n  hint: {self.hint}" if self.hint else head


class UsageError(AigovError):
    """Wrong arguments: a path that does not exist, an unknown format."""


class ConfigError(AigovError):
    """``.aigov.yaml`` or an ``AIGOV_*`` variable is unreadable or invalid."""


def internal_error_text(exc: BaseException) -> str:
    """What an unexpected exception looks like without ``--debug``: short, no traceback."""
    return (
        f"internal error: {type(exc).__name__}: {exc}\n"
        "  This is a bug in aigov-gate. Please report it with the command you ran; "
        "re-run with --debug to see the traceback."
    )


class ProviderError(AigovError):
    """A sign-off provider (GitHub, GitLab) could not answer: token, permission, network."""
