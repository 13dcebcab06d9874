"""IBANs: country, length and BBAN structure from the SWIFT IBAN registry, then ISO 7064
mod 97 (ISO 13616).

Each country has one length and one BBAN format, written as in the registry: ``8!n`` is 8
digits, ``4!a`` 4 upper-case letters, ``12!c`` 12 letters or digits. A candidate is read
from its country code: exactly that many letters and digits (single spaces or dashes
between them are skipped), so a word after an IBAN is never swallowed, and the BBAN must
have its country's shape before mod 97 is tried. Random text passes mod 97 one time in 97;
with the shape check, a 16-character hex digest that starts with ``be`` would also need 12
digits in a row after its check digits.
"""

from __future__ import annotations

import re
from functools import cache

#: country -> BBAN format (SWIFT IBAN Registry; the French overseas territories use FR's).
REGISTRY: dict[str, str] = {
    "AD": "4!n4!n12!c",
    "AE": "3!n16!n",
    "AL": "8!n16!c",
    "AT": "5!n11!n",
    "AZ": "4!a20!c",
    "BA": "3!n3!n8!n2!n",
    "BE": "3!n7!n2!n",
    "BG": "4!a4!n2!n8!c",
    "BH": "4!a14!c",
    "BI": "5!n5!n11!n2!n",
    "BR": "8!n5!n10!n1!a1!c",
    "BY": "4!c4!n16!c",
    "CH": "5!n12!c",
    "CR": "4!n14!n",
    "CY": "3!n5!n16!c",
    "CZ": "4!n6!n10!n",
    "DE": "8!n10!n",
    "DJ": "5!n5!n11!n2!n",
    "DK": "4!n9!n1!n",
    "DO": "4!c20!n",
    "EE": "2!n2!n11!n1!n",
    "EG": "4!n4!n17!n",
    "ES": "4!n4!n1!n1!n10!n",
    "FI": "3!n11!n",
    "FK": "2!a12!n",
    "FO": "4!n9!n1!n",
    "FR": "5!n5!n11!c2!n",
    "GB": "4!a6!n8!n",
    "GE": "2!a16!n",
    "GI": "4!a15!c",
    "GL": "4!n9!n1!n",
    "GR": "3!n4!n16!c",
    "GT": "4!c20!c",
    "HR": "7!n10!n",
    "HU": "3!n4!n1!n15!n1!n",
    "IE": "4!a6!n8!n",
    "IL": "3!n3!n13!n",
    "IQ": "4!a3!n12!n",
    "IS": "4!n2!n6!n10!n",
    "IT": "1!a5!n5!n12!c",
    "JO": "4!a4!n18!c",
    "KW": "4!a22!c",
    "KZ": "3!n13!c",
    "LB": "4!n20!c",
    "LC": "4!a24!c",
    "LI": "5!n12!c",
    "LT": "5!n11!n",
    "LU": "3!n13!c",
    "LV": "4!a13!c",
    "LY": "3!n3!n15!n",
    "MC": "5!n5!n11!c2!n",
    "MD": "2!c18!c",
    "ME": "3!n13!n2!n",
    "MK": "3!n10!c2!n",
    "MN": "4!n12!n",
    "MR": "5!n5!n11!n2!n",
    "MT": "4!a5!n18!c",
    "MU": "4!a2!n2!n12!n3!n3!a",
    "NI": "4!a20!n",
    "NL": "4!a10!n",
    "NO": "4!n6!n1!n",
    "OM": "3!n16!c",
    "PK": "4!a16!c",
    "PL": "8!n16!n",
    "PS": "4!a21!c",
    "PT": "4!n4!n11!n2!n",
    "QA": "4!a21!c",
    "RO": "4!a16!c",
    "RS": "3!n13!n2!n",
    "RU": "9!n5!n15!c",
    "SA": "2!n18!c",
    "SC": "4!a2!n2!n16!n3!a",
    "SD": "2!n12!n",
    "SE": "3!n16!n1!n",
    "SI": "5!n8!n2!n",
    "SK": "4!n6!n10!n",
    "SM": "1!a5!n5!n12!c",
    "SO": "4!n3!n12!n",
    "ST": "4!n4!n11!n2!n",
    "SV": "4!a20!n",
    "TL": "3!n14!n2!n",
    "TN": "2!n3!n13!n2!n",
    "TR": "5!n1!n16!c",
    "UA": "6!n19!c",
    "VA": "3!n15!n",
    "VG": "4!a16!n",
    "XK": "4!n10!n2!n",
    "YE": "4!a4!n18!c",
}
_CLASS = {"n": "[0-9]", "a": "[A-Z]", "c": "[A-Z0-9]"}
_SPEC = re.compile(r"(\d+)!([nac])")
#: What the candidate pattern finds: a country code, check digits, then 8 to 32 letters or
#: digits, single spaces or dashes between them (grouped by four, or not). A UUID's groups
#: are joined by dashes too; its BBAN shape, its length and mod 97 tell it apart.
CANDIDATE = r"[A-Za-z]{2}[0-9]{2}(?:[ -]?[A-Za-z0-9]){8,32}"


@cache
def _bban(country: str) -> tuple[int, re.Pattern[str]]:
    parts = _SPEC.findall(REGISTRY[country])
    length = sum(int(n) for n, _ in parts)
    pattern = "".join(f"{_CLASS[kind]}{{{n}}}" for n, kind in parts)
    return length + 4, re.compile(pattern)


def length(country: str) -> int:
    """The IBAN length of a registry country (ValueError for any other)."""
    if country not in REGISTRY:
        raise ValueError(f"{country} is not in the IBAN registry")
    return _bban(country)[0]


def mod97(compact: str) -> int:
    """ISO 7064 MOD 97-10 of an upper-case IBAN (1 when its check digits are right)."""
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97


def check_digits(country: str, bban: str) -> str:
    """The two check digits that make ``country`` + ``??`` + ``bban`` an IBAN."""
    return f"{98 - mod97(f'{country}00{bban}'):02d}"


def read(candidate: str) -> int | None:
    """How many characters of ``candidate`` (which starts with a country code) are a valid
    IBAN, or None. Letters may be lower case; single spaces or dashes separate groups."""
    country = candidate[:2].upper()
    if country not in REGISTRY:
        return None
    want, shape = _bban(country)
    kept: list[str] = []
    for at, char in enumerate(candidate):
        if char in " -":
            continue
        kept.append(char)
        if len(kept) == want:
            compact = "".join(kept).upper()
            if shape.fullmatch(compact, 4) and mod97(compact) == 1:
                return at + 1
            return None
    return None
