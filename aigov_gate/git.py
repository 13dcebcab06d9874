"""What changed since a base ref, and documents as they were at that ref (GitPython).

GitPython is imported inside these functions: it costs about 0.1 s and only
``aigov gate --base`` needs it. Paths are relative to the governance root, which may be
a sub-folder of the Git work tree.

    >>> changed_since(Path("."), "origin/main")  # doctest: +SKIP
    ('governance/models/credit-scoring.yaml',)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from aigov_gate.documents import KINDS
from aigov_gate.errors import UsageError
from aigov_gate.loading import RawDocument, SourceFile
from aigov_gate.loading.discovery import claims_aigov
from aigov_gate.loading.safe_yaml import Limits, decode, parse_text
from aigov_gate.references import Checked

if TYPE_CHECKING:
    from aigov_gate.config import AigovConfig

_YAML = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class BaseRef:
    """The commit ``ref`` names, and where the governance root sits in its work tree."""

    commit: Any
    repo: Any
    prefix: str
    ref: str


def _repo(root: Path, message: str, hint: str) -> Any:
    """The Git repository holding ``root``; a UsageError saying ``message`` if none."""
    import git

    try:
        return git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise UsageError(f"{message}: {root} is not inside a Git repository", hint=hint) from None


def _prefix(repo: Any, root: Path) -> str:
    """``root`` relative to the work tree's top ('' at the top)."""
    top = Path(repo.working_tree_dir or root).resolve()
    prefix = root.resolve().relative_to(top).as_posix()
    return "" if prefix == "." else prefix


def open_base(root: Path, ref: str) -> BaseRef:
    import git

    repo = _repo(root, f"--base {ref}", "run the gate in a Git checkout, or drop --base")
    try:
        commit = repo.commit(ref)
    except (git.BadName, ValueError):
        raise UsageError(
            f"--base {ref}: no such commit, branch or tag",
            hint="fetch it first (actions/checkout needs fetch-depth: 0), "
            "e.g. git fetch origin main",
        ) from None
    return BaseRef(commit, repo, _prefix(repo, root), ref)


def _relative(prefix: str, path: str) -> str | None:
    if not prefix:
        return path
    if path.startswith(prefix + "/"):
        return path[len(prefix) + 1 :]
    return None


def changed_since(base: BaseRef) -> tuple[str, ...]:
    """Files added, modified, renamed or deleted since the base (work tree included)."""
    paths: set[str] = set()
    for diff in base.commit.diff(None):
        for path in (diff.a_path, diff.b_path):
            if path:
                paths.add(path)
    paths.update(base.repo.untracked_files)
    inside = (_relative(base.prefix, p) for p in paths)
    return tuple(sorted(p for p in inside if p is not None))


def documents_at(
    base: BaseRef, organization: str, limits: Limits, kinds: tuple[str, ...] = ("TestRun",)
) -> list[Checked]:
    """The valid documents of ``kinds`` at the base ref (invalid ones there are ignored)."""
    found: list[Checked] = []
    for path, data in _governance_blobs(base, limits):
        parsed = parse_text(data, limits)
        source = SourceFile(f"{base.ref}:{path}", data)
        for index, doc in enumerate(parsed.documents):
            if not isinstance(doc, dict) or doc.get("kind") not in kinds:
                continue
            try:
                model = KINDS[doc["kind"]].model_validate(doc)
            except ValidationError:
                continue
            org = model.metadata.organization or organization
            found.append(Checked(RawDocument(source, index, doc), model, org))
    return found


def base_documents(
    root: Path, ref: str, config: AigovConfig, kinds: tuple[str, ...]
) -> list[Checked]:
    """The valid documents of ``kinds`` at ``ref``: what the base says, for whatever the
    change must not choose (connectors, a test's ``pass_env``)."""
    base = open_base(root, ref)
    return documents_at(base, config.organization, config.limits.to_limits(), kinds)


def _governance_blobs(base: BaseRef, limits: Limits) -> Iterator[tuple[str, str]]:
    tree = base.commit.tree
    if base.prefix:
        try:
            tree = tree / base.prefix
        except KeyError:
            return
    for item in tree.traverse():
        if item.type != "blob" or PurePosixPath(item.path).suffix not in _YAML:
            continue
        if item.size > limits.max_file_bytes:
            continue
        raw = item.data_stream.read()
        if not claims_aigov(raw):
            continue
        text, problem = decode(raw)
        if problem is None and text is not None:
            rel = _relative(base.prefix, item.path)
            yield rel or item.path, text


def read_at(base: BaseRef, path: str, limit: int) -> bytes | None:
    """The bytes of ``path`` (relative to the governance root) at the base; None if absent.

    A file over ``limit`` bytes, or one that is not a plain file there, raises UsageError.
    """
    full = f"{base.prefix}/{path}" if base.prefix else path
    try:
        item = base.commit.tree / full
    except KeyError:
        return None
    if item.type != "blob" or item.mode == 0o120000:
        raise UsageError(
            f"{base.ref}:{path} is not a regular file", hint="keep it a plain file in Git"
        )
    if item.size > limit:
        raise UsageError(f"{base.ref}:{path} is larger than {limit} bytes", hint="shrink it")
    data: bytes = item.data_stream.read()
    return data


def export_folder(base: BaseRef, folder: str, dest: Path, limit: int = 16 << 20) -> int:
    """Write the files under ``folder`` (relative to the governance root) at the base into
    ``dest``; returns how many. Links and files over ``limit`` bytes are refused."""
    full = (f"{base.prefix}/{folder}" if base.prefix else folder).strip("/")
    try:
        tree = base.commit.tree / full
    except KeyError:
        raise UsageError(
            f"{base.ref} has no {folder}", hint="name a commit that holds the keyring"
        ) from None
    return _write_tree(base, tree, full, dest, limit, refuse=True)


def export_root(base: BaseRef, dest: Path, limit: int = 16 << 20) -> int:
    """Write the governance root's files at the base into ``dest``: what a second
    assessment of the base reads. Links and files over ``limit`` bytes are left out (no
    governance document is either); returns how many files were written."""
    tree = base.commit.tree / base.prefix if base.prefix else base.commit.tree
    return _write_tree(base, tree, base.prefix, dest, limit, refuse=False)


def _write_tree(base: BaseRef, tree: Any, under: str, dest: Path, limit: int, refuse: bool) -> int:
    """Every blob of ``tree`` into ``dest``, paths relative to ``under``. A link or a file
    over ``limit`` is a UsageError when ``refuse``, else left out."""
    count = 0
    for item in tree.traverse():
        if item.type != "blob":
            continue
        if item.mode == 0o120000 or item.size > limit:
            if refuse:
                raise UsageError(f"{base.ref}:{item.path} is a link or too large", hint="check it")
            continue
        rel = PurePosixPath(item.path)
        target = dest / (rel.relative_to(under) if under else rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(item.data_stream.read())
        count += 1
    return count


@dataclass(frozen=True, slots=True)
class LastChange:
    """The commit that last changed a file, its path from the work tree's top, and whether
    the clone is shallow (then the commit may only be where history was cut)."""

    sha: str
    path: str
    shallow: bool


def last_change(root: Path, path: str) -> LastChange | None:
    """The latest commit reachable from HEAD that touched ``path`` (relative to ``root``)."""
    import git

    repo = _repo(
        root,
        f"cannot find the pull request that last changed {path}",
        "the deploy gate reads Git history; run it in a checkout",
    )
    prefix = _prefix(repo, root)
    full = f"{prefix}/{path}" if prefix else path
    shallow = (Path(repo.git_dir) / "shallow").exists()
    try:
        commit = next(repo.iter_commits("HEAD", paths=full, max_count=1), None)
    except (git.GitCommandError, ValueError):
        return None
    return None if commit is None else LastChange(commit.hexsha, full, shallow)


def prefix_of(root: Path) -> str:
    """``root`` relative to its work tree's top ('' at the top); '' outside Git."""
    try:
        return _prefix(_repo(root, "", ""), root)
    except UsageError:
        return ""


def relative(prefix: str, path: str) -> str | None:
    """A path from the work tree's top, relative to the governance root (None if outside)."""
    return _relative(prefix, path)


def describe(root: Path) -> dict[str, Any]:
    """Commit, branch, remote (credentials removed) and work-tree state, for evidence.

    Outside a Git repository every field is None: a bundle built from a plain folder
    says so instead of failing.
    """
    from urllib.parse import urlsplit, urlunsplit

    import git

    try:
        repo = git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return {"commit": None, "branch": None, "remote": None, "dirty": None, "root": None}
    try:
        commit = repo.head.commit
    except ValueError:
        return {"commit": None, "branch": None, "remote": None, "dirty": None, "root": None}
    branch = None if repo.head.is_detached else repo.active_branch.name
    remote = None
    if repo.remotes:
        url = next(iter(repo.remotes[0].urls), None)
        if url and "://" in url:
            parts = urlsplit(url)
            host = parts.hostname or ""
            netloc = f"{host}:{parts.port}" if parts.port else host
            url = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
        remote = url
    return {
        "commit": commit.hexsha,
        "committed_at": commit.committed_datetime.isoformat(),
        "branch": branch,
        "remote": remote,
        "dirty": repo.is_dirty(untracked_files=False),
        "root": _prefix(repo, root),
    }


@dataclass(frozen=True, slots=True)
class Change:
    """One commit that touched some of a model's records: short id, day, subject."""

    sha: str
    day: str
    subject: str


@dataclass(frozen=True, slots=True)
class History:
    """Commits reachable from HEAD that touched ``paths``, newest first; ``since`` the commit
    the range starts after ('' for all); ``shallow`` when the clone's history is cut."""

    changes: tuple[Change, ...]
    since: str
    shallow: bool
    head: str


def history(root: Path, paths: list[str], since_path: str | None = None) -> History | None:
    """The commits that changed ``paths`` (relative to ``root``) since the commit that added
    ``since_path`` (exclusive), or since the start; None outside Git or without commits."""
    import git

    try:
        repo = git.Repo(root, search_parent_directories=True)
        head = repo.head.commit.hexsha
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, ValueError):
        return None
    prefix = _prefix(repo, root)
    full = [f"{prefix}/{p}" if prefix else p for p in sorted(set(paths))]
    cut = Path(repo.git_dir) / "shallow"
    boundary = set(cut.read_text().split()) if cut.exists() else set()
    since = ""
    if since_path is not None:
        added = _run_log(repo, "--diff-filter=A", "--format=%H", "--", _full(prefix, since_path))
        since = added.split()[-1] if added.split() else ""
        # at a shallow clone's cut every file seems added: the range cannot start there
        since = "" if since in boundary else since
    span = [f"{since}..HEAD"] if since else ["HEAD"]
    text = _run_log(repo, *span, "--format=%h%x09%cs%x09%s", "--", *full)
    changes = tuple(
        Change(*line.split("\t", 2)) for line in text.splitlines() if line.count("\t") >= 2
    )
    return History(changes, since[:12], bool(boundary), head[:12])


def _full(prefix: str, path: str) -> str:
    return f"{prefix}/{path}" if prefix else path


def _run_log(repo: Any, *args: str) -> str:
    import git

    try:
        return str(repo.git.log(*args))
    except git.GitCommandError:
        return ""


def checkout(root: Path) -> History | None:
    """Whether ``root`` is in a Git checkout with a commit, as an empty History (no log
    read): what the gate's Annex IV check needs to know of Git."""
    import git

    try:
        repo = git.Repo(root, search_parent_directories=True)
        head = repo.head.commit.hexsha
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, ValueError):
        return None
    return History((), "", (Path(repo.git_dir) / "shallow").exists(), head[:12])
