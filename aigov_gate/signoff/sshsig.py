"""SSH signatures (the ``ssh-keygen -Y sign`` format Git signs commits with), verified here.

An approver signs an approval *statement* (:func:`statement`) with their own SSH key;
the gate checks the signature against the keys an allowed-signers file lists for that
person (``ssh-keygen(1)``, "ALLOWED SIGNERS"), read from the base revision. Formats:
OpenSSH's PROTOCOL.sshsig; keys: Ed25519, ECDSA (P-256/384/521), RSA (rsa-sha2-256/512).

    >>> parse_allowed_signers('miguel namespaces="aigov-approval" ssh-ed25519 AAAA x').problems
    ['line 1: the key does not parse (ssh-ed25519)']
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import hashlib
import re
from dataclasses import dataclass, field
from datetime import date

from aigov_gate.identity import normalise

NAMESPACE = "aigov-approval"
_MAGIC = b"SSHSIG"
_ARMOR = re.compile(
    r"-----BEGIN SSH SIGNATURE-----\s*(?P<body>[A-Za-z0-9+/=\s]+?)\s*-----END SSH SIGNATURE-----"
)
_KEY_TYPES: tuple[str, ...] = (
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-rsa",
)


class SignatureError(ValueError):
    """Why a signature does not verify (a sentence for a report)."""


class AnotherPersonsKey(SignatureError):
    """The key is listed, but for someone else: a signature with it never counts for ``who``."""


def statement(
    kind: str, organization: str, name: str, digest: str, approver: str, role: str, day: date
) -> bytes:
    """The bytes an approver signs: what they approve, as whom, in which role, when."""
    lines = (
        "aigov-approval v1",
        f"kind: {kind}",
        f"organization: {organization}",
        f"name: {name}",
        f"digest: {digest}",
        f"approver: {normalise(approver)}",
        f"role: {role}",
        f"date: {day.isoformat()}",
    )
    return ("\n".join(lines) + "\n").encode("utf-8")


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def take(self, n: int) -> bytes:
        if self.at + n > len(self.data):
            raise SignatureError("the signature is truncated")
        out = self.data[self.at : self.at + n]
        self.at += n
        return out

    def uint32(self) -> int:
        return int.from_bytes(self.take(4), "big")

    def string(self) -> bytes:
        return self.take(self.uint32())

    def done(self) -> bool:
        return self.at == len(self.data)


def _string(b: bytes) -> bytes:
    return len(b).to_bytes(4, "big") + b


@dataclass(frozen=True, slots=True)
class Signature:
    public_key: bytes  # the SSH wire-format key blob
    namespace: str
    hash_algorithm: str
    algorithm: str
    signature: bytes

    @property
    def key_type(self) -> str:
        return _Reader(self.public_key).string().decode("ascii", "replace")

    @property
    def fingerprint(self) -> str:
        digest = base64.b64encode(hashlib.sha256(self.public_key).digest()).decode()
        return "SHA256:" + digest.rstrip("=")


def parse_signature(armored: str) -> Signature:
    match = _ARMOR.search(armored)
    if match is None:
        raise SignatureError("not an SSH signature (-----BEGIN SSH SIGNATURE----- ...)")
    try:
        blob = base64.b64decode("".join(match["body"].split()), validate=True)
    except binascii.Error:
        raise SignatureError("the SSH signature is not valid base64") from None
    r = _Reader(blob)
    if r.take(6) != _MAGIC or r.uint32() != 1:
        raise SignatureError("not an SSHSIG version 1 signature")
    key = r.string()
    namespace = r.string().decode("utf-8", "replace")
    r.string()  # reserved
    hash_algorithm = r.string().decode("ascii", "replace")
    inner = _Reader(r.string())
    if not r.done():
        raise SignatureError("trailing bytes after the signature")
    algorithm = inner.string().decode("ascii", "replace")
    raw = inner.string()
    return Signature(key, namespace, hash_algorithm, algorithm, raw)


def _signed_data(sig: Signature, message: bytes) -> bytes:
    hashes = {"sha256": hashlib.sha256, "sha512": hashlib.sha512}
    if sig.hash_algorithm not in hashes:
        raise SignatureError(f"unsupported hash algorithm {sig.hash_algorithm!r}")
    digest = hashes[sig.hash_algorithm](message).digest()
    return (
        _MAGIC
        + _string(sig.namespace.encode())
        + _string(b"")
        + _string(sig.hash_algorithm.encode())
        + _string(digest)
    )


def _check(sig: Signature, data: bytes) -> None:
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils

    line = f"{sig.key_type} {base64.b64encode(sig.public_key).decode()}".encode()
    try:
        key = serialization.load_ssh_public_key(line)
    except (ValueError, UnsupportedAlgorithm):
        raise SignatureError(f"the signing key does not parse ({sig.key_type})") from None
    try:
        if isinstance(key, ed25519.Ed25519PublicKey) and sig.algorithm == "ssh-ed25519":
            key.verify(sig.signature, data)
        elif isinstance(key, ec.EllipticCurvePublicKey) and sig.algorithm == sig.key_type:
            size = key.curve.key_size
            chosen = hashes.SHA256() if size <= 256 else hashes.SHA384() if size <= 384 else None
            r = _Reader(sig.signature)
            rs = int.from_bytes(r.string(), "big"), int.from_bytes(r.string(), "big")
            der = utils.encode_dss_signature(*rs)
            key.verify(der, data, ec.ECDSA(chosen or hashes.SHA512()))
        elif isinstance(key, rsa.RSAPublicKey) and sig.algorithm in (
            "rsa-sha2-256",
            "rsa-sha2-512",
        ):
            chosen_rsa = hashes.SHA256() if sig.algorithm == "rsa-sha2-256" else hashes.SHA512()
            key.verify(sig.signature, data, padding.PKCS1v15(), chosen_rsa)
        else:
            raise SignatureError(
                f"signature algorithm {sig.algorithm} is not accepted for a {sig.key_type} key"
            )
    except InvalidSignature:
        raise SignatureError("the signature does not match the statement") from None


@dataclass(frozen=True, slots=True)
class AllowedSigner:
    principals: tuple[str, ...]
    key: bytes
    namespaces: tuple[str, ...] = ()
    valid_after: date | None = None
    valid_before: date | None = None
    line: int = 0

    def names(self, who: str) -> bool:
        norm = normalise(who)
        hit = False
        for pattern in self.principals:
            negated = pattern.startswith("!")
            if fnmatch.fnmatchcase(norm, normalise(pattern.removeprefix("!"))):
                if negated:
                    return False
                hit = True
        return hit


@dataclass
class AllowedSigners:
    signers: list[AllowedSigner] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    source: str = ""

    def verify(self, armored: str, message: bytes, who: str, day: date) -> Signature:
        """The signature, if ``who``'s listed key made it over ``message``; else raises."""
        sig = parse_signature(armored)
        if sig.namespace != NAMESPACE:
            raise SignatureError(
                f"signed for namespace {sig.namespace!r}, not {NAMESPACE!r}: not an approval"
            )
        listed = [s for s in self.signers if s.key == sig.public_key]
        if not listed:
            raise SignatureError(
                f"signed with key {sig.fingerprint}, which {self.source or 'allowed_signers'} "
                "does not list"
            )
        mine = [s for s in listed if s.names(who)]
        if not mine:
            raise AnotherPersonsKey(
                f"key {sig.fingerprint} is not listed for {normalise(who)} in "
                f"{self.source or 'allowed_signers'}"
            )
        usable = [s for s in mine if _in_force(s, day)]
        if not usable:
            raise SignatureError(f"key {sig.fingerprint} was not valid on {day.isoformat()}")
        if not any(_namespace_ok(s) for s in usable):
            raise SignatureError(f"key {sig.fingerprint} may not sign the {NAMESPACE} namespace")
        _check(sig, _signed_data(sig, message))
        return sig


def _in_force(s: AllowedSigner, day: date) -> bool:
    return (s.valid_after is None or day >= s.valid_after) and (
        s.valid_before is None or day < s.valid_before
    )


def _namespace_ok(s: AllowedSigner) -> bool:
    return not s.namespaces or any(fnmatch.fnmatchcase(NAMESPACE, n) for n in s.namespaces)


_OPTION = re.compile(r'([A-Za-z-]+)(?:="((?:[^"\\]|\\.)*)")?')


def _split_options(text: str) -> tuple[str, str]:
    """``(options, rest)``: the options field ends at the first blank outside quotes."""
    quoted = False
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif ch in " \t" and not quoted:
            return text[:i], text[i:].lstrip()
    return text, ""


def _day(value: str) -> date:
    digits = value.rstrip("Zz")
    if len(digits) < 8 or not digits[:8].isdigit():
        raise ValueError(value)
    return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))


def parse_allowed_signers(text: str, source: str = "") -> AllowedSigners:
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    out = AllowedSigners(source=source)
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        principals, _, rest = line.partition(" ")
        rest = rest.lstrip()
        options: dict[str, str] = {}
        if not rest.startswith(_KEY_TYPES):
            opts, rest = _split_options(rest)
            for m in _OPTION.finditer(opts):
                options[m[1].lower()] = m[2] or ""
        fields = rest.split()
        if len(fields) < 2 or fields[0] not in _KEY_TYPES:
            out.problems.append(f"line {number}: expected 'principals [options] keytype key'")
            continue
        if "cert-authority" in options:
            out.problems.append(f"line {number}: cert-authority keys are not supported")
            continue
        try:
            serialization.load_ssh_public_key(f"{fields[0]} {fields[1]}".encode())
            blob = base64.b64decode(fields[1], validate=True)
        except (ValueError, UnsupportedAlgorithm, binascii.Error):
            out.problems.append(f"line {number}: the key does not parse ({fields[0]})")
            continue
        try:
            after = _day(options["valid-after"]) if "valid-after" in options else None
            before = _day(options["valid-before"]) if "valid-before" in options else None
        except ValueError:
            out.problems.append(f"line {number}: valid-after/valid-before is not YYYYMMDD")
            continue
        names = tuple(n for n in principals.strip('"').split(",") if n)
        spaces = tuple(n for n in options.get("namespaces", "").split(",") if n)
        out.signers.append(AllowedSigner(names, blob, spaces, after, before, number))
    return out


__all__ = [
    "NAMESPACE",
    "AllowedSigners",
    "Signature",
    "SignatureError",
    "parse_allowed_signers",
    "parse_signature",
    "statement",
]
