"""The one writer: every byte a command shows the user goes through :func:`say`.

``say`` masks personal data (the built-in detectors, and once a command has read its
configuration, the configured ones: :func:`use_config`) and leaves broken pipes to the
command group, which turns them into exit 141. A test walks the package's syntax trees
and fails on any other ``click.echo``, ``print`` or write to ``sys.stdout``/``sys.stderr``
(``tests/test_architecture.py``), so a new command cannot print around the masker.

Exit codes of a decided run come from :func:`decided`; errors become exit codes in one
place, ``AigovGroup.invoke`` in ``cli/main.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn

import click

from aigov_gate.errors import EXIT_BLOCKED, EXIT_CANCELLED, EXIT_PASSED

if TYPE_CHECKING:
    from aigov_gate.config import AigovConfig

_MASK_KEY = "aigov.mask"


def _current_mask() -> Callable[[str], str]:
    ctx = click.get_current_context(silent=True)
    found = ctx.find_root().meta.get(_MASK_KEY) if ctx is not None else None
    if found is None:
        from aigov_gate.pii import masker

        found = masker(None)
        if ctx is not None:
            ctx.find_root().meta[_MASK_KEY] = found
    return found


def use_config(config: AigovConfig) -> Callable[[str], str]:
    """From now on mask with ``config``'s detectors too (``pii.patterns``, ``pii.enabled``);
    returns the masker, for text that goes to a file the user reads (reports)."""
    from aigov_gate.pii import masker

    mask = masker(config)
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.find_root().meta[_MASK_KEY] = mask
    return mask


def say(message: str = "", *, err: bool = False, nl: bool = True) -> None:
    """Write ``message`` (masked) to stdout, or stderr with ``err``."""
    click.echo(_current_mask()(message) if message else message, err=err, nl=nl)


def decided(passed: bool, *, cancelled: bool = False) -> NoReturn:
    """End a run that reached a decision: exit 0 when it passed, 1 when it did not, 130
    when the user cancelled it (Ctrl-C) and what was done is kept."""
    if cancelled:
        raise click.exceptions.Exit(EXIT_CANCELLED)
    raise click.exceptions.Exit(EXIT_PASSED if passed else EXIT_BLOCKED)
