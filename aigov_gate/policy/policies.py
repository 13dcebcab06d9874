"""Policy documents compiled once into rules that are evaluated per target.

    >>> rule = compile_policy(checked_policy)  # doctest: +SKIP
    >>> rule.problems  # syntax errors and unknown variables, as findings  # doctest: +SKIP
    >>> rule.evaluate(cel_context, target)  # None: not applicable; [] passed  # doctest: +SKIP

A rule that cannot be compiled is reported at the policy's file:line:column (the caret
of CEL's error mapped into the YAML) and checks nothing; the gate then fails closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aigov_gate.catalog import RuleInfo
from aigov_gate.documents.policy import Policy
from aigov_gate.policy.context import GENERIC_VARIABLES, MODEL_VARIABLES
from aigov_gate.policy.expressions import (
    Compiled,
    EvaluationError,
    ExpressionError,
    caret,
    compile_expression,
    evaluate,
    position_in_file,
    render,
    template_parts,
    unclosed_template,
)
from aigov_gate.references import Checked
from aigov_gate.result import Finding, Location, Severity, Situation, clause_label


@dataclass(frozen=True, slots=True)
class Target:
    """What a rule is evaluated on: the document, where to point, which model it concerns."""

    doc: Checked
    location: Location
    model: str = ""


@dataclass(slots=True)
class PolicyRule:
    """A compiled Policy. ``pack`` names the built-in pack it comes from, if any."""

    doc: Checked
    pack: str | None = None
    rule: Compiled | None = None
    selector: Compiled | None = None
    template: list[Compiled] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)

    @property
    def policy(self) -> Policy:
        assert isinstance(self.doc.model, Policy)
        return self.doc.model

    @property
    def id(self) -> str:
        return self.policy.metadata.name

    @property
    def severity(self) -> Severity:
        return Severity.parse(self.policy.spec.severity)

    @property
    def clauses(self) -> tuple[str, ...]:
        return tuple(clause_label(c.framework, c.clause) for c in self.policy.spec.clauses)

    @property
    def kinds(self) -> list[str]:
        return list(self.policy.spec.applies_to.kinds)

    @property
    def variables(self) -> frozenset[str]:
        parts = [self.rule, self.selector, *self.template]
        return frozenset().union(*(p.variables for p in parts if p is not None))

    def info(self) -> RuleInfo:
        """The policy described as a catalog entry (for SARIF rules and explain)."""
        spec = self.policy.spec
        source = f"built-in pack {self.pack}" if self.pack else str(self.doc.raw.locate())
        return RuleInfo(
            self.id,
            spec.title,
            spec.severity,
            f"{spec.description or spec.title} (CEL: {spec.rule.strip()}; from {source})",
            spec.description or spec.title,
            spec.remediation or "",
            self.clauses,
        )

    def applies_in(self, situation: Situation) -> bool:
        spec = self.policy.spec
        if situation.stage not in spec.stages:
            return False
        return not spec.environments or situation.environment in spec.environments

    def evaluate(self, context: Any, target: Target) -> list[Finding] | None:
        """``None`` when the selector excludes the target; else the findings (none: passed)."""
        if self.rule is None:
            return []
        try:
            if self.selector is not None and not _boolean(evaluate(self.selector, context)):
                return None
            outcome = evaluate(self.rule, context)
        except EvaluationError as exc:
            return [self._eval_error(target, str(exc))]
        if not isinstance(outcome, bool):
            return [self._eval_error(target, f"the rule returned {outcome!r}, not true/false")]
        if outcome:
            return []
        return self._violation(context, target)

    def _violation(self, context: Any, target: Target) -> list[Finding]:
        """The finding, and one ``policy.eval-error`` per message part that failed."""
        spec = self.policy.spec
        values = []
        broken = []
        for part in self.template:
            try:
                values.append(evaluate(part, context))
            except EvaluationError as exc:
                values.append("?")
                broken.append(
                    self._eval_error(target, f"the message part {{{{{part.source}}}}}: {exc}")
                )
        return [
            Finding(
                self.id,
                self.severity,
                render(spec.message, values),
                target.location,
                target.doc.raw.target,
                hint=spec.remediation or f"see the policy {self.id}",
                related=self._related(),
                clauses=self.clauses,
                model=target.model,
            ),
            *broken,
        ]

    def _eval_error(self, target: Target, detail: str) -> Finding:
        return Finding(
            "policy.eval-error",
            max(self.severity, Severity.HIGH),  # fail closed, never below the policy's own
            f"policy '{self.id}' could not be evaluated: {detail}",
            target.location,
            target.doc.raw.target,
            hint="guard optional values (risk != null && ..., has(x.field)); "
            "see docs/policies.md for the context",
            related=self._related(),
            model=target.model,
        )

    def _related(self) -> tuple[Location, ...]:
        return () if self.pack else (self.doc.raw.locate(("spec", "rule")),)


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise EvaluationError(f"the selector returned {value!r}, not true/false")
    return value


def known_variables(kinds: list[str]) -> tuple[str, ...]:
    """Model-only policies see the model context; any other kind only the generic one."""
    return MODEL_VARIABLES if set(kinds) == {"Model"} else GENERIC_VARIABLES


def compile_policy(doc: Checked, pack: str | None = None) -> PolicyRule:
    """Compile rule, selector and message template; problems become findings."""
    compiled = PolicyRule(doc, pack)
    spec = compiled.policy.spec
    known = known_variables(compiled.kinds)
    rule = _compile(doc, spec.rule, ("spec", "rule"), 0, known, compiled.problems)
    compiled.rule = rule
    if spec.applies_to.selector is not None:
        path = ("spec", "applies_to", "selector")
        compiled.selector = _compile(
            doc, spec.applies_to.selector, path, 0, known, compiled.problems
        )
    for offset, expression in template_parts(spec.message):
        part = _compile(doc, expression, ("spec", "message"), offset, known, compiled.problems)
        if part is not None:
            compiled.template.append(part)
    unclosed = unclosed_template(spec.message)
    if unclosed is not None:
        error = ExpressionError(
            "policy.syntax-error", "the message opens '{{' and never closes it", unclosed
        )
        compiled.problems.append(_problem(doc, spec.message, ("spec", "message"), 0, error))
    if compiled.problems:
        compiled.rule = None
    return compiled


def _compile(
    doc: Checked,
    source: str,
    path: tuple[str, ...],
    base: int,
    known: tuple[str, ...],
    problems: list[Finding],
) -> Compiled | None:
    result = compile_expression(source, known)
    if isinstance(result, Compiled):
        return result
    problems.append(_problem(doc, source, path, base, result))
    return None


def _problem(
    doc: Checked, source: str, path: tuple[str, ...], base: int, error: ExpressionError
) -> Finding:
    value = doc.raw.locate(path)
    line, column = position_in_file(
        doc.raw.source.text, value.line, value.column, base + error.offset
    )
    where = path[-1] if path[-1] != "selector" else "applies_to.selector"
    return Finding(
        error.code,
        Severity.HIGH,
        f"{where}: {error.message}",
        Location(value.path, line, column),
        doc.raw.target,
        hint="\n" + _indent(caret(source, error.offset)),
    )


def _indent(text: str) -> str:
    return "\n".join("      " + line for line in text.split("\n"))
