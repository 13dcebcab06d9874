"""Derive each clause's status per framework and model from what the gate found.

What counts toward a clause (a :class:`~aigov_gate.result.Basis` each):

- a policy or built-in rule that names the clause and was evaluated on the model;
- what a ComplianceMapping for the clause lists in ``satisfied_by``: policies, test plans
  (the latest completed run of the plan for the model's version, and the findings on
  it), evidence artifacts (while fresh, see :mod:`.evidence`) and risk-assessment fields
  (present and not empty);
- the same, through a superseded id (``replaces``), a parent clause when the clause has
  nothing of its own (``parent``), or a crosswalk equivalent (``crosswalk``, always
  counted as supporting: equivalence between frameworks is approximate).

The status, in order:

- not_applicable: the model's risk tier, EU AI Act role, Annex III area or use of
  personal data is outside the clause's ``applies_to``, or ``applies_from`` is later
  than the evaluation date;
- not_assessed: nothing at all names the clause for the model;
- non_compliant: a direct basis failed, or everything that would count is stale or
  missing;
- compliant: everything that counts passed, at least one of them directly (a direct
  mapping or a policy's clause ref), and nothing direct is stale or missing;
- partially_compliant: anything else (some pass, waived failures, only partial,
  supporting or crosswalk bases).

A clause is a requirement of its own when it has no children, or when its children are
enhancements of it (SP 800-53: AC-2(1) of AC-2, ``Catalog.enhances``): a base control is
assessed on its own bases, and a mapping to it does not reach its enhancements, which are
separate requirements. Any other clause with children (a family, a CSF category) takes the
roll-up of the requirements below it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from aigov_gate.catalog import RULES, RuleInfo
from aigov_gate.compliance.applicability import applicable
from aigov_gate.compliance.evidence import freshness
from aigov_gate.config import AigovConfig
from aigov_gate.documents.assets import EvidenceArtifact
from aigov_gate.documents.compliance import Clause, ComplianceMapping
from aigov_gate.documents.testing import TestRun
from aigov_gate.frameworks import Catalog, ClauseKey
from aigov_gate.graph import Graph, ModelContext, latest_completed
from aigov_gate.references import Checked
from aigov_gate.result import (
    Basis,
    ClauseStatus,
    Finding,
    FrameworkCompliance,
    ModelVerdict,
    Severity,
)

RANK = {"compliant": 3, "partially_compliant": 2, "non_compliant": 1, "not_assessed": 0}
TEST_RULE_PREFIXES = ("metric.", "test.")


@dataclass
class Inputs:
    """What the gate knows when it derives compliance."""

    config: AigovConfig
    today: date
    graph: Graph
    catalogs: dict[str, Catalog]
    links: dict[ClauseKey, list[ClauseKey]]
    findings: Sequence[Finding]
    rules: Mapping[str, RuleInfo]
    problems: dict[str, list[Finding]] = field(default_factory=dict)
    by_model: dict[str, list[Finding]] = field(default_factory=dict)
    clause_rules: list[tuple[str, bool, list[ClauseKey]]] = field(default_factory=list)
    """``(rule id, built in?, clauses it names)`` for every rule that names a clause."""

    def __post_init__(self) -> None:
        for rule_id, info in self.rules.items():
            if info.clauses:
                keys = [_key(label) for label in info.clauses]
                self.clause_rules.append((rule_id, rule_id in RULES, keys))
        for finding in self.findings:
            if finding.model:
                self.by_model.setdefault(finding.model, []).append(finding)
            elif finding.target:
                self.problems.setdefault(finding.target, []).append(finding)


@dataclass
class Derived:
    compliance: list[FrameworkCompliance]
    findings: list[Finding]


def frameworks_for(ctx: ModelContext, config: AigovConfig, wanted: str | None) -> list[str]:
    """The frameworks that apply to a model: .aigov.yaml's, then the model's own."""
    if wanted is not None:
        return [wanted]
    names = list(config.frameworks)
    names += [n for n in ctx.spec.spec.frameworks if n not in names]
    return names


def derive(
    ctx: ModelContext, verdict: ModelVerdict, inputs: Inputs, wanted: str | None = None
) -> Derived:
    sources = _Sources(ctx, verdict, inputs)
    out = Derived([], [])
    for name in frameworks_for(ctx, inputs.config, wanted):
        catalog = inputs.catalogs.get(name)
        if catalog is None:
            continue
        result = _framework(ctx, catalog, sources, inputs)
        out.compliance.append(result)
        out.findings.extend(_declared_findings(ctx, result, sources))
        out.findings.extend(_coverage_finding(ctx, result, inputs.config))
    out.findings.extend(sources.stale_findings())
    return out


def _key(label: str) -> ClauseKey:
    framework, _, clause = label.partition(":")
    return framework, clause


class _Sources:
    """Per model: the bases of every clause named directly, by (framework, clause)."""

    def __init__(self, ctx: ModelContext, verdict: ModelVerdict, inputs: Inputs) -> None:
        self.ctx = ctx
        self.inputs = inputs
        self.evaluated = set(verdict.evaluated)
        self.by_rule: dict[str, list[Finding]] = defaultdict(list)
        for finding in inputs.by_model.get(ctx.label, []):
            self.by_rule[finding.rule_id].append(finding)
        self.direct: dict[ClauseKey, list[Basis]] = defaultdict(list)
        self.declared: dict[ClauseKey, list[Checked[ComplianceMapping]]] = defaultdict(list)
        self.stale: dict[int, tuple[Checked, str, tuple[str, ...]]] = {}
        for rule_id, builtin, keys in inputs.clause_rules:
            if builtin and rule_id not in self.evaluated:
                continue
            basis = self._rule(rule_id, "rule" if builtin else "policy")
            for key in keys:
                self.direct[key].append(basis)
        for doc in ctx.mappings:
            mapping = doc.model
            key = (mapping.spec.framework, mapping.spec.clause)
            self.declared[key].append(doc)
            self.direct[key].extend(self._mapped(doc, mapping))

    def _rule(self, rule_id: str, source: str) -> Basis:
        if rule_id not in self.evaluated:
            return Basis(source, rule_id, "not_evaluated", "did not apply to this model here")
        found = self.by_rule.get(rule_id, [])
        open_ = [f for f in found if not f.waived]
        if open_:
            return Basis(source, rule_id, "failed", open_[0].message)
        if found:
            return Basis(source, rule_id, "waived", f"waived by {found[0].waived_by}")
        return Basis(source, rule_id, "passed", "evaluated without findings")

    def _mapped(self, doc: Checked, mapping: ComplianceMapping) -> list[Basis]:
        name, kind = doc.model.metadata.name, mapping.spec.mapping_type
        by = mapping.spec.satisfied_by
        out: list[Basis] = []
        for policy in by.policies:
            out.append(self._rule(policy, "policy"))
        out.extend(self._plan(plan) for plan in by.test_plans)
        out.extend(self._evidence(evidence) for evidence in by.evidence)
        out.extend(self._risk_field(path) for path in by.risk_assessment_fields)
        if not out:
            out.append(Basis("mapping", name, "missing", "its satisfied_by names nothing"))
        return [Basis(b.source, b.name, b.outcome, b.detail, name, kind) for b in out]

    def _plan(self, name: str) -> Basis:
        ctx = self.ctx
        if name not in {p.model.metadata.name for p in ctx.plans}:
            return Basis("test_plan", name, "missing", f"the plan does not apply to {ctx.name}")
        runs = [r for r in ctx.runs_for_version() if _plan_of(r) == name]
        run = latest_completed(runs)
        if run is None:
            return Basis("test_plan", name, "missing", f"no completed run for {ctx.label}")
        plan = self.inputs.graph.get("TestPlan", ctx.model.organization, name)
        files = {run.raw.source.path} | ({plan.raw.source.path} if plan else set())
        found = [
            f
            for rule, fs in self.by_rule.items()
            if rule.startswith(TEST_RULE_PREFIXES)
            for f in fs
            if f.location.path in files
        ]
        run_name = run.model.metadata.name
        open_ = [f for f in found if not f.waived]
        if open_:
            return Basis("test_plan", name, "failed", f"run {run_name}: {open_[0].message}")
        if found:
            return Basis("test_plan", name, "waived", f"run {run_name}: waived findings")
        return Basis("test_plan", name, "passed", f"run {run_name} passed")

    def _evidence(self, name: str) -> Basis:
        ctx = self.ctx
        doc = self.inputs.graph.get("EvidenceArtifact", ctx.model.organization, name)
        if doc is None or not isinstance(doc.model, EvidenceArtifact):
            return Basis("evidence", name, "missing", "no such evidence artifact")
        fresh = freshness(
            doc, ctx, self.inputs.today, self.inputs.config.evidence, self.inputs.problems
        )
        if fresh.counts:
            return Basis("evidence", name, "passed", fresh.detail)
        self.stale[id(doc)] = (doc, fresh.detail, fresh.path)
        return Basis("evidence", name, "stale", fresh.detail)

    def _risk_field(self, path: str) -> Basis:
        risk = self.ctx.risk
        if risk is None:
            return Basis("risk_field", path, "missing", f"no risk assessment for {self.ctx.label}")
        value: object = risk.model.spec
        for part in path.split("."):
            value = getattr(value, part, None)
        if value in (None, "", [], {}, False):
            return Basis("risk_field", path, "missing", f"{risk.raw.target}: '{path}' is empty")
        return Basis("risk_field", path, "passed", f"{risk.raw.target}: '{path}' is filled in")

    def stale_findings(self) -> list[Finding]:
        return [
            self.ctx.finding(
                "evidence.stale",
                Severity.MEDIUM,
                f"evidence {doc.model.metadata.name} no longer counts for {self.ctx.label}: {why}",
                path,
                "renew the artifact (new file, sha256, created date) or map other evidence",
                doc=doc,
            )
            for doc, why, path in self.stale.values()
        ]


def _plan_of(run: Checked[TestRun]) -> str | None:
    return run.model.spec.test_plan


def _framework(
    ctx: ModelContext, catalog: Catalog, sources: _Sources, inputs: Inputs
) -> FrameworkCompliance:
    replaced: dict[str, list[str]] = defaultdict(list)
    for number, clause in catalog.clauses.items():
        for successor in clause.successors:
            replaced[successor].append(number)
    statuses: dict[str, ClauseStatus] = {}
    for number in catalog.clauses:
        if catalog.assessed_alone(number):
            statuses[number] = _requirement(ctx, catalog, number, replaced, sources, inputs)
    for number, clause in catalog.clauses.items():
        if number in statuses:
            continue
        status, reason = _rollup(statuses[d] for d in catalog.requirements_under(number))
        statuses[number] = ClauseStatus(
            number,
            clause.title,
            status,
            reason,
            tuple(sources.direct.get((catalog.name, number), [])),
            _declared(sources.declared.get((catalog.name, number), [])),
            clause.parent,
            leaf=False,
            counted=False,
            **_oscal_ids(clause),
        )
    spec = catalog.framework.spec
    ordered = tuple(statuses[n] for n in catalog.clauses)
    return FrameworkCompliance(
        catalog.name, spec.title, spec.version, ctx.label, catalog.path, ordered
    )


def _requirement(
    ctx: ModelContext,
    catalog: Catalog,
    number: str,
    replaced: Mapping[str, list[str]],
    sources: _Sources,
    inputs: Inputs,
) -> ClauseStatus:
    """A clause assessed on its own bases: a leaf, or a base control with enhancements."""
    clause = catalog.clauses[number]
    basis = _bases(catalog, number, replaced, sources, inputs)
    standing = applicable(catalog, number, ctx, inputs)
    if clause.successors:
        status, reason = "not_applicable", f"superseded by {', '.join(clause.successors)}"
    elif not standing.applies:
        status, reason = "not_applicable", standing.why
    else:
        status, reason = _status(basis)
    return ClauseStatus(
        number,
        clause.title,
        status,
        reason,
        tuple(basis),
        _declared(sources.declared.get((catalog.name, number), [])),
        clause.parent,
        leaf=True,
        counted=status != "not_applicable" and clause.compliance_level != "voluntary",
        ahead=standing.ahead and not clause.successors,
        since=standing.since if status != "not_applicable" else None,
        **_oscal_ids(clause),
    )


def _bases(
    catalog: Catalog,
    number: str,
    replaced: Mapping[str, list[str]],
    sources: _Sources,
    inputs: Inputs,
) -> list[Basis]:
    name = catalog.name
    own = list(sources.direct.get((name, number), []))
    for old in replaced.get(number, []):
        own += [_via(b, f"replaces {old}") for b in sources.direct.get((name, old), [])]
    if not own:
        for ancestor in catalog.ancestors(number):
            if catalog.enhances(number, ancestor):
                continue  # an enhancement is a requirement the base control does not meet
            inherited = sources.direct.get((name, ancestor), [])
            if inherited:
                own = [_via(b, f"parent {ancestor}") for b in inherited]
                break
    for fw, clause in inputs.links.get((name, number), []):
        own += [
            _via(b, f"crosswalk {fw}:{clause}", "supporting")
            for b in sources.direct.get((fw, clause), [])
            if not b.via
        ]
    return own


def _via(basis: Basis, via: str, mapping_type: str | None = None) -> Basis:
    return Basis(
        basis.source,
        basis.name,
        basis.outcome,
        basis.detail,
        basis.mapping,
        mapping_type or basis.mapping_type,
        via,
    )


def _status(basis: Sequence[Basis]) -> tuple[str, str]:
    if not basis:
        return "not_assessed", "no policy, check, mapping or crosswalk covers it"
    counted = [b for b in basis if b.counts]
    direct = [
        b for b in counted if b.mapping_type == "direct" and not b.via.startswith("crosswalk")
    ]
    lost = [b for b in basis if b.outcome in ("stale", "missing")]
    if not counted:
        if lost:
            return (
                "non_compliant",
                f"nothing that would prove it counts: {_name(lost[0])} {lost[0].detail}",
            )
        return "not_assessed", "what is mapped to it did not apply to this model here"
    failed = [b for b in direct if b.outcome == "failed"]
    if failed:
        return "non_compliant", f"{_name(failed[0])} failed: {failed[0].detail}"
    if (
        all(b.outcome == "passed" for b in counted)
        and direct
        and not any(b.mapping_type == "direct" and not b.via.startswith("crosswalk") for b in lost)
    ):
        return "compliant", f"{len(counted)} passed ({', '.join(_name(b) for b in direct[:3])})"
    not_passed = [b for b in counted if b.outcome != "passed"] + lost
    if not_passed:
        b = not_passed[0]
        return "partially_compliant", f"{_name(b)} {b.outcome}: {b.detail}"
    shown = ", ".join(f"{_name(b)} ({b.mapping_type})" for b in counted[:3])
    return "partially_compliant", f"only partial, supporting or crosswalk bases passed: {shown}"


def _name(basis: Basis) -> str:
    via = f" (via {basis.via})" if basis.via else ""
    return f"{basis.source} {basis.name}{via}"


def _rollup(leaves: Iterable[ClauseStatus]) -> tuple[str, str]:
    applicable = [c for c in leaves if c.status != "not_applicable"]
    if not applicable:
        return "not_applicable", "none of its parts applies"
    statuses = {c.status for c in applicable}
    if statuses == {"compliant"}:
        return "compliant", f"all {len(applicable)} applicable parts compliant"
    if statuses == {"not_assessed"}:
        return "not_assessed", f"none of its {len(applicable)} applicable parts is assessed"
    if "non_compliant" in statuses:
        bad = [c.clause for c in applicable if c.status == "non_compliant"]
        return "non_compliant", f"non-compliant parts: {', '.join(bad)}"
    done = sum(c.status == "compliant" for c in applicable)
    return "partially_compliant", f"{done} of {len(applicable)} applicable parts compliant"


def _oscal_ids(clause: Clause) -> dict[str, Any]:
    if clause.oscal is None:
        return {}
    return {"control_id": clause.oscal.control_id, "statement_id": clause.oscal.statement_id}


def _declared(docs: list[Checked[ComplianceMapping]]) -> str | None:
    for doc in docs:
        if doc.model.spec.compliance_status != "not_assessed":
            return doc.model.spec.compliance_status
    return None


def _declared_findings(
    ctx: ModelContext, result: FrameworkCompliance, sources: _Sources
) -> Iterator[Finding]:
    by_number = {c.clause: c for c in result.clauses}
    for (framework, number), docs in sources.declared.items():
        derived = by_number.get(number)
        if framework != result.framework or derived is None:
            continue
        for doc in docs:
            declared = doc.model.spec.compliance_status
            if declared in ("not_assessed", derived.status):
                continue
            if derived.ahead and declared != "not_applicable":
                continue  # readiness declared before the clause's date: not an understatement
            over = _overclaims(declared, derived.status)
            label = f"{framework}:{number}"
            yield ctx.finding(
                "compliance.overclaimed" if over else "compliance.understated",
                Severity.HIGH if over else Severity.INFO,
                f"{label} is declared {declared} for {ctx.label}, but derives as "
                f"{derived.status}: {derived.reason}",
                ("spec", "compliance_status"),
                "fix what the reason names, or declare the derived status"
                if over
                else f"declare {derived.status}, or drop compliance_status and let it be derived",
                doc=doc,
            )


def _overclaims(declared: str, derived: str) -> bool:
    if declared == "not_applicable":
        return True
    if derived == "not_applicable":
        return False
    return RANK[declared] > RANK[derived]


def _coverage_finding(
    ctx: ModelContext, result: FrameworkCompliance, config: AigovConfig
) -> list[Finding]:
    floor = config.compliance.min_coverage
    if floor is None or result.coverage >= floor:
        return []
    counted = result.counted
    missing = [c.clause for c in counted if not c.assessed]
    return [
        ctx.finding(
            "compliance.coverage-below",
            Severity.MEDIUM,
            f"{result.framework} coverage for {ctx.label} is {result.coverage:.0f}% "
            f"({len(counted) - len(missing)} of {len(counted)} applicable clauses assessed), "
            f"below {floor:g}%",
            ("metadata", "name"),
            f"map the unassessed clauses, e.g. {', '.join(missing[:5])}",
        )
    ]
