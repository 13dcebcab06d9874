"""The bundle file: a reproducible ``.tar.gz`` written in one pass, read without trusting it.

Writing: entries sorted by name, mtime fixed, owner 0/0 with no names, mode 0644, PAX
format, gzip header without name or time. Each member is hashed while it is copied, so
every byte of an artifact is read once. Compression is ISA-L's gzip at level 1 (a
standard gzip stream; any ``tar``/``gzip`` reads it): zlib at level 1 is 10x slower on
incompressible artifacts such as model weights (docs/performance.md).

Reading: one streaming pass. Every header is checked *before* its data is read: regular
files only (no links, devices, directories or FIFOs), relative names without ``..``, no
duplicates, bounded size and count; the decompressed stream is bounded in total and in
ratio to the compressed bytes (gzip bombs). Nothing is written to disk while reading.
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, BinaryIO, cast

from isal import igzip, isal_zlib

CHUNK = 1 << 20
_ISAL_ERROR = cast("type[Exception]", isal_zlib.error)  # corrupt deflate data
SMALL = 64 * 1024 * 1024  # members read into memory (JSON, YAML) are at most this big


class HostileArchive(ValueError):
    """The archive is not something aigov would write: refused before anything is used."""


@dataclass(frozen=True, slots=True)
class ReadLimits:
    max_members: int = 100_000
    max_member_bytes: int = 64 * 1024**3
    max_total_bytes: int = 256 * 1024**3
    max_ratio: int = 200
    ratio_after: int = 256 * 1024**2


class _Hashing(io.RawIOBase):
    """A source that hashes (and optionally transforms) what tarfile copies out of it."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""
        self.sha256 = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if size < 0:
            out, self._buffer = self._buffer, b""
        else:
            out, self._buffer = self._buffer[:size], self._buffer[size:]
        self.sha256.update(out)
        return out


def file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            yield chunk


class Writer:
    """Writes members in the order given (callers sort), then renames into place."""

    def __init__(self, path: Path, mtime: int) -> None:
        self.path = path
        self.mtime = mtime
        self._tmp = path.with_name(path.name + ".part")
        path.parent.mkdir(parents=True, exist_ok=True)
        self._raw = self._tmp.open("wb")
        self._gz = igzip.GzipFile(  # type: ignore[no-untyped-call]
            filename="",  # no FNAME field: the temporary name would differ per output path
            fileobj=self._raw,
            mode="wb",
            compresslevel=1,
            mtime=0,
        )
        # "w", not the stream mode "w|": the stream mode re-slices its buffer in 10 KiB
        # steps, which costs more than compressing.
        self._tar = tarfile.open(  # noqa: SIM115 (closed in close())
            fileobj=self._gz, mode="w", format=tarfile.PAX_FORMAT
        )
        self._tar.copybufsize = CHUNK  # type: ignore[attr-defined]
        self._last = ""

    def _info(self, name: str, size: int) -> tarfile.TarInfo:
        if name <= self._last:
            raise ValueError(f"members out of order: {name} after {self._last}")
        self._last = name
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = size, self.mtime, 0o644
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    def add(self, name: str, chunks: Iterator[bytes], size: int) -> str:
        """Add a member from ``chunks`` (exactly ``size`` bytes); returns its sha256."""
        source = _Hashing(chunks)
        self._tar.addfile(self._info(name, size), source)
        if source.read(1):
            raise ValueError(f"{name}: more data than its size")
        return source.sha256.hexdigest()

    def add_bytes(self, name: str, data: bytes) -> str:
        return self.add(name, iter([data]), len(data))

    def close(self) -> None:
        self._tar.close()
        self._gz.close()
        self._raw.flush()
        os.fsync(self._raw.fileno())
        self._raw.close()
        self._tmp.replace(self.path)

    def abort(self) -> None:
        self._raw.close()
        self._tmp.unlink(missing_ok=True)


class _Bounded:
    """The decompressed stream for tarfile, with its total and ratio to the input bounded.

    Seekable forward (tarfile's random-access mode skips data by seeking), which avoids
    the stream mode's 10 KiB re-buffering: verifying runs at the speed of inflate+sha256.
    """

    def __init__(self, raw: BinaryIO, limits: ReadLimits) -> None:
        self.counted = _CountingReader(raw)
        self._gz = igzip.GzipFile(  # type: ignore[no-untyped-call]
            fileobj=self.counted, mode="rb"
        )
        self._limits = limits

    def _check(self) -> None:
        total = self._gz.tell()
        limits = self._limits
        if total > limits.max_total_bytes:
            raise HostileArchive(
                f"decompresses to more than {limits.max_total_bytes} bytes (a gzip bomb?)"
            )
        if total > limits.ratio_after and total > limits.max_ratio * max(self.counted.count, 1):
            raise HostileArchive(f"decompresses more than {limits.max_ratio}:1 (a gzip bomb?)")

    def read(self, size: int = -1) -> bytes:
        if size < 0 or size > SMALL:  # member data is read in chunks; headers are small
            raise HostileArchive(f"a header asks to read {size} bytes at once")
        data: bytes = self._gz.read(size)
        self._check()
        return data

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        position: int = self._gz.seek(offset, whence)  # type: ignore[no-untyped-call]
        self._check()
        return position

    def tell(self) -> int:
        return int(self._gz.tell())


class _CountingReader(io.RawIOBase):
    """The compressed file, counting what inflate consumed (for the ratio bound)."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        self.count += len(data)
        return len(data)


@dataclass(slots=True)
class Member:
    name: str
    size: int
    sha256: str
    data: bytes | None = None  # kept for members the caller asked to keep


@dataclass(slots=True)
class Contents:
    members: dict[str, Member] = field(default_factory=dict)
    compressed_bytes: int = 0


def check_header(info: tarfile.TarInfo, seen: set[str], limits: ReadLimits) -> str | None:
    """Why this header is refused (None if it is fine)."""
    name = info.name
    if not info.isreg():
        kind = (
            "symbolic link"
            if info.issym()
            else "hard link"
            if info.islnk()
            else "device"
            if info.ischr() or info.isblk()
            else "directory"
            if info.isdir()
            else "FIFO"
            if info.isfifo()
            else "special entry"
        )
        return f"{name}: a {kind} (bundles hold regular files only)"
    if "\\" in name or "\0" in name or not name:
        return f"{name!r}: not a plain relative name"
    posix = PurePosixPath(name)
    if posix.is_absolute() or name.startswith("/"):
        return f"{name}: an absolute path"
    if ".." in posix.parts or "." in name.split("/"):
        return f"{name}: a path with '..' or '.'"
    if name in seen:
        return f"{name}: appears twice"
    if info.size > limits.max_member_bytes:
        return f"{name}: {info.size} bytes, more than the limit of {limits.max_member_bytes}"
    if len(seen) >= limits.max_members:
        return f"more than {limits.max_members} members"
    return None


def read(
    path: Path,
    keep: Callable[[str], bool],
    limits: ReadLimits | None = None,
) -> Contents:
    """Hash every member in one pass; keep the bytes of members ``keep`` selects."""
    limits = limits or ReadLimits()
    contents = Contents()
    seen: set[str] = set()
    try:
        with path.open("rb") as raw:
            bounded = _Bounded(raw, limits)
            with tarfile.open(fileobj=bounded, mode="r:") as tar:  # type: ignore[call-overload]
                for info in tar:
                    problem = check_header(info, seen, limits)
                    if problem is not None:
                        raise HostileArchive(problem)
                    seen.add(info.name)
                    contents.members[info.name] = _member(tar, info, keep(info.name))
                    tar.members.clear()  # one pass: keep no list of headers
            while bounded.read(CHUNK):  # the rest: tar padding, then gzip's CRC and length
                pass
            contents.compressed_bytes = bounded.counted.count
    except (tarfile.TarError, EOFError, OSError, _ISAL_ERROR) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise HostileArchive(f"not a readable .tar.gz ({exc})") from None
    return contents


def _member(tar: tarfile.TarFile, info: tarfile.TarInfo, keep: bool) -> Member:
    fh: IO[bytes] | None = tar.extractfile(info)
    assert fh is not None
    digest = hashlib.sha256()
    kept: list[bytes] = []
    size = 0
    while chunk := fh.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if keep and size <= SMALL:
            kept.append(chunk)
    if size != info.size:
        raise HostileArchive(f"{info.name}: truncated ({size} of {info.size} bytes)")
    data = b"".join(kept) if keep and size <= SMALL else None
    return Member(info.name, size, digest.hexdigest(), data)


@contextmanager
def open_checked(path: Path) -> Iterator[tarfile.TarFile]:
    """A tarfile over the bounded stream (use after :func:`read` has checked the archive)."""
    with (
        path.open("rb") as raw,
        tarfile.open(  # type: ignore[call-overload]
            fileobj=_Bounded(raw, ReadLimits()), mode="r:"
        ) as tar,
    ):
        yield tar
