"""The application layer: what a command does, between the CLI and the core.

The CLI parses arguments and calls one function here (or in the core) that returns data;
it renders that data and writes it through its one writer (``cli/output.py``). This layer
never prints: where it has something to say while it works, it takes a ``Log`` callable.
"""

from __future__ import annotations

from collections.abc import Callable

#: Where a use case says what it is doing (the CLI passes its writer, stderr).
Log = Callable[[str], None]
