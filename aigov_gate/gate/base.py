"""What ``--base`` says, read once for the Run: the base's configuration (every section),
its documents, the files the change touches, and the base's control documents in place of
the change's (deny by default: docs/ci.md, "Everything the change holds is untrusted")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from aigov_gate.authority import (
    CONTROL_KINDS,
    Authority,
    AuthorityChange,
    from_base,
    from_worktree,
)
from aigov_gate.config import AigovConfig
from aigov_gate.documents.testing import TestRun
from aigov_gate.references import Checked, of_kind
from aigov_gate.result import Change, Location
from aigov_gate.transitions import BASE_KINDS

if TYPE_CHECKING:
    from aigov_gate.git import BaseRef


@dataclass(slots=True)
class Before:
    """What ``--base`` tells: the base's documents, what changed, and whose authority."""

    authority: Authority
    documents: list[Checked] = field(default_factory=list)
    changed: tuple[str, ...] | None = None
    moved: list[Change] = field(default_factory=list)
    ref: BaseRef | None = None
    #: The base's control documents (``authority.CONTROL_KINDS``), found by its discovery.
    controls: list[Checked] = field(default_factory=list)

    @property
    def runs(self) -> list[Checked[TestRun]]:
        return of_kind(self.documents, TestRun)


def read_base(
    root: Path, config: AigovConfig, ref_name: str | None, environ: Mapping[str, str]
) -> Before:
    """What ``--base`` says: the base's configuration (every section), its documents of
    ``BASE_KINDS`` and ``CONTROL_KINDS``, and the files the change touches."""
    if not ref_name:
        return Before(from_worktree(root, config))
    from aigov_gate import git

    ref = git.open_base(root, ref_name)
    authority = from_base(root, config, ref, environ)
    judge = authority.config
    kinds = (*BASE_KINDS, *CONTROL_KINDS)
    found = git.documents_at(ref, judge.organization, judge.limits.to_limits(), kinds)
    changed = git.changed_since(ref)
    before = Before(authority, [d for d in found if d.model.kind in BASE_KINDS], changed, ref=ref)
    before.controls = [d for d in found if d.model.kind in CONTROL_KINDS and _found(d, judge)]
    authority.changes.extend(_keyring_changes(root, judge, changed))
    return before


def _found(doc: Checked, config: AigovConfig) -> bool:
    """Whether the base's own discovery (``paths``, ``exclude``) finds ``doc``."""
    from fnmatch import fnmatch

    path = base_path(doc)
    inside = any(
        path == p.strip("/") or path.startswith(p.strip("/") + "/") or p in ("", ".")
        for p in config.paths
    )
    return inside and not any(fnmatch(path, pattern) for pattern in config.exclude)


def base_path(doc: Checked) -> str:
    """The repository path of a document read at the base (its source is ``REF:path``)."""
    return doc.raw.source.path.partition(":")[2] or doc.raw.source.path


def with_base_controls(before: Before, documents: list[Checked]) -> list[Checked]:
    """The change's documents under judgement with the base's control documents; each
    control document the change adds, edits or deletes is an authority change."""
    import json

    def content(doc: Checked) -> str:
        return json.dumps(doc.raw.data, sort_keys=True, default=str)

    theirs = {doc.key: doc for doc in before.controls}
    mine = {doc.key: doc for doc in documents if doc.model.kind in CONTROL_KINDS}
    for key, doc in mine.items():
        was = theirs.get(key)
        if was is None or content(was) != content(doc):
            state = "absent" if was is None else "the base's"
            before.authority.changes.append(
                AuthorityChange(
                    f"{key[1]} {key[2]}", doc.raw.locate(("metadata", "name")), state, "edited"
                )
            )
    for key, was in theirs.items():
        if key not in mine:
            line = was.raw.locate(("metadata", "name"))
            where = Location(base_path(was), line.line, line.column)
            before.authority.changes.append(
                AuthorityChange(f"{key[1]} {key[2]}", where, "the base's", "deleted")
            )
    # Where the change leaves one as it was, its own copy (same content, same order) keeps
    # the paths and lines reports show; otherwise the base's applies, read from the base.
    kept = {k for k, doc in mine.items() if k in theirs and content(theirs[k]) == content(doc)}
    judged = [d for d in documents if d.model.kind not in CONTROL_KINDS or d.key in kept]
    return judged + [was for key, was in theirs.items() if key not in kept]


def _keyring_changes(
    root: Path, config: AigovConfig, changed: tuple[str, ...]
) -> list[AuthorityChange]:
    """Files of the base's keyring folder the change adds, edits or deletes."""
    folder = config.keys.dir.strip("/") + "/"
    return [
        AuthorityChange(
            f"keyring file {path}",
            Location(path, 1 if (root / path).exists() else 0),
            "the base's",
            "edited" if (root / path).exists() else "deleted",
        )
        for path in changed
        if path.startswith(folder)
    ]
