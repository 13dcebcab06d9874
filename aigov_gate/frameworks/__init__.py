"""Framework catalogs: the built-in ones shipped here as YAML, and the clause tree they form.

    >>> catalog = builtin_catalog("nist-ai-rmf")
    >>> len(catalog.leaves())
    72
    >>> catalog.ancestors("MEASURE 2.11")
    ['MEASURE 2', 'MEASURE']

A repository's own Framework document with the same name replaces the built-in one for
its organization (``catalogs_for``). Built-in catalogs belong to every organization.
Loading one parses a few kilobytes of YAML; nothing here runs unless a compliance view
or a clause reference to a built-in framework needs it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cache, cached_property
from typing import Any

from aigov_gate.data import read_text as shipped_text
from aigov_gate.documents.compliance import Amendment, Applicability, Clause, Framework
from aigov_gate.loading import RawDocument, SourceFile
from aigov_gate.loading.safe_yaml import Limits, parse_text
from aigov_gate.references import ALL_ORGANIZATIONS, Checked

BUILTIN_FRAMEWORKS = (
    "eu-ai-act",
    "nist-ai-rmf",
    "nist-ai-600-1",
    "iso-iec-42001",
    "iso-iec-27001",
    "gdpr",
    "soc2",
)

ClauseKey = tuple[str, str]
"""``(framework, clause_number)``."""


def builtin_path(name: str) -> str:
    """How reports name a built-in catalog file: ``@aigov/frameworks/NAME.yaml``."""
    return f"@aigov/frameworks/{name}.yaml"


def builtin_text(name: str) -> str:
    return shipped_text("frameworks", f"{name}.yaml")


@cache
def builtin_document(name: str) -> Checked:
    """A built-in catalog, validated. A broken one is a bug in aigov-gate, not user error."""
    text = builtin_text(name)
    parsed = parse_text(text, Limits())
    if parsed.problems or len(parsed.documents) != 1:
        raise RuntimeError(f"built-in framework {name} does not parse: {parsed.problems}")
    raw = RawDocument(SourceFile(builtin_path(name), text), 0, parsed.documents[0])
    return Checked(raw, Framework.model_validate(parsed.documents[0]), ALL_ORGANIZATIONS)


@cache
def builtin_catalog(name: str) -> Catalog:
    return Catalog(builtin_document(name), builtin=True)


def builtin_clause_numbers() -> dict[str, frozenset[str]]:
    """Every built-in framework's clause numbers: what a clause reference may name."""
    return {name: frozenset(builtin_catalog(name).clauses) for name in BUILTIN_FRAMEWORKS}


@dataclass(frozen=True, slots=True)
class Applies:
    """A clause's effective applicability, its parents' filled in.

    ``since`` is ``applies_from`` as first enacted and ``amendments`` its later readings,
    both from ``origin``, the nearest clause that dates itself; ``law_from`` is when a clause
    an amendment added became law (``added_by``).
    """

    to: Applicability
    since: date | None
    amendments: tuple[Amendment, ...] = ()
    origin: str | None = None
    law_from: date | None = None
    added_by: str | None = None

    def since_on(self, today: date, released: date | None) -> tuple[date | None, str | None]:
        """``applies_from`` as the law stood on ``today``, and the act that last set it."""
        since, by = self.since, None
        for amendment in sorted(self.amendments, key=lambda a: a.in_force):
            if amendment.in_force > today:
                continue
            cutoff = amendment.on_market_before
            if cutoff is not None and (released is None or released >= cutoff):
                continue
            since, by = amendment.applies_from, amendment.amended_by
        return since, by


@dataclass
class Catalog:
    """One framework's clauses as a tree: parents, children, leaves, inherited applicability."""

    doc: Checked
    builtin: bool = False
    clauses: dict[str, Clause] = field(init=False)
    positions: dict[str, int] = field(init=False)
    children: dict[str, list[str]] = field(init=False)

    def __post_init__(self) -> None:
        self._applies: dict[str, Applies] = {}
        self._parts: dict[str, list[str]] = {}
        self._alone: dict[str, bool] = {}
        self.clauses = {}
        self.positions = {}
        self.children = {}
        for i, clause in enumerate(self.framework.spec.clauses):
            self.clauses.setdefault(clause.clause_number, clause)
            self.positions.setdefault(clause.clause_number, i)
        for number, clause in self.clauses.items():
            if clause.parent in self.clauses:
                self.children.setdefault(clause.parent, []).append(number)

    @property
    def framework(self) -> Framework:
        model = self.doc.model
        assert isinstance(model, Framework)
        return model

    @property
    def name(self) -> str:
        return self.framework.metadata.name

    @property
    def path(self) -> str:
        return self.doc.raw.source.path

    def is_leaf(self, number: str) -> bool:
        return number not in self.children

    def leaves(self) -> list[str]:
        """Clauses without children and not superseded: what coverage counts."""
        return [n for n, c in self.clauses.items() if self.is_leaf(n) and not c.successors]

    def roots(self) -> list[str]:
        return [n for n, c in self.clauses.items() if c.parent not in self.clauses]

    def ancestors(self, number: str) -> list[str]:
        """Parent first, then its parent...; stops at a cycle (reported by validation)."""
        out: list[str] = []
        parent = self.clauses[number].parent
        while parent in self.clauses and parent not in out and parent != number:
            out.append(parent)
            parent = self.clauses[parent].parent
        return out

    def descendants(self, number: str) -> Iterator[str]:
        stack = list(reversed(self.children.get(number, [])))
        seen = {number}
        while stack:
            child = stack.pop()
            if child in seen:
                continue
            seen.add(child)
            yield child
            stack.extend(reversed(self.children.get(child, [])))

    def enhances(self, number: str, base: str) -> bool:
        """Whether ``number`` is an enhancement of ``base`` in the catalog it was imported
        from: its OSCAL id is the base control's plus ``.N`` (SP 800-53: ``ac-2.1`` under
        ``ac-2``; not CSF's ``gv.oc-01`` under ``gv.oc``). An enhancement is a requirement
        of its own, which the base control does not satisfy."""
        mine, theirs = self.clauses[number].oscal, self.clauses[base].oscal
        if mine is None or theirs is None:
            return False
        head, dot, tail = mine.control_id.rpartition(".")
        return dot == "." and head == theirs.control_id and tail.isdigit()

    def assessed_alone(self, number: str) -> bool:
        """Whether the clause is a requirement of its own: a leaf, or a base control with
        enhancements (SP 800-53's AC-2). Other clauses with children are roll-ups."""
        found = self._alone.get(number)
        if found is None:
            children = self.children.get(number, [])
            found = not children or any(self.enhances(c, number) for c in children)
            self._alone[number] = found
        return found

    def requirements_under(self, number: str) -> list[str]:
        """The clauses below ``number`` that are requirements of their own (cached)."""
        found = self._parts.get(number)
        if found is None:
            found = [d for d in self.descendants(number) if self.assessed_alone(d)]
            self._parts[number] = found
        return found

    def applies(self, number: str) -> Applies:
        """applies_to (field by field) and applies_from, each from the nearest clause setting it."""
        found = self._applies.get(number)
        if found is None:
            found = self._applies[number] = self._resolve_applies(number)
        return found

    def _resolve_applies(self, number: str) -> Applies:
        chain = [self.clauses[n] for n in (number, *self.ancestors(number))]

        def nearest(field_name: str) -> Any:
            return next((v for c in chain if (v := getattr(c.applies_to, field_name))), [])

        pii = [c.applies_to.personal_data for c in chain if c.applies_to.personal_data is not None]
        to = Applicability.model_construct(
            risk_tiers=nearest("risk_tiers"),
            roles=nearest("roles"),
            annex_iii_areas=nearest("annex_iii_areas"),
            personal_data=pii[0] if pii else None,
        )
        dated = next((c for c in chain if c.applies_from or c.amendments), None)
        added = next((c for c in chain if c.in_force), None)
        return Applies(
            to,
            dated.applies_from if dated else None,
            tuple(dated.amendments) if dated else (),
            dated.clause_number if dated else None,
            added.in_force if added else None,
            added.added_by if added else None,
        )

    def locate_clause(self, number: str) -> tuple[str, int]:
        """File and line of a clause, for reports."""
        where = self.doc.raw.locate(("spec", "clauses", self.positions[number], "clause_number"))
        return where.path, where.line

    @cached_property
    def equivalents(self) -> dict[str, list[ClauseKey]]:
        return {
            n: [(e.framework, e.clause) for e in c.equivalents]
            for n, c in self.clauses.items()
            if c.equivalents
        }


def catalogs_for(repo_frameworks: Iterable[Checked], organization: str) -> dict[str, Catalog]:
    """The catalogs an organization sees: the built-ins, replaced by its own of the same name."""
    out: dict[str, Catalog] = {}
    for doc in repo_frameworks:
        if doc.organization == organization and isinstance(doc.model, Framework):
            out.setdefault(doc.model.metadata.name, Catalog(doc))
    for name in BUILTIN_FRAMEWORKS:
        if name not in out:
            out[name] = builtin_catalog(name)
    return out


def crosswalk(catalogs: dict[str, Catalog]) -> dict[ClauseKey, list[ClauseKey]]:
    """Declared equivalents made symmetric: a link declared on either side counts both ways.

    Links to a framework or clause the organization does not have are dropped (validation
    reports them where they are written).
    """
    links: dict[ClauseKey, list[ClauseKey]] = {}

    def add(a: ClauseKey, b: ClauseKey) -> None:
        if a != b and b not in links.setdefault(a, []):
            links[a].append(b)

    for name, catalog in catalogs.items():
        for number, targets in catalog.equivalents.items():
            for fw, clause in targets:
                other = catalogs.get(fw)
                if other is None or clause not in other.clauses:
                    continue
                add((name, number), (fw, clause))
                add((fw, clause), (name, number))
    return links


__all__ = [
    "BUILTIN_FRAMEWORKS",
    "Applies",
    "Catalog",
    "ClauseKey",
    "builtin_catalog",
    "builtin_clause_numbers",
    "builtin_document",
    "catalogs_for",
    "crosswalk",
]
