"""The gate's sign-off step: which assessments need verified approvals, and the findings.

* Merge: assessments the pull request changes (``--base``, or the provider's list of
  changed files) are evaluated against its reviews; with ``recorded``, every assessment
  that claims ``approved`` is, too (it costs nothing).
* Production deploy: each gated version's assessment that claims ``approved`` is verified
  again; for github/gitlab through the merged pull request that last changed its file.

Only a claimed ``approval_status: approved`` that does not verify blocks
(``signoff.unverified``); progress on other changed assessments is reported. Provider
failures become ``signoff.unavailable`` findings: the gate fails closed.

Waivers are risk acceptances and get the same treatment (a waiver always claims to be
approved): one whose sign-off does not verify is ``waiver.unverified`` and waives nothing.
A change to authority (``aigov_gate.authority``) needs a sign-off by the base's
``signoff.authority_role``, else ``authority.changed``. Roles, counts and keys come from
``Authority``: the base revision with ``--base``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from importlib import import_module
from pathlib import Path
from typing import Protocol

from aigov_gate.authority import Authority
from aigov_gate.config import AigovConfig, Requirement
from aigov_gate.documents.base import Approval
from aigov_gate.documents.policy import Waiver
from aigov_gate.documents.risk import RiskAssessment
from aigov_gate.errors import ProviderError, UsageError
from aigov_gate.graph import Graph, ModelContext
from aigov_gate.references import Checked, DocKey
from aigov_gate.result import Finding, Location, Severity, SignOff, Situation
from aigov_gate.signoff import recorded
from aigov_gate.signoff.context import Context
from aigov_gate.signoff.details import signoff_details
from aigov_gate.signoff.model import Request, Source
from aigov_gate.signoff.rules import Subject, evaluate, subject_of

#: Signed approvals of an authority change, for the recorded provider.
AUTHORITY_APPROVALS = ".aigov/authority-approvals.yaml"


class Provider(Protocol):
    service: str

    def request(self, number: int) -> Request: ...
    def source(self, pr: Request, head: str = "") -> Source: ...
    def changed_files(self, number: int) -> list[str]: ...
    def merged_requests(self, sha: str) -> list[Request]: ...


def provider_for(context: Context, config: AigovConfig) -> Provider:
    """The provider class of ``SERVICES`` (imported now: ``requests`` only when needed)."""
    from aigov_gate.signoff.context import SERVICES

    module, _, name = SERVICES[context.provider].provider.rpartition(".")
    made: Provider = getattr(import_module(module), name)(context, config.signoff)
    return made


@dataclass
class Outcome:
    findings: list[Finding] = field(default_factory=list)
    signoffs: list[SignOff] = field(default_factory=list)
    checked: list[Checked] = field(default_factory=list)  # the document of each signoff
    rejected: set[DocKey] = field(default_factory=set)  # waivers whose sign-off failed

    def add(self, doc: Checked, signoff: SignOff) -> None:
        self.checked.append(doc)
        self.signoffs.append(signoff)


class SignOffCheck:
    """Evaluates assessments against one provider, created on first use."""

    def __init__(self, root: Path, authority: Authority, context: Context, graph: Graph) -> None:
        self.root = root
        self.authority = authority
        self.config = authority.config
        self.context = context
        self.assessors = assessors(graph)
        self._provider: Provider | None = None
        self._request: Request | None = None

    @property
    def provider(self) -> Provider:
        if self._provider is None:
            self._provider = provider_for(self.context, self.config)
        return self._provider

    def current_request(self) -> Request:
        if self._request is None:
            assert self.context.number is not None
            self._request = self.provider.request(self.context.number)
        return self._request

    def changed_in_request(self) -> set[str]:
        """Paths (relative to the governance root) the pull request changes."""
        from aigov_gate import git

        prefix = git.prefix_of(self.root)
        assert self.context.number is not None
        paths = (git.relative(prefix, p) for p in self.provider.changed_files(self.context.number))
        return {p for p in paths if p is not None}

    def subject(self, doc: Checked) -> Subject:
        return subject_of(doc, self.config, self.assessors)

    def for_request(self, doc: Checked) -> SignOff:
        """The pull request in context (its event head, else its current head)."""
        return self.request_verdict(self.subject(doc))

    def request_verdict(self, subject: Subject) -> SignOff:
        try:
            pr = self.current_request()
            source = self.provider.source(pr, self.context.head_sha)
        except ProviderError as exc:
            return _failed(subject, self.config, exc.message, exc.hint)
        return evaluate(subject, self.config, source)

    def recorded(self, doc: Checked) -> SignOff:
        return self.verdict(self.subject(doc))

    def verdict(self, subject: Subject) -> SignOff:
        """Approvals of what the change brings: recorded in it, else the pull request's."""
        if self.context.provider == "recorded":
            source = recorded.source(subject, self.config, self.authority.signers)
            return evaluate(subject, self.config, source)
        if self.context.has_request:
            return self.request_verdict(subject)
        return _failed(
            subject,
            self.config,
            "no pull or merge request in context to read approvals from",
            "run in a pull-request pipeline or pass --pr N",
        )

    def for_merged(self, doc: Checked) -> SignOff:
        """The merged pull request that last changed the document's file."""
        from aigov_gate import git

        subject = self.subject(doc)
        path = doc.raw.source.path
        try:
            change = git.last_change(self.root, path)
        except UsageError as exc:
            return _failed(subject, self.config, exc.message, exc.hint)
        if change is None:
            return _failed(
                subject, self.config, f"{path} is not committed", "commit it via a pull request"
            )
        shallow = (
            " (this clone is shallow: fetch full history, fetch-depth: 0)" if change.shallow else ""
        )
        try:
            for pr in self.provider.merged_requests(change.sha):
                if change.path in self.provider.changed_files(pr.number):
                    source = self.provider.source(pr, pr.head)
                    return evaluate(subject, self.config, source)
        except ProviderError as exc:
            return _failed(subject, self.config, exc.message, exc.hint)
        return _failed(
            subject,
            self.config,
            f"the last change to {path} (commit {change.sha[:12]}) came from no merged pull "
            f"request that changed it{shallow}",
            "change assessments only through reviewed pull requests",
        )


def assessors(graph: Graph) -> dict[str, str]:
    """Model name -> the assessor of its risk assessment(s), for separation of duties."""
    out: dict[str, str] = {}
    for doc in graph.by_kind.get("RiskAssessment", []):
        if isinstance(doc.model, RiskAssessment):
            out.setdefault(doc.model.spec.model, doc.model.spec.assessor)
    return out


def check(
    root: Path,
    authority: Authority,
    situation: Situation,
    graph: Graph,
    contexts: list[ModelContext],
    changed: tuple[str, ...] | None,
    context: Context,
    lowered: list[Finding] | None = None,
) -> Outcome:
    """Sign-off of assessments, waivers, authority changes and ``lowered`` test plans."""
    risks = [d for d in graph.by_kind["RiskAssessment"] if isinstance(d.model, RiskAssessment)]
    waivers = [d for d in graph.waivers if isinstance(d.model, Waiver)]
    labels = {id(c.risk): c.label for c in contexts if c.risk is not None}
    checker = SignOffCheck(root, authority, context, graph)
    out = Outcome()
    if context.provider == "recorded":
        touched = set(changed or ())
        for doc in (d for d in risks if _claims(d) or d.raw.source.path in touched):
            out.add(doc, checker.recorded(doc))
        for doc in waivers:
            out.add(doc, checker.recorded(doc))
    elif situation.stage == "merge":
        _merge(checker, [*risks, *waivers], changed, out)
    elif situation.production:
        for doc in _deployed(contexts) + waivers:
            out.add(doc, checker.for_merged(doc))
    for doc, signoff in zip(out.checked, out.signoffs, strict=True):
        found = _findings(signoff, doc, labels.get(id(doc), ""))
        if found and isinstance(doc.model, Waiver):
            out.rejected.add(doc.key)
        out.findings.extend(found)
    if authority.changes and situation.stage == "merge":
        _authority(checker, out)
    _lowered_plans(checker, graph, lowered or [], out)
    return out


def _lowered_plans(
    checker: SignOffCheck, graph: Graph, lowered: list[Finding], out: Outcome
) -> None:
    """A TestPlan loosened with new results stands only when a risk approver signed it off."""
    plans = {d.raw.target: d for d in graph.by_kind.get("TestPlan", [])}
    by_plan: dict[str, list[Finding]] = {}
    for finding in lowered:
        by_plan.setdefault(finding.target, []).append(finding)
    for target, findings in by_plan.items():
        subject = replace(checker.subject(plans[target]), location=findings[0].location)
        verdict = checker.verdict(subject)
        out.signoffs.append(verdict)
        if not verdict.satisfied:
            why = ("not signed off:", *signoff_details(verdict))
            out.findings.extend(replace(f, details=(*f.details, *why)) for f in findings)


def _merge(
    checker: SignOffCheck, docs: list[Checked], changed: tuple[str, ...] | None, out: Outcome
) -> None:
    claimed = [d for d in docs if _claims(d)]
    if not checker.context.has_request:
        if claimed:
            out.findings.append(
                Finding(
                    "signoff.not-checked",
                    Severity.INFO,
                    f"{len(claimed)} approved risk assessment(s) or waiver(s) not verified: no "
                    f"{'pull' if checker.context.provider == 'github' else 'merge'} request "
                    "in context",
                    _claim_location(claimed[0]),
                    hint="run in a pull-request pipeline or pass --pr N; the production "
                    "deploy gate verifies them",
                )
            )
        return
    if changed is None:
        try:
            checker.current_request()
            touched = checker.changed_in_request()
        except ProviderError as exc:
            for doc in claimed:
                out.add(doc, _failed(checker.subject(doc), checker.config, exc.message, exc.hint))
            return
    else:
        touched = set(changed)
    for doc in docs:
        if doc.raw.source.path in touched:
            out.add(doc, checker.for_request(doc))


def _claim_location(doc: Checked) -> Location:
    if isinstance(doc.model, Waiver):
        return doc.raw.locate(("spec", "approved_by"), key=True)
    return doc.raw.locate(("spec", "approval_status"), key=True)


def _authority_subject(checker: SignOffCheck, approvals: tuple[Approval, ...]) -> Subject:
    authority = checker.authority
    role = authority.config.signoff.authority_role
    first = authority.changes[0]
    return Subject(
        "Authority",
        ".aigov.yaml",
        authority.config.organization,
        "authority",
        Requirement(approvals=1, roles={role: 1}),
        (role,),
        (),
        True,
        first.location,
        authority.digest(),
        AUTHORITY_APPROVALS,
        approvals,
    )


def _authority(checker: SignOffCheck, out: Outcome) -> None:
    """An edit to roles, sign-off, waivers, packs or keys: signed off by the base's admins."""
    authority = checker.authority
    role = authority.config.signoff.authority_role
    recorded = checker.context.provider == "recorded"
    approvals, problem = _authority_approvals(checker.root) if recorded else ((), "")
    verdict = checker.verdict(_authority_subject(checker, approvals))
    error = problem or verdict.error
    out.signoffs.append(verdict)
    if verdict.satisfied and not error:
        return
    why, src = signoff_details(verdict, error), authority.source
    how = (
        f" ('aigov approvals sign --authority --base {src}', recorded in {AUTHORITY_APPROVALS})"
        if recorded
        else " on the pull request"
    )
    for change in authority.changes:  # a rewritten run's note says what and why
        edit = f"{change.note}{change.after}); it stands only with sign-off" if change.note else ""
        message = edit or f"{change.what} changed: {src}'s {change.what} apply until sign-off"
        out.findings.append(
            Finding(
                change.rule,
                Severity.HIGH,
                message,
                change.location,
                target=change.what if change.note else "",
                details=(f"was: {change.before}", f"now: {change.after}", *why),
                hint=f"get an approval from a {role} named in {src}'s .aigov.yaml{how}",
            )
        )


def _authority_approvals(root: Path) -> tuple[tuple[Approval, ...], str]:
    """The signed approvals of an authority change, and a problem reading them ('' if none)."""
    from pydantic import ValidationError

    from aigov_gate.loading.safe_yaml import Limits, parse_text

    path = root / AUTHORITY_APPROVALS
    if not path.is_file() or path.is_symlink():
        return (), ""
    try:
        parsed = parse_text(path.read_text(encoding="utf-8"), Limits())
    except (OSError, UnicodeDecodeError) as exc:
        return (), f"cannot read {AUTHORITY_APPROVALS}: {exc}"
    if parsed.problems:
        p = parsed.problems[0]
        return (), f"{AUTHORITY_APPROVALS}:{p.line}:{p.column}: {p.message}"
    entries = parsed.documents[0] if parsed.documents else []
    if not isinstance(entries, list):
        return (), f"{AUTHORITY_APPROVALS} must be a list of approvals"
    try:
        return tuple(Approval.model_validate(e) for e in entries), ""
    except ValidationError as exc:
        return (), f"{AUTHORITY_APPROVALS}: {exc.errors()[0]['msg']}"


def _claims(doc: Checked) -> bool:
    model = doc.model
    if isinstance(model, Waiver):
        return True
    return isinstance(model, RiskAssessment) and model.spec.approval_status == "approved"


def _deployed(contexts: list[ModelContext]) -> list[Checked]:
    seen: dict[int, Checked] = {}
    for ctx in contexts:
        if ctx.risk is not None and _claims(ctx.risk):
            seen[id(ctx.risk)] = ctx.risk
    return list(seen.values())


def _failed(subject: Subject, config: AigovConfig, message: str, hint: str) -> SignOff:
    return SignOff(
        assessment=subject.name,
        organization=subject.organization,
        location=subject.location,
        risk_level=subject.level,
        claimed=subject.claimed,
        provider=config.signoff.provider,
        required=subject.required,
        error=message,
        error_hint=hint,
        digest=subject.digest,
        kind=subject.kind,
    )


def _findings(signoff: SignOff, doc: Checked, model: str) -> list[Finding]:
    if not signoff.claimed:
        return []
    waiver = isinstance(doc.model, Waiver)
    where = _claim_location(doc)
    name = signoff.assessment
    if signoff.error:
        return [
            Finding(
                "waiver.unverified" if waiver else "signoff.unavailable",
                Severity.HIGH,
                f"the sign-off of {'waiver ' if waiver else ''}{name} could not be checked: "
                f"{signoff.error}" + ("; it waives nothing" if waiver else ""),
                where,
                target=doc.raw.target,
                hint=signoff.error_hint,
                model=model,
            )
        ]
    if signoff.satisfied:
        return []
    if waiver:
        return [
            Finding(
                "waiver.unverified",
                Severity.HIGH,
                f"waiver {name} is not signed off ({signoff.ref}), so it waives nothing",
                where,
                target=doc.raw.target,
                details=signoff_details(signoff),
                hint="a member of waivers.approver_roles who is neither the author nor the "
                "assessor approves it (on the pull request, or with 'aigov approvals sign')",
            )
        ]
    return [
        Finding(
            "signoff.unverified",
            Severity.HIGH,
            f"{name} says approval_status: approved, but its sign-off ({signoff.ref}) fails",
            where,
            target=doc.raw.target,
            details=signoff_details(signoff),
            hint="get the approvals still needed on the current content, or set "
            "approval_status back to under_review",
            model=model,
        )
    ]


def status(
    root: Path, authority: Authority, graph: Graph, context: Context, name: str | None = None
) -> list[SignOff]:
    """``aigov approvals status``: the pull request's assessments and waivers, else every one.

    With ``recorded``: every assessment and waiver. With github/gitlab and a pull request:
    those it changes. Without one: each one claiming approval, through the merged pull
    request that last changed it. Provider errors propagate (the command exits 2).
    """
    docs = [d for d in graph.by_kind["RiskAssessment"] if isinstance(d.model, RiskAssessment)]
    docs += [d for d in graph.waivers if isinstance(d.model, Waiver)]
    if name is not None:
        docs = [d for d in docs if d.model.metadata.name == name]
    checker = SignOffCheck(root, authority, context, graph)
    if context.provider == "recorded":
        return [checker.recorded(d) for d in docs]
    if context.has_request:
        checker.current_request()  # a wrong number fails here, before anything else
        touched = checker.changed_in_request()
        return [checker.for_request(d) for d in docs if d.raw.source.path in touched]
    return [checker.for_merged(d) for d in docs if _claims(d)]
