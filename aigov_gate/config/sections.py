"""The sections of ``.aigov.yaml`` (``limits:``, ``gate:``, ``keys:``, ``signoff:``, ...): one
pydantic model each. ``aigov_gate.config`` puts them together in ``AigovConfig``."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import Field, field_validator, model_validator

from aigov_gate.config.signoff import AttestationConfig
from aigov_gate.documents.assets import ArtifactType
from aigov_gate.documents.base import Day, Name, Strict
from aigov_gate.loading.safe_yaml import (
    DEFAULT_MAX_ALIAS_NODES,
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_FILE_BYTES,
    Limits,
)
from aigov_gate.rules import SeverityName

Member = Annotated[
    str,
    Field(
        pattern=r"^(@[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9][A-Za-z0-9._-]*|[A-Za-z0-9][A-Za-z0-9._-]*)$",
        description="A user name (alice) or a team (@acme/risk-office).",
    ),
]


class LimitsConfig(Strict):
    """Per-file bounds for the loader (see docs/loading.md)."""

    max_file_bytes: int = Field(
        default=DEFAULT_MAX_FILE_BYTES, ge=1024, description="The largest governance file read."
    )
    max_depth: int = Field(
        default=DEFAULT_MAX_DEPTH,
        ge=16,
        le=1000,
        description="The deepest nesting of YAML collections.",
    )
    max_alias_nodes: int = Field(
        default=DEFAULT_MAX_ALIAS_NODES,
        ge=100,
        description="The most nodes YAML aliases may expand to.",
    )

    def to_limits(self) -> Limits:
        return Limits(self.max_file_bytes, self.max_depth, self.max_alias_nodes)


class Environment(Strict):
    description: str | None = Field(default=None, description="What the environment is.")
    production: bool = Field(
        default=False, description="Production gating (approved risk assessment) applies."
    )


class GateConfig(Strict):
    """Defaults of ``aigov gate`` (each has a command-line flag that wins)."""

    fail_on: SeverityName = Field(
        default="high", description="Findings at or above this severity block."
    )
    waiver_warning_days: int = Field(
        default=14, ge=0, le=365, description="Warn when a waiver expires within this many days."
    )
    review_warning_days: int = Field(
        default=30, ge=0, le=365, description="Note a risk review due within this many days."
    )
    insufficient_evidence: SeverityName = Field(
        default="medium",
        description="Severity of metric.insufficient-evidence at a merge or a non-production "
        "deploy (a warning by default).",
    )
    insufficient_evidence_production: SeverityName = Field(
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

    applies_from: Day = Field(
        description="The day the clause applies from, as this organization reads it."
    )
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
PhoneLeniency = Literal["possible", "valid", "strict-grouping", "exact-grouping"]
#: Where national phone numbers are recognised by default: the United States, the United
#: Kingdom and the four largest EU economies (docs/evidence.md, "Personal data").
PHONE_REGIONS = ("US", "GB", "DE", "FR", "IT", "ES")


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
    phone_regions: list[str] = Field(
        default_factory=lambda: list(PHONE_REGIONS),
        description="Regions (ISO 3166-1 alpha-2) whose national phone numbers are "
        "recognised, such as 01 42 68 53 00 in FR; a number written with its country "
        "code (+33 1 42 68 53 00) is recognised whatever this says. Default: US, GB, DE, "
        "FR, IT, ES.",
    )
    phone_leniency: PhoneLeniency = Field(
        default="valid",
        description="libphonenumber's leniency: possible (the length fits), valid (a "
        "number in use), strict-grouping or exact-grouping (digits grouped as the "
        "region writes them).",
    )

    @field_validator("phone_regions")
    @classmethod
    def _regions(cls, regions: list[str]) -> list[str]:
        upper = [r.upper() for r in regions]
        if set(upper) <= set(PHONE_REGIONS):
            return upper  # known: loading a config does not import phonenumbers
        import phonenumbers

        unknown = [r for r in upper if r not in phonenumbers.SUPPORTED_REGIONS]
        if unknown:
            raise ValueError(
                f"unknown phone region(s) {', '.join(unknown)}: use ISO 3166-1 alpha-2 "
                "codes that libphonenumber knows (US, GB, DE, FR, ...)"
            )
        return upper

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

    provider: KeyProvider = Field(
        default="local", description="local, or a KMS: aws-kms, azure-key-vault, gcp-kms."
    )
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
    signer: KeySource = Field(
        default_factory=KeySource, description="The key that signs evidence bundles."
    )
    encryption: KeySource = Field(
        default_factory=KeySource, description="The key that encrypts personal data in bundles."
    )
    executor: KeySource = Field(
        default_factory=KeySource,
        description="The key that attests the runs 'aigov test run' makes (docs/testing.md).",
    )


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
    connect_timeout: float = Field(
        default=5, gt=0, le=120, description="Seconds to connect to a receiver."
    )
    read_timeout: float = Field(
        default=15, gt=0, le=300, description="Seconds to wait for the response status."
    )
    retry: RetryConfig = Field(
        default_factory=RetryConfig, description="How failed deliveries are retried."
    )
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
    attestation: AttestationConfig = Field(
        default_factory=AttestationConfig,
        description="Which runs the gate trusts per risk tier, and who may approve a run "
        "(docs/testing.md).",
    )
