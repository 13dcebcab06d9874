"""The built-in detectors: what each finds, and how it tells personal data from the
identifiers a machine writes.

Each detector is a *trigger* (an RE2 pattern: every place a value could start) and a
*finder* that reads the text there and validates: IBANs by registry country, length, BBAN
structure and mod 97 (``iban.py``), phone numbers with libphonenumber (``phone.py``),
cards by issuer prefix, length and Luhn, e-mail addresses by the shape of a local part
and a domain (international ones included), IP addresses with ``ipaddress``.

Whatever a finder validates, a value glued to a longer token is not personal data: a
candidate with a letter or digit right before or after it, or a joiner (``- . / : , =``)
and then one, lies inside a UUID, a digest, a fingerprint, a key id, a version or a
generated id (``321e226a-7eb6-5db1-af47-45ba084e40fa``, ``9f2c...e1:1``). That is
:func:`clean_before` and :func:`clean_after`; an IBAN ending a sentence (``... 00.``)
still counts.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from aigov_gate.pii import iban, phone

Finder = Callable[[str, int, int], Iterator[tuple[int, int]]]
_JOINERS = frozenset("-./:,=")
_GLUE = frozenset("_@#$%&*\\")


@dataclass(frozen=True, slots=True)
class Detector:
    """``find(text, lo, end)`` yields ``(start, end)`` of values found in ``text[lo:end]``."""

    name: str
    find: Finder


def clean_before(text: str, start: int) -> bool:
    """Nothing before ``start`` makes it the middle of a longer token."""
    if start == 0:
        return True
    before = text[start - 1]
    if before.isalnum() or before in _GLUE or before == "+":
        return False
    return not (
        before in _JOINERS and start >= 2 and text[start - 2].isalnum() and text[start].isalnum()
    )


def clean_after(text: str, end: int) -> bool:
    """Nothing from ``end`` on makes it the start of a longer token."""
    if end >= len(text):
        return True
    after = text[end]
    if after.isalnum() or after in _GLUE:
        return False
    return not (after in _JOINERS and end + 1 < len(text) and text[end + 1].isalnum())


# --- cards --------------------------------------------------------------------------

#: Issuer prefixes (ISO/IEC 7812 IINs as the networks publish them) -> allowed lengths.
_ISSUERS: list[tuple[range, int, tuple[int, ...]]] = [
    (range(4, 5), 1, (13, 16, 19)),  # Visa
    (range(51, 56), 2, (16,)),  # Mastercard
    (range(2221, 2721), 4, (16,)),  # Mastercard 2-series
    (range(34, 35), 2, (15,)),  # American Express
    (range(37, 38), 2, (15,)),
    (range(6011, 6012), 4, (16, 17, 18, 19)),  # Discover
    (range(644, 650), 3, (16, 17, 18, 19)),
    (range(65, 66), 2, (16, 17, 18, 19)),
    (range(3528, 3590), 4, (16, 17, 18, 19)),  # JCB
    (range(300, 306), 3, (14, 15, 16, 17, 18, 19)),  # Diners Club
    (range(36, 37), 2, (14, 15, 16, 17, 18, 19)),
    (range(38, 40), 2, (16, 17, 18, 19)),
    (range(62, 63), 2, (16, 17, 18, 19)),  # UnionPay
    (range(2200, 2205), 4, (16, 17, 18, 19)),  # Mir
    (range(50, 51), 2, (13, 14, 15, 16, 17, 18, 19)),  # Maestro
    (range(56, 60), 2, (13, 14, 15, 16, 17, 18, 19)),
    (range(60, 61), 2, (16, 19)),  # RuPay, Maestro
    (range(63, 64), 2, (16, 17, 18, 19)),
    (range(67, 68), 2, (13, 14, 15, 16, 17, 18, 19)),
]
CARD = r"[0-9](?:[ -]?[0-9]){12,18}"
_CARD = re.compile(phone.NOT_GLUED + CARD)


def luhn(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        doubled = int(char) * 2 if i % 2 else int(char)
        total += doubled - 9 if doubled > 9 else doubled
    return total % 10 == 0


def issued(digits: str) -> bool:
    """An issuer uses this prefix with this length."""
    return any(
        int(digits[:width]) in prefixes and len(digits) in lengths
        for prefixes, width, lengths in _ISSUERS
    )


def _cards(text: str, lo: int, end: int) -> Iterator[tuple[int, int]]:
    for m in _CARD.finditer(text, lo, end):
        start = m.start()
        if not clean_before(text, start):
            continue
        value = m.group(0)
        if len({c for c in value if not c.isdigit()}) > 1:
            continue  # 4111 1111-1111 1111: one separator, or none
        # the longest prefix that ends a group and validates (a card, then "2026")
        for cut in range(len(value), 12, -1):
            if cut < len(value) and value[cut] not in " -":
                continue
            digits = value[:cut].replace(" ", "").replace("-", "")
            if (
                len(digits) >= 13
                and clean_after(text, start + cut)
                and issued(digits)
                and luhn(digits)
            ):
                yield start, start + cut
                break


# --- IBANs --------------------------------------------------------------------------

_IBAN = re.compile(phone.NOT_GLUED + iban.CANDIDATE)


def _ibans(text: str, lo: int, end: int) -> Iterator[tuple[int, int]]:
    for m in _IBAN.finditer(text, lo, end):
        start = m.start()
        size = iban.read(m.group(0))
        if size is not None and clean_before(text, start) and clean_after(text, start + size):
            yield start, start + size


# --- phone numbers ------------------------------------------------------------------

_RUN = re.compile(phone.RUN)


def _solid(run: str) -> bool:
    """No space or parenthesis: a number in the run can only be all of it."""
    return not any(c in run for c in phone.SPACES + "()")


_IBAN_HEAD = re.compile(r"[A-Za-z]{2}[0-9]{2}[ -]")


def _in_iban(text: str, at: int) -> bool:
    """The digits at ``at`` are the rest of an IBAN the IBAN detector finds (``DE89 3704
    0044 ...``): an account, not a phone number (and no matcher runs over them)."""
    start = at - 5
    if start < 0 or not _IBAN_HEAD.fullmatch(text, start, at):
        return False
    return any(a == start and b > at for a, b in _ibans(text, start, min(len(text), at + 80)))


def phones(regions: tuple[str, ...], leniency: str) -> Finder:
    def find(text: str, lo: int, end: int) -> Iterator[tuple[int, int]]:
        for m in _RUN.finditer(text, lo, end):
            run = m.group(0)
            if _in_iban(text, m.start()):
                continue
            if _solid(run) and not (clean_before(text, m.start()) and clean_after(text, m.end())):
                continue  # 1-52125425 in a UUID: any number in it would be glued to it
            if text[m.end() : m.end() + 1] in (",", ".") and not clean_after(text, m.end()):
                continue  # 853 040 499 839,07: an amount
            for a, b in phone.numbers(run, regions, leniency):
                start, stop = m.start() + a, m.start() + b
                if clean_before(text, start) and clean_after(text, stop):
                    yield start, stop

    return find


# --- IP addresses (as before, but an address may end a sentence: 10.1.2.3.) -----------

_IP = re.compile(
    r"(?<![\w:.])[0-9A-Fa-f:]{0,29}:(?:\d{1,3}\.){3}\d{1,3}(?!\w|[.,]\w)"  # ::ffff:1.2.3.4
    r"|(?<![\w.:])(?:\d{1,3}\.){3}\d{1,3}(?!\w|[.,]\w)"
    r"|(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,8}(?![\w:])"
)


def ip_address(candidate: str) -> bool:
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


def _ips(text: str, lo: int, end: int) -> Iterator[tuple[int, int]]:
    dotted = text.find(".", lo, end) >= 0 or text.find("::", lo, end) >= 0
    if not dotted and text.count(":", lo, end) < 7:
        return  # an address has dots, a "::" or seven colons
    for m in _IP.finditer(text, lo, end):
        if ip_address(m.group(0)):
            yield m.span()


# --- e-mail addresses ---------------------------------------------------------------

_LOCAL_ASCII = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")
_LABEL_ASCII = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")


def _letter(char: str) -> bool:
    """A non-ASCII letter, combining mark or digit (Devanagari vowel signs are marks)."""
    return not char.isascii() and unicodedata.category(char)[0] in "LMN"


def _domain_end(text: str, at: int, stop: int) -> int | None:
    """Where the domain starting at ``at`` ends (after its top-level domain), or None."""
    ends: list[int] = []
    labels: list[str] = []
    i = at
    while i < stop:
        j = i
        while j < stop and (text[j] in _LABEL_ASCII or _letter(text[j])):
            j += 1
        if j == i:
            break
        labels.append(text[i:j])
        ends.append(j)
        if j < stop and text[j] == ".":
            i = j + 1
        else:
            break
    for k in range(len(labels) - 1, 0, -1):
        tld = labels[k]
        if tld.lower().startswith("xn--") or (
            len(tld) >= 2 and not any(c.isdigit() or c in "-_" for c in tld)
        ):
            return ends[k]
    return None


def _emails(text: str, lo: int, end: int) -> Iterator[tuple[int, int]]:
    left = lo
    at = text.find("@", lo, end)
    while at != -1:
        following = text.find("@", at + 1, end)
        right = end if following == -1 else following
        start = at
        while start > left and (text[start - 1] in _LOCAL_ASCII or _letter(text[start - 1])):
            start -= 1
        while start < at and text[start] == ".":
            start += 1
        stop = _domain_end(text, at + 1, right)
        if start < at and stop is not None and text[start:at].lower() != "git":
            yield start, stop  # git@host is an SSH remote, not a person
        left, at = at + 1, following


def builtin(regions: tuple[str, ...], leniency: str) -> dict[str, Detector]:
    return {
        "email": Detector("email", _emails),
        "phone": Detector("phone", phones(regions, leniency)),
        "iban": Detector("iban", _ibans),
        "card": Detector("card", _cards),
        "ip": Detector("ip", _ips),
    }
