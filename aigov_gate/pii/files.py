"""Scanning files: every byte, in pieces, with lines and columns counted across them.

A file is read 4 MB at a time and cut after its last line break (no value spans a line
break), so memory stays bounded whatever the file's size and nothing is skipped. A line
longer than :data:`LONGEST_RUN` is cut at its last space or tab instead; a run of that
many bytes with neither cannot be cut without perhaps cutting a value, so the scan stops
there and says so (:class:`Stopped`): the caller reports where, and does not pass.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from aigov_gate.pii.engine import Match, Scanner

CHUNK = 4 * 1024 * 1024
LONGEST_RUN = 16 * 1024 * 1024
TEXT_SUFFIXES = {".md", ".txt", ".csv", ".json", ".yaml", ".yml", ".html", ".tsv", ".log"}


@dataclass(frozen=True, slots=True)
class Stopped:
    """Where a scan could not go on, and why."""

    path: Path
    offset: int
    reason: str


class ScanStopped(Exception):
    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(reason)
        self.offset = offset
        self.reason = reason


def _pieces(fh: BinaryIO, chunk: int, longest: int) -> Iterator[tuple[int, bytes]]:
    """``(offset, piece)``: the file in pieces that end after a line break (or a space,
    in a line over ``longest`` bytes), the last one ending where the file does."""
    carry = b""
    offset = 0
    while True:
        block = fh.read(chunk)
        data = carry + block
        if not block:
            if data:
                yield offset, data
            return
        cut = data.rfind(b"\n") + 1
        if not cut and len(data) > longest:
            cut = max(data.rfind(b" "), data.rfind(b"\t")) + 1
            if not cut:
                raise ScanStopped(offset, f"{len(data):,} bytes without a line break, space or tab")
        if cut:
            yield offset, data[:cut]
            offset += cut
        carry = data[cut:]


def scan_stream(
    fh: BinaryIO, scanner: Scanner, chunk: int = CHUNK, longest: int = LONGEST_RUN
) -> Iterator[Match]:
    """Every match in the file, with the line and column it has in the whole file."""
    line = 1
    column = 0  # characters of the current line in earlier pieces (a line cut at a space)
    for _offset, piece in _pieces(fh, chunk, longest):
        text = piece.decode("utf-8", errors="replace")
        for m in scanner.find(text):
            shift = column if m.line == 1 else 0
            yield Match(m.kind, m.start, m.end, line + m.line - 1, m.column + shift)
        breaks = text.count("\n")
        line += breaks
        column = column + len(text) if not breaks else len(text) - text.rfind("\n") - 1


def _binary(path: Path) -> bool:
    with path.open("rb") as fh:
        return b"\0" in fh.read(8192)


def scan_file(path: Path, scanner: Scanner) -> Match | None:
    """The first match in a text file (by suffix) that can be read, else None: for
    ``pii.undeclared`` and the evidence inventory. A run the scan cannot cut counts as
    personal data there (it is encrypted, or the finding asks for a look)."""
    if path.suffix.lower() not in TEXT_SUFFIXES:
        return None
    try:
        with path.open("rb") as fh:
            return next(scan_stream(fh, scanner), None)
    except OSError:
        return None
    except ScanStopped as stopped:
        return Match("unscannable", stopped.offset, stopped.offset, 1, 1)


@dataclass
class Scan:
    """What ``aigov pii scan`` found, skipped and could not finish."""

    hits: list[tuple[Path, Match]]
    binary: list[Path]
    stopped: list[Stopped]


def scan_paths(paths: Sequence[Path], scanner: Scanner) -> Scan:
    """Every match in the given files (folders are walked). Binary files (a NUL byte in
    the first 8 KB) are listed as skipped; a file that cannot be read or cut is listed
    as stopped, with the byte offset."""
    scan = Scan([], [], [])
    for given in paths:
        files = sorted(p for p in given.rglob("*") if p.is_file()) if given.is_dir() else [given]
        for file in files:
            try:
                if _binary(file):
                    scan.binary.append(file)
                    continue
                with file.open("rb") as fh:
                    scan.hits.extend((file, m) for m in scan_stream(fh, scanner))
            except OSError as exc:
                scan.stopped.append(Stopped(file, 0, f"cannot be read ({exc.strerror})"))
            except ScanStopped as stopped:
                scan.stopped.append(Stopped(file, stopped.offset, stopped.reason))
    return scan
