"""The one convention every command follows (docs/cli.md):

* ``-o/--output`` names the file (or folder) a command writes; the spellings it replaced
  (``--out``) still work for a release, with a deprecation note on stderr;
* an existing file is never overwritten without ``--force``: the command stops before it
  does anything, with exit 2;
* ``--format json`` prints one envelope, ``{"schema_version", "tool", "command", ...}``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import click

from aigov_gate.cli.output import say
from aigov_gate.errors import UsageError

#: The envelope of ``--format json`` of the commands listed in docs/json-output.md
#: ("Other commands"); 1: the first.
ENVELOPE_VERSION = 1

force_option = click.option(
    "--force", is_flag=True, help="Overwrite files that already exist (default: refuse)."
)


def output_option(
    help: str,
    *,
    folder: bool = False,
    dest: str = "output",
    required: bool = False,
    default: Path | None = None,
    deprecated: tuple[str, ...] = ("--out",),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``-o/--output`` (a file, or a folder with ``folder``), passed as ``dest``; each of
    ``deprecated`` is a hidden alias that still works and says it is deprecated."""
    kind = click.Path(file_okay=not folder, dir_okay=folder, path_type=Path)
    legacy = {f"_{dest}_deprecated_{i}": name for i, name in enumerate(deprecated)}

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def command(*args: Any, **kwargs: Any) -> Any:
            for key, name in legacy.items():
                old = kwargs.pop(key, None)
                if old is None:
                    continue
                say(f"note: {name} is deprecated; use -o/--output (same meaning)", err=True)
                if kwargs.get(dest) not in (None, default):
                    raise UsageError(f"-o/--output and {name} name the same thing; give one")
                kwargs[dest] = old
            if required and kwargs.get(dest) is None:
                raise UsageError("missing option -o/--output", hint=f"-o PATH: {help}")
            return func(*args, **kwargs)

        wrapped: Callable[..., Any] = command
        for key, name in legacy.items():
            wrapped = click.option(name, key, type=kind, hidden=True)(wrapped)
        shown = default is not None
        return click.option(
            "-o", "--output", dest, type=kind, default=default, show_default=shown, help=help
        )(wrapped)

    return decorate


def refuse_overwrite(paths: Iterable[Path | None], force: bool) -> None:
    """Stop before anything is done when a file to write exists, unless ``force`` (an
    empty folder is no file; ``None`` is stdout)."""
    if force:
        return
    for path in paths:
        if path is not None and path.exists() and not (path.is_dir() and not any(path.iterdir())):
            raise UsageError(
                f"{path} already exists; not overwriting it",
                hint="pass --force to overwrite it, or write somewhere else",
            )


def envelope(command: str, **payload: Any) -> str:
    """The JSON a ``--format json`` command prints: the envelope around ``payload``."""
    from aigov_gate import __version__

    body = {
        "schema_version": ENVELOPE_VERSION,
        "tool": {"name": "aigov-gate", "version": __version__},
        "command": command,
        **payload,
    }
    return json.dumps(body, indent=2, ensure_ascii=False)


def say_json(command: str, **payload: Any) -> None:
    """Print :func:`envelope` (masked, like everything printed)."""
    say(envelope(command, **payload))
