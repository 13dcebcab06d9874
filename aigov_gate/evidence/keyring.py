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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError

from aigov_gate.config import AigovConfig, KeySource
from aigov_gate.documents.base import Name, Strict
from aigov_gate.errors import AigovError
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
AUDIT_FILE = "audit.jsonl"
GENESIS = "0" * 64
Purpose = Literal["signing", "encryption"]
PURPOSES: tuple[Purpose, ...] = ("signing", "encryption")
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
class Planned:
    """One change `aigov keys rotate` makes (or would make, with --dry-run)."""

    organization: str
    purpose: Purpose
    old: KeyEntry
    reason: str


def actor(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    for var in ("GITHUB_ACTOR", "GITLAB_USER_LOGIN", "USER", "USERNAME"):
        if env.get(var):
            return env[var]
    return "unknown"


@dataclass(slots=True)
class Keyring:
    """A keyring folder; every change is written to both files before returning."""

    dir: Path
    data: KeyringFile = field(default_factory=KeyringFile)

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

    # -- audit log -------------------------------------------------------------------

    @property
    def audit_path(self) -> Path:
        return self.dir / AUDIT_FILE

    def _append(self, operation: str, details: dict[str, Any], moment: datetime) -> None:
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

    def _save(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        body = yaml.safe_dump(self.data.model_dump(mode="json"), sort_keys=False)
        tmp = self.dir / (KEYRING_FILE + ".tmp")
        tmp.write_text(_HEADER + body, encoding="utf-8")
        tmp.replace(self.dir / KEYRING_FILE)

    def _replace(self, entry: KeyEntry) -> None:
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
        source = config.keys.signer if purpose == "signing" else config.keys.encryption
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
                f"keys.{'signer' if purpose == 'signing' else 'encryption'}.key to it",
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
        self._replace(entry)
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
        self._append(operation, details, moment)
        self._save()
        return entry

    def _new_public(
        self, source: KeySource, purpose: Purpose, config: AigovConfig, passphrase: str | None
    ) -> tuple[PublicKey, Path | None]:
        if source.provider != "local":
            from aigov_gate.evidence.kms import kms_public_key

            return kms_public_key(source, purpose), None
        algorithm = config.keys.algorithm if purpose == "signing" else ENCRYPTION_ALGORITHM
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

    def due(
        self, organizations: list[str], moment: datetime, force: bool, rotation_days: int
    ) -> list[Planned]:
        """Active keys whose rotation is due at ``moment`` (created + rotation_days), or all."""
        plan: list[Planned] = []
        for org in organizations:
            for purpose in PURPOSES:
                current = self.active(org, purpose)
                if current is None:
                    continue
                due_at = parse_stamp(current.created) + timedelta(days=rotation_days)
                overdue = moment >= due_at
                if overdue or force:
                    why = f"due since {stamp(due_at)}" if overdue else "forced"
                    plan.append(Planned(org, purpose, current, why))
        return plan

    def rotate(
        self, planned: Planned, config: AigovConfig, moment: datetime, passphrase: str | None
    ) -> KeyEntry:
        """Publish a new key, then retire the old one (kept: it verifies what it signed)."""
        old = planned.old
        new = self.add(
            planned.organization,
            planned.purpose,
            config,
            moment,
            passphrase,
            operation="rotate.publish",
        )
        retired = old.model_copy(update={"status": "retired", "retired": stamp(moment)})
        self._replace(retired)
        self._append(
            "rotate.retire",
            {
                "organization": old.organization,
                "purpose": old.purpose,
                "key_id": old.id,
                "replaced_by": new.id,
                "reason": planned.reason,
            },
            moment,
        )
        self._save()
        return new

    def revoke(
        self, kid: str, reason: str, moment: datetime, compromised_since: datetime | None
    ) -> KeyEntry:
        entry = self.entry(kid) or self._by_prefix(kid)
        if entry.status == "revoked":
            return self._tighten(entry, reason, moment, compromised_since)
        since = compromised_since or moment
        revoked = entry.model_copy(
            update={
                "status": "revoked",
                "revoked": stamp(moment),
                "compromised_since": stamp(since),
                "reason": reason,
            }
        )
        return self._record_revocation("revoke", revoked, reason, since, moment)

    def _record_revocation(
        self, operation: str, entry: KeyEntry, reason: str, since: datetime, moment: datetime
    ) -> KeyEntry:
        self._replace(entry)
        self._append(
            operation,
            {
                "organization": entry.organization,
                "purpose": entry.purpose,
                "key_id": entry.id,
                "reason": reason,
                "compromised_since": stamp(since),
            },
            moment,
        )
        self._save()
        return entry

    def _tighten(
        self, entry: KeyEntry, reason: str, moment: datetime, since: datetime | None
    ) -> KeyEntry:
        """Move a revoked key's compromised_since earlier (never later), audited."""
        current = parse_stamp(entry.compromised_since) if entry.compromised_since else None
        if since is None or current is None or since >= current:
            raise KeyringError(
                f"key {entry.id[:16]} is already revoked ({entry.reason}), compromised since "
                f"{entry.compromised_since}",
                hint="--compromised-since can only move earlier on a revoked key (tighten, "
                "never loosen)",
            )
        tightened = entry.model_copy(update={"compromised_since": stamp(since), "reason": reason})
        return self._record_revocation("revoke.tighten", tightened, reason, since, moment)

    def _by_prefix(self, prefix: str) -> KeyEntry:
        found = [k for k in self.data.keys if k.id.startswith(prefix.lower())] if prefix else []
        if len(found) != 1:
            known = ", ".join(k.id[:16] for k in self.data.keys) or "none"
            raise KeyringError(
                f"no key {'uniquely ' if found else ''}matches '{prefix}'",
                hint=f"keys in the keyring: {known}",
            )
        return found[0]

    # -- verification ----------------------------------------------------------------

    def audit_problems(self) -> list[str]:
        """Everything that does not add up between the audit log, the keyring and the PEMs."""
        problems: list[str] = []
        lines = self._audit_lines(problems)
        state = self._replay(lines, problems)
        if len(lines) != self.data.audit.entries:
            problems.append(
                f"keyring.yaml records {self.data.audit.entries} audit entries, "
                f"{AUDIT_FILE} has {len(lines)}"
            )
        head = hashlib.sha256(lines[-1][1].encode()).hexdigest() if lines else GENESIS
        if head != self.data.audit.head:
            problems.append(
                f"the last audit entry is not the one keyring.yaml records ({head[:16]})"
            )
        recorded = {k.id: k for k in self.data.keys}
        for kid in sorted(set(state) | set(recorded)):
            if kid not in recorded:
                problems.append(f"key {kid[:16]} is in the audit log but not in keyring.yaml")
                continue
            if kid not in state:
                problems.append(f"key {kid[:16]} is in keyring.yaml but no audit entry adds it")
                continue
            for name, value in state[kid].items():
                if getattr(recorded[kid], name) != value:
                    problems.append(
                        f"key {kid[:16]}: keyring.yaml says {name}={getattr(recorded[kid], name)!r}"
                        f", the audit log says {value!r}"
                    )
            try:
                self.public_key(recorded[kid])
            except AigovError as exc:
                problems.append(exc.message)
        return problems

    def _audit_lines(self, problems: list[str]) -> list[tuple[dict[str, Any], str]]:
        try:
            text = self.audit_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            text = ""
        out: list[tuple[dict[str, Any], str]] = []
        prev = GENESIS
        for number, line in enumerate(text.splitlines(keepends=True), start=1):
            where = f"{AUDIT_FILE}:{number}"
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                problems.append(f"{where}: not a JSON object")
                continue
            if not isinstance(entry, dict):
                problems.append(f"{where}: not a JSON object")
                continue
            if entry.get("seq") != number:
                problems.append(f"{where}: entry number {entry.get('seq')}, expected {number}")
            if entry.get("prev") != prev:
                problems.append(
                    f"{where}: 'prev' does not match the hash of line {number - 1} "
                    "(a line before it was edited, deleted or moved)"
                )
            canonical = json.dumps(entry, sort_keys=True, separators=(",", ":")) + "\n"
            if canonical != line:
                problems.append(f"{where}: the line was re-written (not in canonical form)")
            prev = hashlib.sha256(line.encode()).hexdigest()
            out.append((entry, line))
        return out

    def _replay(
        self, lines: list[tuple[dict[str, Any], str]], problems: list[str]
    ) -> dict[str, dict[str, Any]]:
        state: dict[str, dict[str, Any]] = {}
        last_time = ""
        for entry, _ in lines:
            op, kid = entry.get("operation"), entry.get("key_id")
            seq = entry.get("seq")
            if not isinstance(kid, str):
                problems.append(f"audit entry {seq}: no key_id")
                continue
            when = str(entry.get("time") or "")
            if when < last_time:
                problems.append(
                    f"audit entry {seq}: its time {when} is before the entry above it "
                    f"({last_time}): history was written out of order"
                )
            last_time = max(last_time, when)
            if op in ("generate", "rotate.publish") and kid in state:
                problems.append(
                    f"audit entry {seq}: {op} of key {kid[:16]}, which an earlier entry "
                    f"already added ({state[kid]['status']}): a key is added once"
                )
                continue
            if kid in state and state[kid]["status"] == "revoked" and op != "revoke.tighten":
                problems.append(
                    f"audit entry {seq}: {op} of key {kid[:16]} after it was revoked: a "
                    "revoked key stays revoked"
                )
                continue
            if op in ("generate", "rotate.publish"):
                state[kid] = {
                    "organization": entry.get("organization"),
                    "purpose": entry.get("purpose"),
                    "status": "active",
                    "created": entry.get("time"),
                    "retired": None,
                    "revoked": None,
                }
            elif kid not in state:
                problems.append(f"audit entry {entry.get('seq')}: {op} of unknown key {kid[:16]}")
            elif op == "rotate.retire":
                state[kid].update(status="retired", retired=entry.get("time"))
            elif op == "revoke":
                state[kid].update(
                    status="revoked",
                    revoked=entry.get("time"),
                    compromised_since=entry.get("compromised_since"),
                    reason=entry.get("reason"),
                )
            elif op == "revoke.tighten":
                before = str(state[kid].get("compromised_since") or "")
                since = str(entry.get("compromised_since") or "")
                if state[kid]["status"] != "revoked" or not since or since >= before:
                    problems.append(
                        f"audit entry {seq}: revoke.tighten of key {kid[:16]} does not move "
                        f"compromised_since earlier ({before or 'not revoked'} -> {since})"
                    )
                    continue
                state[kid].update(compromised_since=since, reason=entry.get("reason"))
            else:
                problems.append(f"audit entry {entry.get('seq')}: unknown operation {op!r}")
        return state

    def audit_hashes(self) -> list[str]:
        """SHA-256 of each audit line, in order: the last one is the head."""
        return [hashlib.sha256(line.encode()).hexdigest() for _, line in self._audit_lines([])]

    def audit_entries(self) -> Iterator[dict[str, Any]]:
        for entry, _ in self._audit_lines([]):
            yield entry
