"""People's names as the gate compares them: normalised, and refused when they imitate.

Every comparison of identities (assessor, approver, pull-request author, role member)
goes through :func:`same`: NFKC, case folding and trimming make ``"Dana.K "`` and
``"dana.k"`` one person. :func:`lookalike` finds names that would otherwise pass as
someone else: letters from more than one script (``dana.k`` with a Cyrillic a, U+0430), or a
name whose look-alike skeleton equals another known name's.

    >>> normalise("  Dana.K ")
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


def normalise(name: str) -> str:
    """The form names are compared in: NFKC, case-folded, surrounding white space removed."""
    return unicodedata.normalize("NFKC", name).casefold().strip()


def same(a: str, b: str) -> bool:
    return bool(a.strip()) and normalise(a) == normalise(b)


def _script(ch: str) -> str:
    if not ch.isalpha():
        return ""
    return unicodedata.name(ch, "UNKNOWN").split(" ", 1)[0]


def _skeleton(name: str) -> str:
    return "".join(_TWINS.get(ch, ch) for ch in normalise(name))


def lookalike(name: str, known: Iterable[str] = ()) -> str | None:
    """Why ``name`` imitates another identity, or None when it does not."""
    norm = normalise(name)
    scripts = {_script(ch) for ch in norm} - {""}
    twins = [ch for ch in norm if ch in _TWINS]
    skeleton = _skeleton(name)
    target = next((k for k in known if _skeleton(k) == skeleton and normalise(k) != norm), None)
    if not twins or (len(scripts) < 2 and target is None):
        return None
    ch = twins[0]
    text = f"'{ch}' ({unicodedata.name(ch, 'UNKNOWN')}) looks like '{_TWINS[ch]}'"
    if target is not None:
        return f"{text}: '{name}' imitates '{target}'"
    return f"{text}: '{name}' mixes scripts ({', '.join(sorted(scripts))})"


__all__ = ["lookalike", "normalise", "same"]
