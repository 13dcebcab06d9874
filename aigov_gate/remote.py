"""Evidence outside Git: an EvidenceArtifact with ``uri: s3://bucket/key`` and a
``sha256`` (and no ``path``) is fetched through an active ConnectorConfig of type ``s3``
and hashed while it streams. The gate runs this and fails closed: an artifact that cannot
be fetched (no connector, boto3 not installed, no such key, access denied) is a blocking
finding, as is a digest that differs.

The connector (docs/evidence.md, "Artifacts in S3"):

    spec:
      connector_type: s3
      configuration: {region: eu-west-1, buckets: [acme-evidence], endpoint_url: ...}
      secret_envs: {access_key_id: AWS_ACCESS_KEY_ID, secret_access_key: AWS_SECRET_ACCESS_KEY}

``buckets`` limits which buckets it serves (default: any); without ``secret_envs`` boto3's
own credential chain applies. boto3 is the ``[aws]`` extra, imported only here.

With ``--base`` the connectors are the base's: its endpoint, region, buckets and the names
of its credential variables. A credential therefore only goes to a host the base names;
a connector that the change adds or edits is not used until it is merged, and an artifact
no base connector serves cannot be verified (a blocking finding). In a pull-request
pipeline without ``--base`` nothing is fetched: the working tree is the change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from aigov_gate.documents.assets import EvidenceArtifact
from aigov_gate.documents.integrations import ConnectorConfig
from aigov_gate.references import Checked
from aigov_gate.result import Finding, Severity

if TYPE_CHECKING:
    from aigov_gate.config import AigovConfig
    from aigov_gate.git import BaseRef

RULE_UNVERIFIABLE = "evidence.remote-unverifiable"
_CHUNK = 1 << 20


def check_remote_evidence(
    documents: list[Checked],
    env: Mapping[str, str],
    base: BaseRef | None = None,
    config: AigovConfig | None = None,
) -> Iterator[Finding]:
    """Each s3 artifact fetched and hashed through a connector: the base's with ``base``
    (and ``config``, for the organization and limits), else the working tree's."""
    connectors, where = _connectors(documents, base, config)
    blind = base is None and _pull_request(env)
    for doc in documents:
        model = doc.model
        if not isinstance(model, EvidenceArtifact):
            continue
        spec = model.spec
        if spec.path is not None or spec.sha256 is None or not (spec.uri or "").startswith("s3://"):
            continue
        bucket, _, key = (spec.uri or "").removeprefix("s3://").partition("/")
        if blind:
            why = "in a pull request its connector must come from the base: there is no --base"
            yield _unverifiable(doc, why, "pass --base with the branch the change goes into")
            continue
        connector = next((c for c in connectors if _serves(c, bucket)), None)
        if connector is None:
            why = f"no active ConnectorConfig of type s3{where} serves bucket '{bucket}'"
            hint = 'add one (docs/evidence.md, "Artifacts in S3")'
            if where:
                hint = "connectors come from the base: add or change it on its own, merged first"
            yield _unverifiable(doc, why, hint)
            continue
        digest, problem = _sha256(connector, bucket, key, env)
        if problem:
            yield _unverifiable(doc, problem, "check the connector, its credentials and the uri")
        elif digest != spec.sha256:
            yield Finding(
                "evidence.digest-mismatch",
                Severity.HIGH,
                f"{spec.uri} has sha256 {digest[:12]}..., the document says {spec.sha256[:12]}...",
                doc.raw.locate(("spec", "sha256")),
                doc.raw.target,
                "if the artifact changed on purpose, update sha256; otherwise restore it",
            )


def _connectors(
    documents: list[Checked], base: BaseRef | None, config: AigovConfig | None
) -> tuple[list[ConnectorConfig], str]:
    """The active s3 connectors (the base's with ``base``), and " at the base (REF)"."""
    pool, where = documents, ""
    if base is not None and config is not None and _wanted(documents):
        from aigov_gate import git

        limits = config.limits.to_limits()
        pool = git.documents_at(base, config.organization, limits, ("ConnectorConfig",))
        where = f" at the base ({base.ref})"
    connectors = [
        d.model
        for d in pool
        if isinstance(d.model, ConnectorConfig)
        and d.model.spec.connector_type == "s3"
        and d.model.spec.status == "active"
    ]
    return connectors, where


def _pull_request(env: Mapping[str, str]) -> bool:
    """A GitHub pull-request event or a GitLab merge-request pipeline."""
    event = env.get("GITHUB_EVENT_NAME", "")
    return event.startswith("pull_request") or bool(env.get("CI_MERGE_REQUEST_IID"))


def _remote(model: object) -> bool:
    """An EvidenceArtifact kept in S3 (no path, a sha256, an s3:// uri)."""
    if not isinstance(model, EvidenceArtifact):
        return False
    spec = model.spec
    return spec.path is None and spec.sha256 is not None and (spec.uri or "").startswith("s3://")


def _wanted(documents: list[Checked]) -> bool:
    return any(_remote(d.model) for d in documents)


def _serves(connector: ConnectorConfig, bucket: str) -> bool:
    buckets = connector.spec.configuration.get("buckets")
    return not buckets or (isinstance(buckets, list) and bucket in buckets)


def _sha256(
    connector: ConnectorConfig, bucket: str, key: str, env: Mapping[str, str]
) -> tuple[str, str]:
    """(hex digest, "") or ("", why it could not be fetched)."""
    try:
        import boto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:
        return "", "boto3 is not installed: pip install 'aigov-gate[aws]'"
    settings = connector.spec.configuration
    secrets = connector.spec.secret_envs
    credentials: dict[str, Any] = {}
    for ours, theirs in (
        ("access_key_id", "aws_access_key_id"),
        ("secret_access_key", "aws_secret_access_key"),
        ("session_token", "aws_session_token"),
    ):
        if ours in secrets:
            value = env.get(secrets[ours])
            if not value:
                return "", f"{secrets[ours]} is not set"
            credentials[theirs] = value
    try:
        client = boto3.client(
            "s3",
            region_name=settings.get("region"),
            endpoint_url=settings.get("endpoint_url"),
            config=Config(s3={"addressing_style": settings.get("addressing_style", "auto")}),
            **credentials,
        )
        body = client.get_object(Bucket=bucket, Key=key)["Body"]
        digest = hashlib.sha256()
        for block in iter(lambda: body.read(_CHUNK), b""):
            digest.update(block)
        return digest.hexdigest(), ""
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "error")
        return "", f"s3://{bucket}/{key} could not be fetched ({code})"
    except BotoCoreError as exc:
        return "", f"s3://{bucket}/{key} could not be fetched ({type(exc).__name__})"


def _unverifiable(doc: Checked, why: str, hint: str) -> Finding:
    return Finding(
        RULE_UNVERIFIABLE,
        Severity.HIGH,
        f"{doc.raw.kind} '{doc.raw.name}' cannot be verified: {why}",
        doc.raw.locate(("spec", "uri")),
        doc.raw.target,
        hint,
    )
