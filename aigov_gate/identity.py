"""People's names as the gate compares them: normalised, and refused when they imitate.

Every comparison of identities (assessor, approver, pull-request author, role member)
goes through :func:`same`: invisible characters (Unicode's Default_Ignorable_Code_Point:
U+200B, U+00AD, U+2060...) are dropped, then NFKC, case folding and trimming make
``"Dana.K "``, ``"da\\u200bna.k"`` and ``"dana.k"`` one person. :func:`lookalike` finds
names that would otherwise pass as someone else: a name holding an invisible character,
letters from more than one script by the Unicode Script property (``dana.k`` with a
Cyrillic a, U+0430, or an Armenian vo, U+0578; Common and Inherited characters such as
digits, ``.``, ``-`` and ``'`` go with any script, and Han goes with Hiragana and
Katakana, Hangul or Bopomofo as Unicode's UTS #39 says), or a name whose look-alike
skeleton equals another known name's. The properties come from the ``regex`` library
(the standard library has neither).

    >>> normalise("  Dana.K ")
    'dana.k'
    >>> normalise("da\\u200bna.k")
    'dana.k'
    >>> why = lookalike("d\\u0430na.k", ["dana.k"])
    >>> why.endswith("looks like 'a': 'd\\u0430na.k' imitates 'dana.k'")
    True
    >>> lookalike("dana.k", ["dana.k"]) is None
    True
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import regex

#: Letters of other scripts that render like Latin ones (a subset of Unicode's
#: confusables.txt: the Cyrillic, Greek and Armenian letters with a Latin twin).
_TWINS = dict(
    zip(
        "\u0430\u0432\u0435\u0451\u043a\u043c\u043d\u043e\u0440\u0441\u0442\u0443"
        "\u0445\u0455\u0456\u0457\u0458\u04bb\u0501\u051b\u051d\u0251\u0261\u0269"
        "\u03bf\u03b1\u03bd\u03b9\u03ba\u03c1\u03c4\u03c5\u03c7\u03b5\u03b7\u03bc"
        "\u0585\u057d\u0581\u0570\u0131",
        "abeekmhopctyxsiijhdqwagioavikptuxenuoughi",
        strict=True,
    )
)

#: Every value of the Unicode Script property but Common, Inherited and Unknown (ISO 15924
#: codes); tests/test_identity.py checks that every letter, mark and digit has one of these.
_CODES = """
    Latn Bopo Grek Copt Cyrl Armn Hebr Arab Syrc Thaa Nkoo Samr Mand Deva Beng Guru
    Gujr Orya Taml Telu Knda Mlym Sinh Thai Laoo Tibt Mymr Geor Hang Ethi Cher Cans
    Ogam Runr Tglg Hano Buhd Tagb Khmr Mong Limb Tale Talu Bugi Lana Bali Sund Batk
    Lepc Olck Brai Glag Tfng Hani Hira Kana Yiii Lisu Vaii Bamu Sylo Phag Saur Kali
    Rjng Java Cham Tavt Mtei Linb Lyci Cari Ital Goth Perm Ugar Xpeo Dsrt Shaw Osma
    Osge Elba Aghb Vith Todr Lina Cprt Armi Palm Nbat Hatr Phnx Lydi Sidt Mero Merc
    Khar Sarb Narb Mani Avst Prti Phli Phlp Orkh Hung Rohg Gara Yezi Sogo Sogd Ougr
    Chrs Elym Brah Kthi Sora Cakm Mahj Shrd Khoj Mult Sind Gran Tutg Newa Tirh Sidd
    Modi Takr Ahom Dogr Wara Diak Nand Zanb Soyo Pauc Sunu Bhks Marc Gonm Gong Tols
    Maka Kawi Xsux Pcun Cpmn Egyp Hluw Gukh Mroo Tnsa Bass Hmng Krai Medf Berf Miao
    Tang Nshu Kits Jurc Dupl Sgnw Hmnp Toto Wcho Nagm Onao Tayo Mend Adlm Seal Hrkt
"""
SCRIPTS = tuple(_CODES.split())
#: Scripts written together in one name (UTS #39, augmented script sets): Japanese,
#: Korean and Chinese with Bopomofo each count as one script.
_TOGETHER = ({"Hani", "Hira", "Kana", "Hrkt"}, {"Hani", "Hang"}, {"Hani", "Bopo"})


@cache
def _patterns() -> tuple[regex.Pattern[str], regex.Pattern[str]]:
    import regex

    ignorable = regex.compile(r"\p{Default_Ignorable_Code_Point}")
    scripts = regex.compile("|".join(rf"(?P<{s}>\p{{Script={s}}})" for s in SCRIPTS))
    return ignorable, scripts


def invisible(name: str) -> list[str]:
    """The default-ignorable code points in ``name`` (invisible when shown)."""
    return _patterns()[0].findall(name)


def normalise(name: str) -> str:
    """The form names are compared in: invisible characters dropped, NFKC, case-folded,
    surrounding white space removed."""
    ignorable = _patterns()[0]
    folded = unicodedata.normalize("NFKC", ignorable.sub("", name)).casefold()
    return ignorable.sub("", folded).strip()


def same(a: str, b: str) -> bool:
    return bool(normalise(a)) and normalise(a) == normalise(b)


def script(ch: str) -> str:
    """``ch``'s Unicode Script as an ISO 15924 code; "" for Common, Inherited, Unknown."""
    found = _patterns()[1].match(ch)
    return found.lastgroup or "" if found else ""


def _skeleton(name: str) -> str:
    return "".join(_TWINS.get(ch, ch) for ch in normalise(name))


def _point(ch: str) -> str:
    return f"U+{ord(ch):04X} ({unicodedata.name(ch, 'UNNAMED')})"


def mixed(name: str) -> str | None:
    """How ``name`` mixes scripts, naming the first letter of a second script; or None."""
    first: dict[str, str] = {}
    for ch in unicodedata.normalize("NFKC", name):
        code = script(ch)
        if code:
            first.setdefault(code, ch)
    codes = set(first)
    if len(codes) < 2 or any(codes <= together for together in _TOGETHER):
        return None
    (a, one), (b, other) = list(first.items())[:2]
    return f"it mixes scripts: {_point(other)} is {b}, {one!r} is {a}"


def lookalike(name: str, known: Iterable[str] = ()) -> str | None:
    """Why ``name`` imitates another identity or cannot be compared, or None."""
    hidden = invisible(name)
    if hidden:
        return f"it holds the invisible character {_point(hidden[0])}"
    norm = normalise(name)
    skeleton = _skeleton(name)
    target = next((k for k in known if _skeleton(k) == skeleton and normalise(k) != norm), None)
    twins = [ch for ch in norm if ch in _TWINS]
    if twins and target is not None:
        ch = twins[0]
        return f"{_point(ch)} looks like '{_TWINS[ch]}': '{name}' imitates '{target}'"
    return mixed(name)


__all__ = ["SCRIPTS", "invisible", "lookalike", "mixed", "normalise", "same", "script"]
