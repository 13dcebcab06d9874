"""Phone numbers, validated by Google's libphonenumber (the ``phonenumbers`` package).

The scanner hands over a *run*: digits with the separators a written number uses
(spaces, no-break spaces, ``-``, ``.``, ``/``, parentheses) and an optional leading ``+``.
libphonenumber's matcher finds the numbers in it for each configured region (a national
number such as ``01 42 68 53 00`` is only a number in some region; ``+33 1 42 68 53 00``
is one anywhere), at the configured leniency. Its own matcher reads 1-4 MB/s, so it only
ever sees these runs, which RE2 found; ``phonenumbers`` is imported on the first run that
could be a number (about 0.1 s), never by a command whose text holds none.
"""

from __future__ import annotations

import re
from functools import lru_cache
from re._constants import MAXREPEAT  # type: ignore[import-not-found]
from re._parser import parse as sre_parse  # type: ignore[import-not-found]
from typing import Any

#: Spaces in numbers: plain, tab, no-break, narrow no-break, thin, figure (the characters
#: themselves, so the pattern reads the same in Python and in RE2).
SPACES = " \t\u00a0\u202f\u2009\u2007"
#: A run: at least 7 digits, separated by at most 3 separator characters.
#: (A run starts at a ``+``, a ``(`` or a digit that is not glued to a token before it:
#: no ASCII letter or digit, nor a joiner after one; ``UNGLUED`` says the same in RE2.)
RUN_BODY = rf"[0-9](?:[{SPACES}\-./()]{{0,3}}[0-9]){{6,}}\)?"
NOT_GLUED = r"(?<![0-9A-Za-z_])(?<![0-9A-Za-z_][-./:,=])"
UNGLUED = r"(?:^|[^0-9A-Za-z_\-./:,=]|(?:^|[^0-9A-Za-z_])[-./:,=])"
RUN = rf"(?:\+\(?|\(|{NOT_GLUED}){RUN_BODY}"
TRIGGER = rf"(?:\+\(?|\(|{UNGLUED}){RUN_BODY}"
_DIGITS = re.compile(r"[0-9]")
#: Dates (2026-12-07, 07.12.2026, 12/24/2030), ranges of years, the numbers of legal acts
#: (Regulation (EU) 2024/1689) and decimals: cut out of a run, never part of a number.
_DATE = re.compile(
    r"(?:19|20)[0-9]{2}([-./])[01]?[0-9]\1[0-3]?[0-9]"
    r"|[0-3]?[0-9]([-./])[0-3]?[0-9]\2(?:19|20)[0-9]{2}"
    r"|(?:19|20)[0-9]{2}[-/](?:19|20)?[0-9]{2}(?![0-9])"  # a range of years: 2019-2024
    r"|(?<![0-9])(?:19|20)[0-9]{2}/[0-9]{1,6}(?![0-9])"  # an act's number: (EU) 2024/1689
    r"|(?<![0-9.])[0-9]+\.[0-9]+(?![0-9.])"  # a decimal: 0.83 (numbers have 2 dots or none)
)
#: Four groups of four digits joined by dashes: an ORCID (0000-0002-1825-0097) or a card.
_FOURS = re.compile(r"[0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{3}[0-9X]")
#: A decimal: one dot or comma between digits, and nothing else (3.14159265, 0,5).
_DECIMAL = re.compile(r"[0-9]+[.,][0-9]+")
_WINDOW = 200


def _plausible(piece: str) -> bool:
    """Worth asking libphonenumber: 7 digits or more, and not the shape of something
    else. A bare run of digits is a number only with ``+`` or a trunk ``0`` before it
    (13-digit epoch milliseconds are valid numbers in some regions); digits separated by
    dots alone are a version (16.80.922) or an IPv4 address unless there are 9 or more
    and no group of four dotted groups of at most three digits."""
    digits = len(_DIGITS.findall(piece))
    if digits < 7 or _DECIMAL.fullmatch(piece) or _FOURS.fullmatch(piece):
        return False
    if digits == len(piece):
        return piece[0] == "0"
    if digits == len(piece.lstrip("+")):
        return True
    bare = piece.lstrip("+(").rstrip(")")
    if {c for c in bare if not c.isdigit()} == {"."}:
        groups = bare.split(".")
        return digits >= 9 and not (len(groups) == 4 and all(len(g) <= 3 for g in groups))
    return True


def _balanced(run: str, start: int, end: int) -> tuple[int, int]:
    """The span without an opening or closing parenthesis that has no partner in it."""
    inner = run[start:end]
    if inner.startswith("(") and inner.count("(") > inner.count(")"):
        start += 1
    if inner.endswith(")") and inner.count(")") > inner.count("("):
        end -= 1
    return start, end


def _runs(run: str) -> list[tuple[int, str]]:
    """The run with dates cut out, in pieces of at most _WINDOW characters."""
    pieces: list[tuple[int, str]] = []
    at = 0
    for date in _DATE.finditer(run):
        pieces.append((at, run[at : date.start()]))
        at = date.end()
    pieces.append((at, run[at:]))
    out: list[tuple[int, str]] = []
    for offset, piece in pieces:
        if not _plausible(piece.strip()):
            continue
        step = _WINDOW - 40
        for lo in range(0, max(len(piece) - 40, 1), step):
            out.append((offset + lo, piece[lo : lo + _WINDOW]))
    return out


@lru_cache(maxsize=512)
def _national(region: str) -> tuple[Any, int | None, tuple[tuple[int, Any], ...]] | None:
    """What libphonenumber needs of a national number of ``region`` to call it valid, read
    from its own metadata: (the region's international dialling prefix; the most digits
    ``parse`` can strip from the front, the region's country code and twice its national
    prefix; per possible length of a region of the country code, their general patterns).
    None when that cannot be bounded (a prefix transform rule may add digits)."""
    import phonenumbers
    from phonenumbers import PhoneMetadata

    own = PhoneMetadata.metadata_for_region(region)
    if own is None or own.national_prefix_transform_rule:
        return None
    idd = re.compile(own.international_prefix or "(?!)")
    strip: int | None = len(str(own.country_code))
    if own.national_prefix_for_parsing:
        width = sre_parse(own.national_prefix_for_parsing).getwidth()[1]
        strip = None if width >= MAXREPEAT else strip + 2 * width
    by_length: dict[int, list[str]] = {}
    for other in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(own.country_code or 0, ()):
        meta = PhoneMetadata.metadata_for_region(other)
        desc = meta.general_desc if meta is not None else None
        if desc is not None and desc.national_number_pattern:
            for k in desc.possible_length or range(1, 18):
                by_length.setdefault(k, []).append(f"(?:{desc.national_number_pattern})")
    # one pattern a length: it fully matches where one of the regions' patterns does
    shapes = tuple((k, re.compile("|".join(p))) for k, p in sorted(by_length.items()))
    return idd, strip, shapes


def _could_be(piece: str, region: str) -> bool:
    """False only where ``parse(piece, region)`` cannot give a valid number: the piece
    is not dialled abroad (``+`` or the region's international prefix), and no ending of
    its digits that ``parse`` could keep as the national number (it only strips digits
    from the front) has a length and shape libphonenumber calls valid in the country.
    ``tests/test_pii_engine.py`` checks that it never says False where ``parse`` and
    ``is_valid_number`` say valid."""
    shape = _national(region)
    if shape is None or piece.lstrip("(").startswith("+"):
        return True
    idd, strip, shapes = shape
    digits = "".join(_DIGITS.findall(piece))
    if idd.match(digits):
        return True
    n = len(digits)
    shortest = 0 if strip is None else n - strip
    return any(shortest <= k <= n and pattern.fullmatch(digits[n - k :]) for k, pattern in shapes)


def _whole(piece: str, region: str, leniency: str) -> bool:
    """The piece is one number of ``region`` (parse and check, the matcher's first try;
    at the stricter leniencies only the matcher decides)."""
    import phonenumbers

    if leniency not in ("possible", "valid"):
        return False
    if leniency == "valid" and not _could_be(piece, region):
        return False  # the shapes of the region's valid numbers: microseconds, not a parse
    try:
        number = phonenumbers.parse(piece, region)
    except phonenumbers.NumberParseException:
        return False
    if leniency == "possible":
        return bool(phonenumbers.is_possible_number(number))
    return bool(phonenumbers.is_valid_number(number))


def _unwrapped(offset: int, piece: str) -> tuple[int, str]:
    """``(030 123848)`` or ``(8 (301) 123-45-67)`` without the parentheses around it: the
    first ``(`` closes at the last character (not ``(030) 123848``)."""
    if piece[:1] != "(" or piece[-1:] != ")":
        return offset, piece
    depth = 0
    for i, c in enumerate(piece):
        depth += (c == "(") - (c == ")")
        if depth == 0:
            return (offset + 1, piece[1:-1]) if i == len(piece) - 1 else (offset, piece)
    return offset, piece


@lru_cache(maxsize=8192)
def numbers(run: str, regions: tuple[str, ...], leniency: str) -> tuple[tuple[int, int], ...]:
    """``(start, end)`` of each phone number in ``run``, valid in one of ``regions`` (or
    anywhere, when written with its country code), non-overlapping, earliest first.

    A piece that is one number in a region is taken whole (one parse a region, the
    common case); only a piece that is not, and holds more digits than one number can
    (15 with a country code; 19, a card's length, without), is searched by the matcher
    for the numbers inside it."""
    pieces = _runs(run)
    if not pieces:
        return ()
    import phonenumbers  # a run that could be a number: imported here, not at start-up

    level = getattr(phonenumbers.Leniency, leniency.upper().replace("-", "_"))
    found: set[tuple[int, int]] = set()
    for offset, piece in pieces:
        tried = regions or ("ZZ",)
        international = piece.lstrip("(").startswith("+")
        if international:
            tried = tried[:1]  # a number with its country code is one in any region
        digits = len(_DIGITS.findall(piece))
        stripped = piece.strip()
        start, core = _unwrapped(offset + piece.find(stripped), stripped)
        lo, hi = _balanced(core, 0, len(core))
        # a card's 13 to 19 digits are left to the matcher, which does not take them
        dialled = stripped.lstrip("(").startswith(("00", "011"))  # 0044 20 ...: abroad
        if (international or dialled or digits <= 12) and any(
            _whole(core[lo:hi], region, leniency) for region in tried
        ):
            found.add((start + lo, start + hi))
            continue
        if leniency in ("possible", "valid") and (
            digits <= 15 or (digits <= 19 and not international)
        ):
            continue  # one number, not one of the regions'; or a card's digits
        for region in tried:
            for match in phonenumbers.PhoneNumberMatcher(piece, region, leniency=level):
                found.add(_balanced(run, offset + match.start, offset + match.end))
    spans: list[tuple[int, int]] = []
    for start, end in sorted(found, key=lambda s: (s[0], -s[1])):
        if not spans or start >= spans[-1][1]:
            spans.append((start, end))
    return tuple(spans)
