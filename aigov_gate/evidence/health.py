"""What is wrong with a keyring, for ``aigov doctor``: no keys, an audit log that does not
add up, an active signing key that cannot be used here, a key due for rotation."""

from __future__ import annotations

from typing import NamedTuple

from aigov_gate.config import AigovConfig
from aigov_gate.errors import AigovError
from aigov_gate.evidence.keyring import Keyring


class Health(NamedTuple):
    """One check: its name, ``ok`` / ``warn`` / ``fail``, what was found, and the fix."""

    name: str
    status: str
    message: str
    hint: str = ""


def keyring_health(config: AigovConfig, keyring: Keyring) -> list[Health]:
    """The keyring (the base's with ``--base``): audit log, usable signing keys, rotation."""
    from aigov_gate.evidence import audit, rotation
    from aigov_gate.evidence.keyring import now_utc
    from aigov_gate.evidence.sealing import signer_for

    orgs = keyring.organizations()
    if not orgs:
        return [
            Health(
                "keys",
                "warn",
                f"no keyring at {keyring.shown or keyring.dir}: evidence bundles cannot be signed",
                "run `aigov keys generate` and commit the keyring folder",
            )
        ]
    checks: list[Health] = []
    problems = audit.problems(keyring)
    if problems:
        checks.append(
            Health(
                "keys audit",
                "fail",
                f"the audit log and keyring do not add up: {problems[0]}",
                "run `aigov keys audit --verify`; restore the keyring from Git history",
            )
        )
    for org in orgs:
        try:
            signer_for(config, keyring, org)
        except AigovError as exc:
            checks.append(
                Health(f"keys {org}", "warn", f"cannot sign here: {exc.message}", exc.hint)
            )
        else:
            checks.append(Health(f"keys {org}", "ok", "the active signing key is usable here"))
    for due in rotation.due(keyring, orgs, now_utc(), False, config.keys.rotation_days):
        checks.append(
            Health(
                f"keys {due.organization}",
                "warn",
                f"the {due.purpose} key {due.old.id[:16]} is {due.reason}",
                "run `aigov keys rotate` (then `aigov evidence rewrap` for encryption keys)",
            )
        )
    return checks
