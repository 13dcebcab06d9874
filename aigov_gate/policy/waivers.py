"""Waivers: time-boxed, approved exceptions for one policy (or built-in rule) and one target.

A waived finding stays in every report, marked with the waiver that waived it; it just
does not block. An expired waiver waives nothing and is reported; one expiring soon
warns; one that matched nothing is reported so stale exceptions get cleaned up (unless its
rule did not run on its model in this situation: :func:`idle`).
Some findings can never be waived (``catalog.waivable``): invalid documents, broken or
failing policies, unverified or unavailable sign-off, a production deploy without approval.
A waiver written for one of them waives nothing and is itself a blocking finding
(``waiver.not-allowed``): the people being gated write waivers, so these would let them
open the gate themselves.

A waiver is a risk acceptance. It waives only when :func:`vet` finds nothing wrong with
it (every name in ``approved_by`` holds one of ``waivers.approver_roles``, none is the
waived model's assessor or the waiver's owner, nobody imitates a role member, and
``expires`` is at most ``waivers.max_days`` after ``approved_at``) and its sign-off
verifies (``aigov_gate.signoff.check``: ``waiver.unverified``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import date, timedelta

from aigov_gate.catalog import waivable
from aigov_gate.config import AigovConfig
from aigov_gate.documents.policy import Waiver, WaiverSpec
from aigov_gate.identity import lookalike, same
from aigov_gate.references import Checked, DocKey
from aigov_gate.result import Finding, ModelVerdict, Severity, Situation

Path = tuple[str | int, ...]


def _matches(waiver: Waiver, finding: Finding) -> bool:
    spec = waiver.spec
    if spec.policy != finding.rule_id:  # unwaivable rules never get here (Waiving)
        return False
    target = spec.target
    if target.kind == "Model" and finding.model:
        name, _, version = finding.model.partition("@")
        return name == target.name and target.version in (None, version)
    return finding.target == f"{target.kind}/{target.name}"


def vet(
    waivers: Sequence[Checked[Waiver]],
    config: AigovConfig,
    assessors: Mapping[str, str],
    today: date,
) -> list[Finding]:
    """What is wrong with each waiver's approval, before its sign-off is even asked."""
    roles = config.waivers.approver_roles
    members = [m for m in config.members(roles) if not m.startswith("@")]
    known = [m for ms in config.roles.values() for m in ms if not m.startswith("@")]
    out = []
    for doc in waivers:
        spec = doc.model.spec
        if not waivable(spec.policy, config.waivers.unwaivable):
            continue  # waiver.not-allowed says enough
        reasons: list[tuple[Path, str]] = []
        for i, who in enumerate(spec.approved_by):
            fake = lookalike(who, known)
            assessor = assessors.get(spec.target.name) if spec.target.kind == "Model" else None
            if fake:
                reasons.append((("spec", "approved_by", i), f"{who!r}: {fake}"))
            elif assessor is not None and same(who, assessor):
                reasons.append(
                    (
                        ("spec", "approved_by", i),
                        f"{who} assessed {spec.target.name}: "
                        "nobody accepts the risk of their own assessment",
                    )
                )
            elif doc.model.metadata.owner and same(who, doc.model.metadata.owner):
                reasons.append((("spec", "approved_by", i), f"{who} owns the waiver"))
            elif not any(same(who, m) for m in members) and not _teams(config, roles):
                reasons.append(
                    (("spec", "approved_by", i), f"{who} holds none of {', '.join(roles)}")
                )
        reasons.extend(dated(spec, config.waivers.max_days, today))
        for path, why in reasons:
            out.append(
                Finding(
                    "waiver.unapproved",
                    Severity.HIGH,
                    f"waiver for {spec.policy} waives nothing: {why}",
                    doc.raw.locate(path),
                    doc.raw.target,
                    "have a member of waivers.approver_roles (not the assessor or the "
                    "waiver's owner) approve it, for at most waivers.max_days",
                )
            )
    return out


def dated(spec: WaiverSpec, max_days: int, today: date) -> list[tuple[Path, str]]:
    """What is wrong with a waiver's dates: ``approved_at`` after the evaluation day or after
    its approvals were signed (a later ``approved_at`` would stretch ``max_days``), after
    ``expires``, or ``expires`` more than ``max_days`` after it."""
    out: list[tuple[Path, str]] = []
    signed = max((a.date for a in spec.approvals), default=None)
    if spec.approved_at > today:
        out.append((("spec", "approved_at"), f"approved_at {spec.approved_at} is after today"))
    elif signed is not None and spec.approved_at > signed:
        out.append(
            (
                ("spec", "approved_at"),
                f"approved_at {spec.approved_at} is after its approvals were signed ({signed})",
            )
        )
    days = (spec.expires - spec.approved_at).days
    if days > max_days:
        why = f"expires {days} days after approved_at (waivers.max_days is {max_days})"
        out.append((("spec", "expires"), why))
    if spec.approved_at > spec.expires:
        out.append((("spec", "approved_at"), "approved_at is after expires"))
    return out


def _teams(config: AigovConfig, roles: Collection[str]) -> bool:
    """Roles held through teams the provider resolves: its sign-off checks membership."""
    teams = any(m.startswith("@") for m in config.members(roles))
    return teams and config.signoff.provider != "recorded"


class Waiving:
    """The waivers of one run, applied once: :meth:`mark` the findings (as many batches as
    the run has; each finding takes the first usable waiver that matches it), then
    :meth:`about` says what is wrong with or worth knowing about each waiver.

    ``unusable``: the keys of waivers that failed :func:`vet` or their sign-off; they waive
    nothing (their own findings say why).
    """

    def __init__(
        self,
        waivers: Sequence[Checked[Waiver]],
        situation: Situation,
        warn_days: int,
        unusable: Collection[DocKey] = (),
        unwaivable: Collection[str] = (),
    ) -> None:
        self.waivers = waivers
        self.today = situation.today
        self.warn_days = warn_days
        self.unwaivable = unwaivable
        self.unusable = unusable
        #: (position in ``waivers``, waiver) of the ones that may waive.
        self.usable = [
            (i, doc)
            for i, doc in enumerate(waivers)
            if waivable(doc.model.spec.policy, unwaivable)
            and doc.key not in unusable
            and doc.model.spec.expires >= self.today
        ]
        self.used: set[int] = set()

    def mark(self, findings: Sequence[Finding]) -> list[Finding]:
        """``findings`` with each waived one marked with its waiver."""
        return [self._mark(finding) for finding in findings]

    def _mark(self, finding: Finding) -> Finding:
        if finding.waived:
            return finding
        for i, doc in self.usable:
            if _matches(doc.model, finding):
                self.used.add(i)
                return replace(finding, waived_by=doc.raw.target)
        return finding

    def about(self) -> list[Finding]:
        """Per waiver, in order: not allowed, expired, unused or expiring soon."""
        out = []
        for i, doc in enumerate(self.waivers):
            waiver = doc.model
            expires = waiver.spec.expires
            if not waivable(waiver.spec.policy, self.unwaivable):
                out.append(_not_allowed(doc, waiver))
            elif doc.key in self.unusable:
                continue
            elif expires < self.today:
                out.append(_expired(doc, waiver))
            elif i not in self.used:
                out.append(_about(doc, "waiver.unused", Severity.LOW, _unused_message(waiver)))
            elif expires <= self.today + timedelta(days=self.warn_days):
                days = (expires - self.today).days
                message = f"waiver for {waiver.spec.policy} expires {expires} (in {days} day(s))"
                out.append(_about(doc, "waiver.expiring", Severity.LOW, message))
        return out


def apply_waivers(
    findings: list[Finding],
    waivers: Sequence[Checked[Waiver]],
    situation: Situation,
    warn_days: int,
    unusable: Collection[DocKey] = (),
    unwaivable: Collection[str] = (),
) -> list[Finding]:
    """The findings with waived ones marked, plus findings about the waivers themselves."""
    waiving = Waiving(waivers, situation, warn_days, unusable, unwaivable)
    marked = waiving.mark(findings)
    return marked + waiving.about()


def idle(
    findings: list[Finding],
    waivers: Sequence[Checked[Waiver]],
    verdicts: Sequence[ModelVerdict],
    situation: Situation,
) -> list[Finding]:
    """``findings`` with each ``waiver.unused`` about a rule that did not run on the waiver's
    model in this situation (a production-only policy at merge) turned into a note that
    says so: the waiver is kept for the stage where the rule runs, not to be deleted."""
    by_target = {w.raw.target: w.model for w in waivers}
    where = f"deploy to {situation.environment}" if situation.stage == "deploy" else "merge"
    out = []
    for finding in findings:
        waiver = by_target.get(finding.target) if finding.rule_id == "waiver.unused" else None
        target = waiver.spec.target if waiver is not None else None
        models = [
            m
            for m in verdicts
            if target is not None
            and target.kind == "Model"
            and m.name == target.name
            and target.version in (None, m.version)
        ]
        if waiver is None or not models or any(waiver.spec.policy in m.evaluated for m in models):
            out.append(finding)
            continue
        rule = waiver.spec.policy
        out.append(
            replace(
                finding,
                severity=Severity.INFO,
                message=f"waiver for {rule} is not needed at {where}: {rule} does not run here",
                details=(
                    f"{rule} runs only at another stage or environment; the waiver is "
                    "checked there",
                ),
                hint="nothing to do: keep the waiver for the stage where the rule runs",
            )
        )
    return out


def _unused_message(waiver: Waiver) -> str:
    target = waiver.spec.target
    version = f"@{target.version}" if target.version else ""
    return (
        f"waiver for {waiver.spec.policy} on {target.kind}/{target.name}{version} "
        "matched no finding"
    )


def _expired(doc: Checked, waiver: Waiver) -> Finding:
    return Finding(
        "waiver.expired",
        Severity.MEDIUM,
        f"waiver for {waiver.spec.policy} expired on {waiver.spec.expires}: it waives nothing",
        doc.raw.locate(("spec", "expires")),
        doc.raw.target,
        "fix the finding, or renew the waiver with a new approval and date",
    )


def _not_allowed(doc: Checked, waiver: Waiver) -> Finding:
    rule = waiver.spec.policy
    return Finding(
        "waiver.not-allowed",
        Severity.HIGH,
        f"{rule} can never be waived: the gate does not let the people it gates open it; "
        "this waiver waives nothing",
        doc.raw.locate(("spec", "policy")),
        doc.raw.target,
        "delete the waiver and fix the finding (get the sign-off, fix the policy or the "
        "document); docs/gate.md lists what cannot be waived",
    )


def _about(doc: Checked, rule: str, severity: Severity, message: str) -> Finding:
    hints = {
        "waiver.unused": "delete the waiver if the problem is gone",
        "waiver.expiring": "fix the finding, or renew the waiver",
    }
    path = ("spec", "expires") if rule == "waiver.expiring" else ("spec", "policy")
    return Finding(rule, severity, message, doc.raw.locate(path), doc.raw.target, hints[rule])
