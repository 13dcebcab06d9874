"""Build an evidence bundle: the run's files, an in-toto Statement over them, a DSSE envelope.

Layout (sorted, as written)::

    evidence/report.json            the gate's JSON report (PII masked)
    evidence/run/{git,ci,approvals,tools}.json
    evidence/config/.aigov.yaml     the configuration the run used
    evidence/documents/<path>       every governance document file evaluated
    evidence/artifacts/<path>       every file an EvidenceArtifact points to
    evidence/attestations/svr.dsse.json   v3: the decision as an in-toto SVR (DSSE, same key)
    evidence/annex-iv.md            v3, for high-risk models: the Annex IV dossier (issue 42)
    signature.dsse.json             DSSE envelope; payload = in-toto Statement v1
    timestamp.tsr                   v3, only with --timestamp: RFC 3161 token over the signature
    wrapped-keys.json               only when something is encrypted (see below)

Every ``evidence/`` member is a subject of the Statement, by its name without the
``evidence/`` prefix. Sensitive files (contains_pii, restricted, or PII detected) are
stored as ``<name>.enc``: AES-256-GCM with a fresh 96-bit nonce, the member name as
associated data, ``nonce || ciphertext || tag``. One random data key per bundle; its
SHA-256 is in the signed predicate, and its wrappings (by the organization's encryption
key) are in ``wrapped-keys.json``, outside the signature, so re-wrapping after a key
rotation changes no signed byte and re-encrypts nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import platform
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from aigov_gate import __version__
from aigov_gate.config import CONFIG_FILE, AigovConfig
from aigov_gate.evidence import archive, dsse, spelling
from aigov_gate.evidence.keyring import KeyEntry, stamp
from aigov_gate.evidence.keys import Signer, Wrapper
from aigov_gate.packs import pack_text
from aigov_gate.result import GateResult

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = spelling.WRITTEN
ENVELOPE = "signature.dsse.json"
WRAPPED = "wrapped-keys.json"
#: v3: the RFC 3161 token over the envelope's signature (only when the predicate says
#: ``timestamp``); outside the signature, as it must be.
TIMESTAMP = "timestamp.tsr"
PREFIX = "evidence/"
NONCE = 12
TAG = 16
CI_VARS = (
    "GITHUB_SERVER_URL",
    "GITHUB_REPOSITORY",
    "GITHUB_RUN_ID",
    "GITHUB_RUN_ATTEMPT",
    "GITHUB_WORKFLOW",
    "GITHUB_JOB",
    "GITHUB_SHA",
    "GITHUB_REF",
    "GITHUB_EVENT_NAME",
    "GITHUB_ACTOR",
    "CI_SERVER_URL",
    "CI_PROJECT_PATH",
    "CI_PIPELINE_ID",
    "CI_PIPELINE_URL",
    "CI_JOB_ID",
    "CI_JOB_URL",
    "CI_COMMIT_SHA",
    "CI_COMMIT_REF_NAME",
    "CI_MERGE_REQUEST_IID",
    "GITLAB_USER_LOGIN",
)


@dataclass(frozen=True, slots=True)
class Planned:
    name: str  # subject name (without evidence/)
    source: Path | bytes
    sensitive: bool
    retain_until: date


@dataclass(frozen=True, slots=True)
class Built:
    path: Path
    subjects: int
    encrypted: tuple[str, ...]
    retain_until: date
    key_id: str
    warnings: tuple[str, ...] = ()


def ci_metadata(env: Mapping[str, str]) -> dict[str, Any]:
    found = {var: env[var] for var in CI_VARS if env.get(var)}
    run_url = None
    if {"GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"} <= found.keys():
        run_url = (
            f"{found['GITHUB_SERVER_URL']}/{found['GITHUB_REPOSITORY']}/actions/runs/"
            f"{found['GITHUB_RUN_ID']}"
        )
    elif "CI_PIPELINE_URL" in found:
        run_url = found["CI_PIPELINE_URL"]
    system = (
        "github" if "GITHUB_RUN_ID" in found else "gitlab" if "CI_PIPELINE_ID" in found else None
    )
    return {"system": system, "run_url": run_url, "variables": found}


def _json(value: Any) -> bytes:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False).encode() + b"\n"


def plan(
    root: Path,
    config: AigovConfig,
    result: GateResult,
    report_json: str,
    git_info: dict[str, Any],
    env: Mapping[str, str],
    run_day: date,
    mask: Callable[[str], str],
) -> list[Planned]:
    """The members of the bundle, sorted, with their sensitivity and retention date.

    Member mtimes are the commit's time (see ``seal``), so rebuilding a commit gives
    the same entries; only the signature member differs (signing time, signature).
    """
    from aigov_gate.reporters.signoff import to_json

    retention = config.retention

    def until(period: str, explicit: date | None = None) -> date:
        computed = run_day + timedelta(days=getattr(retention, period))
        return max(computed, explicit) if explicit else computed

    run = until("test_runs")
    tools = {
        "aigov_gate": __version__,
        "python": platform.python_version(),
        "policy_packs": {
            name: hashlib.sha256(pack_text(name).encode()).hexdigest()
            for name in config.policy_packs
        },
        "frameworks": list(config.frameworks),
    }
    approvals = json.loads(mask(json.dumps([to_json(s) for s in result.signoffs])))
    members = [
        Planned("report.json", report_json.encode(), False, run),
        Planned("run/git.json", _json(git_info), False, run),
        Planned("run/ci.json", _json(json.loads(mask(json.dumps(ci_metadata(env))))), False, run),
        Planned("run/approvals.json", _json(approvals), False, run),
        Planned("run/tools.json", _json(tools), False, run),
    ]
    config_file = root / CONFIG_FILE
    if config_file.is_file():
        members.append(Planned(f"config/{CONFIG_FILE}", config_file.read_bytes(), False, run))
    for item in result.evidence:
        folder = "documents" if item.role == "document" else "artifacts"
        members.append(
            Planned(
                f"{folder}/{item.path}",
                root / item.path,
                item.sensitive,
                until(item.period, item.retain_until),
            )
        )
    return sorted(members, key=lambda m: m.name)


def _encrypting(chunks: Iterator[bytes], key: bytes, name: str) -> Iterator[bytes]:
    nonce = os.urandom(NONCE)
    encryptor = Cipher(algorithms.AES(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(name.encode())
    yield nonce
    for chunk in chunks:
        yield encryptor.update(chunk)
    yield encryptor.finalize()
    yield encryptor.tag


def _chunks(source: Path | bytes) -> tuple[Iterator[bytes], int]:
    if isinstance(source, bytes):
        return iter([source]), len(source)
    return archive.file_chunks(source), source.stat().st_size


def build(
    out: Path,
    members: list[Planned],
    predicate: dict[str, Any],
    signer: Signer,
    signing_entry: KeyEntry,
    wrapper: Wrapper | None,
    encryption_entry: KeyEntry | None,
    signed_at: datetime,
    mtime: int,
    timestamp: Callable[[bytes], bytes] | None = None,
) -> Built:
    """Write the bundle; the predicate gets the signing time, encryption and retention.

    ``timestamp`` (v3): asks a time-stamping authority for a token over the envelope's
    signature, stored as ``timestamp.tsr``; when it fails, no bundle is written.
    """
    data_key = os.urandom(32) if any(m.sensitive for m in members) else None
    subjects: list[dict[str, Any]] = []
    encrypted: list[str] = []
    retention: dict[str, str] = {}
    writer = archive.Writer(out, mtime)
    try:
        for member in members:
            chunks, size = _chunks(member.source)
            name = member.name
            if member.sensitive and data_key is not None:
                name += ".enc"
                chunks = _encrypting(chunks, data_key, PREFIX + name)
                size += NONCE + TAG
                encrypted.append(name)
            digest = writer.add(PREFIX + name, chunks, size)
            subjects.append({"name": name, "digest": {"sha256": digest}})
            retention[name] = member.retain_until.isoformat()
        until = max((m.retain_until for m in members), default=signed_at.date())
        signed = {
            **predicate,
            "signed_at": stamp(signed_at),
            "signer": _signer(signing_entry),
            "encryption": _encryption(data_key, encrypted),
            "retention": {"until": until.isoformat(), "members": retention},
        }
        statement = {
            "_type": STATEMENT_TYPE,
            "subject": subjects,
            "predicateType": PREDICATE_TYPE,
            "predicate": spelling.to_written(signed),
        }
        payload = json.dumps(statement, indent=2, sort_keys=False).encode() + b"\n"
        envelope = dsse.sign(payload, signer)
        writer.add_bytes(ENVELOPE, envelope)
        if timestamp is not None:
            writer.add_bytes(TIMESTAMP, timestamp(dsse.parse(envelope).signatures[0].sig))
        if data_key is not None:
            assert wrapper is not None and encryption_entry is not None
            writer.add_bytes(WRAPPED, wrapped_keys(data_key, wrapper, encryption_entry))
        writer.close()
    except BaseException:
        writer.abort()
        raise
    return Built(out, len(subjects), tuple(encrypted), until, signing_entry.id)


def _signer(entry: KeyEntry) -> dict[str, Any]:
    return {
        "key_id": entry.id,
        "algorithm": entry.algorithm,
        "provider": entry.provider,
        "organization": entry.organization,
    }


def _encryption(data_key: bytes | None, encrypted: list[str]) -> dict[str, Any] | None:
    if data_key is None:
        return None
    return {
        "algorithm": "AES-256-GCM",
        "layout": "nonce(12) || ciphertext || tag(16); AAD = member name",
        "data_key_sha256": hashlib.sha256(data_key).hexdigest(),
        "members": encrypted,
    }


def wrapped_keys(data_key: bytes, wrapper: Wrapper, entry: KeyEntry) -> bytes:
    return _json(
        {
            "data_key_sha256": hashlib.sha256(data_key).hexdigest(),
            "wrapped": [
                {
                    "key_id": entry.id,
                    "organization": entry.organization,
                    "algorithm": "RSA-OAEP-256",
                    "provider": entry.provider,
                    "reference": entry.reference,
                    "wrapped_key": base64.b64encode(wrapper.wrap(data_key)).decode(),
                }
            ],
        }
    )
