"""The gate's sign-off step: which assessments need verified approvals, and the findings.

* Merge: assessments the pull request changes (``--base``, or the provider's list of
  changed files) are evaluated against its reviews; with ``recorded``, every assessment
  that claims ``approved`` is, too (it costs nothing).
* Production deploy: each gated version's assessment that claims ``approved`` is verified
  again; for github/gitlab through the merged pull request that last changed its file.

Only a claimed ``approval_status: approved`` that does not verify blocks
(``signoff.unverified``); progress on other changed assessments is reported. Provider
failures become ``signoff.unavailable`` findings: the gate fails closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from aigov_gate.config import AigovConfig
from aigov_gate.documents.risk import RiskAssessment
from aigov_gate.errors import ProviderError, UsageError
from aigov_gate.graph import Graph, ModelContext
from aigov_gate.references import Checked
from aigov_gate.result import Finding, Severity, SignOff, Situation
from aigov_gate.signoff import recorded
from aigov_gate.signoff.context import Context
from aigov_gate.signoff.model import Request, Source
from aigov_gate.signoff.rules import describe, digest, evaluate


class Provider(Protocol):
    service: str

    def request(self, number: int) -> Request: ...
    def source(self, pr: Request, head: str = "") -> Source: ...
    def changed_files(self, number: int) -> list[str]: ...
    def merged_requests(self, sha: str) -> list[Request]: ...


def provider_for(context: Context, config: AigovConfig) -> Provider:
    if context.provider == "github":
        from aigov_gate.signoff.github import GitHub

        return GitHub(context, config.signoff)
    from aigov_gate.signoff.gitlab import GitLab

    return GitLab(context, config.signoff)


@dataclass
class Outcome:
    findings: list[Finding] = field(default_factory=list)
    signoffs: list[SignOff] = field(default_factory=list)
    checked: list[Checked] = field(default_factory=list)  # the assessment of each signoff

    def add(self, doc: Checked, signoff: SignOff) -> None:
        self.checked.append(doc)
        self.signoffs.append(signoff)


class SignOffCheck:
    """Evaluates assessments against one provider, created on first use."""

    def __init__(self, root: Path, config: AigovConfig, context: Context) -> None:
        self.root = root
        self.config = config
        self.context = context
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

    def for_request(self, doc: Checked) -> SignOff:
        """The pull request in context (its event head, else its current head)."""
        try:
            pr = self.current_request()
            source = self.provider.source(pr, self.context.head_sha)
        except ProviderError as exc:
            return _failed(doc, self.config, exc.message, exc.hint)
        return evaluate(doc, self.config, source)

    def for_merged(self, doc: Checked) -> SignOff:
        """The merged pull request that last changed the assessment's file."""
        from aigov_gate import git

        path = doc.raw.source.path
        try:
            change = git.last_change(self.root, path)
        except UsageError as exc:
            return _failed(doc, self.config, exc.message, exc.hint)
        if change is None:
            return _failed(
                doc, self.config, f"{path} is not committed", "commit it via a pull request"
            )
        shallow = (
            " (this clone is shallow: fetch full history, fetch-depth: 0)" if change.shallow else ""
        )
        try:
            for pr in self.provider.merged_requests(change.sha):
                if change.path in self.provider.changed_files(pr.number):
                    source = self.provider.source(pr, pr.head)
                    return evaluate(doc, self.config, source)
        except ProviderError as exc:
            return _failed(doc, self.config, exc.message, exc.hint)
        return _failed(
            doc,
            self.config,
            f"the last change to {path} (commit {change.sha[:12]}) came from no merged pull "
            f"request that changed it{shallow}",
            "change assessments only through reviewed pull requests",
        )


def check(
    root: Path,
    config: AigovConfig,
    situation: Situation,
    graph: Graph,
    contexts: list[ModelContext],
    changed: tuple[str, ...] | None,
    context: Context,
) -> Outcome:
    risks = [d for d in graph.by_kind["RiskAssessment"] if isinstance(d.model, RiskAssessment)]
    labels = {id(c.risk): c.label for c in contexts if c.risk is not None}
    out = Outcome()
    if context.provider == "recorded":
        touched = set(changed or ())
        for doc in (d for d in risks if _claims(d) or d.raw.source.path in touched):
            out.add(doc, evaluate(doc, config, recorded.source(doc)))
    else:
        checker = SignOffCheck(root, config, context)
        if situation.stage == "merge":
            _merge(checker, risks, changed, out)
        elif situation.production:
            for doc in _deployed(contexts):
                out.add(doc, checker.for_merged(doc))
    for doc, signoff in zip(out.checked, out.signoffs, strict=True):
        out.findings.extend(_findings(signoff, doc, labels.get(id(doc), "")))
    return out


def _merge(
    checker: SignOffCheck, risks: list[Checked], changed: tuple[str, ...] | None, out: Outcome
) -> None:
    claimed = [d for d in risks if _claims(d)]
    if not checker.context.has_request:
        if claimed:
            out.findings.append(
                Finding(
                    "signoff.not-checked",
                    Severity.INFO,
                    f"{len(claimed)} approved risk assessment(s) not verified: no "
                    f"{'pull' if checker.context.provider == 'github' else 'merge'} request "
                    "in context",
                    claimed[0].raw.locate(("spec", "approval_status"), key=True),
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
                out.add(doc, _failed(doc, checker.config, exc.message, exc.hint))
            return
    else:
        touched = set(changed)
    for doc in risks:
        if doc.raw.source.path in touched:
            out.add(doc, checker.for_request(doc))


def _claims(doc: Checked) -> bool:
    model = doc.model
    return isinstance(model, RiskAssessment) and model.spec.approval_status == "approved"


def _deployed(contexts: list[ModelContext]) -> list[Checked]:
    seen: dict[int, Checked] = {}
    for ctx in contexts:
        if ctx.risk is not None and _claims(ctx.risk):
            seen[id(ctx.risk)] = ctx.risk
    return list(seen.values())


def _failed(doc: Checked, config: AigovConfig, message: str, hint: str) -> SignOff:
    risk = doc.model
    assert isinstance(risk, RiskAssessment)
    level = risk.spec.risk_level
    return SignOff(
        assessment=risk.metadata.name,
        organization=doc.organization,
        location=doc.raw.locate(("metadata", "name")),
        risk_level=level,
        claimed=_claims(doc),
        provider=config.signoff.provider,
        required=describe(level, config.signoff.requirement(level)),
        error=message,
        error_hint=hint,
        digest=digest(doc.raw.data),
    )


def _findings(signoff: SignOff, doc: Checked, model: str) -> list[Finding]:
    if not signoff.claimed:
        return []
    where = doc.raw.locate(("spec", "approval_status"), key=True)
    name = signoff.assessment
    if signoff.error:
        return [
            Finding(
                "signoff.unavailable",
                Severity.HIGH,
                f"the sign-off of {name} could not be checked: {signoff.error}",
                where,
                target=doc.raw.target,
                hint=signoff.error_hint,
                model=model,
            )
        ]
    if signoff.satisfied:
        return []
    return [
        Finding(
            "signoff.unverified",
            Severity.HIGH,
            f"{name} says approval_status: approved, but its sign-off ({signoff.ref}) does not "
            f"verify: {signoff.summary()}",
            where,
            target=doc.raw.target,
            hint="get the approvals still needed on the current content, or set "
            "approval_status back to under_review",
            model=model,
        )
    ]


def status(
    root: Path, config: AigovConfig, graph: Graph, context: Context, name: str | None = None
) -> list[SignOff]:
    """``aigov approvals status``: the pull request's assessments, else every approved one.

    With ``recorded``: every assessment. With github/gitlab and a pull request: those it
    changes. Without one: each assessment claiming approval, through the merged pull
    request that last changed it. Provider errors propagate (the command exits 2).
    """
    risks = [d for d in graph.by_kind["RiskAssessment"] if isinstance(d.model, RiskAssessment)]
    if name is not None:
        risks = [d for d in risks if d.model.metadata.name == name]
    if context.provider == "recorded":
        return [evaluate(d, config, recorded.source(d)) for d in risks]
    checker = SignOffCheck(root, config, context)
    if context.has_request:
        checker.current_request()  # a wrong number fails here, before anything else
        touched = checker.changed_in_request()
        return [checker.for_request(d) for d in risks if d.raw.source.path in touched]
    return [checker.for_merged(d) for d in risks if _claims(d)]
