"""``roles:``, ``signoff:`` and ``waivers:`` of ``.aigov.yaml``: who approves what, through
which provider, and who may waive."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from aigov_gate.documents.base import RiskTier, Strict

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
    timeout_seconds: float = Field(
        default=20, gt=0, le=300, description="Seconds per request to the provider."
    )
    max_retries: int = Field(
        default=3, ge=0, le=10, description="Retries of a failed request to the provider."
    )
    recorded: RecordedConfig = Field(
        default_factory=RecordedConfig,
        description="Settings of the recorded provider (allowed signers, signatures).",
    )
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


ClaimedRule = Literal["pass", "block"]


def _run_approvers() -> list[Role]:
    return ["risk_approver"]


def _claimed_rules() -> dict[RiskTier, ClaimedRule]:
    return {"minimal": "pass", "limited": "pass", "high": "block", "prohibited": "block"}


class AttestationConfig(Strict):
    """Which runs the gate trusts: attested, approved or claimed (docs/testing.md)."""

    claimed: dict[RiskTier, ClaimedRule] = Field(
        default_factory=_claimed_rules,
        description="Per risk tier: whether a claimed run (neither attested by an executor "
        "key of the base's keyring nor approved) may pass (with --base at merge, and at "
        "every production deploy); 'block' is test.unattested. A tier left out keeps its "
        "default.",
    )
    approver_roles: list[Role] = Field(
        default_factory=_run_approvers,
        min_length=1,
        description="Roles whose signed approval of a run's digest makes it approved.",
    )
    approvals: int = Field(default=1, ge=1, le=20, description="Distinct approvers needed.")

    @field_validator("claimed")
    @classmethod
    def _fill_tiers(cls, given: dict[RiskTier, ClaimedRule]) -> dict[RiskTier, ClaimedRule]:
        return {**_claimed_rules(), **given}
