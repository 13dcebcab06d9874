"""Digests of a test's evaluation code (``evaluation_code`` of a TestPlan test), and
``test.harness-changed``: an attested run whose code or command is not the base's.

The same digest is computed three ways, so they can be compared: in the working tree when
``aigov test run`` attests a run, in the working tree and at the base when the gate checks
it (``test.harness-changed``). A file's digest is the SHA-256 of its bytes. A folder's is
the SHA-256 of the lines ``<sha256 of the file>  <path inside the folder>\\n`` of each file
Git tracks under it (sorted by path): files Git ignores (``__pycache__``, build output) do
not count, so running the code does not change its digest. A path that is not there has
the digest ``missing``.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from aigov_gate.documents.testing import TestPlan, TestRun
from aigov_gate.references import Checked
from aigov_gate.result import Finding, Severity

if TYPE_CHECKING:
    from aigov_gate.gate.attested import Provenance
    from aigov_gate.gate.run import Run
    from aigov_gate.git import BaseRef
    from aigov_gate.graph import ModelContext

MISSING = "missing"
_LIMIT = 256 << 20


def _folder(rows: Iterable[tuple[str, bytes]]) -> str:
    lines = sorted(f"{hashlib.sha256(data).hexdigest()}  {rel}\n" for rel, data in rows)
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def _tracked(root: Path, rel: str) -> list[str] | None:
    """Files Git tracks under ``rel`` (paths relative to ``root``); None outside Git."""
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--cached", "--", rel],
            capture_output=True,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return [p for p in done.stdout.decode("utf-8", "replace").split("\0") if p]


def in_tree(root: Path, paths: Sequence[str]) -> dict[str, str]:
    """``path -> digest`` of each declared path in the working tree at ``root``."""
    out: dict[str, str] = {}
    top = root.resolve()
    for rel in paths:
        path = (root / rel).resolve()
        if not path.is_relative_to(top) or not path.exists():
            out[rel] = MISSING
        elif path.is_file():
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            listed = _tracked(root, rel)
            if listed is None:
                files = [p for p in path.rglob("*") if p.is_file() and not p.is_symlink()]
            else:
                files = [root / p for p in listed]
            rows = [(f.relative_to(path).as_posix(), f.read_bytes()) for f in files if f.is_file()]
            out[rel] = _folder(rows)
    return out


def at_base(base: BaseRef, paths: Sequence[str]) -> dict[str, str]:
    """``path -> digest`` of each declared path at the base revision."""
    out: dict[str, str] = {}
    for rel in paths:
        clean = PurePosixPath(rel).as_posix().strip("/")
        full = f"{base.prefix}/{clean}" if base.prefix else clean
        try:
            item = base.commit.tree / full
        except KeyError:
            out[rel] = MISSING
            continue
        if item.type == "blob":
            out[rel] = hashlib.sha256(item.data_stream.read()).hexdigest()
            continue
        rows = [
            (PurePosixPath(b.path).relative_to(full).as_posix(), b.data_stream.read())
            for b in item.traverse()
            if b.type == "blob" and b.size <= _LIMIT
        ]
        out[rel] = _folder(rows)
    return out


def harness_changed(
    run: Run, ctx: ModelContext, doc: Checked[TestRun], found: Provenance
) -> list[Finding]:
    changed = _code_changes(run, doc, found) + _command_changes(run, doc, found)
    if not changed:
        return []
    finding = ctx.finding(
        "test.harness-changed",
        Severity.HIGH,
        f"{doc.raw.name}'s numbers came from evaluation code the change wrote",
        ("metadata", "name"),
        "land the evaluation code change on its own first, then run the tests; or have a risk "
        "approver sign the run off ('aigov approvals sign RUN')",
        doc,
    )
    return [replace(finding, details=tuple(changed))]


def _code_changes(run: Run, doc: Checked[TestRun], found: Provenance) -> list[str]:
    """Declared evaluation code that is not the base's, as it ran or as the change has it."""
    assert run.before.ref is not None
    changed = []
    for test, paths in sorted(_declared(run, doc).items()):
        attested = found.code.get(test, {})
        base = at_base(run.before.ref, sorted(paths))
        now = in_tree(run.root, sorted(paths))
        for path in sorted(paths):
            was = base[path]
            if attested.get(path) != was:
                got = attested.get(path, "not attested")
                changed.append(f"{test}: {path}: ran with {got[:12]}, the base has {was[:12]}")
            elif now[path] != was:
                shown = "deleted" if now[path] == MISSING else now[path][:12]
                changed.append(f"{test}: {path}: the change holds {shown}, the base has {was[:12]}")
    return changed


def _command_changes(run: Run, doc: Checked[TestRun], found: Provenance) -> list[str]:
    """Tests that ran another command than the base's plan has for them."""
    changed = []
    for plan in _plans(run.before.documents, doc):
        for test in plan.spec.tests:
            ran = found.commands.get(test.name)
            if ran is not None and test.command is not None and ran != list(test.command):
                shown, base = " ".join(ran), " ".join(test.command)
                changed.append(f"{test.name}: ran `{shown}`, the base's plan runs `{base}`")
    return changed


def _plans(documents: list[Checked], doc: Checked[TestRun]) -> list[TestPlan]:
    """The TestPlans among ``documents`` named by the run, in its organization."""
    name, org = doc.model.spec.test_plan, doc.organization
    return [
        p.model
        for p in documents
        if isinstance(p.model, TestPlan) and p.organization == org and p.model.metadata.name == name
    ]


def _declared(run: Run, doc: Checked[TestRun]) -> dict[str, set[str]]:
    """``test -> evaluation_code paths`` of the run's plan: the base's declaration and the
    change's (a path the change drops from the plan still counts)."""
    out: dict[str, set[str]] = {}
    documents = [*run.before.documents, *run.graph.by_kind.get("TestPlan", [])]
    for plan in _plans(documents, doc):
        for test in plan.spec.tests:
            out.setdefault(test.name, set()).update(test.evaluation_code)
    ran = {r.test_name for r in doc.model.spec.results}
    return {k: v for k, v in out.items() if v and k in ran}


__all__ = ["MISSING", "at_base", "harness_changed", "in_tree"]
