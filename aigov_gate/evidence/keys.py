"""Key material: key ids, local private keys, and the one interface every signer implements.

A key id is the hex SHA-256 of the DER SubjectPublicKeyInfo, so a key has the same id
whether it lives in a PEM file or in AWS, Azure or GCP KMS. Private keys never enter the
repository: a local one is a PEM file outside Git (refused when others can read it) or
the content of an environment variable, optionally passphrase-protected.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from aigov_gate.config import KeysConfig
from aigov_gate.errors import AigovError

ENCRYPTION_ALGORITHM = "rsa-oaep-256"
SIGNING_KEY_ENV = "AIGOV_SIGNING_KEY"
#: The executor key's PEM text (attests test runs; read only after the commands ended).
EXECUTOR_KEY_ENV = "AIGOV_EXECUTOR_KEY"
ENCRYPTION_KEY_ENV = "AIGOV_ENCRYPTION_KEY"
PASSPHRASE_ENV = "AIGOV_KEY_PASSPHRASE"
PRIVATE_DIR_ENV = "AIGOV_PRIVATE_KEY_DIR"

PublicKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | rsa.RSAPublicKey
PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey


class KeyError_(AigovError):
    """A key is missing, unreadable, exposed, or of the wrong kind."""


def spki_der(public: PublicKey) -> bytes:
    return public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def key_id(public: PublicKey) -> str:
    """Hex SHA-256 of the DER SubjectPublicKeyInfo."""
    return hashlib.sha256(spki_der(public)).hexdigest()


def public_pem(public: PublicKey) -> bytes:
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public(data: bytes, where: str) -> PublicKey:
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        raise KeyError_(f"{where} is not a PEM public key", hint="restore it from Git") from None
    if not isinstance(key, ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | rsa.RSAPublicKey):
        raise KeyError_(f"{where} holds an unsupported key type", hint="use ECDSA P-256 or Ed25519")
    return key


def algorithm_of(public: PublicKey) -> str:
    if isinstance(public, ed25519.Ed25519PublicKey):
        return "ed25519"
    if isinstance(public, ec.EllipticCurvePublicKey) and isinstance(public.curve, ec.SECP256R1):
        return "ecdsa-p256"
    if isinstance(public, rsa.RSAPublicKey):
        return ENCRYPTION_ALGORITHM
    raise KeyError_("unsupported public key", hint="use ECDSA P-256 or Ed25519")


def verify_signature(public: PublicKey, signature: bytes, message: bytes) -> bool:
    """ECDSA P-256 with SHA-256 (DER signature) or Ed25519 over ``message``."""
    try:
        if isinstance(public, ed25519.Ed25519PublicKey):
            public.verify(signature, message)
        elif isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        else:
            return False
    except InvalidSignature:
        return False
    return True


class Signer(Protocol):
    """Signs bytes; ``public`` is the key the signature verifies with."""

    @property
    def public(self) -> PublicKey: ...

    def sign(self, message: bytes) -> bytes: ...


class Wrapper(Protocol):
    """Wraps and unwraps a bundle's data key with an organization's encryption key."""

    provider: str
    reference: str

    def wrap(self, data_key: bytes) -> bytes: ...

    def unwrap(self, wrapped: bytes) -> bytes: ...


@dataclass(slots=True)
class LocalSigner:
    private: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey

    @property
    def public(self) -> PublicKey:
        return self.private.public_key()

    def sign(self, message: bytes) -> bytes:
        if isinstance(self.private, ed25519.Ed25519PrivateKey):
            return self.private.sign(message)
        return self.private.sign(message, ec.ECDSA(hashes.SHA256()))


_OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


@dataclass(slots=True)
class LocalWrapper:
    """RSA-OAEP-256: anyone with the public key (in Git) wraps; the private key unwraps."""

    public_key: rsa.RSAPublicKey
    private: rsa.RSAPrivateKey | None = None
    provider: str = "local"
    reference: str = ""

    def wrap(self, data_key: bytes) -> bytes:
        return self.public_key.encrypt(data_key, _OAEP)

    def unwrap(self, wrapped: bytes) -> bytes:
        if self.private is None:
            raise KeyError_("the encryption key's private half is not available")
        return self.private.decrypt(wrapped, _OAEP)


def generate(algorithm: str) -> PrivateKey:
    if algorithm == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if algorithm == "ecdsa-p256":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == ENCRYPTION_ALGORITHM:
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    raise KeyError_(f"unknown algorithm '{algorithm}'", hint="use ecdsa-p256 or ed25519")


def private_dir(config: KeysConfig, env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if config.private_key_dir:
        return Path(config.private_key_dir).expanduser()
    if env.get(PRIVATE_DIR_ENV):
        return Path(env[PRIVATE_DIR_ENV]).expanduser()
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "aigov" / "keys"


def write_private(key: PrivateKey, path: Path, passphrase: str | None) -> None:
    """Write a PKCS#8 PEM readable by its owner only (created 0600, never widened)."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    data = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def load_private(
    kid: str,
    config: KeysConfig,
    env_var: str,
    env: Mapping[str, str] | None = None,
) -> PrivateKey:
    """The private key for ``kid``: from ``env_var`` (PEM text) or ``<private dir>/<kid>.pem``."""
    env = os.environ if env is None else env
    passphrase = env.get(PASSPHRASE_ENV)
    if env.get(env_var):
        data, where = env[env_var].encode(), f"${env_var}"
    else:
        path = private_dir(config, env) / f"{kid}.pem"
        where = str(path)
        try:
            info = path.stat()
        except FileNotFoundError:
            raise KeyError_(
                f"no private key for key {kid[:16]}",
                hint=f"put it at {path} or its PEM text in {env_var}; "
                "`aigov keys list` shows the active key",
            ) from None
        if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyError_(
                f"{path} can be read or written by others (mode {stat.filemode(info.st_mode)})",
                hint=f"chmod 600 {path}; if others may have copied it, revoke the key",
            )
        data = path.read_bytes()
    try:
        key = serialization.load_pem_private_key(data, passphrase.encode() if passphrase else None)
    except TypeError:
        raise KeyError_(
            f"the private key in {where} is passphrase-protected",
            hint=f"set {PASSPHRASE_ENV}",
        ) from None
    except ValueError:
        raise KeyError_(
            f"cannot read the private key in {where} (wrong passphrase or not a PEM key)",
            hint=f"check {PASSPHRASE_ENV} and the file",
        ) from None
    if not isinstance(
        key, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey
    ):
        raise KeyError_(f"{where} holds an unsupported key type")
    if key_id(key.public_key()) != kid:
        raise KeyError_(
            f"the private key in {where} does not belong to key {kid[:16]}",
            hint="it may be an old key: use the one `aigov keys list` shows as active",
        )
    return key
