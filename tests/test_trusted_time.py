"""Bundle format v3 (issue 41): the decision as an in-toto SVR, RFC 3161 trusted time from a
real TSA (``openssl ts -reply`` on 127.0.0.1, tests/tsa.py), and the admission question
``aigov evidence verify BUNDLE --model-artifact PATH`` answers offline."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import gate_repo as g
import pytest
from conftest import git, invoke
from google.protobuf import json_format
from in_toto_attestation.v1 import statement_pb2
from in_toto_attestation.v1.statement import Statement
from tsa import Authority, make_authority, serve

OLD = "sha256:" + "ab" * 32
DEPLOY = ("--stage", "deploy", "-e", "production", "-m", "scorer")


@dataclass
class Repo:
    root: Path
    artifact: Path
    tsa: Authority


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    artifact = tmp_path / "model.onnx"
    artifact.write_bytes(b"\x08\x07onnx-model" * 100)
    digest = "sha256:" + hashlib.sha256(artifact.read_bytes()).hexdigest()
    authority = make_authority(tmp_path / "tsa")
    files = g.repo_files(
        {
            "models/scorer.yaml": g.model().replace(OLD, digest),
            ".aigov.yaml": g.CONFIG
            + "paths: [models, data, tests, risk]\n"
            + "timestamps:\n  tsa_roots: [.aigov/tsa-root.pem]\n",
            ".aigov/tsa-root.pem": authority.ca_pem.decode(),
        }
    )
    root = tmp_path / "repo"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text if isinstance(text, str) else text.decode())
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "governance")
    monkeypatch.setenv("AIGOV_PRIVATE_KEY_DIR", str(tmp_path / "private"))
    assert invoke("keys", "generate", "--repo", str(root)).exit_code == 0
    return Repo(root, artifact, authority)


def seal(repo: Repo, out: Path, *args: str) -> None:
    done = invoke("evidence", "build", "--repo", str(repo.root), "--out", str(out), *args)
    assert done.exit_code == 0, done.output


def verify(repo: Repo, bundle: Path, *args: str) -> tuple[int, dict[str, str]]:
    done = invoke(
        "evidence", "verify", str(bundle), "--repo", str(repo.root), "--format", "json", *args
    )
    report = json.loads(done.output)
    return done.exit_code, {
        c["name"]: ("ok " if c["ok"] else "FAIL ") + c["detail"] for c in report["checks"]
    }


def members(bundle: Path) -> dict[str, bytes]:
    with tarfile.open(bundle, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]


def repack(out: Path, contents: dict[str, bytes]) -> Path:
    with tarfile.open(out, "w:gz") as tar:
        for name, data in sorted(contents.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out


def payload(envelope: bytes) -> dict[str, Any]:
    import base64

    return dict(json.loads(base64.b64decode(json.loads(envelope)["payload"])))


def test_a_production_decision_carries_an_svr_that_validates(repo: Repo, tmp_path: Path) -> None:
    bundle = tmp_path / "b.tar.gz"
    seal(repo, bundle, *DEPLOY, "--model-artifact", str(repo.artifact))
    found = members(bundle)
    svr = payload(found["evidence/attestations/svr.dsse.json"])
    # in-toto-attestation's own validation of the Statement (it has no SVR binding)
    Statement.copy_from_pb(json_format.ParseDict(svr, statement_pb2.Statement())).validate()
    assert svr["predicateType"] == "https://in-toto.io/attestation/svr/v0.1"
    predicate = svr["predicate"]
    # the fields the SVR spec defines, with their types
    assert predicate["verifier"]["id"] == "https://aigov-gate.dev/verifier/gate/v1"
    datetime.strptime(predicate["timeCreated"], "%Y-%m-%dT%H:%M:%SZ")
    assert isinstance(predicate["properties"], list)
    assert all(isinstance(p, str) and p.startswith("AIGOV_") for p in predicate["properties"])
    report = json.loads(found["evidence/report.json"])
    assert report["decision"] == "passed", report["findings"]
    assert {"AIGOV_PRODUCTION_DEPLOY_APPROVED", "AIGOV_ARTIFACT_DIGEST_VERIFIED"} <= set(
        predicate["properties"]
    )
    [subject] = svr["subject"]
    assert subject["name"] == "model.onnx"
    assert subject["digest"]["sha256"] == hashlib.sha256(repo.artifact.read_bytes()).hexdigest()
    main = payload(found["signature.dsse.json"])
    assert main["predicateType"] == "https://aigov-gate.dev/attestation/evidence/v3"
    assert main["predicate"]["parts"] == {
        "report": "report.json",
        "verificationResult": "attestations/svr.dsse.json",
        "annexIv": "annex-iv.md",  # a high-risk model's dossier (issue 42)
    }
    code, checks = verify(repo, bundle)
    assert code == 0, checks
    assert checks["verification result"].startswith("ok in-toto SVR signed by")


def test_admission_answers_for_these_exact_bytes(repo: Repo, tmp_path: Path) -> None:
    bundle = tmp_path / "b.tar.gz"
    seal(repo, bundle, *DEPLOY, "--model-artifact", str(repo.artifact))
    code, checks = verify(repo, bundle, "--model-artifact", str(repo.artifact))
    assert code == 0 and checks["admission"].startswith("ok a passing production decision")
    changed = tmp_path / "changed.onnx"
    data = bytearray(repo.artifact.read_bytes())
    data[7] ^= 1
    changed.write_bytes(bytes(data))
    code, checks = verify(repo, bundle, "--model-artifact", str(changed))
    assert code == 1 and checks["admission"].startswith("FAIL")
    assert "the decision covers sha256:" in checks["admission"]
    staging = tmp_path / "staging.tar.gz"
    seal(repo, staging, "--stage", "deploy", "-e", "staging", "-m", "scorer")
    code, checks = verify(repo, staging, "--model-artifact", str(repo.artifact))
    assert code == 1 and "not production" in checks["admission"]


def test_a_timestamp_from_the_tsa_verifies_offline(repo: Repo, tmp_path: Path) -> None:
    bundle = tmp_path / "b.tar.gz"
    with serve(repo.tsa) as url:
        seal(repo, bundle, *DEPLOY, "--timestamp", url)
    assert "timestamp.tsr" in members(bundle)
    code, checks = verify(repo, bundle)  # the TSA is gone: offline, with the config's roots
    assert code == 0, checks
    assert checks["timestamp"].startswith("ok attested ") and "CN=Test TSA" in checks["timestamp"]
    assert "claimed signedAt" in checks["timestamp"]
    code, checks = verify(repo, bundle, "--tsa-cert", str(repo.tsa.ca_path))  # an auditor
    assert code == 0, checks


def test_a_tsa_not_chaining_to_the_roots_or_not_valid_at_gentime_is_refused(
    repo: Repo, tmp_path: Path
) -> None:
    stranger = make_authority(tmp_path / "stranger", name="Stranger TSA")
    bundle = tmp_path / "b.tar.gz"
    with serve(stranger) as url:
        seal(repo, bundle, *DEPLOY, "--timestamp", url)
    code, checks = verify(repo, bundle)
    assert code == 1 and "does not chain to the configured roots" in checks["timestamp"]
    future = make_authority(
        tmp_path / "future", name="Test TSA", not_before=datetime.now(UTC) + timedelta(days=2)
    )
    late = tmp_path / "late.tar.gz"
    with serve(future) as url:
        seal(repo, late, *DEPLOY, "--timestamp", url)
    code, checks = verify(repo, late, "--tsa-cert", str(future.ca_path))
    assert code == 1 and "not yet valid" in checks["timestamp"]


def test_a_stripped_or_swapped_timestamp_is_refused(repo: Repo, tmp_path: Path) -> None:
    bundle, other = tmp_path / "b.tar.gz", tmp_path / "o.tar.gz"
    with serve(repo.tsa) as url:
        seal(repo, bundle, *DEPLOY, "--timestamp", url)
        seal(repo, other, *DEPLOY, "--timestamp", url)
    found = members(bundle)
    stripped = {k: v for k, v in found.items() if k != "timestamp.tsr"}
    code, checks = verify(repo, repack(tmp_path / "s.tar.gz", stripped))
    assert code == 1 and "no timestamp.tsr" in checks["timestamp"]
    swapped = {**found, "timestamp.tsr": members(other)["timestamp.tsr"]}
    code, checks = verify(repo, repack(tmp_path / "w.tar.gz", swapped))
    assert code == 1 and "stamps other bytes" in checks["timestamp"]


def test_a_tsa_that_does_not_answer_writes_no_bundle(repo: Repo, tmp_path: Path) -> None:
    out = tmp_path / "b.tar.gz"
    done = invoke(
        "gate", "--repo", str(repo.root), *DEPLOY, "--evidence", str(out),
        "--timestamp", "http://127.0.0.1:9/tsa",
    )  # fmt: skip
    assert done.exit_code == 2 and "did not answer" in done.output and not out.exists()
    done = invoke("gate", "--repo", str(repo.root), "--timestamp", "http://127.0.0.1:9/")
    assert done.exit_code == 2 and "add --evidence" in done.output


# -- a plan's bar, timestamped --------------------------------------------------------


def _sign_plan(repo: Repo, tmp_path: Path, url: str) -> None:
    key = tmp_path / "miguel"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "miguel", "-f", str(key)],
        check=True,
        capture_output=True,
    )
    kind, blob = key.with_suffix(".pub").read_text().split(" ")[:2]
    (repo.root / g.SIGNERS_FILE).write_text(f'miguel namespaces="aigov-approval" {kind} {blob}\n')
    done = invoke(
        "approvals", "sign", "scorer-plan", "--repo", str(repo.root), "--as", "miguel",
        "--role", "risk_approver", "--key", str(key), "--timestamp", url,
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "(timestamped)" in done.output


def _run_started(repo: Repo, started: datetime) -> None:
    run = repo.root / "tests/run-2.0.0.yaml"
    moment = started.strftime("%Y-%m-%dT%H:%M:%SZ")
    finished = (started + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    run.write_text(
        g.run(finished=finished).replace(
            "  finished_at:", f"  started_at: {moment}\n  finished_at:"
        )
    )


def _bar(repo: Repo) -> dict[str, Any]:
    done = invoke("gate", "--repo", str(repo.root), "--format", "json")
    report = json.loads(done.output)
    [found] = [f for f in report["findings"] if f["rule_id"] == "test.bar-timestamped"]
    return dict(found)


@pytest.mark.dated
def test_a_plan_timestamped_before_the_run_fixes_the_bar_in_advance(
    repo: Repo, tmp_path: Path
) -> None:
    with serve(repo.tsa) as url:
        _sign_plan(repo, tmp_path, url)
    assert "timestamp: |" in (repo.root / "tests/plan.yaml").read_text()
    _run_started(repo, datetime.now(UTC) + timedelta(minutes=30))
    found = _bar(repo)
    assert found["severity"] == "info" and not found["blocking"]
    assert found["message"].startswith("bar fixed in advance (timestamped): TestPlan scorer-plan")
    assert "CN=Test TSA" in found["message"]
    _run_started(repo, datetime.now(UTC) - timedelta(days=1))  # results before the bar
    found = _bar(repo)
    assert found["severity"] == "medium" and "not before the run started" in found["message"]


def test_a_plan_timestamp_from_an_untrusted_tsa_does_not_count(repo: Repo, tmp_path: Path) -> None:
    stranger = make_authority(tmp_path / "stranger", name="Stranger TSA")
    with serve(stranger) as url:
        _sign_plan(repo, tmp_path, url)
    _run_started(repo, datetime.now(UTC) + timedelta(minutes=30))
    found = _bar(repo)
    assert found["severity"] == "medium" and "does not chain" in found["message"]
