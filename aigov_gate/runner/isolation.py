"""Keeping a test command away from secrets: what it inherits and which processes it sees.

A test command is code from the change. Two things keep it from the CI's secrets:

- **An allowlisted environment** (:func:`allowed_env`): PATH, HOME, LANG, LC_ALL, TMPDIR,
  the CI job's metadata (:data:`CI_METADATA`), the ``AIGOV_*`` variables aigov sets for
  the test, the test's own ``env``, and the ``pass_env`` names from the base. Nothing else.
- **No key-holding process in reach** (:func:`choose`). A command running as aigov's user
  could otherwise read ``/proc/$PPID/environ``, ``/proc/$PPID/mem`` and reopen
  ``/proc/$PPID/fd/N`` of aigov and of the CI shell above it. On Linux the command runs in
  a new user and PID namespace (util-linux ``unshare``) with its own ``/proc``: aigov, the
  CI runner and every other process are not there to be read. The namespace is nested
  twice: the inner user namespace owns the mount namespace, so the fresh ``/proc`` is
  locked and cannot be unmounted to uncover the host's. Where namespaces are not allowed
  (macOS, a container or AppArmor that forbids user namespaces) and a secret is in reach
  (in aigov's environment or a readable ancestor's), ``auto`` runs the commands as
  ``nobody`` when aigov is root, and otherwise refuses to run: the command would be next
  to the secret. Run the tests in a job that holds no secret (docs/ci.md, "Two jobs").
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from aigov_gate.errors import UsageError

MODES = ("auto", "namespace", "none")

#: What every test command gets from aigov's environment, when set.
BASICS = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")

#: The CI job's metadata (GitHub Actions, GitLab CI): names, never tokens. GitLab's
#: CI_REPOSITORY_URL is left out on purpose: it carries the job token.
CI_METADATA = (
    "CI",
    "GITHUB_ACTIONS",
    "GITHUB_SERVER_URL",
    "GITHUB_REPOSITORY",
    "GITHUB_RUN_ID",
    "GITHUB_RUN_NUMBER",
    "GITHUB_RUN_ATTEMPT",
    "GITHUB_JOB",
    "GITHUB_WORKFLOW",
    "GITHUB_EVENT_NAME",
    "GITHUB_SHA",
    "GITHUB_REF",
    "GITHUB_REF_NAME",
    "GITHUB_HEAD_REF",
    "GITHUB_BASE_REF",
    "GITHUB_ACTOR",
    "RUNNER_OS",
    "RUNNER_ARCH",
    "GITLAB_CI",
    "CI_SERVER_URL",
    "CI_PROJECT_ID",
    "CI_PROJECT_PATH",
    "CI_PIPELINE_ID",
    "CI_PIPELINE_SOURCE",
    "CI_JOB_ID",
    "CI_JOB_NAME",
    "CI_JOB_URL",
    "CI_COMMIT_SHA",
    "CI_COMMIT_REF_NAME",
    "CI_COMMIT_BRANCH",
    "CI_DEFAULT_BRANCH",
    "CI_MERGE_REQUEST_IID",
    "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",
    "CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
)

#: Names that look like secrets (for the check that none is in reach, not for passing on).
SECRET_NAME = re.compile(
    r"TOKEN|SECRET|PASSW|PASSPHRASE|PRIVATE|_KEY$|API_?KEY|CREDENTIAL|AUTH|JWT|COOKIE", re.I
)

#: Two user namespaces, one inside the other. The outer maps aigov's user to root, makes
#: the PID namespace and mounts its /proc; the inner owns a mount namespace in which that
#: /proc (like every mount) is locked. unshare waits for the command, passes on SIGTERM
#: from aigov's process group as usual, and exits with its status (or its signal).
NAMESPACE_ARGS = (
    "--user",
    "--map-root-user",
    "--pid",
    "--fork",
    "--mount-proc",
    "--kill-child=SIGTERM",
    "--",
)
INNER_ARGS = ("--user", "--mount", "--map-root-user", "--")


@dataclass(frozen=True, slots=True)
class Isolation:
    mode: str  # "namespace", "user" or "none"
    prefix: tuple[str, ...]  # what goes before each command's argv
    why: str  # one line for the user: what protects the command, or why nothing does
    owner: int | None = None  # "user": the uid that gets each attempt's folder (and HOME)


def allowed_env(
    env: Mapping[str, str], passed: Iterable[str], own: Mapping[str, str]
) -> dict[str, str]:
    """The allowlisted part of ``env``, then ``passed`` names from it, then ``own`` (the
    test's ``env`` and aigov's ``AIGOV_*`` variables)."""
    names = (*BASICS, *CI_METADATA, *passed)
    out = {name: env[name] for name in names if name in env}
    out.update(own)
    return out


def choose(mode: str, env: Mapping[str, str], secret_names: Iterable[str]) -> Isolation:
    """How the commands of this run are kept from secrets; a UsageError when they cannot
    be and a secret is in reach (``auto``), or namespaces were asked for and are missing."""
    if mode == "none":
        return Isolation("none", (), "none (--isolation none): commands run as aigov's user")
    problem = namespace_problem()
    if not problem:
        unshare = shutil.which("unshare") or "unshare"
        prefix = (unshare, *NAMESPACE_ARGS, unshare, *INNER_ARGS)
        return Isolation("namespace", prefix, "a new user and PID namespace (unshare)")
    if mode == "namespace":
        raise UsageError(
            f"--isolation namespace: {problem}",
            hint="install util-linux and allow unprivileged user namespaces, "
            "or run the tests in a job that holds no secret (docs/ci.md, 'Two jobs')",
        )
    found = in_reach(env, set(secret_names))
    other = _other_user(problem) if found else None
    if other is not None:
        return other
    if found:
        raise UsageError(
            f"test commands cannot be isolated here ({problem}) and secrets are in reach: "
            f"{', '.join(found)}",
            hint="run the tests in a job that holds no secret (docs/ci.md, 'Two jobs'), "
            "or pass --isolation none to run them next to these secrets anyway",
        )
    return Isolation("none", (), f"none available ({problem}); no secret in reach")


def _other_user(problem: str) -> Isolation | None:
    """As root without namespaces: the commands run as ``nobody`` (setpriv, no new
    privileges), who cannot read root's /proc files. None when that is not possible."""
    import pwd

    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        return None
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        return None
    uid, gid = nobody.pw_uid, nobody.pw_gid
    prefix = (setpriv, f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--no-new-privs")
    why = f"as the user nobody ({problem}; aigov runs as root)"
    return Isolation("user", (*prefix, "--"), why, uid)


def namespace_problem() -> str:
    """Why commands cannot run in their own namespaces here ("" when they can)."""
    if not sys.platform.startswith("linux"):
        return f"{sys.platform} has no Linux namespaces"
    unshare = shutil.which("unshare")
    if unshare is None:
        return "no unshare program (util-linux) on PATH"
    argv = [unshare, *NAMESPACE_ARGS, unshare, *INNER_ARGS, "true"]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unshare could not run: {exc}"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return f"unshare failed: {last[:200]}"
    return ""


def in_reach(env: Mapping[str, str], names: set[str]) -> list[str]:
    """Secret-looking variables (by name, set and not empty) in aigov's environment and in
    every ancestor's that can be read: where a command as aigov's user could read them."""
    found = [f"{k} (aigov)" for k, v in sorted(env.items()) if v and _secret(k, names)]
    for pid, environ in _ancestors():
        found.extend(f"{k} (process {pid})" for k in environ if _secret(k, names))
    return found


def _secret(name: str, names: set[str]) -> bool:
    return name in names or bool(SECRET_NAME.search(name))


def _ancestors() -> list[tuple[int, list[str]]]:
    """(pid, names set in its environment) for each readable ancestor (Linux /proc)."""
    out = []
    pid = os.getppid()
    while pid > 1:
        proc = Path("/proc") / str(pid)
        try:
            raw = (proc / "environ").read_bytes()
            stat = (proc / "stat").read_text()
        except OSError:
            break
        pairs = (entry.partition(b"=") for entry in raw.split(b"\0"))
        out.append((pid, [k.decode("utf-8", "replace") for k, _, v in pairs if v]))
        pid = int(stat.rsplit(")", 1)[1].split()[1])
    return out


__all__ = [
    "BASICS",
    "CI_METADATA",
    "MODES",
    "Isolation",
    "allowed_env",
    "choose",
    "in_reach",
    "namespace_problem",
]
