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
from typing import Annotated, Any, Literal, get_args

from pydantic import Field, ValidationError, field_validator, model_validator

from aigov_gate.catalog import PACKS
from aigov_gate.documents.assets import ArtifactType
from aigov_gate.documents.base import Day, Name, Strict
from aigov_gate.documents.diagnostics import explain
from aigov_gate.errors import ConfigError
from aigov_gate.loading.safe_yaml import (
    DEFAULT_MAX_ALIAS_NODES,
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_FILE_BYTES,
    Limits,
    locate,
    parse_text,
)

CONFIG_FILE = ".aigov.yaml"
Member = Annotated[
    str,
    Field(
        pattern=r"^(@[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9][A-Za-z0-9._-]*|[A-Za-z0-9][A-Za-z0-9._-]*)$",
        description="A user name (alice) or a team (@acme/risk-office).",
    ),
]


class LimitsConfig(Strict):
    """Per-file bounds for the loader (see docs/loading.md)."""

    max_file_bytes: int = Field(default=DEFAULT_MAX_FILE_BYTES, ge=1024)
    max_depth: int = Field(default=DEFAULT_MAX_DEPTH, ge=16, le=1000)
    max_alias_nodes: int = Field(default=DEFAULT_MAX_ALIAS_NODES, ge=100)

    def to_limits(self) -> Limits:
        return Limits(self.max_file_bytes, self.max_depth, self.max_alias_nodes)


class Environment(Strict):
    description: str | None = None
    production: bool = Field(
        default=False, description="Production gating (approved risk assessment) applies."
    )


class GateConfig(Strict):
    """Defaults of ``aigov gate`` (each has a command-line flag that wins)."""

    fail_on: Literal["info", "low", "medium", "high", "critical"] = Field(
        default="high", description="Findings at or above this severity block."
    )
    waiver_warning_days: int = Field(
        default=14, ge=0, le=365, description="Warn when a waiver expires within this many days."
    )
    review_warning_days: int = Field(
        default=30, ge=0, le=365, description="Note a risk review due within this many days."
    )
    insufficient_evidence: Literal["info", "low", "medium", "high", "critical"] = Field(
        default="medium",
        description="Severity of metric.insufficient-evidence at a merge or a non-production "
        "deploy (a warning by default).",
    )
    insufficient_evidence_production: Literal["info", "low", "medium", "high", "critical"] = Field(
        default="high",
        description="Its severity at a production deploy (blocking by default).",
    )


class EvidenceConfig(Strict):
    """How long evidence counts toward compliance."""

    max_age_days: dict[str, Annotated[int, Field(ge=1)]] = Field(
        default_factory=dict,
        description="Per artifact_type (model_card, test_report, ...) or 'default': days after "
        "an artifact's 'created' date during which it counts. Unset: no age limit.",
    )

    @field_validator("max_age_days")
    @classmethod
    def _known_types(cls, ages: dict[str, int]) -> dict[str, int]:
        known = (*get_args(ArtifactType), "default")
        unknown = [k for k in ages if k not in known]
        if unknown:
            raise ValueError(f"unknown artifact type '{unknown[0]}' (known: {', '.join(known)})")
        return ages

    def limit_for(self, artifact_type: str) -> int | None:
        return self.max_age_days.get(artifact_type, self.max_age_days.get("default"))


class DateOverride(Strict):
    """Your counsel's reading of when a clause applies, in place of the catalog's."""

    applies_from: Day
    reason: str = Field(min_length=10, description="Why (shown in every report that uses it).")


class ComplianceConfig(Strict):
    """Clause-level compliance derived by the gate and ``aigov compliance report``."""

    applies_from: dict[Name, dict[str, DateOverride]] = Field(
        default_factory=dict,
        description="Framework -> clause number -> the date it applies from, overriding the "
        "catalog and its amendments (children inherit it); reports say so.",
    )

    min_coverage: float | None = Field(
        default=None,
        ge=0,
        le=100,
        description="Percent of applicable mandatory clauses that must be assessed, per "
        "framework and model; below it is a compliance.coverage-below finding.",
    )


PiiKind = Literal["email", "phone", "iban", "card", "ip"]
_ALL_PII: list[PiiKind] = ["email", "phone", "iban", "card", "ip"]


class PiiConfig(Strict):
    """Personal data: what is detected, and whether outputs are masked (docs/evidence.md)."""

    masking: bool = Field(
        default=True,
        description="Mask detected PII in every report, annotation, payload and log line "
        "(AIGOV_PII_MASKING_ENABLED overrides).",
    )
    detect: list[PiiKind] = Field(
        default_factory=lambda: list(_ALL_PII),
        description="Built-in detectors: email, phone, iban (mod 97), card (Luhn), ip.",
    )
    patterns: dict[Name, str] = Field(
        default_factory=dict,
        description="More detectors: name -> RE2 regular expression (linear time; no "
        "look-arounds or back-references).",
    )

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, patterns: dict[str, str]) -> dict[str, str]:
        from aigov_gate.linear import compile_linear

        for name, pattern in patterns.items():
            try:
                compile_linear(pattern)
            except ValueError as exc:
                raise ValueError(
                    f"pattern '{name}' is not an RE2 regular expression ({exc}); the masker "
                    "runs every output through it, so it runs on RE2, which takes linear "
                    "time on any text but has no look-arounds or back-references "
                    "(docs/evidence.md)"
                ) from None
        return patterns


KeyProvider = Literal["local", "aws-kms", "azure-key-vault", "gcp-kms"]


class KeySource(Strict):
    """Where a private key lives: on disk or in an environment variable (local), or in a KMS."""

    provider: KeyProvider = "local"
    key: str | None = Field(
        default=None,
        description="KMS key: an AWS key id or ARN, an Azure Key Vault key URL "
        "(https://VAULT.vault.azure.net/keys/NAME/VERSION), a GCP key (version) resource name.",
    )
    region: str | None = Field(default=None, description="AWS region (default: the SDK's).")

    @model_validator(mode="after")
    def _key_for_kms(self) -> KeySource:
        if self.provider != "local" and not self.key:
            raise ValueError(f"provider {self.provider} needs 'key' (the KMS key to use)")
        return self


class KeysConfig(Strict):
    """Signing and encryption keys of evidence bundles (docs/evidence.md)."""

    dir: str = Field(
        default=".aigov/keys",
        description="Keyring folder in the repository: keyring.yaml, public keys, audit.jsonl.",
    )
    rotation_days: int = Field(
        default=90,
        ge=1,
        le=3650,
        description="Rotation is due this long after a key's "
        "creation (AIGOV_KEY_ROTATION_DAYS overrides).",
    )
    algorithm: Literal["ecdsa-p256", "ed25519"] = Field(
        default="ecdsa-p256", description="Algorithm of new local signing keys."
    )
    private_key_dir: str | None = Field(
        default=None,
        description="Folder of local private keys, outside Git (default: AIGOV_PRIVATE_KEY_DIR, "
        "else ~/.config/aigov/keys).",
    )
    signer: KeySource = Field(default_factory=KeySource)
    encryption: KeySource = Field(default_factory=KeySource)


def _days(years: int) -> int:
    return years * 365


class RetentionConfig(Strict):
    """How long evidence is kept, in days (the platform's periods by default)."""

    test_runs: int = Field(default=_days(7), ge=1, description="Gate runs and test runs.")
    test_results: int = Field(default=_days(7), ge=1, description="Test results and reports.")
    model_metadata: int = Field(
        default=_days(10), ge=1, description="Models, datasets, assessments, other evidence."
    )


class RetryConfig(Strict):
    """When failed webhook deliveries are tried again (docs/webhooks.md)."""

    max_attempts: int = Field(
        default=11, ge=1, le=50, description="Attempts per delivery, the first included."
    )
    initial_delay: float = Field(
        default=5, gt=0, le=3600, description="Seconds before the first retry."
    )
    multiplier: float = Field(
        default=4, ge=1, le=10, description="Each later wait is this many times longer."
    )
    max_delay: float = Field(
        default=86400, gt=0, description="Longest wait between two attempts, in seconds."
    )
    jitter: float = Field(
        default=0.25, ge=0, lt=1, description="Each wait is shortened by up to this share."
    )


class WebhooksConfig(Strict):
    """How governance events are queued and delivered (docs/webhooks.md)."""

    outbox: str = Field(
        default=".aigov/outbox/webhooks.db",
        description="The outbox (SQLite) every event is written to before delivery "
        "(AIGOV_WEBHOOK_OUTBOX overrides); keep it out of Git and across CI runs.",
    )
    concurrency: int = Field(default=4, ge=1, le=64, description="Requests in flight at once.")
    connect_timeout: float = Field(default=5, gt=0, le=120)
    read_timeout: float = Field(
        default=15, gt=0, le=300, description="Seconds to wait for the response status."
    )
    retry: RetryConfig = Field(default_factory=RetryConfig)
    allow_http: list[str] = Field(
        default_factory=list,
        description="Hosts that may be sent to over plain http (loopback always may).",
    )
    block_private_addresses: bool = Field(
        default=False,
        description="Refuse urls whose host resolves to a private, link-local, loopback or "
        "reserved address (SSRF protection).",
    )
    notify_wait: float = Field(
        default=30,
        ge=0,
        le=3600,
        description="Seconds `--notify` spends delivering (retries included) before leaving "
        "the rest in the outbox.",
    )


Role = Literal[
    "risk_assessor",
    "risk_approver",
    "security_admin",
    "key_administrator",
    "key_operator",
    "security_analyst",
]
Level = Literal["low", "medium", "high", "critical"]
_APPROVERS: tuple[Role, ...] = ("risk_approver", "security_admin")
_WAIVER_APPROVERS: tuple[Role, ...] = ("risk_approver",)


class Requirement(Strict):
    """Approvals one risk level needs: a total, and minimums per role within it."""

    approvals: int = Field(ge=1, le=20, description="Distinct approvers in an approver role.")
    roles: dict[Role, Annotated[int, Field(ge=1, le=20)]] = Field(
        default_factory=dict, description="At least this many approvers acting in each role."
    )


def _default_required() -> dict[Level, Requirement]:
    return {
        "low": Requirement(approvals=1),
        "medium": Requirement(approvals=1),
        "high": Requirement(approvals=2, roles={"risk_approver": 1}),
        "critical": Requirement(approvals=2, roles={"risk_approver": 1, "security_admin": 1}),
    }


class RecordedConfig(Strict):
    """Approvals written in the documents themselves (the ``recorded`` provider)."""

    require_signatures: bool = Field(
        default=True,
        description="Count only approvals signed with the approver's SSH key (aigov approvals "
        "sign); false counts typed ones too, and reports them as unsigned.",
    )
    allowed_signers: str = Field(
        default=".aigov/allowed_signers",
        description="The SSH allowed-signers file (ssh-keygen(1) ALLOWED SIGNERS) naming each "
        "approver's public key; read from --base when given.",
    )


class SignOffConfig(Strict):
    """Who must approve a RiskAssessment, and where approvals come from (docs/ci.md)."""

    provider: Literal["recorded", "github", "gitlab"] = Field(
        default="recorded",
        description="github: pull-request reviews; gitlab: merge-request approvals; "
        "recorded: approvals written in the RiskAssessment, bound to its digest.",
    )
    approver_roles: list[Role] = Field(
        default_factory=lambda: list(_APPROVERS),
        min_length=1,
        description="Roles whose members' approvals count.",
    )
    required: dict[Level, Requirement] = Field(
        default_factory=_default_required,
        description="Per risk level; a level left out keeps its default.",
    )
    token_env: str | None = Field(
        default=None,
        pattern=r"^[A-Z_][A-Z0-9_]*$",
        description="Environment variable holding the API token (default: AIGOV_GITHUB_TOKEN "
        "or GITHUB_TOKEN; AIGOV_GITLAB_TOKEN or GITLAB_TOKEN).",
    )
    api_url: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description="API base URL (default: GITHUB_API_URL / CI_API_V4_URL, then the public "
        "service).",
    )
    timeout_seconds: float = Field(default=20, gt=0, le=300)
    max_retries: int = Field(default=3, ge=0, le=10)
    recorded: RecordedConfig = Field(default_factory=RecordedConfig)
    authority_role: Role = Field(
        default="security_admin",
        description="Who signs off a change to roles, sign-off, waiver rules, policy packs or "
        "the allowed-signers file (authority.changed).",
    )

    @field_validator("required")
    @classmethod
    def _fill_levels(cls, given: dict[Level, Requirement]) -> dict[Level, Requirement]:
        merged = {**_default_required(), **given}
        for level, req in merged.items():
            if sum(req.roles.values()) > req.approvals:
                raise ValueError(
                    f"{level}: the role minimums add up to more than approvals "
                    f"({sum(req.roles.values())} > {req.approvals})"
                )
        return merged

    def requirement(self, level: str) -> Requirement:
        return next(req for name, req in self.required.items() if name == level)


class TestingConfig(Strict):
    """How 'aigov test run' runs test plans (docs/testing.md)."""

    __test__ = False  # not a pytest class
    timeout: float = Field(
        default=1800, gt=0, le=7 * 86400, description="Seconds per test (AIGOV_TEST_TIMEOUT)."
    )
    max_concurrent: int = Field(
        default=5, ge=1, le=256, description="Tests at once (AIGOV_MAX_CONCURRENT_TESTS)."
    )
    kill_grace: float = Field(
        default=5, ge=0, le=300, description="Seconds between SIGTERM and SIGKILL on timeout."
    )
    max_output_bytes: int = Field(
        default=64 * 1024 * 1024, ge=1024, description="Per stream and result file."
    )
    runs_dir: str | None = Field(
        default=None,
        description="Where TestRuns are written, relative to the repo (default: the first of "
        "'paths', then runs/).",
    )


class WaiversConfig(Strict):
    """Who may accept a risk by waiving a finding, for how long (docs/gate.md)."""

    approver_roles: list[Role] = Field(
        default_factory=lambda: list(_WAIVER_APPROVERS),
        min_length=1,
        description="Roles whose members may approve a waiver.",
    )
    approvals: int = Field(default=1, ge=1, le=20, description="Distinct approvers needed.")
    max_days: int = Field(
        default=90, ge=1, le=730, description="Longest time from approved_at to expires."
    )
    unwaivable: list[str] = Field(
        default_factory=list,
        description="More rule or policy ids that can never be waived (the built-in list "
        "cannot be shortened).",
    )


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
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    frameworks: list[Name] = Field(
        default_factory=list,
        description="Frameworks that apply to every model (built-in: eu-ai-act, nist-ai-rmf, "
        "iso-iec-42001, iso-iec-27001, gdpr, soc2; or a Framework in the repository).",
    )
    policy_packs: list[Name] = Field(
        default_factory=lambda: ["baseline"],
        description="Built-in policy packs to enable: baseline, eu-ai-act-high-risk, "
        "nist-ai-rmf, iso-42001.",
    )
    gate: GateConfig = Field(default_factory=GateConfig)
    evidence: EvidenceConfig = Field(default_factory=EvidenceConfig)
    compliance: ComplianceConfig = Field(default_factory=ComplianceConfig)

    @field_validator("policy_packs")
    @classmethod
    def _known_packs(cls, packs: list[str]) -> list[str]:
        unknown = [p for p in packs if p not in PACKS]
        if unknown:
            raise ValueError(f"unknown policy pack '{unknown[0]}' (known: {', '.join(PACKS)})")
        return packs

    environments: dict[Name, Environment] = Field(default_factory=dict)
    roles: dict[Role, list[Member]] = Field(
        default_factory=dict,
        description="Role -> user names or '@org/team' (risk_assessor, risk_approver, "
        "security_admin, key_administrator, key_operator, security_analyst).",
    )
    signoff: SignOffConfig = Field(default_factory=SignOffConfig)
    waivers: WaiversConfig = Field(default_factory=WaiversConfig)
    testing: TestingConfig = Field(default_factory=TestingConfig)
    pii: PiiConfig = Field(default_factory=PiiConfig)
    keys: KeysConfig = Field(default_factory=KeysConfig)
    retention: RetentionConfig = Field(default_factory=RetentionConfig)
    webhooks: WebhooksConfig = Field(default_factory=WebhooksConfig)

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
