"""KMS signers and unwrappers through each cloud SDK's client interface.

No cloud account here: each test injects a double of the SDK client that answers with
the SDK's own response types (dicts for boto3, proto-plus messages for GCP, the Azure
models) and signs or decrypts with a real local key. AWS also runs through moto where
moto is faithful (GetPublicKey); see docs/evidence.md for what moto gets wrong and what
stays untested without an account. The whole user flow (generate, gate --evidence,
verify, decrypt) then runs in-process with the double as the SDK client.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import boto3
import pytest
from azure.keyvault.keys import JsonWebKey
from azure.keyvault.keys.crypto import SignResult, UnwrapResult
from conftest import EXAMPLES, git, invoke
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from google.cloud import kms as gcp_kms
from moto import mock_aws
from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey  # type: ignore[attr-defined]

from aigov_gate.config import KeySource
from aigov_gate.evidence import dsse, kms
from aigov_gate.evidence.keys import key_id, spki_der, verify_signature

#: Gates and keys here run on today's date (no --as-of): CI runs them under a fake clock too.
pytestmark = pytest.mark.dated

OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


class Keys:
    """The private halves the 'KMS' holds."""

    def __init__(self) -> None:
        self.signing = ec.generate_private_key(ec.SECP256R1())
        self.encryption = rsa.generate_private_key(public_exponent=65537, key_size=3072)
        self.digests: list[bytes] = []

    def private(self, name: str) -> Any:
        return self.encryption if "enc" in name else self.signing

    def sign_digest(self, digest: bytes) -> bytes:
        assert len(digest) == 32, "KMS is given the SHA-256 digest, not the message"
        self.digests.append(digest)
        return self.signing.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))


class AwsDouble:
    """boto3 KMS client surface: GetPublicKey, Sign (MessageType=DIGEST), Decrypt."""

    def __init__(self, keys: Keys) -> None:
        self.keys = keys

    def get_public_key(self, KeyId: str) -> dict[str, Any]:
        return {"KeyId": KeyId, "PublicKey": spki_der(self.keys.private(KeyId).public_key())}

    def sign(
        self, KeyId: str, Message: bytes, MessageType: str, SigningAlgorithm: str
    ) -> dict[str, Any]:
        assert (MessageType, SigningAlgorithm) == ("DIGEST", "ECDSA_SHA_256")
        return {"KeyId": KeyId, "Signature": self.keys.sign_digest(Message)}

    def decrypt(
        self, KeyId: str, CiphertextBlob: bytes, EncryptionAlgorithm: str
    ) -> dict[str, Any]:
        assert EncryptionAlgorithm == "RSAES_OAEP_SHA_256"
        return {"KeyId": KeyId, "Plaintext": self.keys.encryption.decrypt(CiphertextBlob, OAEP)}


class GcpDouble:
    """google.cloud.kms.KeyManagementServiceClient surface, answering with its messages."""

    def __init__(self, keys: Keys) -> None:
        self.keys = keys

    def get_public_key(self, request: dict[str, Any]) -> gcp_kms.PublicKey:
        public = self.keys.private(request["name"]).public_key()
        pem = public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()
        return gcp_kms.PublicKey(pem=pem, name=request["name"])

    def asymmetric_sign(self, request: dict[str, Any]) -> gcp_kms.AsymmetricSignResponse:
        signature = self.keys.sign_digest(request["digest"]["sha256"])
        return gcp_kms.AsymmetricSignResponse(signature=signature, name=request["name"])

    def asymmetric_decrypt(self, request: dict[str, Any]) -> gcp_kms.AsymmetricDecryptResponse:
        plaintext = self.keys.encryption.decrypt(request["ciphertext"], OAEP)
        return gcp_kms.AsymmetricDecryptResponse(plaintext=plaintext)


class AzureKeysDouble:
    def __init__(self, keys: Keys, kind: str) -> None:
        self.keys, self.kind = keys, kind

    def get_key(self, name: str, version: str | None = None) -> Any:
        if self.kind == "enc":
            numbers = self.keys.encryption.public_key().public_numbers()
            jwk = JsonWebKey(
                kid=f"https://acme.vault.azure.net/keys/{name}/{version}",
                kty="RSA",
                n=numbers.n.to_bytes(384, "big"),
                e=numbers.e.to_bytes(3, "big"),
            )
        else:
            point = self.keys.signing.public_key().public_numbers()
            jwk = JsonWebKey(
                kid=f"https://acme.vault.azure.net/keys/{name}/{version}",
                kty="EC-HSM",
                crv="P-256",
                x=point.x.to_bytes(32, "big"),
                y=point.y.to_bytes(32, "big"),
            )
        return type("KeyVaultKey", (), {"key": jwk})()


class AzureCryptoDouble:
    """CryptographyClient surface: ES256 answers raw r || s, as Key Vault does."""

    def __init__(self, keys: Keys) -> None:
        self.keys = keys

    def sign(self, algorithm: Any, digest: bytes) -> SignResult:
        assert str(algorithm.value) == "ES256"
        r, s = utils.decode_dss_signature(self.keys.sign_digest(digest))
        raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return SignResult(key_id="kid", signature=raw, algorithm=algorithm)

    def unwrap_key(self, algorithm: Any, encrypted_key: bytes) -> UnwrapResult:
        assert str(algorithm.value) == "RSA-OAEP-256"
        return UnwrapResult(
            key_id="kid", algorithm=algorithm, key=self.keys.encryption.decrypt(encrypted_key, OAEP)
        )


def _double(provider: str, keys: Keys, kind: str) -> Any:
    if provider == "aws-kms":
        return AwsDouble(keys)
    if provider == "gcp-kms":
        return GcpDouble(keys)
    return kms.AzureClients(AzureKeysDouble(keys, kind), AzureCryptoDouble(keys), "k", "1")


REFS = {
    "aws-kms": (
        "arn:aws:kms:eu-west-1:111122223333:key/sign",
        "arn:aws:kms:eu-west-1:111122223333:key/enc",
    ),
    "gcp-kms": (
        "projects/p/locations/europe/keyRings/aigov/cryptoKeys/sign/cryptoKeyVersions/1",
        "projects/p/locations/europe/keyRings/aigov/cryptoKeys/enc/cryptoKeyVersions/1",
    ),
    "azure-key-vault": (
        "https://acme.vault.azure.net/keys/sign/1",
        "https://acme.vault.azure.net/keys/enc/1",
    ),
}


@pytest.mark.parametrize("provider", sorted(REFS))
def test_kms_signature_is_der_and_verifies_with_the_keyring_key_id(provider: str) -> None:
    keys = Keys()
    source = KeySource(provider=provider, key=REFS[provider][0])  # type: ignore[arg-type]
    signer = kms.kms_signer(source, _double(provider, keys, "sign"))
    assert key_id(signer.public) == hashlib.sha256(spki_der(keys.signing.public_key())).hexdigest()
    envelope = dsse.sign(b'{"_type": "x"}', signer)
    parsed = dsse.parse(envelope)
    assert verify_signature(signer.public, parsed.signatures[0].sig, parsed.pae())
    assert keys.digests == [hashlib.sha256(parsed.pae()).digest()]
    key = SSlibKey.from_crypto(
        signer.public, keyid=key_id(signer.public), scheme="ecdsa-sha2-nistp256"
    )
    Envelope.from_dict(json.loads(envelope)).verify([key], 1)


def test_azure_raw_signature_conversion() -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    der = private.sign(b"m", ec.ECDSA(hashes.SHA256()))
    r, s = utils.decode_dss_signature(der)
    assert kms.raw_to_der(r.to_bytes(32, "big") + s.to_bytes(32, "big")) == der
    with pytest.raises(ValueError, match="64 bytes"):
        kms.raw_to_der(b"\0" * 63)


def test_moto_key_ids_match_and_moto_rehashes_digests() -> None:
    """moto is faithful for GetPublicKey, not for Sign with MessageType=DIGEST (5.2.x)."""
    with mock_aws():
        client = boto3.client("kms", region_name="eu-west-1")
        meta = client.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
        source = KeySource(provider="aws-kms", key=meta["Arn"], region="eu-west-1")
        public = kms.kms_public_key(source, "signing", client)
        der = client.get_public_key(KeyId=meta["KeyId"])["PublicKey"]
        assert key_id(public) == hashlib.sha256(der).hexdigest()
        signer = kms.kms_signer(source, client)
        digest = hashlib.sha256(b"message").digest()
        # moto hashes the digest again (getmoto/moto#10202): real KMS signs `digest` itself.
        # The signer checks every answer with the public key, so it refuses moto's, as it
        # would any misbehaving KMS's.
        with pytest.raises(kms.KmsError, match="does not verify"):
            signer.sign(b"message")
        answer = client.sign(
            KeyId=meta["KeyId"],
            Message=digest,
            MessageType="DIGEST",
            SigningAlgorithm="ECDSA_SHA_256",
        )
        signature = answer["Signature"]
        assert not verify_signature(public, signature, b"message")
        assert isinstance(public, ec.EllipticCurvePublicKey)
        public.verify(signature, digest, ec.ECDSA(hashes.SHA256()))
        rsa_key = client.create_key(KeySpec="RSA_3072", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]
        enc = KeySource(provider="aws-kms", key=rsa_key["Arn"], region="eu-west-1")
        assert isinstance(kms.kms_public_key(enc, "encryption", client), rsa.RSAPublicKey)
        with pytest.raises(kms.KmsError, match="not an ECDSA P-256 key"):
            kms.kms_public_key(enc, "signing", client)


def test_kms_errors_name_the_key_and_hide_nothing_secret() -> None:
    with mock_aws():
        client = boto3.client("kms", region_name="eu-west-1")
        source = KeySource(provider="aws-kms", key="alias/missing", region="eu-west-1")
        with pytest.raises(kms.KmsError, match="aws-kms failed for key alias/missing"):
            kms.kms_public_key(source, "signing", client)


@pytest.mark.parametrize("provider", sorted(REFS))
def test_user_flow_with_kms_keys(
    provider: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = Keys()

    def client_for(source: KeySource) -> Any:
        return _double(provider, keys, "enc" if source.key == REFS[provider][1] else "sign")

    monkeypatch.setattr(kms, "client_for", client_for)
    monkeypatch.setenv("AIGOV_PRIVATE_KEY_DIR", str(tmp_path / "no-local-keys"))
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLES / "credit-scoring", repo)
    sign_ref, enc_ref = REFS[provider]
    with (repo / ".aigov.yaml").open("a") as fh:
        fh.write(
            f"keys:\n  signer: {{provider: {provider}, key: '{sign_ref}'}}\n"
            f"  encryption: {{provider: {provider}, key: '{enc_ref}'}}\n"
        )
    git(repo, "init", "-q")
    done = invoke("keys", "generate", "--repo", str(repo))
    assert done.exit_code == 0, done.output
    assert not (tmp_path / "no-local-keys").exists()
    bundle = tmp_path / "b.tar.gz"
    done = invoke("gate", "--repo", str(repo), "--evidence", str(bundle))
    assert done.exit_code == 0, done.output
    done = invoke("evidence", "verify", str(bundle), "--keyring", str(repo / ".aigov/keys"))
    assert done.exit_code == 0, done.output
    out = tmp_path / "out"
    done = invoke("evidence", "decrypt", str(bundle), "--out", str(out), "--repo", str(repo))
    assert done.exit_code == 0, done.output
    sheet = "artifacts/docs/evidence/loan-applications-data-sheet.md"
    assert (out / sheet).read_bytes() == (
        repo / "docs/evidence/loan-applications-data-sheet.md"
    ).read_bytes()
    again = invoke("keys", "rotate", "--force", "--repo", str(repo))
    assert again.exit_code == 2 and "already in the keyring" in again.output


class Liar(Keys):
    """A KMS that, once ``lying``, signs something else than it was given (a wrong key
    version, a proxy rewriting answers)."""

    lying = False

    def sign_digest(self, digest: bytes) -> bytes:
        if self.lying:
            digest = hashlib.sha256(b"not what was asked").digest()
        return super().sign_digest(digest)


def test_a_kms_signature_that_does_not_verify_publishes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = Liar()
    monkeypatch.setattr(kms, "client_for", lambda source: AwsDouble(keys))
    monkeypatch.setenv("AIGOV_PRIVATE_KEY_DIR", str(tmp_path / "local-keys"))
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLES / "credit-scoring", repo)
    with (repo / ".aigov.yaml").open("a") as fh:
        fh.write(f"keys:\n  signer: {{provider: aws-kms, key: '{REFS['aws-kms'][0]}'}}\n")
    git(repo, "init", "-q")
    done = invoke("keys", "generate", "--repo", str(repo))
    assert done.exit_code == 0, done.output
    keys.lying = True
    bundle = tmp_path / "b.tar.gz"
    done = invoke("gate", "--repo", str(repo), "--evidence", str(bundle))
    assert done.exit_code == 2, done.output
    assert "does not verify with that key's public key: no bundle was written" in done.output
    assert list(tmp_path.glob("b.tar.gz*")) == []
