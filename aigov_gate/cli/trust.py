"""Where ``aigov evidence verify`` takes what it trusts: the keyring and the TSA roots."""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aigov_gate.cli.keys import open_keyring
from aigov_gate.errors import UsageError

if TYPE_CHECKING:
    from aigov_gate.evidence.keyring import Keyring


def base_keyring(repo: Path | None, base: str) -> AbstractContextManager[Keyring]:
    """The keyring in force at ``base``: the folder its own ``.aigov.yaml`` names
    (``keys.dir``), as committed there, for as long as the block runs."""
    from aigov_gate.cli.context import find_repo
    from aigov_gate.config import find_config, load_config
    from aigov_gate.evidence.at_base import keyring_in_force
    from aigov_gate.gate.base import read_base

    root = find_repo(repo)
    before = read_base(root, load_config(find_config(root)), base, os.environ)
    return keyring_in_force(root, before.authority.config, before.ref)


def keyring_at(repo: Path | None, ref: str, dest: Path) -> Keyring:
    """The keyring folder as it is in commit ``ref`` of the repository (where that
    commit's ``.aigov.yaml`` puts it), copied to ``dest``."""
    from aigov_gate.cli.context import find_repo
    from aigov_gate.config import find_config, load_config
    from aigov_gate.evidence.at_base import keyring_at as copied
    from aigov_gate.gate.base import read_base

    root = find_repo(repo)
    before = read_base(root, load_config(find_config(root)), ref, os.environ)
    assert before.ref is not None
    return copied(before.ref, before.authority.config, dest)


def keyring(repo: Path | None, path: Path | None, ref: str | None, tmp: Path) -> Keyring:
    from aigov_gate.evidence.keyring import Keyring

    if ref is not None:
        return keyring_at(repo, ref, tmp)
    if path is not None:
        return Keyring.load(path)
    return open_keyring(repo, None, None, missing_ok=False)[1]


def tsa_roots(certs: tuple[Path, ...], repo: Path | None, ref: str | None) -> Any:
    """The TSA roots, read only when a bundle has a timestamp: --tsa-cert, else the
    repository's timestamps.tsa_roots (as committed at --keyring-ref when given)."""

    def roots() -> list[bytes]:
        if certs:
            return [_read_pem(path) for path in certs]
        from aigov_gate.authority import from_base, from_worktree
        from aigov_gate.cli.context import find_repo
        from aigov_gate.config import find_config, load_config
        from aigov_gate.tsp import load_roots

        root = find_repo(repo)
        config = load_config(find_config(root))
        if ref is not None:
            from aigov_gate import git

            trust = from_base(root, config, git.open_base(root, ref))
        else:
            trust = from_worktree(root, config)
        return load_roots(trust.config.timestamps.tsa_roots, trust.files)

    return roots


def _read_pem(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"--tsa-cert {path}: {exc.strerror}") from None
    if b"-----BEGIN CERTIFICATE-----" not in data:
        raise UsageError(f"--tsa-cert {path}: not a PEM certificate", hint="pass the TSA's root CA")
    return data
