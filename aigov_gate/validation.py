"""``aigov validate`` as a function: load, check schemas, check references, return findings.

    >>> from pathlib import Path
    >>> from aigov_gate.config import AigovConfig
    >>> result = validate_repo(Path("examples/credit-scoring"), AigovConfig())  # doctest: +SKIP
    >>> result.findings  # doctest: +SKIP
    []

Given ``paths`` (as pre-commit passes them), only those files are validated, but their
references resolve against every governance document of the repository.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from aigov_gate.catalog import RULES
from aigov_gate.config import AigovConfig
from aigov_gate.documents import API_VERSIONS, KINDS
from aigov_gate.documents.assets import EvidenceArtifact
from aigov_gate.documents.compliance import Clause, Framework
from aigov_gate.documents.diagnostics import explain
from aigov_gate.documents.policy import Policy
from aigov_gate.errors import ConfigError, UsageError
from aigov_gate.frameworks import builtin_clause_numbers
from aigov_gate.loading import Candidate, LoadResult, RawDocument, explicit, load_files, walk
from aigov_gate.loading.cache import finding_from, finding_record, run_key
from aigov_gate.loading.discovery import drop_own
from aigov_gate.packs import policy_names
from aigov_gate.pii import Scanner, check_undeclared
from aigov_gate.references import (
    Checked,
    Index,
    check_duplicates,
    check_evidence_file,
    check_references,
)
from aigov_gate.result import Finding, Location, Severity, sort_findings
from aigov_gate.secret_scan import from_unknown_field, scan, secret_like

if TYPE_CHECKING:
    from aigov_gate.loading.cache import Cache
    from aigov_gate.loading.loader import Report


@dataclass(slots=True)
class ValidationResult:
    findings: list[Finding]
    documents: list[Checked] = field(default_factory=list)
    files_read: int = 0
    documents_checked: int = 0
    files_skipped: list[str] = field(default_factory=list)
    #: The findings come from the cache: nothing this run depends on changed.
    cached: bool = False
    #: What the cache files this run under (empty without a cache).
    run_key: str = ""


def validate_repo(
    root: Path,
    config: AigovConfig,
    paths: Sequence[Path] = (),
    cache: Cache | None = None,
    progress: Report | None = None,
) -> ValidationResult:
    """Validate the repository at ``root``, or only ``paths`` inside it.

    With a ``cache`` (aigov_gate/loading/cache.py), unchanged files are not parsed again,
    and when nothing the run depends on changed, the last run's findings are returned.
    """
    root = root.absolute()
    limits = config.limits.to_limits()
    whole = drop_own(_discover(root, config), config.keys.dir, config.webhooks.outbox)
    chosen = drop_own(_chosen(root, config, paths), config.keys.dir, config.webhooks.outbox)
    key = ""
    if cache is not None:
        key = _run_key(root, config, whole, chosen, cache)
        remembered = _remembered(root, cache, key)
        if remembered is not None:
            return remembered
    if paths:
        chosen_paths = {c.relative for c in chosen}
        loaded = load_files(chosen, limits, cache)
        rest = (c for c in whole if c.relative not in chosen_paths)
        context = load_files(rest, limits, cache, progress)
        everything = loaded.documents + context.documents
    else:
        loaded = load_files(whole, limits, cache, progress)
        everything = loaded.documents
    findings = list(loaded.findings)
    salvaged: list[Checked] = []
    checked = _check_schemas(loaded, config.organization, findings, salvaged)

    def builtin() -> frozenset[str]:
        return policy_names(config.policy_packs) | frozenset(RULES)

    index = Index(everything, config.organization, builtin, builtin_clause_numbers)
    checked_ids = {id(raw) for raw in loaded.documents}
    for raw in loaded.documents:
        findings.extend(check_duplicates(raw, index, checked_ids))
    scanner = Scanner(config.pii)
    for doc in checked:
        findings.extend(check_undeclared(doc, root, scanner))
        findings.extend(check_references(doc, index))
        findings.extend(check_evidence_file(doc, root))
        findings.extend(_check_framework(doc))
        findings.extend(_check_environments(doc, config))
        findings.extend(scan(doc))
    for doc in salvaged:
        findings.extend(check_references(doc, index))
    if not paths and not loaded.documents and not loaded.findings:
        findings.append(_nothing_found(config))
    return ValidationResult(
        findings=sort_findings(findings),
        documents=checked,
        files_read=loaded.files_read,
        documents_checked=len(loaded.documents),
        files_skipped=loaded.files_skipped,
        run_key=key,
    )


def _run_key(
    root: Path,
    config: AigovConfig,
    whole: Sequence[Candidate],
    chosen: Sequence[Candidate],
    cache: Cache,
) -> str:
    """Everything the findings depend on: code, config, environment, day, and each file."""
    parts = [
        cache.header,
        config.model_dump_json(),
        date.today().isoformat(),
        *sorted(f"{k}={v}" for k, v in os.environ.items() if k.startswith("AIGOV_")),
    ]
    for group, candidates in (("chosen", chosen), ("whole", whole)):
        parts.append(group)
        for c in sorted(candidates, key=lambda c: c.relative):
            digest = None if c.escapes else cache.digest(c.relative, c.path)
            parts.append(f"{c.relative} {c.explicit} {c.escapes} {digest}")
    return run_key(parts)


def _artifacts(root: Path, documents: Sequence[Checked], cache: Cache) -> list[list[str]]:
    """The artifact files this run read, and what they were (a resolved path and digest)."""
    paths = sorted(
        {
            d.model.spec.path
            for d in documents
            if isinstance(d.model, EvidenceArtifact) and d.model.spec.path is not None
        }
    )
    real_root = os.path.realpath(root)
    return [[str(path), _artifact(real_root, str(path), cache)] for path in paths]


def _artifact(real_root: str, relative: str, cache: Cache) -> str:
    """(strings, not pathlib: this runs for every artifact on every cached run)"""
    try:
        file = os.path.realpath(os.path.join(real_root, relative))  # noqa: PTH118
    except (RuntimeError, OSError, ValueError):
        return "unresolvable"
    if not file.startswith(real_root + os.sep):
        return "outside"
    return f"{file} {cache.digest(f'artifact:{file}', Path(file))}"


def _remembered(root: Path, cache: Cache, key: str) -> ValidationResult | None:
    record = cache.run(key)
    if record is None:
        return None
    try:
        real_root = os.path.realpath(root)
        artifacts = record["artifacts"]
        if any(_artifact(real_root, path, cache) != was for path, was in artifacts):
            return None
        return ValidationResult(
            findings=[finding_from(f) for f in record["findings"]],
            files_read=int(record["files_read"]),
            documents_checked=int(record["documents_checked"]),
            files_skipped=[str(s) for s in record["files_skipped"]],
            cached=True,
            run_key=key,
        )
    except (KeyError, TypeError, ValueError):
        return None


def remember(root: Path, cache: Cache, result: ValidationResult) -> None:
    """File ``result`` (its findings final) under its run key, and write the cache."""
    if result.run_key and not result.cached:
        record = {
            "findings": [finding_record(f) for f in result.findings],
            "files_read": result.files_read,
            "documents_checked": result.documents_checked,
            "files_skipped": result.files_skipped,
            "artifacts": _artifacts(root, result.documents, cache),
        }
        cache.remember_run(result.run_key, record)
    cache.save()


def _discover(root: Path, config: AigovConfig) -> list[Candidate]:
    candidates: list[Candidate] = []
    real_root = root.resolve()
    for entry in config.paths:
        start = (root / entry).absolute()
        if Path(entry).is_absolute() or ".." in Path(entry).parts:
            raise ConfigError(
                f"paths: '{entry}' is not a folder inside the repository",
                where=".aigov.yaml",
                hint="paths are relative to the repository root and stay inside it",
            )
        below = [p for p in (start, *start.parents) if p != root and p.is_relative_to(root)]
        if any(p.is_symlink() for p in below):
            raise ConfigError(
                f"paths: '{entry}' goes through a symbolic link",
                where=".aigov.yaml",
                hint="name the real folder: links are never followed",
            )
        try:
            inside = start.resolve().is_relative_to(real_root)
        except (RuntimeError, OSError):
            inside = False
        if not inside:
            raise ConfigError(
                f"paths: '{entry}' leaves the repository", where=".aigov.yaml", hint="fix paths"
            )
        if not start.is_dir():
            raise UsageError(
                f"configured path '{entry}' is not a directory in {root}",
                hint="fix 'paths' in .aigov.yaml or create the folder",
            )
        candidates.extend(walk(root, start, config.exclude))
    return candidates  # drop_own keeps the first of each path


def _chosen(root: Path, config: AigovConfig, paths: Sequence[Path]) -> list[Candidate]:
    chosen: list[Candidate] = []
    for given in paths:
        path = given.absolute()
        if not path.exists() and not path.is_symlink():
            raise UsageError(f"no such file or directory: {given}", hint="check the path")
        if not (path == root or path.is_relative_to(root)):
            raise UsageError(
                f"{given} is outside the repository {root}",
                hint="pass --repo with the repository that holds it",
            )
        if path.is_dir() and not path.is_symlink():
            chosen.extend(walk(root, path, config.exclude))
        else:
            chosen.append(explicit(path, root))
    return chosen


def _check_schemas(
    loaded: LoadResult, default_org: str, out: list[Finding], salvaged: list[Checked]
) -> list[Checked]:
    """The valid documents; ``salvaged`` gets invalid ones that validate once their bad
    fields are dropped, so their references are checked in the same run (one run reports
    everything it can, not the schema errors first and the broken references next time)."""
    checked: list[Checked] = []
    for raw in loaded.documents:
        model = KINDS.get(raw.kind)
        envelope = _check_envelope(raw, model is not None)
        if envelope is not None:
            out.append(envelope)
            continue
        assert model is not None
        try:
            validated = model.model_validate(raw.data)
        except ValidationError as exc:
            out.extend(_schema_findings(raw, model, exc))
            partial = _salvage(model, raw.data, exc)
            if partial is not None:
                org = partial.metadata.organization or default_org
                salvaged.append(Checked(raw, partial, org))
            continue
        org = validated.metadata.organization or default_org
        checked.append(Checked(raw, validated, org))
    return checked


def _salvage(model: Any, data: dict[str, Any], exc: ValidationError) -> Any:
    """``data`` without the fields its errors point at, validated, or None if it still fails."""
    import copy

    trimmed = copy.deepcopy(data)
    error = exc
    for _ in range(3):
        for problem in error.errors():
            _drop(trimmed, tuple(problem["loc"]))
        try:
            return model.model_validate(trimmed)
        except ValidationError as again:
            error = again
        except (TypeError, ValueError):
            return None
    return None


def _drop(data: Any, loc: tuple[Any, ...]) -> None:
    node = data
    for part in loc[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return
    if isinstance(node, dict) and loc and loc[-1] in node:
        del node[loc[-1]]


def _check_envelope(raw: RawDocument, known_kind: bool) -> Finding | None:
    api = raw.data.get("apiVersion")
    if api not in API_VERSIONS:
        return Finding(
            "schema.unknown-api-version",
            Severity.HIGH,
            f"unknown apiVersion '{api}'",
            raw.locate(("apiVersion",)),
            raw.target,
            f"known: {', '.join(API_VERSIONS)}",
        )
    if known_kind:
        return None
    kind = raw.data.get("kind")
    if not isinstance(kind, str):
        return Finding(
            "schema.missing-field",
            Severity.HIGH,
            "missing or non-text 'kind'",
            raw.locate(("kind",) if "kind" in raw.data else ()),
            raw.target,
            f"known kinds: {', '.join(KINDS)}",
        )
    close = difflib.get_close_matches(kind, list(KINDS), n=1, cutoff=0.6)
    hint = (f"did you mean '{close[0]}'? " if close else "") + f"known kinds: {', '.join(KINDS)}"
    return Finding(
        "schema.unknown-kind",
        Severity.HIGH,
        f"unknown kind '{kind}'",
        raw.locate(("kind",)),
        raw.target,
        hint,
    )


def _schema_findings(raw: RawDocument, model: type, exc: ValidationError) -> Iterator[Finding]:
    for error in exc.errors():
        explained = explain(error, model)
        finding = Finding(
            explained.code,
            Severity.HIGH,
            explained.message,
            raw.locate(explained.path, key=explained.at_key),
            raw.target,
            explained.hint,
        )
        leaked = explained.code == "schema.unknown-field" and secret_like(str(explained.path[-1]))
        yield from_unknown_field(finding) if leaked else finding


def _check_framework(doc: Checked) -> Iterator[Finding]:
    """Clause numbers are unique; parent and superseded_by name clauses of this framework."""
    if not isinstance(doc.model, Framework):
        return
    clauses = doc.model.spec.clauses
    seen: dict[str, int] = {}
    for i, clause in enumerate(clauses):
        first = seen.setdefault(clause.clause_number, i)
        if first != i:
            yield _framework_finding(
                doc,
                "framework.duplicate-clause",
                f"clause '{clause.clause_number}' appears twice (also clauses[{first}])",
                (i, "clause_number"),
                "clause numbers are unique within a framework",
            )
    for i, clause in enumerate(clauses):
        named: list[tuple[str, str, tuple[str | int, ...]]] = []
        if clause.parent is not None:
            named.append(("parent", clause.parent, (i, "parent")))
        several = isinstance(clause.superseded_by, list)
        for j, successor in enumerate(clause.successors):
            at: tuple[str | int, ...] = (i, "superseded_by", j) if several else (i, "superseded_by")
            named.append(("superseded_by", successor, at))
        for field_name, target, where in named:
            if target in seen and target != clause.clause_number:
                continue
            close = difflib.get_close_matches(target, list(seen), n=1, cutoff=0.6)
            yield _framework_finding(
                doc,
                "framework.unknown-clause",
                f"{field_name} '{target}' of clause '{clause.clause_number}' is not another "
                "clause of this framework",
                where,
                f"did you mean '{close[0]}'?" if close else "name a clause_number listed here",
            )
    yield from _parent_cycles(doc, clauses)


def _parent_cycles(doc: Checked, clauses: Sequence[Clause]) -> Iterator[Finding]:
    parents = {c.clause_number: c.parent for c in clauses}
    reported: set[str] = set()
    for i, clause in enumerate(clauses):
        path = [clause.clause_number]
        parent = clause.parent
        while parent in parents and parent not in path:
            path.append(parent)
            parent = parents[parent]
        if parent == clause.clause_number and clause.clause_number not in reported:
            reported.update(path)
            yield _framework_finding(
                doc,
                "framework.parent-cycle",
                f"clauses are their own ancestors: {' -> '.join([*path, parent])}",
                (i, "parent"),
                "a clause's parent chain must end at a top-level clause",
            )


def _framework_finding(
    doc: Checked, rule: str, message: str, path: tuple[str | int, ...], hint: str
) -> Finding:
    where = doc.raw.locate(("spec", "clauses", *path))
    return Finding(rule, Severity.HIGH, message, where, doc.raw.target, hint)


def _nothing_found(config: AigovConfig) -> Finding:
    searched = ", ".join(config.paths)
    return Finding(
        "load.no-documents",
        Severity.HIGH,
        f"no governance documents found (searched: {searched})",
        Location(".aigov.yaml"),
        hint="a gate that sees nothing must not pass: check 'paths' in .aigov.yaml, "
        "or run 'aigov init' to start a governance repo",
    )


def _check_environments(doc: Checked, config: AigovConfig) -> Iterator[Finding]:
    """A Policy's environments exist in .aigov.yaml: a misspelt one would never fire."""
    model = doc.model
    if not isinstance(model, Policy):
        return
    known = sorted(config.environments)
    for i, env in enumerate(model.spec.environments):
        if env in config.environments:
            continue
        close = difflib.get_close_matches(env, known, n=1)
        did = f"did you mean '{close[0]}'? " if close else ""
        yield Finding(
            "policy.unknown-environment",
            Severity.HIGH,
            f"environment '{env}' is not in .aigov.yaml: the policy would never fire there",
            doc.raw.locate(("spec", "environments", i)),
            doc.raw.target,
            f"{did}environments: {', '.join(known) or 'none configured'}",
        )
