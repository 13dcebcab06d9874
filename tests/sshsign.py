"""Test signers: real Ed25519 keys that sign in the ``ssh-keygen -Y sign`` format.

Each person's key is derived from their name, so the allowed-signers file the test repos
carry is the same in every run. test_approvals.py checks that these signatures verify with
the real ``ssh-keygen -Y verify`` and that ``ssh-keygen -Y sign`` output verifies here.
"""

from __future__ import annotations

import base64
import hashlib
import textwrap
from datetime import date

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from aigov_gate.signoff.sshsig import NAMESPACE, statement

PEOPLE = ("miguel", "sam", "dana", "lena", "rita", "tess")


def _string(b: bytes) -> bytes:
    return len(b).to_bytes(4, "big") + b


def key(person: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(person.encode()).digest())


def public_line(person: str) -> str:
    """``ssh-ed25519 AAAA...`` of ``person``'s key."""
    raw = key(person).public_key().public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH)
    return raw.decode()


def allowed_signers(people: tuple[str, ...] = PEOPLE) -> str:
    return "".join(f'{p} namespaces="{NAMESPACE}" {public_line(p)}\n' for p in people)


def sign(message: bytes, person: str, namespace: str = NAMESPACE) -> str:
    """An armored SSH signature of ``message`` by ``person``'s key."""
    private = key(person)
    pub = base64.b64decode(public_line(person).split()[1])
    digest = hashlib.sha512(message).digest()
    ns = namespace.encode()
    signed = b"SSHSIG" + _string(ns) + _string(b"") + _string(b"sha512") + _string(digest)
    sig = _string(b"ssh-ed25519") + _string(private.sign(signed))
    blob = (
        b"SSHSIG"
        + (1).to_bytes(4, "big")
        + _string(pub)
        + _string(ns)
        + _string(b"")
        + _string(b"sha512")
        + _string(sig)
    )
    body = "\n".join(textwrap.wrap(base64.b64encode(blob).decode(), 70))
    return f"-----BEGIN SSH SIGNATURE-----\n{body}\n-----END SSH SIGNATURE-----\n"


def approval_signature(
    kind: str, organization: str, name: str, digest: str, approver: str, role: str, day: date
) -> str:
    message = statement(kind, organization, name, digest, approver, role, day)
    return sign(message, approver)
