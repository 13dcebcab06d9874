"""The keyring in force: with ``--base``, the base revision's, never the change's.

A pull request can edit the keyring folder like any other file. Whatever signs, wraps
(encrypts to) or verifies for a command run on that change with ``--base`` therefore comes
from the base: a change that swaps the active encryption key for its author's own would
otherwise have the evidence of its own gate run encrypted to that author (docs/ci.md,
"Everything the change holds is untrusted").
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from aigov_gate.errors import UsageError
from aigov_gate.evidence.keyring import KEYRING_FILE, Keyring, KeyringError

if TYPE_CHECKING:
    from aigov_gate.config import AigovConfig
    from aigov_gate.git import BaseRef

_MAX_KEYRING_BYTES = 16 << 20


@contextmanager
def keyring_in_force(
    root: Path, config: AigovConfig, base: BaseRef | None, *, missing_ok: bool = False
) -> Iterator[Keyring]:
    """The keyring folder of ``config`` (the configuration in force): the base's, read from
    Git into a temporary folder that lives as long as the block, when ``base`` is given;
    else the working tree's."""
    if base is None:
        yield Keyring.load(root / config.keys.dir, missing_ok=missing_ok)
        return
    with tempfile.TemporaryDirectory(prefix="aigov-keyring-") as tmp:
        yield keyring_at(base, config, Path(tmp), missing_ok=missing_ok)


def keyring_at(
    base: BaseRef, config: AigovConfig, dest: Path, *, missing_ok: bool = False
) -> Keyring:
    """The keyring folder ``config.keys.dir`` as committed at ``base``, copied to ``dest``.

    Messages name it ``REF:folder``, not the copy. A base without a keyring is an error
    (or an empty keyring with ``missing_ok``): a keyring the change adds is used once it
    has merged.
    """
    from aigov_gate import git

    folder = config.keys.dir.strip("/")
    shown = f"{base.ref}:{folder}"
    if git.read_at(base, f"{folder}/{KEYRING_FILE}", _MAX_KEYRING_BYTES) is None:
        if missing_ok:
            return Keyring(dest, shown=shown)
        raise KeyringError(
            f"no keyring at {shown}/{KEYRING_FILE}: the keyring in force is the one "
            f"committed at {base.ref}, never the working tree's",
            hint=f"name a commit that holds the keyring; a keyring added after {base.ref} "
            "is used once it has merged",
        )
    try:
        git.export_folder(base, folder, dest, _MAX_KEYRING_BYTES)
        keyring = Keyring.load(dest)
    except (KeyringError, UsageError) as exc:
        raise KeyringError(
            exc.message.replace(str(dest), shown),
            where=exc.where.replace(str(dest), shown),
            hint=exc.hint,
        ) from None
    keyring.shown = shown
    return keyring


__all__ = ["keyring_at", "keyring_in_force"]
