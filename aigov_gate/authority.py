"""Who may decide: deny by default, everything that judges a change comes from the base.

Like CODEOWNERS, authority comes from the base revision, never from the change being
judged. With ``--base``, the gate reads ``.aigov.yaml`` (every section: discovery, gate
settings, environments, pii, retention, webhooks, roles, sign-off, waivers, packs,
compliance...), the allowed-signers file and the control documents (:data:`CONTROL_KINDS`)
as they are at the base and applies *them*; what the change does to any of them is listed
in :attr:`Authority.changes`, each of which needs sign-off by the base's
``signoff.authority_role`` (``authority.changed``). Without ``--base`` the working tree is
all there is, and reports say so.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aigov_gate.config import CONFIG_FILE, AigovConfig, parse_config
from aigov_gate.errors import ConfigError, UsageError
from aigov_gate.loading.safe_yaml import locate
from aigov_gate.references import Checked
from aigov_gate.result import Location

if TYPE_CHECKING:
    from aigov_gate.git import BaseRef
    from aigov_gate.signoff.sshsig import AllowedSigners

#: Every section of ``.aigov.yaml``: with ``--base`` all of them are the base's. No field
#: stays editable by the change (adding one here is itself an authority change).
FIELDS: tuple[str, ...] = tuple(AigovConfig.model_fields)
#: The documents that judge the others: with ``--base``, the base's.
CONTROL_KINDS = ("Policy", "Framework", "ConnectorConfig", "WebhookSubscription")
RULE = "authority.changed"
_MAX_SIGNERS_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class AuthorityChange:
    """One authority setting (or the allowed-signers file, or a completed TestRun) the
    change modifies: each needs sign-off by the base's ``signoff.authority_role``."""

    what: str
    location: Location
    before: str
    after: str
    #: The finding while not signed off; a rewritten run says why in ``note``.
    rule: str = "authority.changed"
    note: str = ""


@dataclass
class Authority:
    config: AigovConfig
    signers_text: str | None
    source: str  # "the working tree", or the base ref
    changes: list[AuthorityChange] = field(default_factory=list)
    #: The change's own config, keys and control documents: what an authority change's
    #: approver signs.
    proposed: AigovConfig | None = None
    proposed_signers: str | None = None
    proposed_controls: str | None = None
    #: The base's own configuration (None without ``--base``).
    base_config: AigovConfig | None = None
    #: What the approvals bind the base by: :func:`digest_of` the base's whole
    #: configuration, its allowed-signers file and the commit that last changed either
    #: (None without ``--base``).
    base_digest: str | None = None
    _signers: AllowedSigners | None = None
    #: The files the settings name (model-signing keys, TSA roots), as at the same revision.
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def signers(self) -> AllowedSigners | None:
        """The parsed allowed-signers file (cryptography is imported only when asked)."""
        if self._signers is None and self.signers_text is not None:
            from aigov_gate.signoff.sshsig import parse_allowed_signers

            where = self.config.signoff.recorded.allowed_signers
            shown = where if self.source == "the working tree" else f"{self.source}:{where}"
            self._signers = parse_allowed_signers(self.signers_text, shown)
        return self._signers

    def digest(self) -> str:
        """What an authority change's approver signs: the base it applies to, the proposed
        settings, keys and control documents, and the completed runs it rewrites. Bound to
        the base, an approval cannot be replayed in a change made from another base."""
        runs = [f"{c.what}: {c.before} -> {c.after}" for c in self.changes if c.rule != RULE]
        proposed = _settings(self.proposed or self.config)
        return digest_of(
            proposed, self.proposed_signers, self.proposed_controls, self.base_digest, sorted(runs)
        )


def _settings(config: AigovConfig) -> dict[str, Any]:
    return config.model_dump(mode="json", include=set(FIELDS))


def digest_of(
    settings: dict[str, Any],
    signers: str | None,
    controls: str | None = None,
    base: str | None = None,
    runs: list[str] | None = None,
) -> str:
    """sha256 of canonical JSON: ``{"allowed_signers", "base", "controls", "runs",
    "settings"}`` (``controls`` only when the control documents were read)."""
    import hashlib

    body: dict[str, Any] = {
        "settings": settings,
        "allowed_signers": signers,
        "base": base,
        "runs": runs or [],
    }
    if controls is not None:
        body["controls"] = controls
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _read_signers(root: Path, config: AigovConfig) -> str | None:
    path = root / config.signoff.recorded.allowed_signers
    if path.is_symlink() or not path.exists():
        return None if not path.is_symlink() else _refuse_link(path)
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read the allowed-signers file {path}: {exc}",
            hint="save it as UTF-8 text (ssh-keygen(1), ALLOWED SIGNERS)",
        ) from None


def _refuse_link(path: Path) -> str | None:
    raise ConfigError(
        f"the allowed-signers file {path} is a symbolic link",
        hint="keep it a plain file in the repository",
    )


def trust_files(config: AigovConfig) -> list[str]:
    """Repository files the authority settings name: model-signing keys and TSA roots."""
    signing = config.deploy.model_signing
    named = [signing.public_key] if signing.public_key else []
    return named + list(signing.certificate_chain) + config.timestamps.files()


def _worktree_files(root: Path, config: AigovConfig) -> dict[str, bytes]:
    found = {}
    for name in trust_files(config):
        path = root / name
        if path.is_file() and not path.is_symlink() and path.stat().st_size <= _MAX_SIGNERS_BYTES:
            found[name] = path.read_bytes()
    return found


def from_worktree(
    root: Path, config: AigovConfig, documents: Sequence[Checked] | None = None
) -> Authority:
    """The working tree's authority; with ``documents`` (the repository's), its digest also
    covers the control documents, as the gate's does with ``--base``."""
    signers = _read_signers(root, config)
    controls = controls_digest(documents) if documents is not None else None
    return Authority(
        config,
        signers,
        "the working tree",
        proposed=config,
        proposed_signers=signers,
        files=_worktree_files(root, config),
        proposed_controls=controls,
    )


def controls_digest(documents: Iterable[Checked]) -> str:
    """One digest of the control documents (kind, organization, name and content)."""
    import hashlib

    rows = sorted(
        (doc.key, json.dumps(doc.raw.data, sort_keys=True, default=str))
        for doc in documents
        if doc.model.kind in CONTROL_KINDS
    )
    return hashlib.sha256(json.dumps(rows).encode("utf-8")).hexdigest()


def from_base(
    root: Path, config: AigovConfig, base: BaseRef, env: Mapping[str, str] | None = None
) -> Authority:
    """The base's configuration, every section (with the job's ``AIGOV_*`` overrides from
    ``env``); ``changes`` what this change edits in it and in the allowed-signers file."""
    from aigov_gate import git

    try:
        raw = git.read_at(base, CONFIG_FILE, config.limits.max_file_bytes)
    except UsageError as exc:
        raise ConfigError(exc.message, hint=exc.hint) from None
    try:
        text = raw.decode("utf-8") if raw is not None else ""
        before = parse_config(text, f"{base.ref}:{CONFIG_FILE}", env)
    except (UnicodeDecodeError, ConfigError) as exc:
        message = exc.message if isinstance(exc, ConfigError) else "it is not UTF-8"
        raise ConfigError(
            f"the base's {CONFIG_FILE} ({base.ref}) does not load: {message}",
            hint="authority comes from the base revision: fix it there first",
        ) from None
    where = before.signoff.recorded.allowed_signers
    try:
        signers_raw = git.read_at(base, where, _MAX_SIGNERS_BYTES)
    except UsageError as exc:
        raise ConfigError(exc.message, hint=exc.hint) from None
    signers = signers_raw.decode("utf-8", "replace") if signers_raw is not None else None
    now_signers = _read_signers(root, config)
    changes = _changes(root, before, config, signers, now_signers, text)
    files = {}
    for name in trust_files(before):
        try:
            data = git.read_at(base, name, _MAX_SIGNERS_BYTES)
        except UsageError:
            data = None
        if data is not None:
            files[name] = data
    return Authority(
        before,
        signers,
        base.ref,
        changes,
        proposed=config,
        proposed_signers=now_signers,
        files=files,
        base_config=before,
        base_digest=digest_of(before.model_dump(mode="json"), signers, base=_revision(base, where)),
    )


def _revision(base: BaseRef, signers: str) -> str:
    """The commit that last changed the base's authority files (``.aigov.yaml`` and the
    allowed-signers file) up to the base: an approval bound to it is not valid again when
    a later change restores an earlier content ('' when neither file is there)."""
    paths = [f"{base.prefix}/{p}" if base.prefix else p for p in (CONFIG_FILE, signers)]
    last = next(iter(base.repo.iter_commits(base.commit, paths=paths, max_count=1)), None)
    return str(last.hexsha) if last is not None else ""


def _changes(
    root: Path,
    before: AigovConfig,
    after: AigovConfig,
    was: str | None,
    now: str | None,
    base_text: str,
) -> list[AuthorityChange]:
    path = root / CONFIG_FILE
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    old, new = _settings(before), _settings(after)
    written, written_before = _sections(text), _sections(base_text)
    out = []
    for name in FIELDS:
        if old[name] == new[name]:
            continue
        if name in written or name not in written_before:
            line, column = locate(text, 0, (name,), key=True) if name in written else (0, 0)
            where, after_text = Location(CONFIG_FILE, line, column), _short(new[name])
        else:  # deleted: where it was in the base's file
            line, column = locate(base_text, 0, (name,), key=True)
            where, after_text = Location(CONFIG_FILE, line, column), "deleted"
        out.append(AuthorityChange(name, where, _short(old[name]), after_text))
    if (was or "") != (now or ""):
        signers_path = after.signoff.recorded.allowed_signers
        out.append(
            AuthorityChange(
                "allowed_signers",
                Location(signers_path, 1 if now else 0, 1 if now else 0),
                f"{len((was or '').splitlines())} line(s)",
                f"{len((now or '').splitlines())} line(s)",
            )
        )
    return out


def _sections(text: str) -> set[str]:
    """The top-level keys written in a config file's text."""
    from aigov_gate.loading.safe_yaml import Limits, parse_text

    parsed = parse_text(text, Limits()) if text else None
    first = parsed.documents[0] if parsed and parsed.documents else None
    return {str(k) for k in first} if isinstance(first, dict) else set()


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return text if len(text) <= 160 else text[:157] + "..."


__all__ = [
    "CONTROL_KINDS",
    "FIELDS",
    "RULE",
    "Authority",
    "AuthorityChange",
    "controls_digest",
    "from_base",
    "from_worktree",
]
