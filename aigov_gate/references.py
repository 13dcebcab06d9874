"""Cross-document references: names resolve, clauses exist, names are unique, files match.

The :class:`Index` is built from *raw* documents, so references are checked against the
whole repository even when only a few files were validated (the pre-commit case) and
even when a target document is itself invalid (it is reported on its own).
"""

from __future__ import annotations

import difflib
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Generic, TypeGuard

from typing_extensions import TypeVar

from aigov_gate.documents import AnyDocument, Reference
from aigov_gate.documents.assets import EvidenceArtifact
from aigov_gate.loading import RawDocument
from aigov_gate.result import Finding, Location, Severity

Key = tuple[str, str, str]  # kind, organization, name
ALL_ORGANIZATIONS = "*"
"""The organization of built-in documents (pack policies, framework catalogs): every one."""


#: The kind of document a :class:`Checked` holds; a bare ``Checked`` holds any kind.
D_co = TypeVar("D_co", bound=AnyDocument, default=AnyDocument, covariant=True)
T = TypeVar("T", bound=AnyDocument)


#: A document's stable identity: (organization, kind, name).
DocKey = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class Checked(Generic[D_co]):
    """A document that passed its schema: raw form, model, and its organization.

    ``Checked[Model]`` is one whose model is a ``Model``: :func:`is_a` and :func:`of_kind`
    narrow to it, so code past them needs no ``isinstance`` of its own.
    """

    raw: RawDocument
    model: D_co
    organization: str

    @property
    def key(self) -> DocKey:
        """``(organization, kind, name)``: how runs and checks tell documents apart."""
        return (self.organization, self.raw.kind, self.raw.name)


def is_a(doc: Checked, cls: type[T]) -> TypeGuard[Checked[T]]:
    """Whether ``doc`` holds a ``cls``."""
    return isinstance(doc.model, cls)


def of_kind(docs: Iterable[Checked], cls: type[T]) -> list[Checked[T]]:
    """The documents of ``docs`` that hold a ``cls``, in order."""
    return [doc for doc in docs if is_a(doc, cls)]


class Index:
    """Every governance document of the repository by (kind, organization, name)."""

    def __init__(
        self,
        documents: Iterable[RawDocument],
        default_org: str,
        builtin_policies: Callable[[], frozenset[str]] = frozenset,
        builtin_frameworks: Callable[[], dict[str, frozenset[str]]] = dict,
    ) -> None:
        self.default_org = default_org
        self._builtin_policies = builtin_policies
        self._builtin: frozenset[str] | None = None
        self._builtin_frameworks = builtin_frameworks
        self._frameworks: dict[str, frozenset[str]] | None = None
        self.by_key: dict[Key, list[RawDocument]] = defaultdict(list)
        for raw in documents:
            if raw.kind and raw.name:
                self.by_key[(raw.kind, raw.organization(default_org), raw.name)].append(raw)

    @property
    def builtin_policies(self) -> frozenset[str]:
        """Built-in rule ids and pack policy names, computed only when a reference needs them."""
        if self._builtin is None:
            self._builtin = self._builtin_policies()
        return self._builtin

    @property
    def builtin_frameworks(self) -> dict[str, frozenset[str]]:
        """Built-in catalogs' clause numbers, loaded only when a reference needs them."""
        if self._frameworks is None:
            self._frameworks = self._builtin_frameworks()
        return self._frameworks

    def find(self, kind: str, org: str, name: str) -> list[RawDocument]:
        return self.by_key.get((kind, org, name), [])

    def names(self, kind: str, org: str) -> list[str]:
        return [k[2] for k in self.by_key if k[0] == kind and k[1] == org]

    def clause_numbers(self, framework: RawDocument) -> set[str]:
        spec = framework.data.get("spec")
        clauses = spec.get("clauses") if isinstance(spec, dict) else None
        if not isinstance(clauses, list):
            return set()
        return {
            str(c["clause_number"]) for c in clauses if isinstance(c, dict) and "clause_number" in c
        }


def check_references(doc: Checked, index: Index) -> Iterator[Finding]:
    """A finding for every reference of ``doc`` that does not resolve."""
    for ref in doc.model.references():
        targets = index.find(ref.kind, doc.organization, ref.name)
        if not targets and ref.kind == "Policy" and ref.name in index.builtin_policies:
            continue
        if not targets and ref.kind == "Framework" and ref.name in index.builtin_frameworks:
            numbers = index.builtin_frameworks[ref.name]
            if ref.member is not None and ref.member not in numbers:
                yield _unknown_clause(doc, ref, numbers, f"@aigov/frameworks/{ref.name}.yaml")
            continue
        if not targets:
            yield _missing(doc, ref, index)
        elif ref.member is not None and ref.member not in index.clause_numbers(targets[0]):
            yield _missing_clause(doc, ref, targets[0], index)


def _missing(doc: Checked, ref: Reference, index: Index) -> Finding:
    known = index.names(ref.kind, doc.organization)
    if ref.kind == "Policy":
        known += sorted(index.builtin_policies)
    if ref.kind == "Framework":
        known += sorted(index.builtin_frameworks)
    close = difflib.get_close_matches(ref.name, known, n=1, cutoff=0.6)
    if close:
        hint = f"did you mean '{close[0]}'?"
    elif known:
        hint = f"known {ref.kind} names: {', '.join(sorted(known)[:10])}"
    else:
        hint = f"add a {ref.kind} document named '{ref.name}'"
    org = f" in organization '{doc.organization}'" if doc.organization != index.default_org else ""
    return Finding(
        rule_id="ref.missing",
        severity=Severity.HIGH,
        message=f"{ref.kind} '{ref.name}' does not exist{org}",
        location=doc.raw.locate(ref.path),
        target=doc.raw.target,
        hint=hint,
    )


def _missing_clause(doc: Checked, ref: Reference, framework: RawDocument, index: Index) -> Finding:
    numbers = index.clause_numbers(framework)
    found = _unknown_clause(doc, ref, numbers, framework.source.path)
    return replace(found, related=(framework.locate(),))


def _unknown_clause(doc: Checked, ref: Reference, numbers: Iterable[str], where: str) -> Finding:
    member = ref.member or ""
    close = difflib.get_close_matches(member, sorted(numbers), n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'?" if close else f"see the clauses in {where}"
    return Finding(
        rule_id="ref.unknown-clause",
        severity=Severity.HIGH,
        message=f"framework '{ref.name}' has no clause '{member}'",
        location=doc.raw.locate(ref.path),
        target=doc.raw.target,
        hint=hint,
    )


def check_duplicates(raw: RawDocument, index: Index, checked: set[int]) -> Iterator[Finding]:
    """A finding when another document has the same kind, organization and name.

    Reported once per extra definition, at the later one; at the first one only when
    no later one is being checked (pre-commit passed just the first file).
    """
    same = index.find(raw.kind, raw.organization(index.default_org), raw.name)
    if len(same) < 2:
        return
    first = same[0]
    if first is raw:
        if any(id(other) in checked for other in same[1:]):
            return
        other = same[1]
        message = f"{raw.kind} '{raw.name}' is also defined at {other.locate(('metadata', 'name'))}"
    else:
        other = first
        message = (
            f"{raw.kind} '{raw.name}' is already defined at {other.locate(('metadata', 'name'))}"
        )
    yield Finding(
        rule_id="ref.duplicate-name",
        severity=Severity.HIGH,
        message=message,
        location=raw.locate(("metadata", "name")),
        target=raw.target,
        hint="names are unique per kind and organization: rename or remove one",
        related=(other.locate(("metadata", "name")),),
    )


def check_evidence_file(doc: Checked, root: Path) -> Iterator[Finding]:
    """The artifact's file exists inside the repository and its sha256 matches."""
    model = doc.model
    if not isinstance(model, EvidenceArtifact) or model.spec.path is None:
        return
    spec, relative = model.spec, model.spec.path
    where = doc.raw.locate(("spec", "path"))
    resolved_root = root.resolve()
    try:
        file = (root / relative).resolve()
    except (RuntimeError, OSError):  # a symlink loop
        yield _evidence(
            doc,
            "evidence.file-missing",
            f"path '{spec.path}' is a symbolic link loop",
            where,
            "point path at the artifact itself",
        )
        return
    if not file.is_relative_to(resolved_root):
        yield _evidence(
            doc,
            "evidence.path-outside",
            f"path '{spec.path}' leaves the repository",
            where,
            "evidence paths are relative to the repository root",
        )
        return
    try:
        digest = _sha256(file)
    except OSError:
        yield _evidence(
            doc,
            "evidence.file-missing",
            f"file '{spec.path}' does not exist",
            where,
            "commit the file, or fix the path (relative to the repository root)",
        )
        return
    if digest != spec.sha256:
        yield _evidence(
            doc,
            "evidence.digest-mismatch",
            f"sha256 of '{spec.path}' is {digest}, the document says {spec.sha256}",
            doc.raw.locate(("spec", "sha256")),
            "if the file changed on purpose, update sha256 (sha256sum FILE); otherwise restore it",
        )


def _evidence(doc: Checked, rule: str, message: str, where: Location, hint: str) -> Finding:
    return Finding(rule, Severity.HIGH, message, where, doc.raw.target, hint)


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
