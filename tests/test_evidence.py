"""Evidence bundles end to end: real keys, real Git repositories, real archives.

The example's production-grade run is sealed once per module; each test copies what it
changes. Independent checks use securesystemslib's DSSE verifier, ``tar`` and hashlib.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import re
import shutil
import subprocess
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, MODEL, aigov_script, ci_free_env, git, run_aigov
from cryptography.hazmat.primitives import serialization
from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey  # type: ignore[attr-defined]

from aigov_gate.app.gate import GateRequest
from aigov_gate.app.gate import run as run_gate
from aigov_gate.app.gate import seal as seal_gate
from aigov_gate.config import find_config, load_config
from aigov_gate.errors import AigovError
from aigov_gate.evidence import archive, rotation
from aigov_gate.evidence import audit as audit_log
from aigov_gate.evidence.keyring import Keyring, now_utc
from aigov_gate.evidence.sealing import keyring_dir
from aigov_gate.evidence.verify import verify

PII = ("lena.martin@acme-bank.example", "+44 20 7946 0958", "7946 0958")


@dataclass
class Sealed:
    repo: Path
    keys: Path  # private key folder
    bundle: Path
    env: dict[str, str]

    def aigov(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return run_aigov(*args, "--repo", str(self.repo), env={**self.env, **extra})

    def verify(self, bundle: Path | None = None, *extra: str) -> subprocess.CompletedProcess[str]:
        return run_aigov(
            "evidence",
            "verify",
            str(bundle or self.bundle),
            "--keyring",
            str(self.repo / ".aigov/keys"),
            *extra,
            env=self.env,
        )


def _example_repo(tmp: Path, config_extra: str = "") -> Sealed:
    repo = tmp / "repo"
    shutil.copytree(EXAMPLES / "credit-scoring", repo)
    shutil.rmtree(repo / ".aigov/keys")  # the demo executor key (issue 34): keys made here
    if config_extra:
        with (repo / ".aigov.yaml").open("a") as fh:
            fh.write(config_extra)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "governance")
    env = {"AIGOV_PRIVATE_KEY_DIR": str(tmp / "private")}
    sealed = Sealed(repo, tmp / "private", tmp / "bundle.tar.gz", env)
    done = sealed.aigov("keys", "generate")
    assert done.returncode == 0, done.stderr
    return sealed


def _seal(sealed: Sealed, out: Path, *gate: str) -> subprocess.CompletedProcess[str]:
    return sealed.aigov("gate", "--evidence", str(out), *gate)


@pytest.fixture(scope="module")
def sealed(tmp_path_factory: pytest.TempPathFactory) -> Sealed:
    s = _example_repo(tmp_path_factory.mktemp("sealed"))
    done = _seal(s, s.bundle, "--stage", "deploy", "--environment", "staging")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "evidence:" in done.stderr
    return s


# -- key rotation on an injected clock -------------------------------------------------
# Keys are generated, bundles sealed and keys rotated or revoked in-process at chosen
# seconds, so "signed before the retirement" needs no sleep; verification is the CLI's.


def _keyed_repo(tmp: Path, monkeypatch: pytest.MonkeyPatch, moment: datetime) -> Sealed:
    repo = tmp / "repo"
    shutil.copytree(EXAMPLES / "credit-scoring", repo)
    shutil.rmtree(repo / ".aigov/keys")  # the demo executor key (issue 34): keys made here
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "governance")
    env = {"AIGOV_PRIVATE_KEY_DIR": str(tmp / "private")}
    monkeypatch.setenv("AIGOV_PRIVATE_KEY_DIR", env["AIGOV_PRIVATE_KEY_DIR"])
    monkeypatch.delenv("AIGOV_KEY_PASSPHRASE", raising=False)
    config = load_config(find_config(repo))
    keyring = Keyring.load(keyring_dir(repo, config), missing_ok=True)
    for purpose in ("signing", "encryption"):
        keyring.add(config.organization, purpose, config, moment)
    return Sealed(repo, tmp / "private", tmp / "bundle.tar.gz", env)


def _seal_at(s: Sealed, out: Path, moment: datetime) -> None:
    config = load_config(find_config(s.repo))
    gate = run_gate(GateRequest(s.repo, config, evidence=True, ci=False), {}, now=moment)
    seal_gate(gate, out, s.env, lambda _line: None, now=moment)


def _rotate_at(s: Sealed, moment: datetime) -> None:
    config = load_config(find_config(s.repo))
    keyring = Keyring.load(keyring_dir(s.repo, config))
    plan = rotation.due(keyring, [config.organization], moment, True, config.keys.rotation_days)
    assert {item.purpose for item in plan} == {"signing", "encryption"}
    for item in plan:
        rotation.rotate(keyring, item, config, moment, None)


def _start() -> datetime:
    return now_utc() - timedelta(hours=1)


def _members(bundle: Path) -> dict[str, bytes]:
    with tarfile.open(bundle, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]


def _repack(bundle: Path, out: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(out, "w:gz") as tar:
        for name, data in sorted(members.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out


def _statement(bundle: Path) -> dict[str, object]:
    envelope = json.loads(_members(bundle)["signature.dsse.json"])
    return json.loads(base64.b64decode(envelope["payload"]))  # type: ignore[no-any-return]


# -- the "done when" ------------------------------------------------------------------


@pytest.mark.dated
def test_example_bundle_verifies_with_aigov(sealed: Sealed) -> None:
    done = sealed.verify()
    assert done.returncode == 0, done.stdout
    assert "VERIFIED: passed at deploy to staging for credit-scoring@2.3.0" in done.stdout
    for check in ("archive", "statement", "keyring", "signature", "members"):
        assert f"ok   {check}:" in done.stdout


def test_envelope_verifies_with_securesystemslib_given_only_the_public_key(sealed: Sealed) -> None:
    members = _members(sealed.bundle)
    keyring = Keyring.load(sealed.repo / ".aigov/keys")
    entry = keyring.active("acme-bank", "signing")
    assert entry is not None
    pem = (sealed.repo / ".aigov/keys" / entry.public_key).read_bytes()
    public = serialization.load_pem_public_key(pem)
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    keyid = hashlib.sha256(der).hexdigest()
    assert keyid == entry.id
    key = SSlibKey.from_crypto(public, keyid=keyid, scheme="ecdsa-sha2-nistp256")
    envelope = Envelope.from_dict(json.loads(members["signature.dsse.json"]))
    assert keyid in envelope.verify([key], 1)
    statement = json.loads(envelope.payload)
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    for subject in statement["subject"]:
        data = members["evidence/" + subject["name"]]
        assert hashlib.sha256(data).hexdigest() == subject["digest"]["sha256"]
    assert len(statement["subject"]) == sum(n.startswith("evidence/") for n in members)
    assert statement["predicateType"] == "https://aigov-gate.dev/attestation/evidence/v3"
    predicate = statement["predicate"]
    assert predicate["decision"] == "passed"
    assert predicate["signer"]["keyId"] == keyid


def _field_names(value: object, data_keys: bool = False) -> Iterator[str]:
    if isinstance(value, list):
        for item in value:
            yield from _field_names(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if not data_keys:
                yield key
            yield from _field_names(item, data_keys=key == "members" and isinstance(item, dict))


def test_the_predicate_is_lower_camel_case(sealed: Sealed) -> None:
    # in-toto's predicate guidelines; retention.members maps file names, which are data
    predicate = _statement(sealed.bundle)["predicate"]
    names = set(_field_names(predicate))
    assert {"asOf", "policyPacks", "signedAt", "keyId", "retention"} <= names
    assert not [n for n in names if not re.fullmatch(r"[a-z][a-zA-Z0-9]*", n)]


V1 = Path(__file__).parent / "data" / "evidence-v1"


@pytest.mark.dated
def test_a_v1_bundle_still_verifies_and_inspects() -> None:
    # Written by the last release with the snake_case predicate (tests/data/evidence-v1).
    bundle, keys = V1 / "credit-scoring-v1.tar.gz", V1 / "keys"
    done = run_aigov("evidence", "verify", str(bundle), "--keyring", str(keys), process=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "predicateType https://aigov-gate.dev/attestation/evidence/v1" in done.stdout
    assert "ok   signature:" in done.stdout and "signed at 2026-12-02T14:35:58Z" in done.stdout
    assert "VERIFIED: passed at deploy to staging for credit-scoring@2.3.0, as of 2026-12-02" in (
        done.stdout
    )
    inspect = run_aigov("evidence", "inspect", str(bundle))
    assert "as of 2026-12-02, signed 2026-12-02T14:35:58Z" in inspect.stdout
    assert "keep until: 2036-11-29" in inspect.stdout


def test_archive_is_reproducible_and_plain(sealed: Sealed, tmp_path: Path) -> None:
    listing = subprocess.run(
        ["tar", "-tzvf", str(sealed.bundle)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    names = [line.split()[-1] for line in listing]
    assert names == sorted(names)
    assert all(line.startswith("-rw-r--r-- 0/0") for line in listing)
    again = tmp_path / "again.tar.gz"
    assert _seal(sealed, again, "--stage", "deploy", "--environment", "staging").returncode == 0
    with tarfile.open(sealed.bundle) as a, tarfile.open(again) as b:
        first = {m.name: (m.mtime, m.mode, m.uid, m.uname) for m in a.getmembers()}
        second = {m.name: (m.mtime, m.mode, m.uid, m.uname) for m in b.getmembers()}
    assert first == second
    one, two = _members(sealed.bundle), _members(again)
    # every member but the signed ones (the envelope, the SVR: fresh signatures and signing
    # times) and the encrypted ones (fresh key and nonces) is byte-equal
    signed = "evidence/attestations/svr.dsse.json"
    assert one[signed] != two[signed]
    plain = [n for n in one if n.startswith("evidence/") and not n.endswith(".enc")]
    assert plain and all(one[n] == two[n] for n in plain if n != signed)
    # the gzip header: no file name (FLG.FNAME unset), no time, whatever the output path
    for path in (sealed.bundle, again):
        header = path.read_bytes()[:10]
        assert header[:3] == b"\x1f\x8b\x08" and header[3] & 0x08 == 0
        assert header[4:8] == b"\0\0\0\0"
        assert b".part" not in path.read_bytes()[:64]


def test_sensitive_files_are_encrypted_and_decrypt(sealed: Sealed, tmp_path: Path) -> None:
    members = _members(sealed.bundle)
    sheet = "evidence/artifacts/docs/evidence/loan-applications-data-sheet.md"
    assert sheet not in members and sheet + ".enc" in members
    assert b"lena.martin" not in b"".join(members.values())
    out = tmp_path / "out"
    done = sealed.aigov("evidence", "decrypt", str(sealed.bundle), "--out", str(out))
    assert done.returncode == 0, done.stderr
    original = (sealed.repo / "docs/evidence/loan-applications-data-sheet.md").read_bytes()
    decrypted = out / "artifacts/docs/evidence/loan-applications-data-sheet.md"
    assert decrypted.read_bytes() == original
    assert decrypted.stat().st_mode & 0o077 == 0
    files = sorted(p for p in out.rglob("*") if p.is_file())
    subjects = [n for n in members if n.startswith("evidence/")]
    assert len(files) == len(subjects) and not any(p.name.endswith(".part") for p in files)
    assert f"wrote {len(subjects)} files to {out}" in done.stdout


def test_an_auditor_without_the_encryption_key_still_verifies(
    sealed: Sealed, tmp_path: Path
) -> None:
    done = run_aigov(
        "evidence",
        "decrypt",
        str(sealed.bundle),
        "--out",
        str(tmp_path / "o"),
        "--keyring",
        str(sealed.repo / ".aigov/keys"),
        "--repo",
        str(sealed.repo),
        env={"AIGOV_PRIVATE_KEY_DIR": str(tmp_path / "nothing")},
    )
    assert done.returncode == 2
    assert "cannot unwrap the bundle's data key" in done.stderr
    assert sealed.verify().returncode == 0


# -- tampering ------------------------------------------------------------------------


def test_flipping_any_byte_of_any_member_fails(sealed: Sealed, tmp_path: Path) -> None:
    members = _members(sealed.bundle)
    keyring = Keyring.load(sealed.repo / ".aigov/keys")
    for name, data in members.items():
        if name == "wrapped-keys.json":
            continue  # unsigned by design; a changed wrapping only fails decryption
        for at in {0, len(data) // 2, len(data) - 1}:
            changed = dict(members)
            flipped = bytearray(data)
            flipped[at] ^= 0x01
            changed[name] = bytes(flipped)
            result = verify(_repack(sealed.bundle, tmp_path / "t.tar.gz", changed), keyring)
            assert not result.ok, f"flipping byte {at} of {name} went unnoticed"


def test_flipping_bytes_of_the_file_fails_or_changes_nothing(
    sealed: Sealed, tmp_path: Path
) -> None:
    """A flip either fails verification or lands in bits that carry nothing.

    gzip's header time/flags/OS bytes and the deflate stream's final padding bits do
    not change one decompressed byte (gzip's CRC covers the content, which verify reads
    to the end); every other flip must fail.
    """
    raw = sealed.bundle.read_bytes()
    content = gzip.decompress(raw)
    keyring = Keyring.load(sealed.repo / ".aigov/keys")
    caught = 0
    positions = [*range(0, len(raw), max(1, len(raw) // 40)), len(raw) - 9, len(raw) - 1]
    for at in positions:
        flipped = bytearray(raw)
        flipped[at] ^= 0x80
        path = tmp_path / "f.tar.gz"
        path.write_bytes(bytes(flipped))
        if verify(path, keyring).ok:
            assert gzip.decompress(bytes(flipped)) == content, f"byte {at} changed content"
        else:
            caught += 1
    assert caught >= len(positions) - 2


def test_missing_and_extra_members_are_named(sealed: Sealed, tmp_path: Path) -> None:
    members = _members(sealed.bundle)
    fewer = {n: d for n, d in members.items() if n != "evidence/run/tools.json"}
    done = sealed.verify(_repack(sealed.bundle, tmp_path / "a.tar.gz", fewer))
    assert done.returncode == 1
    assert "missing: evidence/run/tools.json" in done.stdout
    more = {**members, "evidence/extra.txt": b"x"}
    done = sealed.verify(_repack(sealed.bundle, tmp_path / "b.tar.gz", more))
    assert "not in the statement: evidence/extra.txt" in done.stdout
    assert "NOT VERIFIED" in done.stdout


def test_an_unknown_key_and_a_keyring_of_another_organization_fail(
    sealed: Sealed, tmp_path: Path
) -> None:
    other = _example_repo(tmp_path)
    done = other.verify(sealed.bundle)
    assert done.returncode == 1
    assert "is not in the keyring" in done.stdout


def test_a_signature_by_the_wrong_key_fails(sealed: Sealed, tmp_path: Path) -> None:
    from aigov_gate.evidence import dsse
    from aigov_gate.evidence.keys import LocalSigner, generate

    members = _members(sealed.bundle)
    envelope = json.loads(members["signature.dsse.json"])
    stranger = generate("ecdsa-p256")
    forged = json.loads(dsse.sign(base64.b64decode(envelope["payload"]), LocalSigner(stranger)))  # type: ignore[arg-type]
    forged["signatures"][0]["keyid"] = envelope["signatures"][0]["keyid"]
    members["signature.dsse.json"] = json.dumps(forged).encode()
    done = sealed.verify(_repack(sealed.bundle, tmp_path / "w.tar.gz", members))
    assert done.returncode == 1
    assert "does not verify" in done.stdout


@pytest.mark.dated
def test_rotation_keeps_old_bundles_verifiable_and_retired_keys_sign_nothing_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = _start()
    s = _keyed_repo(tmp_path, monkeypatch, start)
    before = tmp_path / "before.tar.gz"
    _seal_at(s, before, start + timedelta(seconds=1))
    old_keys = tmp_path / "old-keyring"
    shutil.copytree(s.repo / ".aigov/keys", old_keys)
    dry = s.aigov("keys", "rotate", "--dry-run")
    assert "nothing to rotate" in dry.stdout
    ahead = s.aigov("keys", "rotate", "--dry-run", "--as-of", "2099-01-01")
    assert "would rotate acme-bank signing" in ahead.stdout
    assert "dry run: nothing changed" in ahead.stdout
    assert (s.repo / ".aigov/keys").joinpath("keyring.yaml").read_text() == (
        old_keys / "keyring.yaml"
    ).read_text()
    _rotate_at(s, start + timedelta(seconds=2))  # retirement applies from its second on
    assert s.verify(before).returncode == 0  # signed before retirement
    listed = s.aigov("keys", "list")
    assert listed.stdout.count("retired  created") == 2
    assert listed.stdout.count("active   created") == 2
    later = tmp_path / "later.tar.gz"
    _seal_at(s, later, start + timedelta(seconds=3))  # signed by the new key
    assert s.verify(later).returncode == 0


@pytest.mark.dated
def test_retired_key_refuses_what_it_signed_after_retirement(tmp_path: Path) -> None:
    s = _example_repo(tmp_path)
    stale = tmp_path / "stale"
    shutil.copytree(s.repo / ".aigov/keys", stale)
    assert s.aigov("keys", "rotate", "--force").returncode == 0
    current = tmp_path / "current"
    shutil.copytree(s.repo / ".aigov/keys", current)
    shutil.rmtree(s.repo / ".aigov/keys")
    shutil.copytree(stale, s.repo / ".aigov/keys")
    late = tmp_path / "late.tar.gz"
    assert _seal(s, late).returncode == 0
    done = run_aigov("evidence", "verify", str(late), "--keyring", str(current), env=s.env)
    assert done.returncode == 1
    assert "retired" in done.stdout and "afterwards" in done.stdout


@pytest.mark.dated
def test_revocation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    start = _start()
    s = _keyed_repo(tmp_path, monkeypatch, start)
    _seal_at(s, s.bundle, start + timedelta(seconds=1))
    kid = Keyring.load(s.repo / ".aigov/keys").active("acme-bank", "signing").id  # type: ignore[union-attr]
    # revocation applies from its second on; the bundle is from an earlier one
    rotation.revoke(
        Keyring.load(s.repo / ".aigov/keys"),
        kid[:12],
        "routine",
        start + timedelta(seconds=2),
        None,
    )
    assert s.verify().returncode == 0  # signed before the revocation
    with pytest.raises(AigovError, match="no active signing key") as refused_seal:
        _seal_at(s, tmp_path / "after.tar.gz", start + timedelta(seconds=3))
    assert refused_seal.value.exit_code == 2
    assert not (tmp_path / "after.tar.gz").exists()
    s2 = _example_repo(tmp_path / "two")
    assert _seal(s2, s2.bundle).returncode == 0
    kid2 = Keyring.load(s2.repo / ".aigov/keys").active("acme-bank", "signing").id  # type: ignore[union-attr]
    done = s2.aigov(
        "keys", "revoke", kid2, "--reason", "laptop stolen", "--compromised-since", "2020-01-01"
    )
    assert done.returncode == 0
    refused = s2.verify()
    assert refused.returncode == 1
    assert "revoked" in refused.stdout and "laptop stolen" in refused.stdout
    audit = s2.aigov("keys", "audit", "--verify")
    assert audit.returncode == 0 and "revoke" in audit.stdout


@pytest.mark.parametrize(
    "tamper", ["edit-keyring", "edit-line", "delete-line", "swap-lines", "drop-last"]
)
def test_keyring_and_audit_log_tampering_is_found(
    tmp_path: Path, tamper: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = _start()
    s = _keyed_repo(tmp_path, monkeypatch, start)
    _seal_at(s, s.bundle, start + timedelta(seconds=1))
    # a second later: only the tampering, not the retirement, fails verification
    _rotate_at(s, start + timedelta(seconds=2))
    keys = s.repo / ".aigov/keys"
    log = keys / "audit.jsonl"
    lines = log.read_text().splitlines(keepends=True)
    if tamper == "edit-keyring":
        text = (keys / "keyring.yaml").read_text()
        (keys / "keyring.yaml").write_text(text.replace("status: retired", "status: active", 1))
    elif tamper == "edit-line":
        lines[0] = lines[0].replace('"generate"', '"generate" ')
        log.write_text("".join(lines))
    elif tamper == "delete-line":
        log.write_text("".join(lines[:1] + lines[2:]))
    elif tamper == "swap-lines":
        log.write_text("".join([lines[1], lines[0], *lines[2:]]))
    else:
        log.write_text("".join(lines[:-1]))
    audit = s.aigov("keys", "audit", "--verify")
    assert audit.returncode == 1, audit.stdout
    assert "NOT verified" in audit.stdout
    done = s.verify()
    assert done.returncode == 1
    assert "FAIL keyring: the keyring cannot be trusted" in done.stdout


def test_a_replaced_public_key_file_is_found(sealed: Sealed, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    shutil.copytree(sealed.repo / ".aigov/keys", keys)
    entry = Keyring.load(keys).active("acme-bank", "signing")
    assert entry is not None
    from aigov_gate.evidence.keys import generate, public_pem

    (keys / entry.public_key).write_bytes(public_pem(generate("ecdsa-p256").public_key()))
    done = run_aigov("evidence", "verify", str(sealed.bundle), "--keyring", str(keys))
    assert done.returncode == 1
    short = entry.id[:16]
    assert f"FAIL keyring: the keyring cannot be trusted: {keys / entry.public_key}" in done.stdout
    assert f"does not hold key {short} (its sha256 of the DER SubjectPublicKeyInfo is" in (
        done.stdout
    )
    assert f"FAIL signature: {keys / entry.public_key} does not hold key {short}" in done.stdout
    assert "NOT VERIFIED: do not rely on this bundle" in done.stdout


# -- hostile archives -----------------------------------------------------------------


def _hostile(path: Path, build: object) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        build(tar)  # type: ignore[operator]
    return path


def _add(
    tar: tarfile.TarFile, name: str, data: bytes = b"x", kind: bytes = tarfile.REGTYPE
) -> None:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE):
        info.linkname = "/etc/passwd"
    tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        ("/etc/cron.d/x", tarfile.REGTYPE, "absolute path"),
        ("evidence/../../x", tarfile.REGTYPE, "'..'"),
        ("evidence/link", tarfile.SYMTYPE, "symbolic link"),
        ("evidence/hard", tarfile.LNKTYPE, "hard link"),
        ("evidence/dev", tarfile.CHRTYPE, "device"),
        ("evidence/fifo", tarfile.FIFOTYPE, "FIFO"),
    ],
)
def test_hostile_members_are_refused_before_use(
    sealed: Sealed, tmp_path: Path, name: str, kind: bytes, expected: str
) -> None:
    bundle = _hostile(tmp_path / "h.tar.gz", lambda tar: _add(tar, name, b"x", kind))
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    done = run_aigov(
        "evidence", "verify", str(bundle), "--keyring", str(sealed.repo / ".aigov/keys")
    )
    assert done.returncode == 1
    assert "FAIL archive: refused:" in done.stdout and expected in done.stdout
    assert list(cwd.iterdir()) == []
    inspect = run_aigov("evidence", "inspect", str(bundle))
    assert inspect.returncode == 1 and "refused" in inspect.stderr


def test_duplicates_oversized_members_and_gzip_bombs_are_refused(tmp_path: Path) -> None:
    def twice(tar: tarfile.TarFile) -> None:
        _add(tar, "evidence/a")
        _add(tar, "evidence/a")

    dup = _hostile(tmp_path / "d.tar.gz", twice)
    with pytest.raises(archive.HostileArchive, match="appears twice"):
        archive.read(dup, lambda n: False)
    big = _hostile(tmp_path / "b.tar.gz", lambda t: _add(t, "evidence/a", b"0" * 4096))
    with pytest.raises(archive.HostileArchive, match="more than the limit"):
        archive.read(big, lambda n: False, archive.ReadLimits(max_member_bytes=1024))
    bomb = tmp_path / "bomb.tar.gz"
    size = 300 * 1024 * 1024
    with gzip.open(bomb, "wb", compresslevel=9) as gz:
        info = tarfile.TarInfo("evidence/zeros")
        info.size = size
        gz.write(info.tobuf(tarfile.PAX_FORMAT))
        block = bytes(1024 * 1024)
        for _ in range(size // len(block)):
            gz.write(block)
    assert bomb.stat().st_size < 2 * 1024 * 1024
    with pytest.raises(archive.HostileArchive, match="gzip bomb"):
        archive.read(bomb, lambda n: False)
    truncated = tmp_path / "t.tar.gz"
    truncated.write_bytes(bomb.read_bytes()[:5000])
    with pytest.raises(archive.HostileArchive):
        archive.read(truncated, lambda n: False)


# -- private keys ---------------------------------------------------------------------


def test_private_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    s = _example_repo(tmp_path)
    for key in s.keys.iterdir():
        key.chmod(0o644)
    done = _seal(s, s.bundle)
    assert done.returncode == 2
    assert "can be read or written by others" in done.stderr and "chmod 600" in done.stderr
    assert "PRIVATE KEY" not in done.stderr + done.stdout
    assert not s.bundle.exists()


def test_passphrase_protected_key_and_ed25519(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLES / "credit-scoring", repo)
    shutil.rmtree(repo / ".aigov/keys")  # the demo executor key (issue 34): keys made here
    with (repo / ".aigov.yaml").open("a") as fh:
        fh.write("keys:\n  algorithm: ed25519\n")
    git(repo, "init", "-q")
    env = {"AIGOV_PRIVATE_KEY_DIR": str(tmp_path / "p"), "AIGOV_KEY_PASSPHRASE": "correct horse"}
    assert run_aigov("keys", "generate", "--repo", str(repo), env=env).returncode == 0
    assert b"ENCRYPTED" in next((tmp_path / "p").iterdir()).read_bytes()
    out = tmp_path / "b.tar.gz"
    missing = run_aigov(
        "gate",
        "--repo",
        str(repo),
        "--evidence",
        str(out),
        env={"AIGOV_PRIVATE_KEY_DIR": str(tmp_path / "p")},
    )
    assert missing.returncode == 2 and "passphrase-protected" in missing.stderr
    assert "correct horse" not in missing.stderr
    wrong = run_aigov(
        "gate",
        "--repo",
        str(repo),
        "--evidence",
        str(out),
        env={**env, "AIGOV_KEY_PASSPHRASE": "wrong"},
    )
    assert wrong.returncode == 2 and "wrong passphrase" in wrong.stderr
    assert run_aigov("gate", "--repo", str(repo), "--evidence", str(out), env=env).returncode == 0
    assert (
        run_aigov("evidence", "verify", str(out), "--keyring", str(repo / ".aigov/keys")).returncode
        == 0
    )
    entry = Keyring.load(repo / ".aigov/keys").active("acme-bank", "signing")
    assert entry is not None and entry.algorithm == "ed25519"
    public = serialization.load_pem_public_key(
        (repo / ".aigov/keys" / entry.public_key).read_bytes()
    )
    key = SSlibKey.from_crypto(public, keyid=entry.id, scheme="ed25519")
    envelope = Envelope.from_dict(json.loads(_members(out)["signature.dsse.json"]))
    assert entry.id in envelope.verify([key], 1)


def test_signing_key_from_an_environment_variable(sealed: Sealed, tmp_path: Path) -> None:
    entry = Keyring.load(sealed.repo / ".aigov/keys").active("acme-bank", "signing")
    assert entry is not None
    pem = (sealed.keys / f"{entry.id}.pem").read_text()
    out = tmp_path / "env.tar.gz"
    done = run_aigov(
        "gate",
        "--repo",
        str(sealed.repo),
        "--evidence",
        str(out),
        env={
            "AIGOV_SIGNING_KEY": pem,
            "AIGOV_PRIVATE_KEY_DIR": str(tmp_path / "none"),
            "AIGOV_ENCRYPTION_KEY": "",
        },
    )
    assert done.returncode == 0, done.stderr
    assert sealed.verify(out).returncode == 0


# -- encryption-key rotation ----------------------------------------------------------


@pytest.mark.dated
def test_rotating_the_encryption_key_rewraps_without_reencrypting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = _start()
    s = _keyed_repo(tmp_path, monkeypatch, start)
    _seal_at(s, s.bundle, start + timedelta(seconds=1))
    before = _members(s.bundle)
    old = Keyring.load(s.repo / ".aigov/keys").active("acme-bank", "encryption")
    assert old is not None
    _rotate_at(s, start + timedelta(seconds=2))  # retired after the bundle's second
    done = s.aigov("evidence", "rewrap", str(s.bundle))
    assert done.returncode == 0, done.stderr
    after = _members(s.bundle)
    assert {n: d for n, d in before.items() if n != "wrapped-keys.json"} == {
        n: d for n, d in after.items() if n != "wrapped-keys.json"
    }
    assert before["wrapped-keys.json"] != after["wrapped-keys.json"]
    (s.keys / f"{old.id}.pem").unlink()  # the old private key is gone for good
    assert s.verify().returncode == 0
    out = tmp_path / "out"
    done = s.aigov("evidence", "decrypt", str(s.bundle), "--out", str(out))
    assert done.returncode == 0, done.stderr


# -- PII ------------------------------------------------------------------------------


def test_no_pii_in_any_output_of_the_example_run(sealed: Sealed, tmp_path: Path) -> None:
    sheet = sealed.repo / "docs/evidence/loan-applications-data-sheet.md"
    assert all(value in sheet.read_text() for value in PII[:2])  # there is PII to leak
    runs: list[tuple[subprocess.CompletedProcess[str], int]] = []
    for fmt in ("text", "json", "sarif", "junit", "codequality", "markdown", "github", "oscal"):
        done = sealed.aigov(
            "gate", "--format", fmt, "--stage", "deploy", "--environment", "production"
        )
        runs.append((done, 1))  # blocked: the example is not approved for production
    inspected = run_aigov("evidence", "inspect", str(sealed.bundle), env=sealed.env)
    assert "signature.dsse.json" in inspected.stdout and "claims: passed" in inspected.stdout
    runs += [(inspected, 0), (sealed.verify(), 0), (sealed.aigov("validate"), 0)]
    outputs = []
    for done, code in runs:
        assert done.returncode == code, (done.args, done.stdout, done.stderr)
        assert done.stdout.strip(), done.args
        outputs += [done.stdout, done.stderr]
    members = _members(sealed.bundle)
    outputs += [d.decode("utf-8", "replace") for n, d in members.items()]
    for text in outputs:
        for value in PII:
            assert value not in text


def test_masking_covers_report_text_and_can_be_turned_off(tmp_path: Path) -> None:

    repo = tmp_path / "r"
    (repo / "policies").mkdir(parents=True)
    (repo / "m.yaml").write_text(MODEL.format(name="scorer"))
    (repo / "policies/contact.yaml").write_text(
        "apiVersion: aigov/v1\nkind: Policy\nmetadata:\n  name: contact-dpo\nspec:\n"
        "  title: Ask the DPO\n  severity: high\n  rule: 'false'\n"
        "  message: 'ask dpo@acme.example or call +1 415-555-0132 (card 4111 1111 1111 1111)'\n"
    )
    for fmt in ("text", "json", "sarif", "markdown", "github"):
        done = run_aigov("gate", "--repo", str(repo), "--format", fmt)
        assert "dpo@acme.example" not in done.stdout, fmt
        assert "415-555-0132" not in done.stdout and "4111 1111" not in done.stdout
        assert "[redacted:email]" in done.stdout, fmt
    raw = run_aigov("gate", "--repo", str(repo), env={"AIGOV_PII_MASKING_ENABLED": "false"})
    assert "dpo@acme.example" in raw.stdout


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("mail ana.b+x@example.co.uk now", "email"),
        ("call +44 20 7946 0958", "phone"),
        ("call (415) 555-0132", "phone"),
        ("IBAN DE89 3704 0044 0532 0130 00", "iban"),
        ("GB82WEST12345698765432", "iban"),
        ("card 4111-1111-1111-1111", "card"),
        ("from 192.168.10.4 today", "ip"),
        ("from 2001:db8::8a2e:370:7334", "ip"),
    ],
)
def test_detectors_find(text: str, kind: str) -> None:
    from aigov_gate.pii import Scanner

    assert [m.kind for m in Scanner().find(text)] == [kind]


@pytest.mark.parametrize(
    "text",
    [
        "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "timestamp 1732233600 and 2026-11-22T12:00:00Z",
        "auc 0.8123456789, version 2.3.0, 12:30:45",
        "IBAN DE89 3704 0044 0532 0130 02",
        "card 4111 1111 1111 1112",
        "git@github.com:acme/repo.git",
        "not an ip 999.1.1.1",
    ],
)
def test_detectors_leave_alone(text: str) -> None:
    from aigov_gate.pii import Scanner

    assert Scanner().find(text) == []


def test_custom_patterns_scan_and_the_undeclared_finding(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    (repo / ".aigov.yaml").write_text("pii:\n  patterns:\n    employee-id: 'EMP-[0-9]{6}'\n")
    (repo / "data.yaml").write_text(
        "apiVersion: aigov/v1\nkind: Dataset\nmetadata:\n  name: staff\nspec:\n"
        "  version: '1'\n  description: 'owner EMP-004211'\n"
    )
    scan = run_aigov("pii", "scan", str(repo / "data.yaml"), "--repo", str(repo), process=True)
    assert scan.returncode == 1
    assert "data.yaml:7:23: employee-id" in scan.stdout
    assert "EMP-004211" not in scan.stdout
    done = run_aigov("validate", "--repo", str(repo))
    assert done.returncode == 1
    assert "pii.undeclared" in done.stdout and "employee-id in spec.description" in done.stdout
    assert "EMP-004211" not in done.stdout
    clean = run_aigov("pii", "scan", str(EXAMPLES / "credit-scoring/governance"))
    assert clean.returncode == 0 and "no personal data found" in clean.stdout


# -- retention ------------------------------------------------------------------------


@pytest.mark.dated
def test_prune_deletes_only_what_is_past_retention_and_logs_it(
    sealed: Sealed, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    store.mkdir()
    shutil.copy(sealed.bundle, store / "kept.tar.gz")
    shutil.copy(sealed.bundle, store / "old.tar.gz")
    members = _members(sealed.bundle)
    members["evidence/report.json"] += b" "
    _repack(sealed.bundle, store / "tampered.tar.gz", members)
    until = _statement(sealed.bundle)["predicate"]["retention"]["until"]  # type: ignore[index]
    assert str(until) >= "2036-01-01"
    keyring = ["--keyring", str(sealed.repo / ".aigov/keys")]
    today = run_aigov("evidence", "prune", str(store), *keyring)
    assert today.returncode == 0 and "deleted 0, kept 3" in today.stdout
    dry = run_aigov("evidence", "prune", str(store), "--dry-run", "--as-of", "2099-01-01", *keyring)
    assert "would delete 2" in dry.stdout and (store / "old.tar.gz").exists()
    assert not (store / "prune-log.jsonl").exists()
    (store / "kept.tar.gz").unlink()
    # a future --as-of without --dry-run would delete what is still under retention
    early = run_aigov("evidence", "prune", str(store), "--as-of", "2099-01-01", *keyring)
    assert early.returncode == 2 and "--as-of 2099-01-01 is in the future" in early.stderr
    assert (store / "old.tar.gz").exists() and not (store / "prune-log.jsonl").exists()
    # on the day itself (a fake clock, 2099-01-01) it deletes
    if shutil.which("faketime") is None:
        pytest.skip("needs libfaketime's faketime (.ci/run installs it)")
    days = (date(2099, 1, 1) - date.today()).days
    done = subprocess.run(
        ["faketime", "-f", f"+{days}d", aigov_script(), "evidence", "prune", str(store), *keyring],
        capture_output=True,
        text=True,
        env=ci_free_env(),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert not (store / "old.tar.gz").exists()
    assert (store / "tampered.tar.gz").exists()
    assert "does not verify" in done.stdout
    log = [json.loads(line) for line in (store / "prune-log.jsonl").read_text().splitlines()]
    assert [entry["bundle"] for entry in log] == ["old.tar.gz"]
    assert log[0]["retained_until"] == until


@pytest.mark.dated
def test_members_carry_retention_dates_from_the_configured_periods(sealed: Sealed) -> None:
    retention = _statement(sealed.bundle)["predicate"]["retention"]["members"]  # type: ignore[index]
    signed = str(_statement(sealed.bundle)["predicate"]["signedAt"])[:4]  # type: ignore[index]
    run_year = int(signed)
    assert str(retention["report.json"]).startswith(str(run_year + 7))
    assert str(retention["documents/governance/tests/credit-scoring-2.3.0-run-1.yaml"]).startswith(
        str(run_year + 7)
    )
    assert str(retention["documents/governance/models/credit-scoring.yaml.enc"]).startswith(
        str(run_year + 10)
    )


def test_evidence_build_records_a_blocked_decision(sealed: Sealed, tmp_path: Path) -> None:
    out = tmp_path / "blocked.tar.gz"
    done = sealed.aigov(
        "evidence", "build", "--out", str(out), "--stage", "deploy", "--environment", "production"
    )
    assert done.returncode == 0, done.stderr
    assert "decision recorded: blocked" in done.stdout
    verified = sealed.verify(out, "--format", "json")
    assert json.loads(verified.stdout)["decision"] == "blocked"


def test_no_keyring_is_a_clear_error(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    shutil.copytree(EXAMPLES / "credit-scoring", repo)
    shutil.rmtree(repo / ".aigov/keys")  # the demo executor key (issue 34): keys made here
    done = run_aigov("gate", "--repo", str(repo), "--evidence", str(tmp_path / "b.tar.gz"))
    assert done.returncode == 2
    assert "no keyring" in done.stderr and "aigov keys generate" in done.stderr
    assert "Traceback" not in done.stderr
    missing = run_aigov("evidence", "verify", str(tmp_path / "nope.tar.gz"))
    assert missing.returncode == 2 and "no such bundle" in missing.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["r"]


def test_validate_output_and_error_lines_are_masked(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    (repo / "card.yaml").write_text(
        "apiVersion: aigov/v1\nkind: EvidenceArtifact\nmetadata:\n  name: card\nspec:\n"
        "  artifact_type: model_card\n  path: docs/lena.martin@acme-bank.example.md\n"
        f"  sha256: {'a' * 64}\n"
    )
    done = run_aigov("validate", "--repo", str(repo))
    assert done.returncode == 1
    assert "evidence.file-missing" in done.stdout and "[redacted:email]" in done.stdout
    assert "lena.martin@" not in done.stdout
    missing = run_aigov("validate", str(repo / "dpo@acme.example.yaml"), "--repo", str(repo))
    assert missing.returncode == 2
    assert "no such file" in missing.stderr and "dpo@acme.example" not in missing.stderr
    raw = run_aigov("validate", "--repo", str(repo), env={"AIGOV_PII_MASKING_ENABLED": "no"})
    assert "lena.martin@acme-bank.example" in raw.stdout


# -- every check of verify, one at a time ---------------------------------------------


def _resigned(
    sealed: Sealed,
    out: Path,
    edit_statement: Callable[[dict[str, Any]], None] | None = None,
    *,
    payload_type: str | None = None,
    members_extra: dict[str, bytes] | None = None,
    drop: tuple[str, ...] = (),
    indent: int | None = None,
) -> Path:
    """The sealed bundle with its statement edited and signed again by the real key, so
    that only what the edit broke can fail (``indent``: the statement's JSON layout)."""
    from aigov_gate.config import AigovConfig, KeysConfig
    from aigov_gate.evidence import dsse
    from aigov_gate.evidence.sealing import signer_for

    members = _members(sealed.bundle)
    envelope = json.loads(members["signature.dsse.json"])
    statement = json.loads(base64.b64decode(envelope["payload"]))
    if edit_statement is not None:
        edit_statement(statement)
    config = AigovConfig(keys=KeysConfig(private_key_dir=str(sealed.keys)))
    keyring = Keyring.load(sealed.repo / ".aigov/keys")
    signer, entry = signer_for(config, keyring, "acme-bank")  # as sealing signs
    assert entry.id == envelope["signatures"][0]["keyid"]
    payload = json.dumps(statement, indent=indent).encode()
    members["signature.dsse.json"] = dsse.sign(payload, signer, payload_type or dsse.PAYLOAD_TYPE)
    members.update(members_extra or {})
    for name in drop:
        members.pop(name)
    return _repack(sealed.bundle, out, members)


def _checks(sealed: Sealed, bundle: Path) -> dict[str, str]:
    """``{check: "ok <detail>" | "FAIL <detail>"}`` from ``evidence verify --format json``."""
    done = sealed.verify(bundle, "--format", "json")
    report = json.loads(done.stdout)
    assert done.returncode == (0 if report["verified"] else 1)
    return {c["name"]: ("ok " if c["ok"] else "FAIL ") + c["detail"] for c in report["checks"]}


def test_resigning_the_untouched_statement_still_verifies(sealed: Sealed, tmp_path: Path) -> None:
    checks = _checks(sealed, _resigned(sealed, tmp_path / "same.tar.gz"))
    assert all(v.startswith("ok ") for v in checks.values()), checks


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("predicateType", "https://example.com/other/v1"),
        ("_type", "https://in-toto.io/Statement/v0.1"),
        ("subject", {"name": "x"}),
    ],
)
def test_a_statement_of_another_shape_is_refused_though_signed(
    field: str, value: object, sealed: Sealed, tmp_path: Path
) -> None:
    def edit(statement: dict[str, Any]) -> None:
        statement[field] = value

    checks = _checks(sealed, _resigned(sealed, tmp_path / "s.tar.gz", edit))
    assert checks["statement"].startswith("FAIL ")
    assert "signature" not in checks  # nothing more is trusted once the statement is wrong


def test_another_payload_type_is_refused_though_signed(sealed: Sealed, tmp_path: Path) -> None:
    bundle = _resigned(sealed, tmp_path / "p.tar.gz", payload_type="application/json")
    checks = _checks(sealed, bundle)
    assert checks["statement"].startswith("FAIL payloadType application/json")


def test_a_predicate_naming_another_signer_fails(sealed: Sealed, tmp_path: Path) -> None:
    def edit(statement: dict[str, Any]) -> None:
        statement["predicate"]["signer"]["keyId"] = "0" * 64

    checks = _checks(sealed, _resigned(sealed, tmp_path / "k.tar.gz", edit))
    assert checks["signature"] == "FAIL the predicate names another signing key"


def test_a_signing_time_that_is_no_utc_time_fails(sealed: Sealed, tmp_path: Path) -> None:
    def edit(statement: dict[str, Any]) -> None:
        statement["predicate"]["signedAt"] = "yesterday"

    checks = _checks(sealed, _resigned(sealed, tmp_path / "t.tar.gz", edit))
    assert checks["signature"] == "FAIL the signing time 'yesterday' is not a UTC time"


def test_a_signing_time_before_the_key_existed_fails(sealed: Sealed, tmp_path: Path) -> None:
    def edit(statement: dict[str, Any]) -> None:
        statement["predicate"]["signedAt"] = "2001-01-01T00:00:00Z"

    checks = _checks(sealed, _resigned(sealed, tmp_path / "e.tar.gz", edit))
    assert checks["signature"].startswith("FAIL key ")


def test_unsigned_top_level_members_are_refused(sealed: Sealed, tmp_path: Path) -> None:
    extra = {"README.txt": b"trust me"}
    checks = _checks(sealed, _resigned(sealed, tmp_path / "x.tar.gz", members_extra=extra))
    assert checks["members"] == "FAIL not in the statement: README.txt"


def test_wrapped_keys_belong_to_an_encrypted_bundle_only(sealed: Sealed, tmp_path: Path) -> None:
    # the example's bundle is encrypted (its data sheet names a person)
    assert "wrapped-keys.json" in _members(sealed.bundle)
    checks = _checks(sealed, _resigned(sealed, tmp_path / "n.tar.gz", drop=("wrapped-keys.json",)))
    assert checks["members"] == (
        "FAIL missing: wrapped-keys.json (the bundle says members are encrypted)"
    )

    def plain(statement: dict[str, Any]) -> None:
        del statement["predicate"]["encryption"]

    checks = _checks(sealed, _resigned(sealed, tmp_path / "u.tar.gz", plain))
    assert checks["members"] == "FAIL not in the statement: wrapped-keys.json"


def test_a_malformed_subject_is_named(sealed: Sealed, tmp_path: Path) -> None:
    def edit(statement: dict[str, Any]) -> None:
        statement["subject"].append({"name": "evidence/x.json"})

    checks = _checks(sealed, _resigned(sealed, tmp_path / "m.tar.gz", edit))
    assert checks["subjects"].startswith("FAIL malformed subject")


def test_a_subject_whose_digest_differs_is_named(sealed: Sealed, tmp_path: Path) -> None:
    def edit(statement: dict[str, Any]) -> None:
        statement["subject"][0]["digest"]["sha256"] = "0" * 64

    checks = _checks(sealed, _resigned(sealed, tmp_path / "d.tar.gz", edit))
    assert checks["members"].startswith("FAIL sha256 differs: evidence/")


def _append_audit(keys: Path, entry: dict[str, Any]) -> None:
    """Write a line into audit.jsonl the way aigov does, and keyring.yaml to agree with it:
    what someone with write access to the keyring folder can do."""
    import yaml

    log = keys / "audit.jsonl"
    lines = log.read_text().splitlines(keepends=True)
    prev = hashlib.sha256(lines[-1].encode()).hexdigest()
    full = {**entry, "seq": len(lines) + 1, "prev": prev}
    line = json.dumps(full, sort_keys=True, separators=(",", ":")) + "\n"
    log.write_text("".join(lines) + line)
    ring = yaml.safe_load((keys / "keyring.yaml").read_text())
    ring["audit"] = {"entries": len(lines) + 1, "head": hashlib.sha256(line.encode()).hexdigest()}
    (keys / "keyring.yaml").write_text(yaml.safe_dump(ring, sort_keys=False))


@pytest.mark.dated
def test_key_history_cannot_be_rewritten_by_appending(tmp_path: Path) -> None:
    s = _example_repo(tmp_path)
    assert _seal(s, s.bundle).returncode == 0
    keys = s.repo / ".aigov/keys"
    ring = Keyring.load(keys)
    signing = ring.active("acme-bank", "signing")
    assert signing is not None
    first = next(audit_log.entries(ring))
    # a second "generate" of the same key, dated back to 2020
    again = {k: v for k, v in first.items() if k not in ("seq", "prev")}
    again["time"] = "2020-01-01T00:00:00Z"
    _append_audit(keys, again)
    audit = s.aigov("keys", "audit", "--verify")
    said = audit.stdout + audit.stderr
    assert audit.returncode == 1
    assert "audit entry 3: its time 2020-01-01T00:00:00Z is before the entry above it" in said
    assert "which an earlier entry already added (active): a key is added once" in said
    assert s.verify().returncode == 1


@pytest.mark.dated
def test_a_revoked_key_stays_revoked_and_revocation_only_tightens(tmp_path: Path) -> None:
    s = _example_repo(tmp_path)
    assert _seal(s, s.bundle).returncode == 0
    keys = s.repo / ".aigov/keys"
    kid = Keyring.load(keys).active("acme-bank", "signing").id  # type: ignore[union-attr]
    revoke = ("keys", "revoke", kid[:16], "--reason", "laptop lost")
    assert s.aigov(*revoke, "--compromised-since", "2026-06-01").returncode == 0
    looser = s.aigov(*revoke, "--compromised-since", "2027-01-01")
    assert looser.returncode == 2 and "can only move earlier" in looser.stderr
    tighter = s.aigov(*revoke[:-1], "laptop stolen in May", "--compromised-since", "2026-05-01")
    assert tighter.returncode == 0, tighter.stderr
    assert Keyring.load(keys).entry(kid).compromised_since.startswith("2026-05-01")  # type: ignore[union-attr]
    audit = s.aigov("keys", "audit", "--verify")
    assert audit.returncode == 0 and "revoke.tighten" in audit.stdout
    # one appended line "publishing" the key again does not bring it back
    entries = list(audit_log.entries(Keyring.load(keys)))
    back = {k: v for k, v in entries[0].items() if k not in ("seq", "prev")}
    back.update(operation="rotate.publish", time=entries[-1]["time"])
    _append_audit(keys, back)
    audit = s.aigov("keys", "audit", "--verify")
    said = audit.stdout + audit.stderr
    assert audit.returncode == 1 and "already added (revoked): a key is added once" in said


@pytest.mark.dated
def test_a_keyring_rebuilt_from_scratch_fails_the_pinned_trust(tmp_path: Path) -> None:
    s = _example_repo(tmp_path / "real")
    assert _seal(s, s.bundle).returncode == 0
    pinned = audit_log.hashes(Keyring.load(s.repo / ".aigov/keys"))[-1]
    forged = _example_repo(tmp_path / "forged")  # a new keyring signing a new "passed" bundle
    assert _seal(forged, forged.bundle).returncode == 0
    keyring = ["--keyring", str(forged.repo / ".aigov/keys")]
    loose = run_aigov("evidence", "verify", str(forged.bundle), *keyring, env=forged.env)
    assert loose.returncode == 0
    assert "ok   trust: not pinned: trusted the keyring folder as given" in loose.stdout
    pinned_run = run_aigov(
        "evidence", "verify", str(forged.bundle), *keyring, "--trust", pinned, env=forged.env
    )
    assert pinned_run.returncode == 1
    assert f"FAIL trust: the audit log does not contain the pinned {pinned[:16]}" in (
        pinned_run.stdout
    )
    real = s.verify(None, "--trust", pinned)
    assert real.returncode == 0 and "the audit log extends the pinned entry" in real.stdout
    kid = Keyring.load(s.repo / ".aigov/keys").active("acme-bank", "signing").id  # type: ignore[union-attr]
    assert s.verify(None, "--trust", kid[:16]).returncode == 0
    assert s.verify(None, "--trust", "0" * 16).returncode == 1
    # the keyring as committed on main, whatever the working tree holds
    git(s.repo, "add", "-A")
    git(s.repo, "commit", "-qm", "keys")
    shutil.rmtree(s.repo / ".aigov/keys")
    shutil.copytree(forged.repo / ".aigov/keys", s.repo / ".aigov/keys")
    by_ref = ("evidence", "verify", "--keyring-ref", "main", "--repo", str(s.repo))
    done = run_aigov(*by_ref[:2], str(s.bundle), *by_ref[2:], env=s.env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok   trust: the keyring as committed at main" in done.stdout
    done = run_aigov(*by_ref[:2], str(forged.bundle), *by_ref[2:], env=s.env)
    assert done.returncode == 1


def test_an_envelope_in_url_safe_base64_verifies(sealed: Sealed, tmp_path: Path) -> None:
    """DSSE: verifiers must accept standard and URL-safe base64 (padded or not)."""

    def standard_only(raw: dict[str, Any]) -> bool:
        return not any(c in raw["payload"] + raw["signatures"][0]["sig"] for c in "+/")

    # The signature is 64 random-looking bytes and the payload ASCII JSON, whose base64
    # seldom holds '+' or '/': about one envelope in 15 has neither, and converting it
    # would not exercise the URL-safe alphabet. Signing the same statement laid out
    # another way gives another signature; the first that holds one is used.
    for indent in (None, *range(12)):
        signed = _resigned(sealed, tmp_path / f"signed-{indent}.tar.gz", indent=indent)
        members = _members(signed)
        raw = json.loads(members["signature.dsse.json"])
        if not standard_only(raw):
            break
    assert not standard_only(raw)

    def url_safe(text: str) -> str:
        return base64.urlsafe_b64encode(base64.b64decode(text)).decode().rstrip("=")

    raw["payload"] = url_safe(raw["payload"])
    for signature in raw["signatures"]:
        signature["sig"] = url_safe(signature["sig"])
    assert any(c in raw["payload"] + raw["signatures"][0]["sig"] for c in "-_")
    members["signature.dsse.json"] = json.dumps(raw).encode()
    bundle = _repack(sealed.bundle, tmp_path / "urlsafe.tar.gz", members)
    done = sealed.verify(bundle)
    assert done.returncode == 0, done.stdout
    # a mix of both alphabets in one value is refused
    raw["payload"] = raw["payload"][:10] + "+-" + raw["payload"][12:]
    members["signature.dsse.json"] = json.dumps(raw).encode()
    mixed = _repack(sealed.bundle, tmp_path / "mixed.tar.gz", members)
    done = sealed.verify(mixed)
    assert done.returncode == 1 and "mixes the standard and the URL-safe alphabet" in done.stdout


def test_the_prune_log_is_hash_chained_and_an_edit_shows(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from aigov_gate.evidence.retention import PRUNE_LOG, PruneLog, Verdict

    store = tmp_path / "store"
    store.mkdir()
    moment = datetime(2031, 1, 2, tzinfo=UTC)
    for name in ("a.tar.gz", "b.tar.gz"):
        (store / name).write_bytes(name.encode())
        verdict = Verdict(store / name, "delete", "retention ended", date(2031, 1, 1))
        log = PruneLog(store)  # a new prune run each time: the chain is read back from the file
        log.delete(verdict, date(2031, 1, 2), moment, {"GITHUB_ACTOR": "dana.k"})
        assert not (store / name).exists()
    lines = (store / PRUNE_LOG).read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    assert [(e["seq"], e["bundle"], e["actor"]) for e in entries] == [
        (1, "a.tar.gz", "dana.k"),
        (2, "b.tar.gz", "dana.k"),
    ]
    assert entries[0]["sha256"] == hashlib.sha256(b"a.tar.gz").hexdigest()
    assert PruneLog(store).problems == []
    # one prune run deleting two: the chain continues from what this run appended
    log = PruneLog(store)
    for name in ("c.tar.gz", "d.tar.gz"):
        (store / name).write_bytes(name.encode())
        log.delete(
            Verdict(store / name, "delete", "", date(2031, 1, 1)), date(2031, 1, 2), moment, {}
        )
    assert [json.loads(line)["seq"] for line in (store / PRUNE_LOG).read_text().splitlines()] == [
        1,
        2,
        3,
        4,
    ]
    assert PruneLog(store).problems == []
    lines = (store / PRUNE_LOG).read_text().splitlines()
    # someone removes the first deletion from the log
    (store / PRUNE_LOG).write_text(lines[1] + "\n")
    problems = PruneLog(store).problems
    assert any("entry number 2, expected 1" in p for p in problems), problems
    assert any("'prev' does not match" in p for p in problems), problems
