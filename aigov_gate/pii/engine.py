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

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from aigov_gate.config import PiiConfig
from aigov_gate.linear import compile_linear
from aigov_gate.pii import iban, phone
from aigov_gate.pii.detectors import CARD, Detector, builtin

_REACH = 80
_HEX = "[0-9A-Fa-f]"
_TRIGGERS = {
    "phone": phone.RUN,
    "iban": iban.CANDIDATE,
    "card": CARD,
    "ip": (
        r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}"
        rf"|(?:^|[^0-9A-Za-z_:.]){_HEX}{{0,4}}(?::{_HEX}{{0,4}}){{2,8}}(?:$|[^0-9A-Za-z_:])"
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


def _zones(hits: Iterator[Any]) -> list[tuple[int, int]]:
    """Where a value can start: each hit's span and the position after it, merged while
    the next begins within _REACH of the last (a value there could reach into it)."""
    zones: list[tuple[int, int]] = []
    for hit in hits:
        lo, hi = hit.start(), hit.end() + 1
        if zones and lo < zones[-1][1] + _REACH:
            zones[-1] = (zones[-1][0], hi)
        else:
            zones.append((lo, hi))
    return zones


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
        # RE2 maps offsets in a str through UTF-8; ASCII bytes are the same offsets, free.
        subject: str | bytes = text.encode("ascii") if text.isascii() else text
        found: list[tuple[int, int, int, str]] = []
        if email_window is not None and "@" in text and self._email is not None:
            rank = self.detectors.index(self._email)
            for window in email_window.finditer(subject):
                for start, end in self._email.find(text, window.start(), window.end()):
                    found.append((start, -end, rank, "email"))
        if trigger is not None:
            for lo, hi in _zones(trigger.finditer(subject)):
                end = min(len(text), hi + _REACH)
                for rank, detector in self._bounded:
                    self._run(detector, rank, text, lo, hi, end, found)
        for rank, (name, pattern) in enumerate(custom.items(), len(self.detectors)):
            for m in pattern.finditer(text):
                if m.end() > m.start():
                    found.append((m.start(), -m.end(), rank, name))
        found.sort()
        spans: list[tuple[int, int, str]] = []
        last_end = -1
        for start, negative_end, _, kind in found:
            if start >= last_end:
                spans.append((start, -negative_end, kind))
                last_end = -negative_end
        return spans

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
