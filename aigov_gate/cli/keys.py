"""``aigov keys``: generate, list, rotate and revoke evidence keys; read and verify the audit log.

Exit codes: 0 done (or, for ``audit --verify``, the log and keyring agree), 1 the audit
log or keyring does not add up, 2 could not run.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from aigov_gate.cli.context import config_option, repo_option
from aigov_gate.cli.conventions import say_json
from aigov_gate.cli.output import decided, say

if TYPE_CHECKING:
    from aigov_gate.config import AigovConfig
    from aigov_gate.evidence.keyring import KeyEntry, Keyring
    from aigov_gate.evidence.rotation import Planned

keyring_option = click.option(
    "--keyring",
    "keyring_path",
    type=click.Path(path_type=Path),
    help="Keyring folder (default: keys.dir of .aigov.yaml, .aigov/keys).",
)


def open_keyring(
    repo: Path | None, config_path: Path | None, keyring_path: Path | None, *, missing_ok: bool
) -> tuple[AigovConfig, Keyring]:
    from aigov_gate.cli.context import find_repo
    from aigov_gate.config import find_config, load_config
    from aigov_gate.evidence.keyring import Keyring
    from aigov_gate.evidence.sealing import keyring_dir

    root = find_repo(repo)
    config = load_config(config_path or find_config(root))
    folder = keyring_path or keyring_dir(root, config)
    return config, Keyring.load(folder, missing_ok=missing_ok)


def _passphrase() -> str | None:
    from aigov_gate.evidence.keys import PASSPHRASE_ENV

    return os.environ.get(PASSPHRASE_ENV) or None


@click.group("keys")
def keys_group() -> None:
    """Signing and encryption keys of evidence bundles (docs/evidence.md)."""


@keys_group.command("generate")
@click.option(
    "--purpose",
    type=click.Choice(["signing", "encryption", "executor", "both"]),
    default="both",
    show_default=True,
    help="Which key(s) to create (both: signing and encryption; executor: the key that "
    "attests test runs, docs/testing.md); a purpose that already has an active key is skipped.",
)
@click.option("--organization", help="Organization (default: organization in .aigov.yaml).")
@keyring_option
@repo_option
@config_option
def generate_command(
    purpose: str,
    organization: str | None,
    keyring_path: Path | None,
    repo: Path | None,
    config_path: Path | None,
) -> None:
    """Create the organization's first keys (local, or register the configured KMS keys).

    A local private key is written outside the repository (keys.private_key_dir,
    AIGOV_PRIVATE_KEY_DIR, else ~/.config/aigov/keys) with mode 0600, encrypted when
    AIGOV_KEY_PASSPHRASE is set. The public key, keyring.yaml and the audit entry go
    into the keyring folder: commit them.
    """
    from aigov_gate.errors import UsageError
    from aigov_gate.evidence.keyring import now_utc

    config, keyring = open_keyring(repo, config_path, keyring_path, missing_ok=True)
    org = organization or config.organization
    purposes = ["signing", "encryption"] if purpose == "both" else [purpose]
    made = 0
    for p in purposes:
        existing = keyring.active(org, p)  # type: ignore[arg-type]
        if existing is not None:
            if purpose != "both":
                raise UsageError(
                    f"{org} already has an active {p} key ({existing.id[:16]})",
                    hint="rotate it with `aigov keys rotate --force`",
                )
            say(f"{org} {p}: already has active key {existing.id[:16]}")
            continue
        entry = keyring.add(org, p, config, now_utc(), _passphrase())  # type: ignore[arg-type]
        made += 1
        say(
            f"{org} {p}: new {entry.algorithm} key {entry.id[:16]} ({entry.provider}); "
            f"rotation due {entry.not_after}"
        )
    if made:
        say(f"commit {keyring.dir} (keyring.yaml, audit.jsonl, public keys)")


@keys_group.command("list")
@click.option("--organization", help="Only this organization.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@keyring_option
@repo_option
@config_option
def list_command(
    organization: str | None,
    fmt: str,
    keyring_path: Path | None,
    repo: Path | None,
    config_path: Path | None,
) -> None:
    """Every key with its status; DUE marks an active key past its rotation date."""
    from aigov_gate.evidence import rotation
    from aigov_gate.evidence.keyring import now_utc

    config, keyring = open_keyring(repo, config_path, keyring_path, missing_ok=False)
    now = now_utc()
    due_ids = {
        p.old.id
        for p in rotation.due(
            keyring, keyring.organizations(), now, False, config.keys.rotation_days
        )
    }
    keys = [k for k in keyring.data.keys if organization in (None, k.organization)]
    if fmt == "json":
        rows = [{**k.model_dump(), "rotation_due": k.id in due_ids} for k in keys]
        say_json("keys list", keys=rows)
        return
    for k in keys:
        due = " DUE" if k.id in due_ids else ""
        when = {"active": f"rotate by {k.not_after}{due}", "retired": f"retired {k.retired}"}.get(
            k.status, f"revoked {k.revoked}: {k.reason}"
        )
        say(
            f"{k.id[:16]}  {k.organization:<16} {k.purpose:<10} {k.algorithm:<12} "
            f"{k.provider:<15} {k.status:<8} created {k.created}, {when}"
        )


@keys_group.command("rotate")
@click.option("--organization", help="Rotate this organization's keys (default: the config's).")
@click.option("--all-organizations", is_flag=True, help="Rotate every organization's keys.")
@click.option("--dry-run", is_flag=True, help="Say what would change; change nothing.")
@click.option("--force", is_flag=True, help="Rotate even if not due.")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    help="With --dry-run: what would be due on this date.",
)
@click.option(
    "--notify",
    "send_events",
    is_flag=True,
    help="Send key.rotated to the WebhookSubscriptions that want it (docs/webhooks.md).",
)
@keyring_option
@repo_option
@config_option
def rotate_command(
    organization: str | None,
    all_organizations: bool,
    dry_run: bool,
    force: bool,
    as_of: datetime | None,
    send_events: bool,
    keyring_path: Path | None,
    repo: Path | None,
    config_path: Path | None,
) -> None:
    """Publish a new key and retire the old one, where rotation is due (or --force).

    The retired key stays in the keyring and still verifies what it signed before it
    was retired. After rotating the encryption key, run `aigov evidence rewrap` on
    existing bundles to wrap their data keys with the new key.
    """
    from aigov_gate.errors import UsageError
    from aigov_gate.evidence import rotation
    from aigov_gate.evidence.keyring import now_utc

    if organization and all_organizations:
        raise UsageError("--organization and --all-organizations exclude each other")
    config, keyring = open_keyring(repo, config_path, keyring_path, missing_ok=False)
    orgs = keyring.organizations() if all_organizations else [organization or config.organization]
    now = now_utc()
    if as_of is not None and not dry_run:
        raise UsageError("--as-of plans ahead and needs --dry-run")
    when = as_of.replace(tzinfo=UTC) if as_of else now
    plan = rotation.due(keyring, orgs, when, force, config.keys.rotation_days)
    if not plan:
        say(
            f"nothing to rotate for {', '.join(orgs)} (rotation every "
            f"{config.keys.rotation_days} days; --force rotates anyway)"
        )
        return
    rotated: list[tuple[Planned, KeyEntry]] = []
    for item in plan:
        if dry_run:
            say(
                f"would rotate {item.organization} {item.purpose} key {item.old.id[:16]} "
                f"({item.reason}): publish a new key, retire this one"
            )
            continue
        new = rotation.rotate(keyring, item, config, now, _passphrase())
        say(
            f"rotated {item.organization} {item.purpose}: {item.old.id[:16]} retired, "
            f"{new.id[:16]} active until {new.not_after} ({item.reason})"
        )
        rotated.append((item, new))
    if dry_run:
        say("dry run: nothing changed")
        return
    say(f"commit {keyring.dir}")
    if send_events:
        from aigov_gate.app.hooks import notify
        from aigov_gate.cli.gate import warn
        from aigov_gate.cli.webhooks import load
        from aigov_gate.webhooks.events import key_rotated

        events = [key_rotated(item, new, now) for item, new in rotated]
        notify(load(repo, config_path), events, warn)


@keys_group.command("revoke")
@click.argument("key_id")
@click.option("--reason", required=True, help="Why (recorded in the keyring and audit log).")
@click.option(
    "--compromised-since",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%SZ"]),
    help="Nothing signed from then on verifies (default: now). For a leaked key, use the "
    "earliest time it could have leaked.",
)
@keyring_option
@repo_option
@config_option
def revoke_command(
    key_id: str,
    reason: str,
    compromised_since: datetime | None,
    keyring_path: Path | None,
    repo: Path | None,
    config_path: Path | None,
) -> None:
    """Revoke a key (by id or a unique prefix): nothing it signed from then on verifies."""
    from aigov_gate.errors import UsageError
    from aigov_gate.evidence import rotation
    from aigov_gate.evidence.keyring import now_utc

    if not reason.strip():
        raise UsageError("--reason must say why the key is revoked")
    _, keyring = open_keyring(repo, config_path, keyring_path, missing_ok=False)
    since = compromised_since.replace(tzinfo=UTC) if compromised_since else None
    entry = rotation.revoke(keyring, key_id, reason.strip(), now_utc(), since)
    say(
        f"revoked {entry.organization} {entry.purpose} key {entry.id[:16]} "
        f"(nothing signed from {entry.compromised_since} verifies)"
    )
    if keyring.active(entry.organization, entry.purpose) is None:
        say(
            f"{entry.organization} has no active {entry.purpose} key now: "
            f"`aigov keys generate --purpose {entry.purpose}`"
        )


@keys_group.command("audit")
@click.option("--verify", "check", is_flag=True, help="Check the hash chain and the keyring.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@keyring_option
@repo_option
@config_option
@click.pass_context
def audit_command(
    ctx: click.Context,
    check: bool,
    fmt: str,
    keyring_path: Path | None,
    repo: Path | None,
    config_path: Path | None,
) -> None:
    """Show the audit log of key operations; with --verify, find any tampering (exit 1)."""
    from aigov_gate.evidence import audit

    _, keyring = open_keyring(repo, config_path, keyring_path, missing_ok=False)
    entries = list(audit.entries(keyring))
    problems = audit.problems(keyring) if check else []
    if fmt == "json":
        out: dict[str, Any] = {"entries": entries}
        if check:
            out["verified"] = not problems
            out["problems"] = problems
        say(json.dumps(out, indent=2))
    else:
        for e in entries:
            say(
                f"{e.get('seq'):>4} {e.get('time')} {e.get('actor')}: {e.get('operation')} "
                f"{e.get('organization')} {e.get('purpose')} {str(e.get('key_id'))[:16]}"
            )
        if check:
            for p in problems:
                say(f"problem: {p}", err=True)
            say(
                f"audit log verified: {len(entries)} entries, hash chain and keyring agree"
                if not problems
                else f"audit log NOT verified: {len(problems)} problem(s)"
            )
    if problems:
        decided(False)
