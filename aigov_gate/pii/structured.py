"""Masking that keeps a structured output valid.

Text masking replaces a span of characters. In a JSON document that can break what the
document means: ``"\\u00e9mile@example.fr"`` is an escape followed by an address, and the
address without its escape's tail would leave ``"\\[redacted:email]"``, which is not JSON;
an identifier the tool generated (an OSCAL ``uuid``, a SARIF fingerprint) must never
change, whatever it looks like. So a JSON document in which the text scan finds something
is masked value by value: every string (keys too), never the value of a key that
holds a generated identifier (:data:`IDENTIFIER_KEYS`), and written back in its own layout
(indent, ASCII escapes, trailing newline). A document in which nothing is found is
returned as it came, byte for byte.

XML (JUnit) and plain text are masked as text: no detector matches ``<``, ``>``, ``&``,
``"`` or ``'``, so a replacement never crosses markup or an entity.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

#: Keys whose values a machine generates: never personal data, never rewritten. (A key id
#: or a signer is not here: an SSH signer's identity is often an e-mail address.)
IDENTIFIER_KEYS = frozenset(
    {
        "uuid",
        "guid",
        "correlationGuid",
        "fingerprints",
        "partialFingerprints",
        "digest",
        "sha256",
        "sha1",
        "checksum",
    }
)
_INDENT = re.compile(r"\n( +)\S")


def _identifier(key: str) -> bool:
    return key in IDENTIFIER_KEYS or key.endswith(("-uuid", "_uuid"))


def _walk(value: Any, mask: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {mask(k): v if _identifier(k) else _walk(v, mask) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, mask) for v in value]
    return value


def _json(text: str, mask: Callable[[str], str]) -> str | None:
    """``text`` masked as JSON, or None when it is not a JSON document."""
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    masked = _walk(parsed, mask)
    if masked == parsed:
        return text
    indent = _INDENT.search(text)
    ascii_only = text.isascii() and "\\u" in text
    dumped = json.dumps(
        masked,
        indent=len(indent.group(1)) if indent else None,
        ensure_ascii=ascii_only,
        separators=("," if indent or ", " not in text else ", ", ": " if ": " in text else ":"),
    )
    trailing = text[len(text.rstrip()) :]
    return dumped + trailing


def mask_output(text: str, mask: Callable[[str], str]) -> str:
    """``mask(text)``, except that a JSON document stays the same JSON document with its
    string values masked (module docstring)."""
    masked = mask(text)
    if masked == text:
        return text
    head = text.lstrip()[:1]
    if head in ("{", "["):
        as_json = _json(text, mask)
        if as_json is not None:
            return as_json
    return masked
