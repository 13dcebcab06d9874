"""The scanner: one linear RE2 pass finds every place a value could be; the detectors read
and validate only there (docs/performance.md).

Python's ``re`` backtracks and tries every position; RE2 (google-re2) runs in linear time
at hundreds of MB/s but has no look-arounds. So RE2 finds candidates, and the detectors
(``detectors.py``) run only near them:

- phone, iban, card and ip: each trigger below is the detector's own candidate pattern
  (or, for ip, a superset of it), so every value starts inside a trigger hit. A value
  reads at most _REACH characters past the hit it starts in (an IBAN is at most 34
  characters and 33 separators; a phone run is a trigger hit itself), and the detectors
  read that far.
- email: a match can be any length, so its window is the whole run of characters an
  address can hold around an ``@`` followed by a domain; such a run is bounded by
  characters no address involves.

The phone run goes first in the alternation, so where a card or an IPv4 address could
also start, the longer phone run is what RE2 reports, and the zone covers it all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from aigov_gate.config import PiiConfig
from aigov_gate.linear import compile_linear
from aigov_gate.pii import iban, phone
from aigov_gate.pii.detectors import CARD, Detector, builtin

_REACH = 80
_HEX = "[0-9A-Fa-f]"
_COUNTRIES = "|".join(iban.REGISTRY)
_COUNTRY = "[A-Za-z]{2}"
#: Each trigger starts where a value is not glued to a token before it (phone.UNGLUED),
#: so a candidate inside a hex digest or a UUID does not even wake the detectors up.
_TRIGGERS = {
    "phone": phone.TRIGGER,
    "iban": rf"{phone.UNGLUED}(?i:{_COUNTRIES}){iban.CANDIDATE.removeprefix(_COUNTRY)}",
    "card": rf"{phone.UNGLUED}{CARD}",
    "ip": (
        r"\b[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}"
        # IPv6: compressed (::), all eight groups (not 16 like an MD5 fingerprint), or
        # six and an IPv4 address
        rf"|[0-9A-Fa-f:]{{0,40}}::"
        rf"|(?:^|[^0-9A-Fa-f:])(?:{_HEX}{{1,4}}:){{7}}{_HEX}{{1,4}}(?:$|[^0-9A-Fa-f:])"
        rf"|(?:{_HEX}{{1,4}}:){{6}}[0-9]{{1,3}}\."
    ),
}
_NA = r"\x{80}-\x{10FFFF}"  # any non-ASCII character: it may be a letter or a mark
_EMAIL_CHAR = rf"[0-9A-Za-z_.%+@{_NA}-]"
_WORD = rf"[0-9A-Za-z_{_NA}-]"
_EMAIL_WINDOW = rf"{_EMAIL_CHAR}*@{_WORD}+(?:\.{_WORD}+)*\.[A-Za-z{_NA}]{{2}}{_EMAIL_CHAR}*"


@dataclass(frozen=True, slots=True)
class Match:
    kind: str
    start: int
    end: int
    line: int
    column: int


class _Subject:
    """The text as RE2 reads it (UTF-8 bytes) and the way back to character offsets. RE2
    reports offsets in order, each at a character boundary, so a cursor walks forward
    decoding only the bytes between two offsets (a new pass starts it again); ASCII text
    needs none of it."""

    def __init__(self, text: str) -> None:
        self.ascii = text.isascii()
        self.data = text.encode("utf-8", "surrogatepass")
        self._byte = self._char = 0

    def char(self, offset: int) -> int:
        if self.ascii:
            return offset
        if offset < self._byte:
            self._byte = self._char = 0
        self._char += len(self.data[self._byte : offset].decode("utf-8", "surrogatepass"))
        self._byte = offset
        return self._char


_SOLID = frozenset(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-/")
_WORDISH = frozenset(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_JOINERS = frozenset(b"-./:,=")
_LETTERS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_CONTEXT = frozenset(range(256)) - _WORDISH - frozenset(b"+(")


def _dead(data: bytes, start: int, stop: int) -> bool:
    """A hit no value can come out of: letters and digits joined by ``-`` or ``/`` alone
    (no space, dot, colon or parenthesis) glued to a longer token, like ``3038046``
    opening a digest or ``ee61df51-4493`` in a UUID. A phone number, card or IBAN in it
    would have to be all of it (anywhere else it touches a letter, a digit or a joiner
    and one), and all of it is glued (detectors.clean_before and clean_after)."""
    while start < stop and data[start] in _CONTEXT:
        start += 1  # the character (or two) before the value that the trigger reads
    if start == stop or not all(b in _SOLID for b in data[start:stop]):
        return False
    after = data[stop] if stop < len(data) else 32
    if after in _WORDISH or (
        after in _JOINERS and stop + 1 < len(data) and data[stop + 1] in _WORDISH
    ):
        return True
    before = data[start - 1] if start else 32
    return before in _JOINERS and start >= 2 and data[start - 2] in _WORDISH


def _zones(hits: Iterator[Any], subject: _Subject) -> list[tuple[int, int, bool]]:
    """Where a value can start: each hit's span and the position after it, merged while
    the next begins within _REACH of the last (a value there could reach into it), and
    whether a hit there starts with a letter (an IBAN candidate, which may hide any
    other kind; a hit that starts with a digit, ``+``, ``(`` or ``:`` is a number or an
    address)."""
    zones: list[tuple[int, int, bool]] = []
    data = subject.data
    for hit in hits:
        start, stop = hit.span()
        if _dead(data, start, stop):
            continue
        lo, hi = subject.char(start), subject.char(stop) + 1
        letter = any(b in _LETTERS for b in data[start : start + 9])
        if zones and lo < zones[-1][1] + _REACH:
            zones[-1] = (zones[-1][0], hi, zones[-1][2] or letter)
        else:
            zones.append((lo, hi, letter))
    return zones


#: A byte no address holds (the complement of _EMAIL_CHAR: every byte of a non-ASCII
#: character is 0x80 or more), and the last such byte before a place.
_NOT_EMAIL = re.compile(rb"[^0-9A-Za-z_.%+@\x80-\xff-]")
_LAST_NOT_EMAIL = re.compile(rb"(?s).*[^0-9A-Za-z_.%+@\x80-\xff-]")


def _email_windows(data: bytes, window: Any) -> Iterator[tuple[int, int]]:
    """What ``window.finditer(data)`` finds, read only around each ``@``: a window is
    made of address characters alone, so it lies in the run of them around an ``@``,
    and RE2 (no anchors, no look-arounds) finds the same windows in that run alone.
    Each run is read once: from its ``@`` back to its start and on to its end."""
    at = data.find(b"@")
    while at >= 0:
        back, lo = 64, at
        while True:  # the run's start: after the last byte no address holds
            start = max(0, at - back)
            last = _LAST_NOT_EMAIL.match(data, start, at)
            if last is not None or start == 0:
                lo = last.end() if last is not None else 0
                break
            back *= 4
        stop = _NOT_EMAIL.search(data, at)
        hi = stop.start() if stop is not None else len(data)
        for m in window.finditer(data, lo, hi):
            yield m.start(), m.end()
        at = data.find(b"@", hi)


def _resolve(found: list[tuple[int, int, int, str]]) -> list[tuple[int, int, str]]:
    """``(start, -end, rank, kind)`` candidates to non-overlapping spans: the earliest,
    at the same start the longest, then the lowest rank."""
    found.sort()
    spans: list[tuple[int, int, str]] = []
    last_end = -1
    for start, negative_end, _, kind in found:
        if start >= last_end:
            spans.append((start, -negative_end, kind))
            last_end = -negative_end
    return spans


class Scanner:
    """The detectors a config enables; ``mask`` and ``find`` over any text."""

    def __init__(self, config: PiiConfig | None = None) -> None:
        config = config or PiiConfig()
        kinds = builtin(tuple(config.phone_regions), config.phone_leniency)
        self.detectors = [kinds[name] for name in config.detect]
        self._email = kinds["email"] if "email" in config.detect else None
        #: (rank, detector): the rank is the place in ``detect``, which breaks ties.
        self._bounded = [(i, d) for i, d in enumerate(self.detectors) if d.name != "email"]
        self._custom = dict(config.patterns)
        self._compiled: tuple[Any, Any, dict[str, Any]] | None = None

    def _engines(self) -> tuple[Any, Any, dict[str, Any]]:
        if self._compiled is None:
            order = sorted(self._bounded, key=lambda rd: rd[1].name != "phone")
            triggers = "|".join(f"(?:{_TRIGGERS[d.name]})" for _, d in order)
            self._compiled = (
                compile_linear(triggers) if triggers else None,
                compile_linear(_EMAIL_WINDOW) if self._email else None,
                {name: compile_linear(pattern) for name, pattern in self._custom.items()},
            )
        return self._compiled

    def _spans(self, text: str) -> list[tuple[int, int, str]]:
        """Non-overlapping ``(start, end, kind)``, earliest first (at the same start the
        longest, then the first detector in ``detect``)."""
        if not text:
            return []
        trigger, email_window, custom = self._engines()
        subject = _Subject(text)
        found: list[tuple[int, int, int, str]] = []
        if email_window is not None and "@" in text and self._email is not None:
            rank = self.detectors.index(self._email)
            for a, b in _email_windows(subject.data, email_window):
                lo, hi = subject.char(a), subject.char(b)
                for start, end in self._email.find(text, lo, hi):
                    found.append((start, -end, rank, "email"))
        if trigger is not None:
            for lo, hi, letter in _zones(trigger.finditer(subject.data), subject):
                end = min(len(text), hi + _REACH)
                for rank, detector in self._bounded:
                    if letter or detector.name != "iban":
                        self._run(detector, rank, text, lo, hi, end, found)
        for rank, (name, pattern) in enumerate(custom.items(), len(self.detectors)):
            for m in pattern.finditer(text):
                if m.end() > m.start():
                    found.append((m.start(), -m.end(), rank, name))
        return _resolve(found)

    @staticmethod
    def _run(
        detector: Detector,
        rank: int,
        text: str,
        lo: int,
        hi: int,
        end: int,
        found: list[tuple[int, int, int, str]],
    ) -> None:
        """The values that start in [lo, hi), reading the text up to ``end``."""
        for start, stop in detector.find(text, lo, end):
            if start >= hi:
                break
            found.append((start, -stop, rank, detector.name))

    def find(self, text: str) -> list[Match]:
        """The matches with their line and column (counted once through the text)."""
        matches: list[Match] = []
        line, line_start, at = 1, 0, 0
        for start, end, kind in self._spans(text):
            newlines = text.count("\n", at, start)
            if newlines:
                line += newlines
                line_start = text.rfind("\n", at, start) + 1
            at = start
            matches.append(Match(kind, start, end, line, start - line_start + 1))
        return matches

    def mask(self, text: str) -> str:
        if not text:
            return text
        pieces: list[str] = []
        at = 0
        for start, end, kind in self._spans(text):
            pieces.append(text[at:start])
            pieces.append(f"[redacted:{kind}]")
            at = end
        pieces.append(text[at:])
        return "".join(pieces)
