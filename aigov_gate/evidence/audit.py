"""The audit log of key operations: ``audit.jsonl`` beside ``keyring.yaml``, one JSON line per
operation, each carrying the SHA-256 of the line before it (a hash chain).

The keyring writes it (``Keyring.append``); this module reads and checks it: ``problems``
replays the log and compares the result with keyring.yaml and the PEM files, so deleting,
editing or reordering lines, or editing the keyring by hand, shows in ``aigov keys audit
--verify`` and in ``aigov evidence verify``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aigov_gate.errors import AigovError
from aigov_gate.loading.safe_json import JsonError, JsonLimits, loads

if TYPE_CHECKING:
    from aigov_gate.evidence.keyring import Keyring

AUDIT_FILE = "audit.jsonl"
GENESIS = "0" * 64
#: An entry is a flat object of a few fields: anything deeper was not written by aigov.
_LIMITS = JsonLimits(max_bytes=1 << 20, max_depth=8)


def actor(env: Mapping[str, str] | None = None) -> str:
    """Who acts: the CI's user, else the login (``USER``, else the account of this process:
    a container or cron job often has no ``USER``), else ``unknown``."""
    env = os.environ if env is None else env
    for var in ("GITHUB_ACTOR", "GITLAB_USER_LOGIN", "USER", "USERNAME"):
        if env.get(var):
            return env[var]
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):
        return "unknown"


def problems(keyring: Keyring) -> list[str]:
    """Everything that does not add up between the audit log, the keyring and the PEMs."""
    problems: list[str] = []
    lines = chain(keyring.audit_path, problems)
    state = _replay(lines, problems)
    if len(lines) != keyring.data.audit.entries:
        problems.append(
            f"keyring.yaml records {keyring.data.audit.entries} audit entries, "
            f"{AUDIT_FILE} has {len(lines)}"
        )
    head = hashlib.sha256(lines[-1][1].encode()).hexdigest() if lines else GENESIS
    if head != keyring.data.audit.head:
        problems.append(f"the last audit entry is not the one keyring.yaml records ({head[:16]})")
    recorded = {k.id: k for k in keyring.data.keys}
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
            keyring.public_key(recorded[kid])
        except AigovError as exc:
            problems.append(exc.message)
    return problems


def chain(path: Path, problems: list[str]) -> list[tuple[dict[str, Any], str]]:
    """The entries of a hash-chained JSON-lines log (``seq`` from 1, ``prev`` the SHA-256
    of the line before, canonical JSON), noting in ``problems`` each line that breaks it.
    A missing log is an empty one."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        data = b""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = data.count(b"\n", 0, exc.start) + 1
        problems.append(f"{path.name}:{bad}: not UTF-8 text")
        text = data.decode("utf-8", "replace")
    out: list[tuple[dict[str, Any], str]] = []
    prev = GENESIS
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        where = f"{path.name}:{number}"
        try:
            entry = loads(line, _LIMITS, expect=dict)
        except JsonError as exc:
            problems.append(f"{where}: not a JSON object ({exc.message})")
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
    lines: list[tuple[dict[str, Any], str]], problems: list[str]
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


def hashes(keyring: Keyring) -> list[str]:
    """SHA-256 of each audit line, in order: the last one is the head."""
    return [hashlib.sha256(line.encode()).hexdigest() for _, line in chain(keyring.audit_path, [])]


def entries(keyring: Keyring) -> Iterator[dict[str, Any]]:
    for entry, _ in chain(keyring.audit_path, []):
        yield entry
