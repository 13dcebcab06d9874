"""The sections of ``.aigov.yaml`` that name what the base trusts for a model's bytes and
for time: OpenSSF Model Signing at deploy (``deploy:``) and RFC 3161 time-stamping
(``timestamps:``). Like every section, with ``--base`` they are the base's."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from aigov_gate.documents.base import RiskTier, Strict


class ModelSigningConfig(Strict):
    """Who signs model artifacts (OpenSSF Model Signing), as the base revision says."""

    public_key: str | None = Field(
        default=None,
        description="PEM public key (EC) in the repository that OMS signatures are verified "
        "with (key-based signing).",
    )
    certificate_chain: list[str] = Field(
        default_factory=list,
        description="PEM certificates in the repository: the roots (and intermediates) an "
        "OMS certificate signature must chain to. Needs certificate_identities.",
    )
    certificate_identities: list[str] = Field(
        default_factory=list,
        description="Who may sign with a certificate of certificate_chain: the signing "
        "certificate must carry one of these as a subject alternative name (an e-mail "
        "address, a URI or a DNS name, compared exactly; DNS names in any case).",
    )
    certificate_issuer: str | None = Field(
        default=None,
        description="The signing certificate's issuer must be this distinguished name "
        "(RFC 4514, e.g. 'CN=ML Signing CA,O=Acme'), when set.",
    )
    required: list[RiskTier] = Field(
        default_factory=list,
        description="Risk tiers whose deploys with --model-artifact need a valid OMS "
        "signature (deploy.artifact-unsigned).",
    )

    @field_validator("certificate_issuer")
    @classmethod
    def _issuer_is_a_name(cls, value: str | None) -> str | None:
        from cryptography import x509

        try:
            if value is not None and not len(x509.Name.from_rfc4514_string(value)):
                raise ValueError
        except ValueError:
            raise ValueError(
                f"certificate_issuer {value!r} is not an RFC 4514 distinguished name (most "
                "specific first, no space after a comma, e.g. 'CN=ML Signing CA,O=Acme')"
            ) from None
        return value

    @model_validator(mode="after")
    def _chain_needs_identities(self) -> ModelSigningConfig:
        if bool(self.certificate_chain) != bool(self.certificate_identities):
            raise ValueError(
                "certificate_chain needs certificate_identities (the subject alternative names, "
                "e-mail, URI or DNS, allowed to sign), and they need the chain: a chain alone "
                "would let any certificate it issued sign models"
            )
        if self.certificate_issuer and not self.certificate_chain:
            raise ValueError("certificate_issuer needs certificate_chain and its identities")
        return self


class DeployConfig(Strict):
    """What a deploy gate checks of the model's bytes (docs/gate.md)."""

    model_signing: ModelSigningConfig = Field(
        default_factory=ModelSigningConfig,
        description="OpenSSF Model Signing checks of the deployed artifact.",
    )


class TimestampsConfig(Strict):
    """RFC 3161 time-stamping (docs/evidence.md)."""

    tsa_roots: list[str] = Field(
        default_factory=list,
        description="PEM certificates in the repository: the roots a time-stamping "
        "authority's certificate must chain to (read from the base revision).",
    )

    def files(self) -> list[str]:
        return list(self.tsa_roots)
