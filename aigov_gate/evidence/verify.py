"""Verify, inspect, decrypt and re-wrap evidence bundles.

``verify`` trusts nothing in the bundle: it reads the archive once with every header
checked before its data (``archive.read``), parses the DSSE envelope, finds the signing
key in the keyring by key id, checks the keyring against its audit log, checks the key
was valid when the bundle says it signed, checks the signature over PAE, and compares
every ``evidence/`` member with the Statement's subjects: none missing, none extra, every
sha256 equal. Each check is reported by name, so a failure says exactly what failed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from aigov_gate.errors import AigovError
from aigov_gate.evidence import archive, attested, audit, dsse, spelling
from aigov_gate.evidence.bundle import (
    ENVELOPE,
    NONCE,
    PREFIX,
    STATEMENT_TYPE,
    TAG,
    TIMESTAMP,
    WRAPPED,
)
from aigov_gate.evidence.keyring import Keyring, parse_stamp, valid_at
from aigov_gate.evidence.keys import verify_signature
from aigov_gate.loading.safe_json import JsonError, loads


@dataclass(slots=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(slots=True)
class Verification:
    path: Path
    checks: list[Check] = field(default_factory=list)
    statement: dict[str, Any] | None = None
    contents: archive.Contents | None = None

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def add(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append(Check(name, ok, detail))
        return ok

    @property
    def predicate(self) -> dict[str, Any]:
        """The signed predicate in the v1 spelling, whichever version the bundle has."""
        return spelling.predicate_of(self.statement or {})


def _keep(name: str) -> bool:
    return name in (ENVELOPE, WRAPPED, *attested.KEEP)


def open_envelope(contents: archive.Contents) -> tuple[dsse.Envelope, dict[str, Any]]:
    """The envelope and its Statement, parsed (not yet trusted)."""
    member = contents.members.get(ENVELOPE)
    if member is None or member.data is None:
        raise dsse.EnvelopeError(f"no {ENVELOPE} in the bundle")
    envelope = dsse.parse(member.data)
    try:
        statement = loads(envelope.payload, expect=dict)
    except JsonError as exc:
        raise dsse.EnvelopeError(
            f"the payload is not a JSON object ({exc.at('payload')})"
        ) from None
    return envelope, statement


def verify(
    path: Path,
    keyring: Keyring,
    limits: archive.ReadLimits | None = None,
    trust: tuple[str, ...] = (),
    tsa_roots: Callable[[], list[bytes]] = list,
) -> Verification:
    """Verify the bundle at ``path`` with ``keyring``.

    A keyring folder proves only what it says about itself: someone who can write the
    folder can write a new one. ``trust`` pins it to what the auditor knows out of band:
    an audit head (the SHA-256 of an audit line: the keyring's history must contain it,
    so it extends what was pinned) or a signing key id (at least 16 hex digits).
    """
    result = Verification(path)
    try:
        contents = archive.read(path, _keep, limits)
    except archive.HostileArchive as exc:
        result.add("archive", False, f"refused: {exc}")
        return result
    result.contents = contents
    result.add("archive", True, f"{len(contents.members)} members, all regular files")
    try:
        envelope, statement = open_envelope(contents)
    except dsse.EnvelopeError as exc:
        result.add("envelope", False, str(exc))
        return result
    result.statement = statement
    if not result.add(
        "statement",
        envelope.payload_type == dsse.PAYLOAD_TYPE
        and statement.get("_type") == STATEMENT_TYPE
        and statement.get("predicateType") in spelling.READ
        and isinstance(statement.get("subject"), list),
        f"payloadType {envelope.payload_type}, _type {statement.get('_type')}, "
        f"predicateType {statement.get('predicateType')}",
    ):
        return result
    problems = audit.problems(keyring)
    result.add(
        "keyring",
        not problems,
        "keyring.yaml, public keys and audit.jsonl agree"
        if not problems
        else "the keyring cannot be trusted: " + "; ".join(problems[:5]),
    )
    signer = _check_signature(result, envelope, keyring)
    _check_trust(result, keyring, trust, signer)
    _check_content(result, contents, statement, envelope, keyring, signer, tsa_roots)
    return result


def _check_content(
    result: Verification,
    contents: archive.Contents,
    statement: dict[str, Any],
    envelope: dsse.Envelope,
    keyring: Keyring,
    signer: str | None,
    tsa_roots: Callable[[], list[bytes]],
) -> None:
    """The members, then what v3 adds: named parts, the SVR, the timestamp."""
    _check_members(result, contents, statement)
    attested.check(result, statement, contents, envelope, keyring, signer, tsa_roots)


def _check_trust(
    result: Verification, keyring: Keyring, trust: tuple[str, ...], signer: str | None
) -> None:
    hashes = audit.hashes(keyring)
    head = hashes[-1] if hashes else "(empty)"
    if not trust:
        result.add(
            "trust",
            True,
            f"not pinned: trusted the keyring folder as given (audit head {head[:16]}, "
            f"{len(hashes)} entries); pin it with --trust {head[:16]}... from a copy you "
            "trust",
        )
        return
    for value in trust:
        pin = value.lower()
        if len(pin) == 64 and pin in hashes:
            at = hashes.index(pin) + 1
            result.add("trust", True, f"the audit log extends the pinned entry {at} ({pin[:16]})")
        elif len(pin) >= 16 and signer is not None and signer.startswith(pin):
            result.add("trust", True, f"signed by the pinned key {pin[:16]}")
        elif len(pin) == 64:
            result.add("trust", False, f"the audit log does not contain the pinned {pin[:16]}")
        else:
            result.add(
                "trust",
                False,
                f"the pin {value[:16]} is neither the signing key ({(signer or 'none')[:16]}) "
                "nor an audit entry (64 hex digits)",
            )


def _check_signature(result: Verification, envelope: dsse.Envelope, keyring: Keyring) -> str | None:
    """Adds the signature check; returns the id of the key that verified it."""
    signed_at_text = result.predicate.get("signed_at")
    try:
        signed_at = parse_stamp(str(signed_at_text))
    except ValueError:
        result.add("signature", False, f"the signing time {signed_at_text!r} is not a UTC time")
        return None
    reasons: list[str] = []
    for sig in envelope.signatures:
        entry = keyring.entry(sig.keyid)
        if entry is None:
            reasons.append(f"key {sig.keyid[:16]} is not in the keyring")
            continue
        try:
            public = keyring.public_key(entry)
        except AigovError as exc:
            reasons.append(exc.message)
            continue
        if not verify_signature(public, sig.sig, envelope.pae()):
            reasons.append(f"the signature by key {entry.id[:16]} does not verify")
            continue
        if entry.purpose != "signing":
            reasons.append(f"key {entry.id[:16]} is an {entry.purpose} key")
            continue
        invalid = valid_at(entry, signed_at)
        if invalid:
            reasons.append(f"key {entry.id[:16]} ({entry.status}): {invalid}")
            continue
        signer = result.predicate.get("signer")
        if isinstance(signer, dict) and signer.get("key_id") not in (None, entry.id):
            reasons.append("the predicate names another signing key")
            continue
        result.add(
            "signature",
            True,
            f"ECDSA/Ed25519 over PAE verified by key {entry.id[:16]} ({entry.algorithm}, "
            f"{entry.organization}, {entry.status}), signed at {signed_at_text}",
        )
        return entry.id
    result.add("signature", False, "; ".join(reasons) or "no signature")
    return None


def _check_members(
    result: Verification, contents: archive.Contents, statement: dict[str, Any]
) -> None:
    expected: dict[str, str] = {}
    for subject in statement.get("subject", []):
        try:
            expected[PREFIX + str(subject["name"])] = str(subject["digest"]["sha256"])
        except (KeyError, TypeError):
            result.add("subjects", False, f"malformed subject {subject!r}")
            return
    present = {n: m for n, m in contents.members.items() if n.startswith(PREFIX)}
    missing = sorted(set(expected) - set(present))
    extra = sorted(set(present) - set(expected))
    encrypted = result.predicate.get("encryption")
    allowed_top = {ENVELOPE} | ({WRAPPED} if encrypted else set())
    allowed_top |= {TIMESTAMP} if result.predicate.get("timestamp") else set()
    stray = sorted(n for n in contents.members if not n.startswith(PREFIX) and n not in allowed_top)
    changed = sorted(n for n in set(expected) & set(present) if present[n].sha256 != expected[n])
    problems = (
        [f"missing: {n}" for n in missing]
        + [f"not in the statement: {n}" for n in extra + stray]
        + [f"sha256 differs: {n}" for n in changed]
    )
    if encrypted and WRAPPED not in contents.members:
        problems.append(f"missing: {WRAPPED} (the bundle says members are encrypted)")
    result.add(
        "members",
        not problems,
        f"{len(expected)} subjects, every sha256 equal" if not problems else "; ".join(problems),
    )


# -- decrypting and re-wrapping --------------------------------------------------------


def each_member(path: Path) -> Iterator[tuple[tarfile.TarInfo, io.BufferedReader]]:
    """Members in archive order, as readers (call only after ``verify`` passed)."""
    with archive.open_checked(path) as tar:
        for info in tar:
            fh = tar.extractfile(info)
            assert fh is not None
            yield info, fh  # type: ignore[misc]
            tar.members.clear()  # type: ignore[attr-defined]


def data_key(
    verification: Verification,
    unwrap: Callable[[dict[str, Any]], bytes | None],
) -> bytes:
    """Unwrap the bundle's data key with the first wrapping ``unwrap`` can open."""
    encryption = verification.predicate.get("encryption")
    if not isinstance(encryption, dict):
        raise AigovError("the bundle has no encrypted members", hint="nothing to decrypt")
    assert verification.contents is not None
    member = verification.contents.members.get(WRAPPED)
    try:
        wrapped = loads(member.data or b"", expect=dict) if member else {}
        wrappings = list(wrapped.get("wrapped", []))
    except (JsonError, TypeError):
        raise AigovError(f"{WRAPPED} is not valid JSON", hint="the bundle was damaged") from None
    tried: list[str] = []
    for wrapping in wrappings:
        if not isinstance(wrapping, dict):
            continue
        try:
            key = unwrap(wrapping)
        except (ValueError, binascii.Error) as exc:
            tried.append(f"{str(wrapping.get('key_id'))[:16]}: {exc}")
            continue
        if key is None:
            tried.append(f"{str(wrapping.get('key_id'))[:16]}: no private key here")
            continue
        if hashlib.sha256(key).hexdigest() != encryption.get("data_key_sha256"):
            tried.append(f"{str(wrapping.get('key_id'))[:16]}: unwraps to another data key")
            continue
        return key
    raise AigovError(
        "cannot unwrap the bundle's data key",
        hint="; ".join(tried) or "no wrapped key in the bundle",
    )


def decrypt_to(verification: Verification, key: bytes, out: Path) -> list[str]:
    """Write every subject to ``out`` (decrypting ``.enc`` members); return what was written."""
    written: list[str] = []
    out.mkdir(parents=True, exist_ok=True)
    for info, fh in each_member(verification.path):
        name, size = info.name, info.size
        if not name.startswith(PREFIX):
            continue
        relative = name[len(PREFIX) :]
        encrypted = relative.endswith(".enc")
        target = out / (relative[: -len(".enc")] if encrypted else relative)
        assert target.resolve().is_relative_to(out.resolve())
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + ".part")
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as dst:
                if encrypted:
                    _decrypt_stream(fh, size, key, name, dst)
                else:
                    while chunk := fh.read(archive.CHUNK):
                        dst.write(chunk)
        except BaseException:
            part.unlink(missing_ok=True)  # no unauthenticated plaintext is left behind
            raise
        part.replace(target)
        written.append(str(PurePosixPath(target.relative_to(out))))
    return written


def _decrypt_stream(fh: io.BufferedReader, size: int, key: bytes, name: str, dst: Any) -> None:
    nonce = fh.read(NONCE)
    decryptor = Cipher(algorithms.AES(key), modes.GCM(nonce)).decryptor()
    decryptor.authenticate_additional_data(name.encode())
    remaining = size - NONCE - TAG
    while remaining > 0:
        chunk = fh.read(min(archive.CHUNK, remaining))
        if not chunk:
            break
        remaining -= len(chunk)
        dst.write(decryptor.update(chunk))
    tag = fh.read(TAG)
    try:
        dst.write(decryptor.finalize_with_tag(tag))
    except InvalidTag:
        raise AigovError(
            f"{name} does not decrypt (authentication failed)",
            hint="the data key does not belong to this bundle, or the member was changed",
        ) from None


def rewrap(verification: Verification, new_wrapped: bytes, out: Path) -> None:
    """Copy the bundle with ``wrapped-keys.json`` replaced; signed members stay byte-equal."""
    writer: archive.Writer | None = None
    try:
        for info, fh in each_member(verification.path):
            writer = writer or archive.Writer(out, int(info.mtime))
            if info.name != WRAPPED:
                writer.add(info.name, iter(partial(fh.read, archive.CHUNK), b""), info.size)
        assert writer is not None
        writer.add_bytes(WRAPPED, new_wrapped)
        writer.close()
    except BaseException:
        if writer is not None:
            writer.abort()
        raise


def wrapped_b64(wrapping: dict[str, Any]) -> bytes:
    return base64.b64decode(str(wrapping.get("wrapped_key", "")), validate=True)
