"""``aigov pii scan``: where personal data is, by kind and position, never the value."""

from __future__ import annotations

import json
from pathlib import Path

import click

from aigov_gate.cli.context import config_option, repo_option
from aigov_gate.cli.output import decided, say
from aigov_gate.errors import UsageError


@click.group("pii")
def pii_group() -> None:
    """Personal data detection (the detectors masking uses)."""


@pii_group.command("scan")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@repo_option
@config_option
@click.pass_context
def scan_command(
    ctx: click.Context,
    paths: tuple[Path, ...],
    fmt: str,
    repo: Path | None,
    config_path: Path | None,
) -> None:
    """List emails, phone numbers, IBANs, card numbers, IPs and configured patterns.

    Every byte of every file is read (binary files are named on stderr and skipped). A
    file that cannot be read to its end is named with the byte where the scan stopped.

    Exit codes: 0 none found, 1 found, 2 a file not scanned to its end (or could not run).
    """
    from aigov_gate.cli.context import find_repo
    from aigov_gate.config import find_config, load_config
    from aigov_gate.pii import Scanner, scan_paths

    root = find_repo(repo)
    config = load_config(config_path or find_config(root))
    scan = scan_paths(paths, Scanner(config.pii))
    hits = scan.hits
    if fmt == "json":
        rows = [
            {"path": str(p), "line": m.line, "column": m.column, "kind": m.kind} for p, m in hits
        ]
        say(json.dumps(rows, indent=2))
    else:
        for path, m in hits:
            say(f"{path}:{m.line}:{m.column}: {m.kind}")
        files = len({p for p, _ in hits})
        say(f"{len(hits)} match(es) in {files} file(s)" if hits else "no personal data found")
    for path in scan.binary:
        say(f"{path}: skipped, a binary file (a NUL byte in its first 8 KB)", err=True)
    if scan.stopped:
        for stop in scan.stopped:
            say(f"{stop.path}: scan stopped at byte {stop.offset:,}: {stop.reason}", err=True)
        raise UsageError(
            f"{len(scan.stopped)} file(s) not scanned to the end",
            hint="the matches above cover only what was read; split the file at line "
            "breaks, or fix its permissions, and scan again",
        )
    decided(not hits)
