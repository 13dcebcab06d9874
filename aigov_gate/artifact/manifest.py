"""A model artifact's digest as OpenSSF Model Signing (OMS v1.0) computes it.

OMS's ``files`` serialization lists every regular file of the model (a directory, or one
file) with its SHA-256, sorted by its POSIX path relative to the model directory (a
single file: its name); ``.git``, ``.github``, ``.gitattributes``, ``.gitignore`` and the
signature file are left out, and symbolic links are refused. The *root digest*, the
``sha256`` of the signed Statement's one subject, is the SHA-256 of the concatenated raw
per-file digests in that order (paths compare part by part, as ``PurePosixPath`` does:
``a/b`` before ``a-b``).

This module computes it without ``model-signing`` (which pulls in sigstore and lives behind
the ``signing`` extra), so the digest check needs nothing beyond the standard library;
tests/test_artifact.py checks that the two agree.

``Model.spec.digest`` names the bytes in one of two ways:

- ``sha256:<hex>``: the SHA-256 of a single file (what it always meant);
- ``oms-sha256:<hex>``: the OMS root digest of a file or a model directory.

Note what the root digest does not bind: file *names*. Renaming a file without changing
the sorted order keeps it; a signature's resource list does name every file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

#: What OMS leaves out of a model directory by default (and the signature, below).
IGNORED = frozenset({".git", ".github", ".gitattributes", ".gitignore"})
#: The OMS signature's file name inside a model directory; beside a file: ``<file>.sig``.
SIGNATURE = "model.sig"
FILE_PREFIX = "sha256:"
OMS_PREFIX = "oms-sha256:"
_CHUNK = 1 << 20


class ArtifactError(ValueError):
    """The artifact cannot be hashed (a link, a special file, nothing to hash)."""


@dataclass(frozen=True, slots=True)
class Resource:
    name: str  # POSIX path relative to the model directory (a single file: its name)
    sha256: str


@dataclass(frozen=True, slots=True)
class Manifest:
    """The OMS ``files`` manifest of an artifact, and the two digests it yields."""

    name: str  # the model directory's (or file's) name: the OMS subject name
    resources: tuple[Resource, ...]
    single_file: bool

    @property
    def root(self) -> str:
        """The OMS root digest: SHA-256 over the raw per-file digests, in path order."""
        h = hashlib.sha256()
        for resource in self.resources:
            h.update(bytes.fromhex(resource.sha256))
        return h.hexdigest()

    @property
    def oms_digest(self) -> str:
        return OMS_PREFIX + self.root

    @property
    def file_digest(self) -> str | None:
        """``sha256:`` of the single file, or None for a directory."""
        return FILE_PREFIX + self.resources[0].sha256 if self.single_file else None

    def matches(self, digest: str) -> bool:
        """Whether ``digest`` (a Model.spec.digest) names exactly these bytes."""
        return digest in (self.oms_digest, self.file_digest)

    def measured(self, digest: str | None) -> str:
        """The digest of these bytes in the form ``digest`` uses (OMS when it is unset)."""
        if digest is not None and digest.startswith(FILE_PREFIX) and self.file_digest:
            return self.file_digest
        return self.oms_digest


def file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def signature_path(artifact: Path) -> Path:
    """Where an OMS signature of ``artifact`` is looked for."""
    if artifact.is_dir():
        return artifact / SIGNATURE
    return artifact.with_name(artifact.name + ".sig")


def manifest(artifact: Path) -> Manifest:
    """Hash ``artifact`` (a file or a model directory) as OMS's ``files`` method does."""
    if artifact.is_symlink():
        raise ArtifactError(f"{artifact} is a symbolic link (OMS refuses links by default)")
    if artifact.is_file():
        return Manifest(artifact.name, (Resource(artifact.name, file_sha256(artifact)),), True)
    if not artifact.is_dir():
        raise ArtifactError(f"{artifact} is neither a file nor a directory")
    resources = []
    for path in _walk(artifact, artifact):
        resources.append(Resource(path.relative_to(artifact).as_posix(), file_sha256(path)))
    if not resources:
        raise ArtifactError(f"{artifact} holds no file to hash")
    resources.sort(key=lambda r: PurePosixPath(r.name).parts)  # OMS orders paths, not text
    return Manifest(artifact.resolve().name, tuple(resources), False)


def _walk(folder: Path, top: Path) -> list[Path]:
    found = []
    for entry in sorted(folder.iterdir()):
        if folder == top and (entry.name in IGNORED or entry.name == SIGNATURE):
            continue
        if entry.is_symlink():
            raise ArtifactError(f"{entry} is a symbolic link (OMS refuses links by default)")
        if entry.is_dir():
            found.extend(_walk(entry, top))
        elif entry.is_file():
            found.append(entry)
        else:
            raise ArtifactError(f"{entry} is not a regular file")
    return found
