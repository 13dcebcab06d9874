"""DSSE envelopes (https://github.com/secure-systems-lab/dsse, protocol v1).

The signature is over PAE(payloadType, payload), computed on the exact payload bytes
that are base64-encoded into the envelope: nothing is re-serialized before verifying.

    >>> pae("application/vnd.in-toto+json", b"{}")
    b'DSSEv1 28 application/vnd.in-toto+json 2 {}'
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from aigov_gate.evidence.keys import Signer, key_id
from aigov_gate.loading.safe_json import JsonError, loads

PAYLOAD_TYPE = "application/vnd.in-toto+json"


def pae(payload_type: str, payload: bytes) -> bytes:
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload)


def sign(payload: bytes, signer: Signer, payload_type: str = PAYLOAD_TYPE) -> bytes:
    """The envelope as JSON bytes, with one signature whose keyid is the SPKI sha256."""
    envelope = {
        "payload": base64.b64encode(payload).decode("ascii"),
        "payloadType": payload_type,
        "signatures": [
            {
                "keyid": key_id(signer.public),
                "sig": base64.b64encode(signer.sign(pae(payload_type, payload))).decode("ascii"),
            }
        ],
    }
    return json.dumps(envelope, indent=2).encode() + b"\n"


@dataclass(frozen=True, slots=True)
class Signature:
    keyid: str
    sig: bytes


@dataclass(frozen=True, slots=True)
class Envelope:
    payload_type: str
    payload: bytes
    signatures: tuple[Signature, ...]

    def pae(self) -> bytes:
        return pae(self.payload_type, self.payload)


class EnvelopeError(ValueError):
    """The envelope is not DSSE JSON."""


def b64decode(text: str) -> bytes:
    """Standard or URL-safe base64, padded or not: DSSE verifiers must accept both.

    Anything outside the alphabets (or a mix of ``+/`` with ``-_``) is refused.
    """
    if not isinstance(text, str):
        raise TypeError("not a string")
    if ("-" in text or "_" in text) and ("+" in text or "/" in text):
        raise binascii.Error("mixes the standard and the URL-safe alphabet")
    padded = text + "=" * (-len(text) % 4)
    if "-" in text or "_" in text:
        return base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    return base64.b64decode(padded, validate=True)


def parse(data: bytes) -> Envelope:
    try:
        raw: Any = loads(data, expect=dict)
    except JsonError as exc:
        raise EnvelopeError(f"not a JSON object ({exc.at('envelope')})") from None
    payload_type, payload, signatures = (
        raw.get("payloadType"),
        raw.get("payload"),
        raw.get("signatures"),
    )
    if not isinstance(payload_type, str) or not isinstance(payload, str):
        raise EnvelopeError("payloadType and payload must be strings")
    if not isinstance(signatures, list) or not signatures:
        raise EnvelopeError("no signatures")
    try:
        body = b64decode(payload)
        sigs = tuple(
            Signature(str(s.get("keyid", "")), b64decode(s["sig"]))
            for s in signatures
            if isinstance(s, dict)
        )
    except (binascii.Error, KeyError, TypeError) as exc:
        raise EnvelopeError(f"bad base64 or signature entry ({exc})") from None
    return Envelope(payload_type, body, sigs)
