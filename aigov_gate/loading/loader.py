"""Read candidate files into raw governance documents; every problem becomes a finding.

>>> from pathlib import Path
>>> result = load_files([], Limits())
>>> result.documents, result.findings
([], [])
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from aigov_gate.loading.discovery import Candidate, claims_aigov
from aigov_gate.loading.safe_yaml import (
    UNREADABLE,
    Limits,
    Parsed,
    Problem,
    decode,
    parse_text,
)
from aigov_gate.loading.source import RawDocument, SourceFile
from aigov_gate.result import Finding, Location, Severity

if TYPE_CHECKING:
    from aigov_gate.loading.cache import Cache

_HEAD_BYTES = 65536


@dataclass(slots=True)
class LoadResult:
    documents: list[RawDocument] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    files_read: int = 0
    files_skipped: list[str] = field(default_factory=list)
    alias_nodes: int = 0  # nodes aliases add, over every file read (one budget for the repo)


#: Told ``(step, done, total)`` as work goes on (the CLI draws a progress line from it).
Report = Callable[[str, int, int], None]


def load_files(
    candidates: Iterable[Candidate],
    limits: Limits,
    cache: Cache | None = None,
    progress: Report | None = None,
) -> LoadResult:
    """Read, decode and parse each candidate; collect governance documents and problems.

    With a ``cache``, a file whose bytes were parsed before is not parsed again.
    """
    result = LoadResult()
    every = list(candidates)
    for done, candidate in enumerate(every, 1):
        _load_one(candidate, limits, result, cache)
        if progress is not None:
            progress("reading files", done, len(every))
    return result


def _finding(path: str, problem: Problem) -> Finding:
    return Finding(
        rule_id=problem.code,
        severity=Severity.HIGH,
        message=problem.message,
        location=Location(path, problem.line, problem.column),
        hint=problem.hint,
    )


def _load_one(
    candidate: Candidate, limits: Limits, result: LoadResult, cache: Cache | None
) -> None:
    rel = candidate.relative
    if candidate.escapes:
        result.findings.append(
            _finding(
                rel,
                Problem(
                    "file.symlink-outside",
                    "symbolic link to a file outside the repository; not followed",
                    hint="copy the file into the repository or remove the link",
                ),
            )
        )
        return
    data = _read(candidate, limits, result)
    if data is None:
        return
    text, problem = decode(data)
    if text is None:
        if problem is not None and (candidate.explicit or claims_aigov(data)):
            result.findings.append(_finding(rel, problem))
        return
    result.files_read += 1
    parsed = _parse(candidate, data, text, limits, cache)
    result.findings.extend(_finding(rel, p) for p in parsed.problems)
    if parsed.alias_nodes:
        result.alias_nodes += parsed.alias_nodes
        if result.alias_nodes > limits.max_alias_nodes:
            result.findings.append(
                _finding(
                    rel,
                    Problem(
                        "yaml.alias-bomb",
                        f"aliases across the repository expand beyond "
                        f"{limits.max_alias_nodes} nodes (this file adds "
                        f"{parsed.alias_nodes}): its documents are not read",
                        1,
                        1,
                        "write the values out instead of aliasing them in many files, or "
                        "raise limits.max_alias_nodes",
                    ),
                )
            )
            return
    claims = claims_aigov(data)
    source = SourceFile(rel, text)
    ours = 0
    for index, doc in enumerate(parsed.documents):
        raw = _classify(source, index, doc, claims, result)
        if raw is not None and index < len(parsed.name_positions):
            raw = replace(raw, name_position=parsed.name_positions[index])
        if raw is not None:
            result.documents.append(raw)
            ours += 1
    if ours or parsed.problems or not candidate.explicit:
        return
    if not parsed.documents:
        result.findings.append(
            _finding(
                rel,
                Problem(
                    "file.empty",
                    "the file holds no YAML document",
                    hint="add a governance document or delete the file",
                ),
            )
        )
    else:
        result.files_skipped.append(rel)


def _parse(
    candidate: Candidate, data: bytes, text: str, limits: Limits, cache: Cache | None
) -> Parsed:
    """``parse_text``, or what the cache remembers of these bytes."""
    if cache is None:
        return parse_text(text, limits)
    digest = hashlib.sha256(data).hexdigest()
    cache.note(candidate.relative, candidate.path, digest)
    known = cache.parsed(digest, text)
    if known is not None:
        return known
    parsed = parse_text(text, limits)
    cache.remember_parsed(digest, parsed)
    return parsed


def _read(candidate: Candidate, limits: Limits, result: LoadResult) -> bytes | None:
    """The file's bytes if it is within the size limit and (unless explicit) ours."""
    try:
        with candidate.path.open("rb") as handle:
            data = handle.read(limits.max_file_bytes + 1)
    except OSError as exc:
        problem = Problem(
            "file.unreadable",
            f"cannot read the file: {exc.strerror or exc}",
            hint="check that it exists and is readable",
        )
        result.findings.append(_finding(candidate.relative, problem))
        return None
    if len(data) <= limits.max_file_bytes:
        return data if candidate.explicit or claims_aigov(data) else None
    if candidate.explicit or claims_aigov(data[:_HEAD_BYTES]):
        size = candidate.path.stat().st_size
        problem = Problem(
            "file.too-large",
            f"{size} bytes is over the limit of {limits.max_file_bytes} bytes",
            hint="split the file, or raise limits.max_file_bytes in .aigov.yaml",
        )
        result.findings.append(_finding(candidate.relative, problem))
    return None


def _classify(
    source: SourceFile, index: int, doc: Any, claims: bool, result: LoadResult
) -> RawDocument | None:
    """A governance document, or None (reported when the file claims to be governance)."""
    if doc is UNREADABLE:
        return None  # its problem is already recorded
    if isinstance(doc, dict):
        api = doc.get("apiVersion")
        if isinstance(api, str) and api.startswith("aigov/"):
            return RawDocument(source, index, doc)
        if api is not None or not claims:
            return None  # another tool's document (Kubernetes, CI config, ...)
        problem = Problem(
            "document.missing-api-version",
            "document has no apiVersion",
            hint="start it with 'apiVersion: aigov/v1' and a kind",
        )
    elif not claims:
        return None
    elif doc is None:
        problem = Problem(
            "document.empty",
            "empty document (nothing between '---' markers)",
            hint="remove the extra '---' or fill the document in",
        )
    else:
        problem = Problem(
            "document.not-a-mapping",
            f"a document must be a mapping of fields, not a {_yaml_type(doc)}",
            hint="write 'apiVersion:', 'kind:', 'metadata:' and 'spec:' at the top level",
        )
    line, column = _document_start(source, index)
    result.findings.append(
        _finding(
            source.path,
            Problem(
                problem.code, f"document {index + 1}: {problem.message}", line, column, problem.hint
            ),
        )
    )
    return None


def _document_start(source: SourceFile, index: int) -> tuple[int, int]:
    raw = RawDocument(source, index, {})
    location = raw.locate()
    return location.line, location.column


def _yaml_type(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    return type(value).__name__
