"""``aigov evidence``: build, verify, inspect, decrypt, re-wrap and prune evidence bundles.

Exit codes: 0 done / verified, 1 verification failed (or the bundle was refused as
hostile), 2 could not run (no such file, no keyring, bad option).
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from aigov_gate.cli.context import config_option, repo_option
from aigov_gate.cli.conventions import force_option, output_option, refuse_overwrite
from aigov_gate.cli.gate import gate_options, notify_option, run, timestamp_option, warn
from aigov_gate.cli.keys import keyring_option, open_keyring
from aigov_gate.cli.output import decided, say
from aigov_gate.errors import UsageError

if TYPE_CHECKING:
    from aigov_gate.evidence.keyring import Keyring
    from aigov_gate.evidence.verify import Verification

bundle_argument = click.argument(
    "bundle", type=click.Path(dir_okay=False, path_type=Path), metavar="BUNDLE"
)
format_option = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise UsageError(f"no such bundle: {path}", hint="check the path")
    return path


@click.group("evidence")
def evidence_group() -> None:
    """Signed evidence bundles of gate runs (docs/evidence.md)."""


@evidence_group.command("build")
@gate_options
@output_option("Where to write the bundle (.tar.gz).", dest="out", required=True)
@force_option
@timestamp_option
@notify_option
def build_command(out: Path, force: bool, tsa: str | None, notify: bool, **selection: Any) -> None:
    """Run the gate and seal the run in a bundle, whatever the decision (it is recorded).

    Exit codes: 0 the bundle was written, 2 it could not be.
    """
    from aigov_gate.app.gate import announce, seal

    refuse_overwrite([out], force)
    gate = run(**selection, evidence=True)
    built = seal(gate, out, os.environ, warn, tsa=tsa)
    say(f"decision recorded: {gate.result.decision}")
    if notify:
        announce(gate, [], built, os.environ, warn)


@evidence_group.command("verify")
@bundle_argument
@keyring_option
@click.option(
    "--keyring-ref",
    metavar="REF",
    help="Take the keyring from this Git commit, branch or tag of --repo (a protected "
    "branch: what the working tree says does not count).",
)
@click.option(
    "--trust",
    multiple=True,
    metavar="HASH|KEY_ID",
    help="Pin the keyring: an audit entry's SHA-256 it must contain (from a copy you trust), "
    "or the signing key's id (16+ hex digits). Repeatable.",
)
@click.option(
    "--tsa-cert",
    "tsa_certs",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PEM",
    help="A TSA root certificate to check the bundle's timestamp against, instead of the "
    "repository's timestamps.tsa_roots. Repeatable.",
)
@click.option(
    "--model-artifact",
    "artifact",
    type=click.Path(path_type=Path),
    metavar="PATH",
    help="Admission: did a passing production decision cover exactly these bytes (a file "
    "or a model directory, hashed as OpenSSF Model Signing does)?",
)
@format_option
@repo_option
@click.pass_context
def verify_command(
    ctx: click.Context,
    bundle: Path,
    keyring_path: Path | None,
    keyring_ref: str | None,
    trust: tuple[str, ...],
    tsa_certs: tuple[Path, ...],
    artifact: Path | None,
    fmt: str,
    repo: Path | None,
) -> None:
    """Check signature, key status at signing time, keyring and audit log, every member,
    and (v3) the verification result and the RFC 3161 timestamp.

    Works offline with only the bundle and the keyring folder (keyring.yaml, the public
    keys, audit.jsonl): pass it with --keyring (and --tsa-cert for a timestamp). With
    --model-artifact, it also answers an admission controller's question. Exit 0 verified
    (and admitted), 1 not.
    """
    from aigov_gate.cli.trust import keyring as trust_keyring
    from aigov_gate.cli.trust import tsa_roots
    from aigov_gate.evidence.attested import admission
    from aigov_gate.evidence.verify import verify

    if not _existing(bundle) or (artifact is not None and not artifact.exists()):
        raise UsageError(f"--model-artifact {artifact}: no such file or directory")
    with tempfile.TemporaryDirectory(prefix="aigov-keyring-") as tmp:
        keyring = trust_keyring(repo, keyring_path, keyring_ref, Path(tmp))
        roots = tsa_roots(tsa_certs, repo, keyring_ref)
        result = verify(bundle, keyring, trust=trust, tsa_roots=roots)
    if artifact is not None:
        admission(result, artifact)
    _render(result, bundle, fmt, keyring_ref)
    decided(result.ok)


def _render(result: Verification, bundle: Path, fmt: str, keyring_ref: str | None) -> None:
    if keyring_ref is not None:
        for check in result.checks:
            if check.name == "trust" and check.detail.startswith("not pinned"):
                check.detail = f"the keyring as committed at {keyring_ref}"
    p = result.predicate
    if fmt == "json":
        say(
            json.dumps(
                {
                    "bundle": str(bundle),
                    "verified": result.ok,
                    "checks": [
                        {"name": c.name, "ok": c.ok, "detail": c.detail} for c in result.checks
                    ],
                    "decision": p.get("decision") if result.ok else None,
                },
                indent=2,
            )
        )
    else:
        for c in result.checks:
            say(f"{'ok  ' if c.ok else 'FAIL'} {c.name}: {c.detail}")
        if result.ok:
            models = ", ".join(f"{m['name']}@{m['version']}" for m in p.get("models", []))
            say(
                f"VERIFIED: {p.get('decision')} at {p.get('stage')}"
                f"{' to ' + str(p['environment']) if p.get('environment') else ''}"
                f" for {models or 'no model'}, as of {p.get('as_of')}, signed {p.get('signed_at')}"
            )
        else:
            say("NOT VERIFIED: do not rely on this bundle")


@evidence_group.command("inspect")
@bundle_argument
@format_option
@click.pass_context
def inspect_command(ctx: click.Context, bundle: Path, fmt: str) -> None:
    """Show what a bundle holds and claims, without trusting it (verify does that)."""
    from aigov_gate.evidence import archive
    from aigov_gate.evidence.verify import open_envelope

    _existing(bundle)
    try:
        contents = archive.read(bundle, lambda n: n.endswith(".json") and "/" not in n)
        envelope, statement = open_envelope(contents)
    except (archive.HostileArchive, ValueError) as exc:
        say(f"refused: {exc}", err=True)
        decided(False)
        return
    from aigov_gate.evidence import spelling

    predicate = spelling.predicate_of(statement)
    members = [
        {"name": m.name, "size": m.size, "sha256": m.sha256} for m in contents.members.values()
    ]
    if fmt == "json":
        say(
            json.dumps(
                {
                    "verified": False,
                    "payload_type": envelope.payload_type,
                    "key_ids": [s.keyid for s in envelope.signatures],
                    "statement": statement,
                    "members": members,
                },
                indent=2,
            )
        )
        return
    say(f"{bundle}  (NOT verified: run `aigov evidence verify`)")
    say(
        f"  claims: {predicate.get('decision')} at {predicate.get('stage')}, "
        f"as of {predicate.get('as_of')}, signed {predicate.get('signed_at')}"
    )
    say(f"  signed by key(s): {', '.join(s.keyid[:16] for s in envelope.signatures)}")
    encryption = predicate.get("encryption") or {}
    enc = set(encryption.get("members", []))
    retention = predicate.get("retention") or {}
    say(f"  keep until: {retention.get('until')}")
    for m in members:
        mark = " (encrypted)" if str(m["name"]).removeprefix("evidence/") in enc else ""
        say(f"  {m['size']:>12}  {m['name']}{mark}")


@evidence_group.command("decrypt")
@bundle_argument
@output_option(
    "Folder to write the bundle's files into (decrypted).", folder=True, dest="out", required=True
)
@force_option
@keyring_option
@repo_option
@config_option
def decrypt_command(
    bundle: Path,
    out: Path,
    force: bool,
    keyring_path: Path | None,
    repo: Path | None,
    config_path: Path | None,
) -> None:
    """Verify the bundle, then write its files to -o with encrypted ones decrypted.

    Needs the organization's encryption key: its private half in keys.private_key_dir
    (or AIGOV_ENCRYPTION_KEY), or access to the KMS key the keyring names.
    """
    from aigov_gate.evidence.sealing import unwrapper
    from aigov_gate.evidence.verify import data_key, decrypt_to, verify

    _existing(bundle)
    refuse_overwrite([out], force)
    config, keyring = open_keyring(repo, config_path, keyring_path, missing_ok=False)
    result = verify(bundle, keyring)
    if not result.ok:
        for c in result.checks:
            if not c.ok:
                say(f"FAIL {c.name}: {c.detail}", err=True)
        say("not decrypted: the bundle does not verify", err=True)
        decided(False)
    key = data_key(result, unwrapper(config, keyring))
    written = decrypt_to(result, key, out)
    say(f"wrote {len(written)} files to {out} (decrypted files are mode 0600)")


@evidence_group.command("rewrap")
@click.argument("bundles", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@keyring_option
@repo_option
@config_option
@click.pass_context
def rewrap_command(
    ctx: click.Context,
    bundles: tuple[Path, ...],
    keyring_path: Path | None,
    repo: Path | None,
    config_path: Path | None,
) -> None:
    """Wrap each bundle's data key with the active encryption key (after a rotation).

    Only wrapped-keys.json changes: no signed byte, no ciphertext. The old wrapping is
    replaced, so afterwards only the new key (or the KMS) can decrypt.
    """
    from aigov_gate.evidence.bundle import wrapped_keys
    from aigov_gate.evidence.keyring import KeyringError
    from aigov_gate.evidence.sealing import unwrapper, wrapper_for
    from aigov_gate.evidence.verify import data_key, rewrap, verify

    config, keyring = open_keyring(repo, config_path, keyring_path, missing_ok=False)
    failed = 0
    for path in bundles:
        result = verify(_existing(path), keyring)
        if not result.ok:
            say(f"{path}: not re-wrapped, it does not verify", err=True)
            failed += 1
            continue
        if not result.predicate.get("encryption"):
            say(f"{path}: nothing encrypted, nothing to re-wrap")
            continue
        org = str(result.predicate.get("organization") or config.organization)
        wrapping = wrapper_for(keyring, org)
        if wrapping is None:
            raise KeyringError(f"{org} has no active encryption key", hint="aigov keys generate")
        key = data_key(result, unwrapper(config, keyring))
        rewrap(result, wrapped_keys(key, *wrapping), path)
        say(f"{path}: data key wrapped with {wrapping[1].id[:16]}")
    decided(not failed)


@evidence_group.command("prune")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path), metavar="DIR")
@click.option("--dry-run", is_flag=True, help="Say what would be deleted; delete nothing.")
@click.option(
    "--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), help="Judge retention on this date."
)
@click.option(
    "--base",
    metavar="REF",
    help="Verify with the keyring (and .aigov.yaml) as REF has them, never the working "
    "tree's: what a change edits does not decide what is deleted.",
)
@keyring_option
@repo_option
def prune_command(
    folder: Path,
    dry_run: bool,
    as_of: datetime | None,
    base: str | None,
    keyring_path: Path | None,
    repo: Path | None,
) -> None:
    """Delete bundles in DIR whose retention date has passed, and log each deletion.

    A bundle is deleted only when it verifies (so its retention date is the signed one)
    and its date is before today; anything else is kept and said why. Deletions are
    appended to DIR/prune-log.jsonl.
    """
    from contextlib import nullcontext

    from aigov_gate.evidence.keyring import Keyring

    if not folder.is_dir():
        raise UsageError(f"no such folder: {folder}")
    if base is not None and keyring_path is not None:
        raise UsageError("--base and --keyring exclude each other", hint="pass one of them")
    now = datetime.now(UTC).date()
    today = as_of.date() if as_of else now
    if today > now and not dry_run:
        raise UsageError(
            f"--as-of {today} is in the future: it would delete bundles still under retention",
            hint="add --dry-run to see what will be due then; deletion runs on today's date",
        )
    if base is not None:
        from aigov_gate.cli.trust import base_keyring

        chosen = base_keyring(repo, base)
    elif keyring_path is not None:
        chosen = nullcontext(Keyring.load(keyring_path))
    else:
        chosen = nullcontext(open_keyring(repo, None, None, missing_ok=False)[1])
    with chosen as keyring:
        deleted, kept = _prune(folder, keyring, today, dry_run)
    verb = "would delete" if dry_run else "deleted"
    say(f"{verb} {deleted}, kept {kept}" + (" (dry run: nothing changed)" if dry_run else ""))


def _prune(folder: Path, keyring: Keyring, today: date, dry_run: bool) -> tuple[int, int]:
    """Judge every bundle under ``folder`` on ``today``; delete (or say) what is due."""
    from aigov_gate.evidence.retention import PruneLog, judge

    log = PruneLog(folder)
    for problem in log.problems:
        say(f"warning: {log.path}: {problem}", err=True)
    deleted = kept = 0
    for verdict in judge(folder, keyring, today):
        if verdict.action == "keep":
            say(f"keep {verdict.path}: {verdict.reason}")
            kept += 1
        elif dry_run:
            say(f"would delete {verdict.path}: {verdict.reason}")
            deleted += 1
        else:
            log.delete(verdict, today, datetime.now(UTC), os.environ)
            say(f"deleted {verdict.path}: {verdict.reason}")
            deleted += 1
    return deleted, kept
