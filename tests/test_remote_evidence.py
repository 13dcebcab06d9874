"""Evidence in S3, verified by sha256 through an s3 connector, against a real moto server
on 127.0.0.1 (boto3 and moto from the test extra; the [aws] extra for users)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import gate_repo as g
import pytest
from conftest import WriteRepo, git, run_aigov
from receiver import serve

BODY = b"# Fundamental rights impact assessment\n\nSigned off 2026-10-01.\n"
KEYS = {"AWS_ACCESS_KEY_ID": "testing-key", "AWS_SECRET_ACCESS_KEY": "testing-secret-value"}


@pytest.fixture(scope="module")
def s3() -> Iterator[str]:
    import boto3
    from botocore.config import Config
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=url,
        region_name="eu-west-1",
        aws_access_key_id=KEYS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=KEYS["AWS_SECRET_ACCESS_KEY"],
        config=Config(s3={"addressing_style": "path"}),
    )
    client.create_bucket(
        Bucket="acme-evidence", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    client.put_object(Bucket="acme-evidence", Key="fria/scorer-2.0.0.md", Body=BODY)
    try:
        yield url
    finally:
        server.stop()


def _artifact(uri: str, sha256: str) -> str:
    return (
        "apiVersion: aigov/v1\nkind: EvidenceArtifact\nmetadata:\n  name: scorer-fria\n"
        f"spec:\n  artifact_type: fria\n  uri: {uri}\n  sha256: '{sha256}'\n  models: [scorer]\n"
    )


def _connector(url: str, buckets: str = "[acme-evidence]") -> str:
    return (
        "apiVersion: aigov/v1\nkind: ConnectorConfig\nmetadata:\n  name: evidence-store\n"
        "spec:\n  connector_type: s3\n  configuration:\n"
        f"    endpoint_url: {url}\n    region: eu-west-1\n    addressing_style: path\n"
        f"    buckets: {buckets}\n"
        "  secret_envs:\n    access_key_id: AWS_ACCESS_KEY_ID\n"
        "    secret_access_key: AWS_SECRET_ACCESS_KEY\n"
    )


def _gate(repo: Path, env: dict[str, str]) -> tuple[int, list[dict[str, str]], str]:
    done = run_aigov(
        "gate", "--repo", str(repo), "--format", "json", "--as-of", "2026-11-01", env=env
    )
    assert (
        "Traceback" not in done.stderr and "testing-secret-value" not in done.stdout + done.stderr
    )
    findings = [
        f for f in json.loads(done.stdout)["findings"] if f["rule_id"].startswith("evidence.")
    ]
    return done.returncode, findings, done.stdout


def test_an_s3_artifact_is_fetched_and_its_sha256_checked(s3: str, write_repo: WriteRepo) -> None:
    good = hashlib.sha256(BODY).hexdigest()
    uri = "s3://acme-evidence/fria/scorer-2.0.0.md"
    files = {"evidence/fria.yaml": _artifact(uri, good), "connectors/s3.yaml": _connector(s3)}
    repo = write_repo(g.repo_files(files))
    code, findings, _ = _gate(repo, KEYS)
    assert findings == [] and code == 0

    (repo / "evidence/fria.yaml").write_text(_artifact(uri, "0" * 64))
    code, findings, _ = _gate(repo, KEYS)
    assert code == 1 and [f["rule_id"] for f in findings] == ["evidence.digest-mismatch"]
    assert good[:12] in findings[0]["message"] and findings[0]["path"] == "evidence/fria.yaml"


def test_what_cannot_be_fetched_blocks_and_says_why(s3: str, write_repo: WriteRepo) -> None:
    good = hashlib.sha256(BODY).hexdigest()
    missing = "s3://acme-evidence/fria/nope.md"
    repo = write_repo(
        g.repo_files(
            {"evidence/fria.yaml": _artifact(missing, good), "connectors/s3.yaml": _connector(s3)}
        )
    )
    cases = [
        (KEYS, "could not be fetched (NoSuchKey)"),
        ({"AWS_ACCESS_KEY_ID": "testing-key"}, "AWS_SECRET_ACCESS_KEY is not set"),
    ]
    for env, why in cases:
        code, findings, _ = _gate(repo, env)
        assert code == 1 and [f["rule_id"] for f in findings] == ["evidence.remote-unverifiable"]
        assert why in findings[0]["message"], findings[0]["message"]
    (repo / "connectors/s3.yaml").write_text(_connector(s3, buckets="[other-bucket]"))
    code, findings, _ = _gate(repo, KEYS)
    assert (
        code == 1
        and "no active ConnectorConfig of type s3 serves bucket 'acme-evidence'"
        in findings[0]["message"]
    )
    # An artifact kept in the repository is checked as before, not fetched.
    (repo / "evidence/fria.md").write_bytes(BODY)
    (repo / "evidence/fria.yaml").write_text(
        _artifact(missing, good).replace("  uri:", "  path: evidence/fria.md\n  uri:")
    )
    code, findings, _ = _gate(repo, KEYS)
    assert findings == [] and code == 0


def test_credentials_only_go_to_the_endpoint_the_base_names(s3: str, write_repo: WriteRepo) -> None:
    """A change points the connector at its own host, names a CI token as the access key,
    and adds a connector of its own: with --base, the host gets nothing."""
    token = "ghp_" + "k" * 36
    good = hashlib.sha256(BODY).hexdigest()
    uri = "s3://acme-evidence/fria/scorer-2.0.0.md"
    files = {"evidence/fria.yaml": _artifact(uri, good), "connectors/s3.yaml": _connector(s3)}
    repo = write_repo(g.repo_files(files))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    with serve() as attacker:
        evil = attacker.url("")
        edited = _connector(evil).replace(
            "access_key_id: AWS_ACCESS_KEY_ID", "access_key_id: AIGOV_GITHUB_TOKEN"
        )
        (repo / "connectors/s3.yaml").write_text(edited)
        added = _connector(evil, "[leak-bucket]").replace("name: evidence-store", "name: mine")
        (repo / "connectors/mine.yaml").write_text(added)
        second = _artifact("s3://leak-bucket/x.md", good).replace("scorer-fria", "leak")
        (repo / "evidence/leak.yaml").write_text(second)
        env = KEYS | {"AIGOV_GITHUB_TOKEN": token}
        done = run_aigov(
            "gate", "--repo", str(repo), "--base", "main", "--format", "json",
            "--as-of", "2026-11-01", env=env,
        )  # fmt: skip
        # A pull-request pipeline that forgot --base: the working tree is the change.
        forgot = run_aigov(
            "gate", "--repo", str(repo), "--format", "json", "--as-of", "2026-11-01",
            env=env | {"GITHUB_EVENT_NAME": "pull_request"},
        )  # fmt: skip
        sent = [json.dumps(r.headers) for r in attacker.received]
    assert not any(token in s or "testing-key" in s for s in sent), sent
    assert attacker.received == []
    blind = [
        f for f in json.loads(forgot.stdout)["findings"] if f["rule_id"].startswith("evidence.")
    ]
    assert [f["rule_id"] for f in blind] == ["evidence.remote-unverifiable"] * 2
    assert all("there is no --base" in f["message"] for f in blind)
    findings = [
        f for f in json.loads(done.stdout)["findings"] if f["rule_id"].startswith("evidence.")
    ]
    # The base's connector verified the artifact at the base's endpoint; the new one is not used.
    assert [(f["rule_id"], f["path"]) for f in findings] == [
        ("evidence.remote-unverifiable", "evidence/leak.yaml")
    ]
    assert "at the base (main) serves bucket 'leak-bucket'" in findings[0]["message"]
