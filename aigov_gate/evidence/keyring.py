"""The keyring in Git: public keys, their status history, and a hash-chained audit log.

``.aigov/keys/keyring.yaml`` lists every key ever used, per organization and purpose
(signing, encryption); ``<org>/<key id>.pem`` holds each public key; ``audit.jsonl`` has
one line per key operation, each carrying the SHA-256 of the line before it. The keyring
records the number of audit entries and the hash of the last one, so deleting, editing
or reordering lines, or editing the keyring by hand, shows in ``aigov keys audit --verify``
(which also replays the log and compares the result with the keyring).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError

from aigov_gate.config import AigovConfig, KeySource
from aigov_gate.documents.base import Name, Strict
from aigov_gate.errors import AigovError
from aigov_gate.evidence.audit import AUDIT_FILE, GENESIS, actor
from aigov_gate.evidence.keys import (
    ENCRYPTION_ALGORITHM,
    KeyError_,
    PublicKey,
    algorithm_of,
    generate,
    key_id,
    load_public,
    private_dir,
    public_pem,
    write_private,
)
from aigov_gate.loading.safe_yaml import Limits, locate, parse_text

KEYRING_FILE = "keyring.yaml"
Purpose = Literal["signing", "encryption", "executor"]
#: ``executor``: signs the attestation of each run ``aigov test run`` made (docs/testing.md).
PURPOSES: tuple[Purpose, ...] = ("signing", "encryption", "executor")
Status = Literal["active", "retired", "revoked"]
_HEADER = (
    "# Managed by `aigov keys`: every change is also in audit.jsonl, and\n"
    "# `aigov keys audit --verify` reports any edit made by hand.\n"
)


class KeyringError(AigovError):
    """The keyring or its audit log is missing, malformed, or does not add up."""


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_stamp(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


_SOURCES: dict[str, str] = {"signing": "signer", "encryption": "encryption", "executor": "executor"}


def _source_of(config: AigovConfig, purpose: Purpose) -> KeySource:
    """Where keys of ``purpose`` live: ``keys.signer``, ``keys.encryption``, ``keys.executor``."""
    source: KeySource = getattr(config.keys, _SOURCES[purpose])
    return source


class KeyEntry(Strict):
    id: str = Field(pattern=r"^[0-9a-f]{64}$")
    organization: Name
    purpose: Purpose
    algorithm: str
    provider: str = "local"
    reference: str | None = Field(default=None, description="The KMS key, for KMS keys.")
    public_key: str
    status: Status
    created: str
    not_after: str = Field(description="When rotation is due.")
    retired: str | None = None
    revoked: str | None = None
    compromised_since: str | None = None
    reason: str | None = None


class AuditHead(Strict):
    entries: int = Field(ge=0)
    head: str = Field(pattern=r"^[0-9a-f]{64}$")


class KeyringFile(Strict):
    apiVersion: Literal["aigov/v1"] = "aigov/v1"
    kind: Literal["Keyring"] = "Keyring"
    audit: AuditHead = Field(default_factory=lambda: AuditHead(entries=0, head=GENESIS))
    keys: list[KeyEntry] = Field(default_factory=list)


def valid_at(entry: KeyEntry, signed_at: datetime) -> str | None:
    """Why ``entry`` cannot vouch for a signature made at ``signed_at`` (None if it can)."""
    if signed_at < parse_stamp(entry.created):
        return f"the bundle says it was signed at {stamp(signed_at)}, before the key existed"
    if entry.status == "revoked":
        since = parse_stamp(entry.compromised_since or entry.revoked or entry.created)
        if signed_at >= since:
            return (
                f"the key was revoked on {entry.revoked} ({entry.reason}); nothing signed "
                f"from {stamp(since)} on verifies"
            )
    if entry.retired is not None and signed_at >= parse_stamp(entry.retired):
        return f"the key was retired on {entry.retired} and signed this afterwards"
    return None


@dataclass(slots=True)
class Keyring:
    """A keyring folder; every change is written to both files before returning."""

    dir: Path
    data: KeyringFile = field(default_factory=KeyringFile)
    #: How messages name the folder when ``dir`` is a copy (``REF:.aigov/keys``).
    shown: str = ""

    @classmethod
    def load(cls, path: Path, *, missing_ok: bool = False) -> Keyring:
        folder = path.parent if path.name == KEYRING_FILE else path
        file = folder / KEYRING_FILE
        try:
            text = file.read_text(encoding="utf-8")
        except FileNotFoundError:
            if missing_ok:
                return cls(folder)
            raise KeyringError(
                f"no keyring at {file}",
                hint="create one with `aigov keys generate`, or pass --keyring DIR",
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise KeyringError(f"cannot read {file}: {exc}") from None
        parsed = parse_text(text, Limits())
        if parsed.problems:
            p = parsed.problems[0]
            raise KeyringError(p.message, where=f"{file}:{p.line}:{p.column}", hint=p.hint)
        raw = parsed.documents[0] if parsed.documents else {}
        try:
            data = KeyringFile.model_validate(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            line, column = locate(text, 0, tuple(err["loc"]))
            raise KeyringError(
                f"invalid keyring: {'.'.join(map(str, err['loc']))}: {err['msg']}",
                where=f"{file}:{line}:{column}",
                hint="restore keyring.yaml from Git; it is written by `aigov keys`",
            ) from None
        return cls(folder, data)

    # -- reading ---------------------------------------------------------------------

    def entry(self, kid: str) -> KeyEntry | None:
        return next((k for k in self.data.keys if k.id == kid), None)

    def active(self, organization: str, purpose: Purpose) -> KeyEntry | None:
        return next(
            (
                k
                for k in self.data.keys
                if k.organization == organization and k.purpose == purpose and k.status == "active"
            ),
            None,
        )

    def organizations(self) -> list[str]:
        return sorted({k.organization for k in self.data.keys})

    def public_key(self, entry: KeyEntry) -> PublicKey:
        path = self.dir / entry.public_key
        try:
            data = path.read_bytes()
        except OSError:
            raise KeyringError(
                f"public key file {path} is missing",
                hint="restore it from Git (keyring.yaml names it)",
            ) from None
        public = load_public(data, str(path))
        if key_id(public) != entry.id:
            raise KeyringError(
                f"{path} does not hold key {entry.id[:16]} (its sha256 of the DER "
                f"SubjectPublicKeyInfo is {key_id(public)[:16]})",
                hint="the public key file was replaced: restore it from Git",
            )
        return public

    # -- writing (rotation and revocation: evidence/rotation.py) ------------------

    @property
    def audit_path(self) -> Path:
        return self.dir / AUDIT_FILE

    def append(self, operation: str, details: dict[str, Any], moment: datetime) -> None:
        entry = {
            "seq": self.data.audit.entries + 1,
            "time": stamp(moment),
            "actor": actor(),
            "operation": operation,
            **details,
            "prev": self.data.audit.head,
        }
        line = json.dumps(entry, sort_keys=True, separators=(",", ":")) + "\n"
        self.dir.mkdir(parents=True, exist_ok=True)
        with self.audit_path.open("a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
        head = hashlib.sha256(line.encode()).hexdigest()
        self.data = self.data.model_copy(
            update={"audit": AuditHead(entries=entry["seq"], head=head)}
        )

    def save(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        body = yaml.safe_dump(self.data.model_dump(mode="json"), sort_keys=False)
        tmp = self.dir / (KEYRING_FILE + ".tmp")
        tmp.write_text(_HEADER + body, encoding="utf-8")
        tmp.replace(self.dir / KEYRING_FILE)

    def replace(self, entry: KeyEntry) -> None:
        keys = [entry if k.id == entry.id else k for k in self.data.keys]
        if entry.id not in {k.id for k in self.data.keys}:
            keys.append(entry)
        self.data = self.data.model_copy(update={"keys": keys})

    # -- operations ------------------------------------------------------------------

    def add(
        self,
        organization: str,
        purpose: Purpose,
        config: AigovConfig,
        moment: datetime,
        passphrase: str | None = None,
        operation: str = "generate",
    ) -> KeyEntry:
        """A new active key: generated locally (private half outside Git) or read from KMS."""
        source = _source_of(config, purpose)
        existing = self.active(organization, purpose)
        if existing is not None and operation == "generate":
            raise KeyringError(
                f"{organization} already has an active {purpose} key ({existing.id[:16]})",
                hint="use `aigov keys rotate --force` to replace it",
            )
        public, private_path = self._new_public(source, purpose, config, passphrase)
        kid = key_id(public)
        if self.entry(kid) is not None:
            raise KeyringError(
                f"key {kid[:16]} is already in the keyring",
                hint="a KMS key can be registered once: create a new key version and set "
                f"keys.{_SOURCES[purpose]}.key to it",
            )
        rel = f"{organization}/{kid}.pem"
        pem_path = self.dir / rel
        pem_path.parent.mkdir(parents=True, exist_ok=True)
        pem_path.write_bytes(public_pem(public))
        entry = KeyEntry(
            id=kid,
            organization=organization,
            purpose=purpose,
            algorithm=algorithm_of(public),
            provider=source.provider,
            reference=source.key,
            public_key=rel,
            status="active",
            created=stamp(moment),
            not_after=stamp(moment + timedelta(days=config.keys.rotation_days)),
        )
        self.replace(entry)
        details: dict[str, Any] = {
            "organization": organization,
            "purpose": purpose,
            "key_id": kid,
            "algorithm": entry.algorithm,
            "provider": entry.provider,
            "public_key_sha256": hashlib.sha256(pem_path.read_bytes()).hexdigest(),
        }
        if private_path is not None:
            details["private_key"] = "outside the repository"
        self.append(operation, details, moment)
        self.save()
        return entry

    def _new_public(
        self, source: KeySource, purpose: Purpose, config: AigovConfig, passphrase: str | None
    ) -> tuple[PublicKey, Path | None]:
        if source.provider != "local":
            from aigov_gate.evidence.kms import kms_public_key

            return kms_public_key(source, purpose), None
        algorithm = ENCRYPTION_ALGORITHM if purpose == "encryption" else config.keys.algorithm
        private = generate(algorithm)
        kid = key_id(private.public_key())
        path = private_dir(config.keys) / f"{kid}.pem"
        try:
            write_private(private, path, passphrase)
        except OSError as exc:
            raise KeyError_(
                f"cannot write the private key to {path}: {exc.strerror}",
                hint="set keys.private_key_dir or AIGOV_PRIVATE_KEY_DIR to a private folder",
            ) from None
        return private.public_key(), path
