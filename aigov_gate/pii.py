"""Personal data in text: detection, masking, and the finding for undeclared PII.

Detectors are regular expressions with a validating check where a regex alone guesses
badly: IBANs must pass ISO 7064 mod 97, card numbers the Luhn check, IP addresses the
standard library's parser. Emails and phone numbers follow the platform's patterns,
tightened so that digests, timestamps and decimals are not mistaken for phone numbers.

    >>> mask("write to lena.martin@acme-bank.example or +44 20 7946 0958")
    'write to [redacted:email] or [redacted:phone]'

Masking is on by default for everything that leaves the process (reports, annotations,
webhook payloads, log lines); ``AIGOV_PII_MASKING_ENABLED=false`` turns it off.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aigov_gate.config import AigovConfig, PiiConfig
from aigov_gate.documents.assets import Dataset, EvidenceArtifact, Model
from aigov_gate.documents.testing import TestRun
from aigov_gate.linear import compile_linear
from aigov_gate.references import Checked
from aigov_gate.result import Finding, Severity

RULE = "pii.undeclared"
MASKING_ENV = "AIGOV_PII_MASKING_ENABLED"
_FALSE = {"0", "false", "no", "off"}
_TEXT_SUFFIXES = {".md", ".txt", ".csv", ".json", ".yaml", ".yml", ".html", ".tsv", ".log"}
_MAX_SCAN_BYTES = 8 * 1024 * 1024


def _luhn(candidate: str) -> bool:
    digits = [int(c) for c in candidate if c.isdigit()]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, digit in enumerate(reversed(digits)):
        doubled = digit * 2 if i % 2 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return total % 10 == 0


def _iban(candidate: str) -> bool:
    compact = candidate.replace(" ", "").replace("-", "").upper()
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(c, 36)) for c in rearranged)
    return int(number) % 97 == 1


def _ip(candidate: str) -> bool:
    """A valid address that could point at someone: not loopback or unspecified (0.0.0.0).

    An IPv6 address needs three groups at least (``2001:db8::1``): ``::bad`` and
    ``3::bad`` parse, but in text they are the ``::`` of a GitHub annotation
    (``::error file=a.yaml,line=3::bad value``), not an address.
    """
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        return False
    groups = sum(1 for group in candidate.split(":") if group)
    if ":" in candidate and "." not in candidate and groups < 3:
        return False
    return not (address.is_loopback or address.is_unspecified)


def _email(candidate: str) -> bool:
    return not candidate.lower().startswith("git@")  # SSH remotes, not a person


@dataclass(frozen=True, slots=True)
class Detector:
    name: str
    pattern: re.Pattern[str]
    valid: Callable[[str], bool] | None = None


BUILTIN: dict[str, Detector] = {
    d.name: d
    for d in (
        Detector(
            "email",
            re.compile(
                r"[\w.%+-](?<![\w.%+-].)[\w.%+-]*@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])"
            ),
            _email,
        ),
        Detector(
            "phone",
            re.compile(
                r"(?<![\w.+/-])(?<!\d[-.\s])(?:(?:\+|00)\d{1,3}[-.\s]?)?(?:\(\d{2,4}\)\s?|\d{2,4}[-.\s])"
                r"\d{3,4}[-.\s]\d{3,4}(?![\w/-]|[-.\s]\d)"
                r"|(?<![\w.+/-])\+\d{7,14}(?!\w)"
            ),
        ),
        Detector(
            "iban",
            re.compile(
                r"[A-Za-z](?<!\w.)[A-Za-z]\d{2}(?:[ -]?[A-Za-z0-9]{4}){2,7}"
                r"(?:[ -]?[A-Za-z0-9]{1,3})?\b"
            ),
            _iban,
        ),
        Detector("card", re.compile(r"\d(?<![\w.]\d)(?:[ -]?\d){12,18}(?![\w.])"), _luhn),
        # Every repetition is bounded (an IPv6 address has at most 8 colons and 4 hex digits
        # a group; an IPv4-mapped prefix at most 29 characters), so a match reads at most
        # _REACH characters: what lets the scanner look only near RE2's candidates.
        Detector(
            "ip",
            re.compile(
                r"(?<![\w:.])[0-9A-Fa-f:]{0,29}:(?:\d{1,3}\.){3}\d{1,3}(?![\w.])"  # ::ffff:1.2.3.4
                r"|(?<![\w.:])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])"
                r"|(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,8}(?![\w:])"
            ),
            _ip,
        ),
    )
}

# How the scanner stays linear and fast (docs/performance.md). Python's `re` backtracks
# and tries every position; RE2 (google-re2) runs in linear time at hundreds of MB/s but has
# no look-arounds. So RE2 finds candidates, and the exact patterns above run only near them:
#
# - phone, iban, card and ip: a match reads at most _REACH characters from where it starts
#   (look-arounds included). The trigger below is each pattern with its look-behinds turned
#   into "the character before is start-of-text or one that could pass" and every Python
#   class widened to a superset (any non-ASCII character may be a digit, a letter or a
#   space), so every true match starts inside a trigger hit or just after it. The exact
#   patterns then look for matches starting there, reading _REACH characters further:
#   they read what a scan of the whole text would, so they find the same matches.
# - email: a match can be any length, so its window is the whole run of characters an
#   email can hold (and its look-arounds test) around an "@" followed by a domain; such a
#   run is bounded by characters no match or look-around involves, which is again exact.
#
# tests/test_pii_engine.py compares this with the exact patterns over the whole text.
_REACH = 64
_NA = r"\x{80}-\x{10FFFF}"  # any non-ASCII character: it may be a Python \w, \d or \s
_D = f"[0-9{_NA}]"
_SEP = rf"[-.\t\n\v\f\r \x1c-\x1f{_NA}]"  # [-.\s]
_SPACE = rf"[\t\n\v\f\r \x1c-\x1f{_NA}]"
_HEX = "[0-9A-Fa-f]"
_TRIGGERS = {
    "phone": (
        rf"(?:^|[^0-9A-Za-z_.+/-])(?:(?:\+|00){_D}{{1,3}}{_SEP}?)?"
        rf"(?:\({_D}{{2,4}}\){_SPACE}?|{_D}{{2,4}}{_SEP}){_D}{{3,4}}{_SEP}{_D}{{3,4}}"
        rf"(?:$|[^0-9A-Za-z_/-])"
        rf"|(?:^|[^0-9A-Za-z_.+/-])\+{_D}{{7,14}}(?:$|[^0-9A-Za-z_])"
    ),
    "iban": (
        rf"\b[A-Za-z]{{2}}{_D}{{2}}(?:[ -]?[A-Za-z0-9]{{4}}){{2,7}}"
        rf"(?:[ -]?[A-Za-z0-9]{{1,3}})?\b"
    ),
    "card": rf"(?:^|[^0-9A-Za-z_.]){_D}(?:[ -]?{_D}){{12,18}}(?:$|[^0-9A-Za-z_.])",
    "ip": (
        rf"{_D}{{1,3}}\.{_D}{{1,3}}\.{_D}{{1,3}}\.{_D}{{1,3}}(?:$|[^0-9A-Za-z_.])"
        rf"|(?:^|[^0-9A-Za-z_:.]){_HEX}{{0,4}}(?::{_HEX}{{0,4}}){{2,8}}(?:$|[^0-9A-Za-z_:])"
    ),
}
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
    """Where a bounded match can start: each hit's span and the position after it, merged
    while the next begins within _REACH of the last (a match there could reach into it)."""
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
        self.detectors = [BUILTIN[name] for name in config.detect]
        self._email = BUILTIN["email"] if "email" in config.detect else None
        #: (rank, detector): the rank is the place in ``detect``, which breaks ties.
        self._bounded = [(i, d) for i, d in enumerate(self.detectors) if d.name != "email"]
        self._custom = dict(config.patterns)
        self._compiled: tuple[Any, Any, dict[str, Any]] | None = None

    def _engines(self) -> tuple[Any, Any, dict[str, Any]]:
        if self._compiled is None:
            triggers = "|".join(_TRIGGERS[d.name] for _, d in self._bounded)
            self._compiled = (
                compile_linear(triggers) if triggers else None,
                compile_linear(_EMAIL_WINDOW) if self._email else None,
                {name: compile_linear(pattern) for name, pattern in self._custom.items()},
            )
        return self._compiled

    def _spans(self, text: str) -> list[tuple[int, int, str]]:
        """Non-overlapping ``(start, end, kind)``, earliest first (the first detector wins
        a tie)."""
        if not text:
            return []
        trigger, email_window, custom = self._engines()
        # RE2 maps offsets in a str through UTF-8; ASCII bytes are the same offsets, free.
        subject: str | bytes = text.encode("ascii") if text.isascii() else text
        found: list[tuple[int, int, int, str]] = []
        if email_window is not None and "@" in text and self._email is not None:
            for window in email_window.finditer(subject):
                rank = self.detectors.index(self._email)
                self._run(self._email, rank, text, window.start(), window.end(), found)
        if trigger is not None:
            for lo, hi in _zones(trigger.finditer(subject)):
                for rank, detector in self._bounded:
                    self._run(detector, rank, text, lo, hi, found, _REACH)
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
        found: list[tuple[int, int, int, str]],
        reach: int = 0,
    ) -> None:
        """The matches that start in [lo, hi); the text is read ``reach`` further, which
        is as far as an attempt from before ``hi`` can look."""
        for m in detector.pattern.finditer(text, lo, hi + reach):
            if m.start() >= hi:
                break
            if detector.valid is None or detector.valid(m.group(0)):
                found.append((m.start(), -m.end(), rank, detector.name))

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


def masking_enabled(config: PiiConfig | None = None, env: Mapping[str, str] | None = None) -> bool:
    value = (os.environ if env is None else env).get(MASKING_ENV)
    if value is not None:
        return value.strip().lower() not in _FALSE
    return config.masking if config is not None else True


def masker(config: AigovConfig | None = None) -> Callable[[str], str]:
    """The function every output goes through: masking, or identity when turned off."""
    pii = config.pii if config is not None else None
    if not masking_enabled(pii):
        return lambda text: text
    return Scanner(pii).mask


def mask(text: str) -> str:
    """Mask with the built-in detectors (for places without a config: error messages)."""
    return masker()(text) if text else text


def strings(
    value: Any, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every string value (not key) of parsed YAML/JSON, with its path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from strings(item, (*path, i))


def _declared(doc: Checked) -> Sequence[tuple[tuple[str | int, ...], bool]]:
    """Where the document states contains_pii, and what it states."""
    model = doc.model
    if isinstance(model, Model | Dataset | EvidenceArtifact):
        return [(("spec", "contains_pii"), model.spec.contains_pii)]
    if isinstance(model, TestRun):
        return [
            (("spec", "results", i, "contains_pii"), r.contains_pii)
            for i, r in enumerate(model.spec.results)
        ]
    return []


def check_undeclared(doc: Checked, root: Path, scanner: Scanner) -> Iterator[Finding]:
    """A finding where a document says contains_pii: false (or leaves the default) and has PII.

    The document's own string values are scanned, and an EvidenceArtifact's text file.
    The message names the kind of data and where it is, never the data itself.
    """
    declared = _declared(doc)
    if not declared or all(flag for _, flag in declared):
        return
    model = doc.model
    for path, flag in declared:
        if flag:
            continue
        scope = path[:-1]
        node: Any = doc.raw.data
        for step in scope:
            if isinstance(node, dict):
                node = node.get(step)
            elif isinstance(node, list) and isinstance(step, int) and step < len(node):
                node = node[step]
            else:
                node = None
        for where, text in strings(node, scope):
            hits = scanner.find(text)
            if hits:
                yield _finding(doc, path, f"{hits[0].kind} in {_dotted(where)}")
                break
        else:
            if isinstance(model, EvidenceArtifact) and model.spec.path:
                hit = scan_file(root / model.spec.path, scanner)
                if hit is not None:
                    where_ = f"{model.spec.path}:{hit.line}:{hit.column}"
                    yield _finding(doc, path, f"{hit.kind} in the artifact at {where_}")


def scan_file(path: Path, scanner: Scanner) -> Match | None:
    if path.suffix.lower() not in _TEXT_SUFFIXES:
        return None
    try:
        with path.open("rb") as fh:
            data = fh.read(_MAX_SCAN_BYTES)
    except OSError:
        return None
    hits = scanner.find(data.decode("utf-8", errors="replace"))
    return hits[0] if hits else None


def _dotted(path: tuple[str | int, ...]) -> str:
    return ".".join(str(p) for p in path)


def _finding(doc: Checked, path: tuple[str | int, ...], what: str) -> Finding:
    return Finding(
        RULE,
        Severity.HIGH,
        f"{doc.raw.kind} '{doc.raw.name}' declares no personal data, but holds some ({what})",
        doc.raw.locate(path),
        doc.raw.target,
        "set contains_pii: true (evidence bundles then encrypt it), or remove the personal "
        "data; `aigov pii scan PATH` lists every match",
    )


def scan_paths(paths: Sequence[Path], scanner: Scanner) -> Iterator[tuple[Path, Match]]:
    """Every match in the given files (folders are walked; binary files skipped)."""
    for given in paths:
        files = sorted(p for p in given.rglob("*") if p.is_file()) if given.is_dir() else [given]
        for file in files:
            try:
                data = file.read_bytes()[:_MAX_SCAN_BYTES]
            except OSError:
                continue
            if b"\0" in data[:8192]:
                continue
            for match in scanner.find(data.decode("utf-8", errors="replace")):
                yield file, match
