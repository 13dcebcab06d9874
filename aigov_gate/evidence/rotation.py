"""Rotating and revoking keys: what ``aigov keys rotate`` and ``aigov keys revoke`` change
in the keyring, each change audited (``Keyring.append``) and saved before returning."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from aigov_gate.config import AigovConfig
from aigov_gate.evidence.keyring import (
    PURPOSES,
    KeyEntry,
    Keyring,
    KeyringError,
    Purpose,
    parse_stamp,
    stamp,
)


@dataclass(slots=True)
class Planned:
    """One change `aigov keys rotate` makes (or would make, with --dry-run)."""

    organization: str
    purpose: Purpose
    old: KeyEntry
    reason: str


def due(
    keyring: Keyring, organizations: list[str], moment: datetime, force: bool, rotation_days: int
) -> list[Planned]:
    """Active keys whose rotation is due at ``moment`` (created + rotation_days), or all."""
    plan: list[Planned] = []
    for org in organizations:
        for purpose in PURPOSES:
            current = keyring.active(org, purpose)
            if current is None:
                continue
            due_at = parse_stamp(current.created) + timedelta(days=rotation_days)
            overdue = moment >= due_at
            if overdue or force:
                why = f"due since {stamp(due_at)}" if overdue else "forced"
                plan.append(Planned(org, purpose, current, why))
    return plan


def rotate(
    keyring: Keyring,
    planned: Planned,
    config: AigovConfig,
    moment: datetime,
    passphrase: str | None,
) -> KeyEntry:
    """Publish a new key, then retire the old one (kept: it verifies what it signed)."""
    old = planned.old
    new = keyring.add(
        planned.organization,
        planned.purpose,
        config,
        moment,
        passphrase,
        operation="rotate.publish",
    )
    retired = old.model_copy(update={"status": "retired", "retired": stamp(moment)})
    keyring.replace(retired)
    keyring.append(
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
    keyring.save()
    return new


def revoke(
    keyring: Keyring, kid: str, reason: str, moment: datetime, compromised_since: datetime | None
) -> KeyEntry:
    entry = keyring.entry(kid) or _by_prefix(keyring, kid)
    if entry.status == "revoked":
        return _tighten(keyring, entry, reason, moment, compromised_since)
    since = compromised_since or moment
    revoked = entry.model_copy(
        update={
            "status": "revoked",
            "revoked": stamp(moment),
            "compromised_since": stamp(since),
            "reason": reason,
        }
    )
    return _record_revocation(keyring, "revoke", revoked, reason, since, moment)


def _record_revocation(
    keyring: Keyring,
    operation: str,
    entry: KeyEntry,
    reason: str,
    since: datetime,
    moment: datetime,
) -> KeyEntry:
    keyring.replace(entry)
    keyring.append(
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
    keyring.save()
    return entry


def _tighten(
    keyring: Keyring, entry: KeyEntry, reason: str, moment: datetime, since: datetime | None
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
    return _record_revocation(keyring, "revoke.tighten", tightened, reason, since, moment)


def _by_prefix(keyring: Keyring, prefix: str) -> KeyEntry:
    found = [k for k in keyring.data.keys if k.id.startswith(prefix.lower())] if prefix else []
    if len(found) != 1:
        known = ", ".join(k.id[:16] for k in keyring.data.keys) or "none"
        raise KeyringError(
            f"no key {'uniquely ' if found else ''}matches '{prefix}'",
            hint=f"keys in the keyring: {known}",
        )
    return found[0]
