"""``aigov gate --model-artifact``: the model's bytes at deploy, hashed as OMS does (issue 41).

The OMS manifest is computed by aigov itself and checked against ``model-signing``'s own;
signatures are made with ``model-signing`` and a real EC key, and verified against the key
the base revision names.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import gate_repo as g
import pytest
from conftest import EXAMPLES, WriteRepo, git, invoke
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from aigov_gate.artifact.manifest import ArtifactError, manifest

AS_OF = "2026-06-01"
OLD = "sha256:" + "ab" * 32
DEPLOY = ("--stage", "deploy", "-e", "production", "-m", "scorer")


def gate(repo: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = invoke("gate", "--repo", str(repo), "--as-of", AS_OF, "--format", "json", *args)
    return result.exit_code, json.loads(result.output) if result.exit_code < 2 else {}


def rules(report: dict[str, Any]) -> list[str]:
    return [f["rule_id"] for f in report["findings"]]


def model_dir(folder: Path) -> Path:
    (folder / "sub").mkdir(parents=True)
    (folder / "weights.bin").write_bytes(bytes(range(256)) * 64)
    (folder / "config.json").write_text('{"layers": 2}\n')
    (folder / "sub" / "tok.txt").write_text("a b c\n")
    (folder / "a-b").write_text("dash sorts after the folder a/ in OMS\n")
    (folder / "a").mkdir()
    (folder / "a" / "b").write_text("inside a\n")
    (folder / ".gitattributes").write_text("*.bin binary\n")  # OMS leaves it out
    return folder


def with_digest(
    digest: str, changes: dict[str, str | bytes] | None = None
) -> dict[str, str | bytes]:
    return g.repo_files({"models/scorer.yaml": g.model().replace(OLD, digest), **(changes or {})})


def test_the_manifest_is_the_one_model_signing_computes(tmp_path: Path) -> None:
    from model_signing import hashing

    folder = model_dir(tmp_path / "m")
    ours = manifest(folder)
    theirs = hashing.Config().hash(folder)  # type: ignore[no-untyped-call]
    assert [(r.name, r.sha256) for r in ours.resources] == [
        (d.identifier, d.digest.digest_hex) for d in theirs.resource_descriptors()
    ]
    assert [r.name for r in ours.resources][:2] == ["a/b", "a-b"]
    # the root digest is the subject digest model-signing signs
    from model_signing._signing.signing import Payload

    subject = Payload(theirs).statement.pb.subject[0]
    assert ours.root == subject.digest["sha256"]
    single = folder / "config.json"
    assert (
        manifest(single).file_digest == "sha256:" + hashlib.sha256(single.read_bytes()).hexdigest()
    )
    assert (
        manifest(single).root
        == Payload(hashing.Config().hash(single)).statement.pb.subject[0].digest["sha256"]  # type: ignore[no-untyped-call]
    )


def test_links_and_empty_folders_cannot_be_hashed(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ArtifactError, match="no file"):
        manifest(tmp_path / "empty")
    folder = model_dir(tmp_path / "m")
    (folder / "link").symlink_to(folder / "config.json")
    with pytest.raises(ArtifactError, match="symbolic link"):
        manifest(folder)


def test_production_deploy_passes_with_the_bytes_and_blocks_on_one_changed_byte(
    write_repo: WriteRepo, tmp_path: Path
) -> None:
    weights = tmp_path / "model.onnx"
    weights.write_bytes(b"\x08\x07onnx-model" * 100)
    digest = "sha256:" + hashlib.sha256(weights.read_bytes()).hexdigest()
    repo = write_repo(with_digest(digest))
    code, report = gate(repo, *DEPLOY, "--model-artifact", str(weights))
    assert (code, report["decision"], report["findings"]) == (0, "passed", [])
    assert report["artifact"]["matches"] is True and report["artifact"]["digest"] == digest
    data = bytearray(weights.read_bytes())
    data[500] ^= 1
    weights.write_bytes(bytes(data))
    code, report = gate(repo, *DEPLOY, "--model-artifact", str(weights))
    assert code == 1 and rules(report) == ["deploy.artifact-mismatch"]
    found = report["findings"][0]
    assert found["blocking"] and found["path"] == "models/scorer.yaml"
    assert digest in found["message"] and "scorer@2.0.0" in found["message"]


def test_a_model_directory_matches_its_oms_digest_and_a_waiver_does_not_open_it(
    write_repo: WriteRepo, tmp_path: Path
) -> None:
    folder = model_dir(tmp_path / "m")
    repo = write_repo(with_digest(manifest(folder).oms_digest))
    code, report = gate(repo, *DEPLOY, "--model-artifact", str(folder))
    assert (code, report["findings"]) == (0, [])
    assert report["artifact"]["files"] == 5
    (folder / "extra.txt").write_text("a file nobody approved\n")
    waiver = g.waiver("deploy.artifact-mismatch", "2026-07-01", name="skip")
    repo = write_repo(with_digest(manifest(folder / "config.json").oms_digest, {"w.yaml": waiver}))
    code, report = gate(repo, *DEPLOY, "--model-artifact", str(folder))
    assert code == 1 and "deploy.artifact-mismatch" in rules(report)
    mismatch = next(f for f in report["findings"] if f["rule_id"] == "deploy.artifact-mismatch")
    assert mismatch["blocking"] and not mismatch["waived_by"]


def test_a_single_file_digest_is_not_a_directory(write_repo: WriteRepo, tmp_path: Path) -> None:
    folder = model_dir(tmp_path / "m")
    single = "sha256:" + hashlib.sha256((folder / "config.json").read_bytes()).hexdigest()
    repo = write_repo(with_digest(single))
    code, report = gate(repo, *DEPLOY, "--model-artifact", str(folder))
    assert code == 1 and "is a directory of 5 file(s)" in report["findings"][0]["message"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--stage", "deploy", "-e", "production"), "--model-artifact needs --model"),
        (("-m", "scorer"), "--model-artifact is for a deploy gate"),
        ((*DEPLOY, "--model-artifact"), "no such file or directory"),
    ],
)
def test_usage_errors(write_repo: WriteRepo, args: tuple[str, ...], message: str) -> None:
    repo = write_repo(g.repo_files())
    where = [] if args[-1] == "--model-artifact" else ["--model-artifact", str(repo)]
    extra = [str(repo / "nothing-here")] if args[-1] == "--model-artifact" else where
    result = invoke("gate", "--repo", str(repo), "--as-of", AS_OF, *args, *extra)
    assert result.exit_code == 2 and message in result.output


def test_the_example_ships_the_bytes_its_model_names(tmp_path: Path) -> None:
    example = EXAMPLES / "credit-scoring"
    artifact = example / "model/credit-scoring-2.3.0.scorecard.json"
    args = ("--stage", "deploy", "-e", "staging", "-m", "credit-scoring")
    result = invoke(
        "gate", "--repo", str(example), "--as-of", AS_OF, *args, "--model-artifact", str(artifact)
    )
    assert result.exit_code == 0, result.output
    changed = tmp_path / artifact.name
    changed.write_bytes(artifact.read_bytes().replace(b'"cutoff": 580', b'"cutoff": 560'))
    result = invoke(
        "gate", "--repo", str(example), "--as-of", AS_OF, *args, "--model-artifact", str(changed)
    )
    assert result.exit_code == 1 and "deploy.artifact-mismatch" in result.output


# -- OMS signatures ---------------------------------------------------------------------


def keypair(folder: Path, name: str) -> tuple[Path, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    private = folder / f"{name}.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


def sign(folder: Path, private: Path) -> None:
    from model_signing import hashing, signing

    config = hashing.Config().set_ignored_paths(paths=[folder / "model.sig"])  # type: ignore[no-untyped-call]
    signing.Config().set_hashing_config(config).use_elliptic_key_signer(private_key=private).sign(  # type: ignore[no-untyped-call]
        folder, folder / "model.sig"
    )


SIGNING = "deploy:\n  model_signing:\n    public_key: keys/models.pub\n    required: [high]\n"


def signed_repo(write_repo: WriteRepo, folder: Path, public: bytes) -> Path:
    return write_repo(
        with_digest(
            manifest(folder).oms_digest,
            {".aigov.yaml": g.CONFIG + SIGNING, "keys/models.pub": public.decode()},
        )
    )


def test_a_required_signature_verifies_with_the_configured_key(
    write_repo: WriteRepo, tmp_path: Path
) -> None:
    private, public = keypair(tmp_path, "ml")
    folder = model_dir(tmp_path / "m")
    repo = signed_repo(write_repo, folder, public)
    code, report = gate(repo, *DEPLOY, "--model-artifact", str(folder))
    assert code == 1 and rules(report) == ["deploy.artifact-unsigned"]
    sign(folder, private)
    code, report = gate(repo, *DEPLOY, "--model-artifact", str(folder))
    assert (code, report["findings"]) == (0, [])
    assert report["artifact"]["signature"] == "verified"


def test_a_signature_by_another_key_is_invalid(write_repo: WriteRepo, tmp_path: Path) -> None:
    _, public = keypair(tmp_path, "ml")
    other, _ = keypair(tmp_path, "mallory")
    folder = model_dir(tmp_path / "m")
    sign(folder, other)
    repo = signed_repo(write_repo, folder, public)
    code, report = gate(repo, *DEPLOY, "--model-artifact", str(folder))
    assert code == 1 and rules(report) == ["deploy.signature-invalid"]
    assert report["artifact"]["signature"] == "invalid"


def test_the_signer_comes_from_the_base_not_the_change(
    write_repo: WriteRepo, tmp_path: Path
) -> None:
    _, public = keypair(tmp_path, "ml")
    mallory, mallory_public = keypair(tmp_path, "mallory")
    folder = model_dir(tmp_path / "m")
    sign(folder, mallory)
    repo = signed_repo(write_repo, folder, public)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    (repo / "keys/models.pub").write_bytes(mallory_public)  # the change swaps the key
    git(repo, "commit", "-q", "-am", "swap the model-signing key")
    code, report = gate(repo, *DEPLOY, "--model-artifact", str(folder), "--base", "HEAD~1")
    assert code == 1 and "deploy.signature-invalid" in rules(report)
    # without the swap in the base, the working tree's key is the key (and it verifies)
    shutil.rmtree(repo / ".git")
    code, report = gate(repo, *DEPLOY, "--model-artifact", str(folder))
    assert report["artifact"]["signature"] == "verified"


# -- OMS certificate signatures: the chain and the identity the base names ---------------

SIGNER = "ml-release@acme.example"


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Acme"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _certificate(
    subject: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    extensions: list[tuple[x509.ExtensionType, bool]],
) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(issuer_key, hashes.SHA256())


class CA:
    """A certificate authority made at test time, issuing model-signing certificates."""

    def __init__(self, cn: str) -> None:
        self.name = _name(cn)
        self.key = ec.generate_private_key(ec.SECP256R1())
        usage = x509.KeyUsage(
            digital_signature=False,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=True,
            crl_sign=True,
            encipher_only=False,
            decipher_only=False,
        )
        self.cert = _certificate(
            self.name,
            self.key,
            self.name,
            self.key,
            [(x509.BasicConstraints(ca=True, path_length=0), True), (usage, True)],
        )

    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def issue(self, folder: Path, email: str) -> tuple[Path, Path]:
        """A leaf for ``email`` (its private key and certificate, as PEM files)."""
        key = ec.generate_private_key(ec.SECP256R1())
        usage = x509.KeyUsage(
            digital_signature=True,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=False,
            crl_sign=False,
            encipher_only=False,
            decipher_only=False,
        )
        leaf = _certificate(
            _name(email),
            key,
            self.name,
            self.key,
            [
                (x509.BasicConstraints(ca=False, path_length=None), True),
                (usage, True),
                (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), False),
                (x509.SubjectAlternativeName([x509.RFC822Name(email)]), False),
            ],
        )
        folder.mkdir(parents=True, exist_ok=True)
        private = folder / f"{email}.key.pem"
        private.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        certificate = folder / f"{email}.pem"
        certificate.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
        return private, certificate


def sign_with_certificate(folder: Path, private: Path, certificate: Path, ca: CA) -> None:
    from model_signing import hashing, signing

    chain = private.parent / "ca.pem"
    chain.write_bytes(ca.pem())
    config = hashing.Config().set_ignored_paths(paths=[folder / "model.sig"])  # type: ignore[no-untyped-call]
    signing.Config().set_hashing_config(config).use_certificate_signer(  # type: ignore[no-untyped-call]
        private_key=private, signing_certificate=certificate, certificate_chain=[chain]
    ).sign(folder, folder / "model.sig")


def cert_signing(identities: str = f"[{SIGNER}]", issuer: str = "") -> str:
    return (
        "deploy:\n  model_signing:\n    certificate_chain: [keys/ml-ca.pem]\n"
        f"    certificate_identities: {identities}\n{issuer}    required: [high]\n"
    )


def cert_repo(write_repo: WriteRepo, folder: Path, ca: CA, signing: str) -> Path:
    return write_repo(
        with_digest(
            manifest(folder).oms_digest,
            {".aigov.yaml": g.CONFIG + signing, "keys/ml-ca.pem": ca.pem().decode()},
        )
    )


def test_a_certificate_signature_verifies_for_the_configured_identity_only(
    write_repo: WriteRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIGOV_PII_MASKING_ENABLED", "false")  # to read the signer's e-mail
    ca = CA("ML Signing CA")
    folder = model_dir(tmp_path / "m")
    sign_with_certificate(folder, *ca.issue(tmp_path / "pki", SIGNER), ca)
    repo = cert_repo(write_repo, folder, ca, cert_signing())
    code, report = gate(repo, *DEPLOY, "--model-artifact", str(folder))
    assert (code, report["findings"]) == (0, [])
    assert report["artifact"]["signature"] == "verified"
    assert (
        f"signed by {SIGNER} (issued by CN=ML Signing CA,O=Acme)"
        in (report["artifact"]["signature_detail"])
    )
    # the same CA issued a certificate to someone the base does not name: refused
    sign_with_certificate(folder, *ca.issue(tmp_path / "pki", "mallory@acme.example"), ca)
    code, report = gate(repo, *DEPLOY, "--model-artifact", str(folder))
    assert code == 1 and rules(report) == ["deploy.signature-invalid"]
    assert report["artifact"]["signature"] == "invalid"
    finding = report["findings"][0]
    text = " ".join([finding["message"], *finding.get("details", [])])
    assert "email:mallory@acme.example" in text and "certificate_identities" in text


def test_a_certificate_from_another_ca_or_issuer_is_refused(
    write_repo: WriteRepo, tmp_path: Path
) -> None:
    ca, rogue = CA("ML Signing CA"), CA("Rogue CA")
    folder = model_dir(tmp_path / "m")
    sign_with_certificate(folder, *rogue.issue(tmp_path / "rogue", SIGNER), rogue)
    repo = cert_repo(write_repo, folder, ca, cert_signing())
    code, report = gate(repo, *DEPLOY, "--model-artifact", str(folder))
    assert code == 1 and rules(report) == ["deploy.signature-invalid"]
    # the right CA and SAN, but the base pins another issuing CA
    sign_with_certificate(folder, *ca.issue(tmp_path / "pki", SIGNER), ca)
    pinned = cert_repo(
        write_repo, folder, ca, cert_signing(issuer="    certificate_issuer: CN=Other CA,O=Acme\n")
    )
    code, report = gate(pinned, *DEPLOY, "--model-artifact", str(folder))
    assert code == 1 and rules(report) == ["deploy.signature-invalid"]
    assert "certificate_issuer" in report["artifact"]["signature_detail"]
    right = cert_signing(issuer="    certificate_issuer: CN=ML Signing CA,O=Acme\n")
    code, report = gate(
        cert_repo(write_repo, folder, ca, right), *DEPLOY, "--model-artifact", str(folder)
    )
    assert (code, report["artifact"]["signature"]) == (0, "verified")


def test_the_signing_identity_comes_from_the_base_not_the_change(
    write_repo: WriteRepo, tmp_path: Path
) -> None:
    ca = CA("ML Signing CA")
    folder = model_dir(tmp_path / "m")
    sign_with_certificate(folder, *ca.issue(tmp_path / "pki", "mallory@acme.example"), ca)
    repo = cert_repo(write_repo, folder, ca, cert_signing())
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    config = repo / ".aigov.yaml"
    config.write_text(
        config.read_text().replace(f"[{SIGNER}]", f"[{SIGNER}, mallory@acme.example]")
    )
    git(repo, "commit", "-q", "-am", "let mallory sign models")
    code, report = gate(repo, *DEPLOY, "--model-artifact", str(folder), "--base", "HEAD~1")
    assert code == 1 and "deploy.signature-invalid" in rules(report)
    assert report["artifact"]["signature"] == "invalid"
    code, report = gate(repo, "--base", "HEAD~1")  # at the merge: a change of authority
    assert code == 1 and "authority.changed" in rules(report)


def test_a_certificate_chain_without_identities_is_a_config_error(
    write_repo: WriteRepo, tmp_path: Path
) -> None:
    ca = CA("ML Signing CA")
    folder = model_dir(tmp_path / "m")
    signing = "deploy:\n  model_signing:\n    certificate_chain: [keys/ml-ca.pem]\n"
    repo = cert_repo(write_repo, folder, ca, signing)
    result = invoke(
        "gate", "--repo", str(repo), "--as-of", AS_OF, *DEPLOY, "--model-artifact", str(folder)
    )
    assert result.exit_code == 2, result.output
    assert "certificate_chain needs certificate_identities" in result.output
    assert ".aigov.yaml" in result.output and "Traceback" not in result.output
    bad = cert_signing(issuer="    certificate_issuer: 'O = Acme, CN = ML Signing CA'\n")
    result = invoke("validate", "--repo", str(cert_repo(write_repo, folder, ca, bad)))
    assert result.exit_code == 2, result.output
    assert "not an RFC 4514 distinguished name" in result.output
