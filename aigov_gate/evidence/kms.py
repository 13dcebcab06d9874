"""Signing and unwrapping with keys held in AWS KMS, Azure Key Vault or Google Cloud KMS.

Each SDK is an optional extra (``pip install 'aigov-gate[aws]'``, ``[azure]``, ``[gcp]``)
imported only here, only when configured. Every function takes an optional ready-made
SDK client, which is how tests inject theirs; without one the SDK's default credentials
are used (environment, instance role, workload identity, ``gcloud``/``az`` login).

The signature is always ECDSA P-256 over SHA-256, and always DER: AWS and GCP return DER,
Azure returns the raw ``r || s`` (IEEE P1363), which is converted. KMS is given the
SHA-256 digest of the message (AWS ``MessageType=DIGEST``), so the message can be larger
than the 4 KiB a raw AWS message allows. Wrapping a data key needs only the public key in
the keyring; unwrapping asks the KMS (RSA-OAEP with SHA-256).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa, utils

from aigov_gate.config import KeySource
from aigov_gate.errors import AigovError
from aigov_gate.evidence.keys import PublicKey

EXTRAS = {"aws-kms": "aws", "azure-key-vault": "azure", "gcp-kms": "gcp"}


class KmsError(AigovError):
    """The KMS could not be reached or refused the operation."""


def _missing(provider: str, exc: ImportError) -> KmsError:
    return KmsError(
        f"the {provider} signer needs its SDK ({exc.name} is not installed)",
        hint=f"pip install 'aigov-gate[{EXTRAS[provider]}]'",
    )


# -- AWS KMS ---------------------------------------------------------------------------


def aws_client(source: KeySource) -> Any:
    try:
        import boto3
    except ImportError as exc:
        raise _missing("aws-kms", exc) from None
    return boto3.client("kms", region_name=source.region) if source.region else boto3.client("kms")


def aws_public(source: KeySource, client: Any) -> Any:
    return serialization.load_der_public_key(client.get_public_key(KeyId=source.key)["PublicKey"])


def aws_sign(source: KeySource, client: Any, digest: bytes) -> bytes:
    reply = client.sign(
        KeyId=source.key, Message=digest, MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_256"
    )
    return bytes(reply["Signature"])


def aws_unwrap(source: KeySource, client: Any, wrapped: bytes) -> bytes:
    reply = client.decrypt(
        KeyId=source.key, CiphertextBlob=wrapped, EncryptionAlgorithm="RSAES_OAEP_SHA_256"
    )
    return bytes(reply["Plaintext"])


# -- Google Cloud KMS ------------------------------------------------------------------


def gcp_client(source: KeySource) -> Any:
    try:
        from google.cloud import kms
    except ImportError as exc:
        raise _missing("gcp-kms", exc) from None
    return kms.KeyManagementServiceClient()


def gcp_public(source: KeySource, client: Any) -> Any:
    pem = client.get_public_key(request={"name": source.key}).pem
    return serialization.load_pem_public_key(pem.encode())


def gcp_sign(source: KeySource, client: Any, digest: bytes) -> bytes:
    reply = client.asymmetric_sign(request={"name": source.key, "digest": {"sha256": digest}})
    return bytes(reply.signature)


def gcp_unwrap(source: KeySource, client: Any, wrapped: bytes) -> bytes:
    reply = client.asymmetric_decrypt(request={"name": source.key, "ciphertext": wrapped})
    return bytes(reply.plaintext)


# -- Azure Key Vault -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AzureClients:
    """Key Vault needs two SDK clients: one reads the key, one uses it."""

    keys: Any  # azure.keyvault.keys.KeyClient
    crypto: Any  # azure.keyvault.keys.crypto.CryptographyClient
    name: str
    version: str | None


def azure_key_url(url: str) -> tuple[str, str, str | None]:
    """``https://VAULT.vault.azure.net/keys/NAME[/VERSION]`` -> vault URL, name, version."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if parts.scheme != "https" or len(segments) not in (2, 3) or segments[0] != "keys":
        raise KmsError(
            f"{url} is not a Key Vault key URL",
            hint="use https://VAULT.vault.azure.net/keys/NAME/VERSION",
        )
    version = segments[2] if len(segments) == 3 else None
    return f"https://{parts.netloc}", segments[1], version


def azure_client(source: KeySource) -> Any:
    try:
        from azure.identity import DefaultAzureCredential
        from azure.keyvault.keys import KeyClient
        from azure.keyvault.keys.crypto import CryptographyClient
    except ImportError as exc:
        raise _missing("azure-key-vault", exc) from None
    vault, name, version = azure_key_url(str(source.key))
    credential = DefaultAzureCredential()
    return AzureClients(
        KeyClient(vault, credential), CryptographyClient(str(source.key), credential), name, version
    )


def azure_public(source: KeySource, client: AzureClients) -> Any:
    jwk = client.keys.get_key(client.name, client.version).key
    if str(jwk.kty).startswith("EC"):
        return ec.EllipticCurvePublicNumbers(
            int.from_bytes(jwk.x, "big"), int.from_bytes(jwk.y, "big"), ec.SECP256R1()
        ).public_key()
    return rsa.RSAPublicNumbers(
        int.from_bytes(jwk.e, "big"), int.from_bytes(jwk.n, "big")
    ).public_key()


def azure_sign(source: KeySource, client: AzureClients, digest: bytes) -> bytes:
    from azure.keyvault.keys.crypto import SignatureAlgorithm

    return raw_to_der(bytes(client.crypto.sign(SignatureAlgorithm.es256, digest).signature))


def raw_to_der(raw: bytes) -> bytes:
    """IEEE P1363 ``r || s`` (Azure, JOSE) to the DER ECDSA-Sig-Value everyone else uses."""
    if len(raw) != 64:
        raise ValueError(f"an ES256 signature has 64 bytes, not {len(raw)}")
    r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    return utils.encode_dss_signature(r, s)


def azure_unwrap(source: KeySource, client: AzureClients, wrapped: bytes) -> bytes:
    from azure.keyvault.keys.crypto import KeyWrapAlgorithm

    return bytes(client.crypto.unwrap_key(KeyWrapAlgorithm.rsa_oaep_256, wrapped).key)


# -- the backends: one entry each; a new KMS is four functions and a line here ----------


class KmsBackend(Protocol):
    """What aigov needs from a KMS: a client, the public key, a signature over a SHA-256
    digest (DER), and RSA-OAEP-SHA-256 unwrapping of a data key."""

    def client(self, source: KeySource) -> Any: ...
    def public(self, source: KeySource, client: Any) -> Any: ...
    def sign(self, source: KeySource, client: Any, digest: bytes) -> bytes: ...
    def unwrap(self, source: KeySource, client: Any, wrapped: bytes) -> bytes: ...


@dataclass(frozen=True, slots=True)
class Backend:
    """A :class:`KmsBackend` made of a provider's four functions."""

    client: Callable[[KeySource], Any]
    public: Callable[[KeySource, Any], Any]
    sign: Callable[[KeySource, Any, bytes], bytes]
    unwrap: Callable[[KeySource, Any, bytes], bytes]


#: ``keys.signing.provider`` / ``keys.encryption.provider`` of ``.aigov.yaml`` -> backend.
BACKENDS: dict[str, KmsBackend] = {
    "aws-kms": Backend(aws_client, aws_public, aws_sign, aws_unwrap),
    "gcp-kms": Backend(gcp_client, gcp_public, gcp_sign, gcp_unwrap),
    "azure-key-vault": Backend(azure_client, azure_public, azure_sign, azure_unwrap),
}


def _call(source: KeySource, op: Literal["public", "sign", "unwrap"], *args: Any) -> Any:
    """``op`` of the source's backend, with any SDK failure worded as a :class:`KmsError`."""
    try:
        return getattr(BACKENDS[source.provider], op)(source, *args)
    except AigovError:
        raise
    except Exception as exc:
        raise KmsError(
            f"{source.provider} failed for key {source.key}: {type(exc).__name__}: {exc}",
            hint="check the key reference, the credentials and the key's permissions "
            "(sign, get public key, decrypt)",
        ) from None


@dataclass(slots=True)
class KmsSigner:
    """A :class:`~aigov_gate.evidence.keys.Signer` whose private key stays in the KMS."""

    source: KeySource
    client: Any
    _public: PublicKey | None = None

    @property
    def public(self) -> PublicKey:
        if self._public is None:
            self._public = _ecdsa(_call(self.source, "public", self.client), self.source)
        return self._public

    def sign(self, message: bytes) -> bytes:
        """The KMS's signature over ``message``, checked with the key's own public half.

        A KMS that answers with a signature that does not verify (a wrong key version, a
        proxy that rewrites answers) would publish a bundle nobody can verify: it stops here.
        """
        from aigov_gate.evidence.keys import verify_signature

        signature = bytes(_call(self.source, "sign", self.client, hashlib.sha256(message).digest()))
        if not verify_signature(self.public, signature, message):
            raise KmsError(
                f"{self.source.provider} returned a signature for key {self.source.key} that "
                "does not verify with that key's public key: no bundle was written",
                hint="check that the key reference names the key (and version) in the "
                "keyring, and that nothing between aigov and the KMS rewrites its answers",
            )
        return signature


def client_for(source: KeySource) -> Any:
    return BACKENDS[source.provider].client(source)


def kms_signer(source: KeySource, client: Any = None) -> KmsSigner:
    return KmsSigner(source, client if client is not None else client_for(source))


def kms_public_key(source: KeySource, purpose: str, client: Any = None) -> PublicKey:
    public = _call(source, "public", client if client is not None else client_for(source))
    if purpose in ("signing", "executor"):
        return _ecdsa(public, source)
    if not isinstance(public, rsa.RSAPublicKey):
        raise KmsError(
            f"the encryption key {source.key} is not an RSA key",
            hint="create an RSA key for decryption with OAEP and SHA-256 (e.g. RSA 3072)",
        )
    return public


def kms_unwrap(source: KeySource, wrapped: bytes, client: Any = None) -> bytes:
    return bytes(
        _call(source, "unwrap", client if client is not None else client_for(source), wrapped)
    )


def _ecdsa(public: Any, source: KeySource) -> PublicKey:
    if isinstance(public, ec.EllipticCurvePublicKey) and isinstance(public.curve, ec.SECP256R1):
        return public
    raise KmsError(
        f"the signing key {source.key} is not an ECDSA P-256 key",
        hint="create an ECC_NIST_P256 (AWS), EC_SIGN_P256_SHA256 (GCP) or EC P-256 (Azure) key",
    )
