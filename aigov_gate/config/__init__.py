"""``.aigov.yaml``: where documents live, limits, organization, environments and roles.

Values may be overridden by ``AIGOV_*`` environment variables (see ``ENV_OVERRIDES``).
A missing file means the defaults; an invalid one stops the run with exit code 2 and
file:line:column of every problem.

    >>> config = AigovConfig()
    >>> config.organization, config.paths
    ('default', ['.'])
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator

from aigov_gate.catalog import PACKS, pack_name
from aigov_gate.config.sections import (
    ComplianceConfig,
    DateOverride,
    Environment,
    EvidenceConfig,
    GateConfig,
    KeyProvider,
    KeysConfig,
    KeySource,
    LimitsConfig,
    Member,
    PiiConfig,
    PiiKind,
    RetentionConfig,
    RetryConfig,
    TestingConfig,
    WebhooksConfig,
)
from aigov_gate.config.signoff import (
    Level,
    RecordedConfig,
    Requirement,
    Role,
    SignOffConfig,
    WaiversConfig,
)
from aigov_gate.config.trust import DeployConfig, TimestampsConfig
from aigov_gate.documents.base import Name, Strict
from aigov_gate.documents.diagnostics import explain
from aigov_gate.errors import ConfigError
from aigov_gate.loading.safe_yaml import (
    Limits,
    locate,
    parse_text,
)

CONFIG_FILE = ".aigov.yaml"


class AigovConfig(Strict):
    organization: Name = "default"
    paths: list[str] = Field(
        default_factory=lambda: ["."],
        min_length=1,
        description="Folders (relative to the repo) searched for governance documents.",
    )
    exclude: list[str] = Field(
        default_factory=list, description="Glob patterns of repo-relative paths to skip."
    )
    limits: LimitsConfig = Field(
        default_factory=LimitsConfig,
        description="Limits on what a file may hold (size, depth, aliases).",
    )
    frameworks: list[Name] = Field(
        default_factory=list,
        description="Frameworks that apply to every model (built-in: eu-ai-act, nist-ai-rmf, "
        "iso-iec-42001, iso-iec-27001, gdpr, soc2; or a Framework in the repository).",
    )
    policy_packs: list[Name] = Field(
        default_factory=lambda: ["baseline"],
        description="Built-in policy packs to enable: baseline, eu-ai-act-high-risk, "
        "nist-ai-rmf, iso-42001 (also called iso-iec-42001, as its framework is).",
    )
    gate: GateConfig = Field(
        default_factory=GateConfig,
        description="How the gate decides (fail_on, warning days, insufficient evidence).",
    )
    evidence: EvidenceConfig = Field(
        default_factory=EvidenceConfig, description="Evidence ages by type."
    )
    compliance: ComplianceConfig = Field(
        default_factory=ComplianceConfig, description="Compliance dates and the minimum coverage."
    )

    @field_validator("policy_packs")
    @classmethod
    def _known_packs(cls, packs: list[str]) -> list[str]:
        named = list(dict.fromkeys(pack_name(p) for p in packs))
        unknown = [p for p in named if p not in PACKS]
        if unknown:
            raise ValueError(f"unknown policy pack '{unknown[0]}' (known: {', '.join(PACKS)})")
        return named

    environments: dict[Name, Environment] = Field(
        default_factory=dict, description="Deploy environments by name."
    )
    roles: dict[Role, list[Member]] = Field(
        default_factory=dict,
        description="Role -> user names or '@org/team' (risk_assessor, risk_approver, "
        "security_admin, key_administrator, key_operator, security_analyst).",
    )
    signoff: SignOffConfig = Field(
        default_factory=SignOffConfig,
        description="How risk sign-off is checked (provider, rules, retries).",
    )
    waivers: WaiversConfig = Field(
        default_factory=WaiversConfig, description="What a waiver needs (approvals, roles)."
    )
    testing: TestingConfig = Field(
        default_factory=TestingConfig, description="How aigov test run runs tests."
    )
    pii: PiiConfig = Field(
        default_factory=PiiConfig, description="Masking of personal data in outputs."
    )
    keys: KeysConfig = Field(
        default_factory=KeysConfig,
        description="The keyring: where keys live, rotation, signing and encryption keys.",
    )
    retention: RetentionConfig = Field(
        default_factory=RetentionConfig, description="How long evidence is kept."
    )
    webhooks: WebhooksConfig = Field(
        default_factory=WebhooksConfig, description="Delivery of governance events."
    )
    deploy: DeployConfig = Field(
        default_factory=DeployConfig, description="Checks at deploy time (model signing)."
    )
    timestamps: TimestampsConfig = Field(
        default_factory=TimestampsConfig, description="Trusted time-stamping (RFC 3161) roots."
    )

    def members(self, roles: Collection[str]) -> list[str]:
        """The user names and ``@org/team`` entries holding any of ``roles``."""
        return [m for role, who in self.roles.items() if role in roles for m in who]


ENV_OVERRIDES: dict[str, tuple[tuple[str, ...], type]] = {
    "AIGOV_ORGANIZATION": (("organization",), str),
    "AIGOV_MAX_FILE_BYTES": (("limits", "max_file_bytes"), int),
    "AIGOV_KEY_ROTATION_DAYS": (("keys", "rotation_days"), int),
    "AIGOV_WEBHOOK_OUTBOX": (("webhooks", "outbox"), str),
    "AIGOV_TEST_TIMEOUT": (("testing", "timeout"), float),
    "AIGOV_MAX_CONCURRENT_TESTS": (("testing", "max_concurrent"), int),
}


def find_config(repo: Path) -> Path | None:
    """``REPO/.aigov.yaml`` if there is one; a link to a file outside the repo is refused."""
    candidate = repo / CONFIG_FILE
    if candidate.is_symlink():
        try:
            inside = candidate.resolve().is_relative_to(repo.resolve())
        except (RuntimeError, OSError):
            inside = False
        if not inside:
            raise ConfigError(
                f"{CONFIG_FILE} is a symbolic link to a file outside the repository",
                where=CONFIG_FILE,
                hint="keep the config in the repository: its bytes go into evidence bundles",
            )
    return candidate if candidate.is_file() else None


def load_config(path: Path | None, env: Mapping[str, str] | None = None) -> AigovConfig:
    """Read and validate the config (defaults when ``path`` is None), then apply overrides."""
    text = ""
    shown = path.name if path else CONFIG_FILE
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}", hint="check the file") from None
    return parse_config(text, shown, env)


def parse_config(text: str, shown: str, env: Mapping[str, str] | None = None) -> AigovConfig:
    """The config in ``text`` (empty: the defaults); ``shown`` names it in errors."""
    data: dict[str, Any] = {}
    if text:
        parsed = parse_text(text, Limits())
        if parsed.problems:
            p = parsed.problems[0]
            raise ConfigError(p.message, where=f"{shown}:{p.line}:{p.column}", hint=p.hint)
        doc = parsed.documents[0] if parsed.documents else None
        if doc is not None and not isinstance(doc, dict):
            raise ConfigError("the config must be a mapping of settings", where=shown)
        data = doc or {}
    _apply_env(data, os.environ if env is None else env)
    try:
        config = AigovConfig.model_validate(data)
    except ValidationError as exc:
        raise _config_error(exc, text, shown) from None
    return config


def _apply_env(data: dict[str, Any], env: Mapping[str, str]) -> None:
    for var, (path, typ) in ENV_OVERRIDES.items():
        if var not in env:
            continue
        raw = env[var]
        value: Any = raw
        if typ in (int, float):
            try:
                value = typ(raw)
            except ValueError:
                # the value is not echoed: an environment variable may hold a secret
                kind = "a whole number" if typ is int else "a number"
                raise ConfigError(
                    f"{var} is not {kind}", hint=f"set {var} to {kind} or unset it"
                ) from None
        target = data
        for part in path[:-1]:
            target = target.setdefault(part, {})
        target[path[-1]] = value


def _config_error(exc: ValidationError, text: str, shown: str) -> ConfigError:
    lines = []
    for error in exc.errors():
        explained = explain(error, AigovConfig)
        line, column = locate(text, 0, explained.path, key=explained.at_key) if text else (0, 0)
        where = f"{shown}:{line}:{column}" if line else shown
        hint = f" ({explained.hint})" if explained.hint else ""
        lines.append(f"{where}: {explained.message}{hint}")
    return ConfigError(
        "invalid configuration:\n  " + "\n  ".join(lines),
        hint="fix .aigov.yaml (see docs/configuration.md)",
    )


__all__ = [
    "CONFIG_FILE",
    "ENV_OVERRIDES",
    "AigovConfig",
    "ComplianceConfig",
    "DateOverride",
    "DeployConfig",
    "Environment",
    "EvidenceConfig",
    "GateConfig",
    "KeyProvider",
    "KeySource",
    "KeysConfig",
    "Level",
    "LimitsConfig",
    "Member",
    "PiiConfig",
    "PiiKind",
    "RecordedConfig",
    "Requirement",
    "RetentionConfig",
    "RetryConfig",
    "Role",
    "SignOffConfig",
    "TestingConfig",
    "TimestampsConfig",
    "WaiversConfig",
    "WebhooksConfig",
    "find_config",
    "load_config",
    "parse_config",
]
