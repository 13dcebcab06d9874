"""Standard Webhooks signatures: ``v1,<base64 HMAC-SHA256 of id.timestamp.body>``.

A secret is ``whsec_`` + base64 of 24 to 64 random bytes. The env var a subscription
names may hold several secrets separated by spaces while one rotates: every message is
then signed with each, and the receiver accepts any signature that matches.

    >>> key = parse_secret("whsec_" + "QUJD" * 8, "EXAMPLE")
    >>> sign([key], "msg_1", 1700000000, b"{}")[:3]
    'v1,'
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Mapping

from aigov_gate.errors import UsageError

PREFIX = "whsec_"
MIN_BYTES = 24
MAX_BYTES = 64


def new_secret() -> str:
    """A fresh secret: ``whsec_`` + base64 of 32 random bytes."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def parse_secret(text: str, source: str) -> bytes:
    """The key bytes of a ``whsec_`` secret; the error names ``source``, never the value."""
    hint = f"set {source} to a secret made by `aigov webhooks new-secret` (whsec_<base64>)"
    if not text.startswith(PREFIX):
        raise UsageError(f"{source} does not hold a whsec_ secret", hint=hint)
    try:
        key = base64.b64decode(text[len(PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise UsageError(f"{source}: the secret after whsec_ is not base64", hint=hint) from None
    if not MIN_BYTES <= len(key) <= MAX_BYTES:
        raise UsageError(
            f"{source}: the secret is {len(key)} bytes; Standard Webhooks needs "
            f"{MIN_BYTES} to {MAX_BYTES}",
            hint=hint,
        )
    return key


def secrets_from_env(name: str, env: Mapping[str, str]) -> list[bytes]:
    """The keys in env var ``name`` (current first); a UsageError if unset or malformed."""
    raw = env.get(name, "").split()
    if not raw:
        raise UsageError(
            f"the webhook secret env var {name} is not set",
            hint=f"export {name}=whsec_... (the secret the receiver verifies with; "
            "`aigov webhooks new-secret` makes one)",
        )
    return [parse_secret(text, name) for text in raw]


def sign(keys: list[bytes], msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header: one ``v1,`` signature per key, space-separated."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return " ".join(
        "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode("ascii")
        for key in keys
    )


def headers(keys: list[bytes], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers of one attempt."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(keys, msg_id, timestamp, body),
    }
