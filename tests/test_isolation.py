"""Secrets a test command cannot read (issue 32): ``aigov test run`` runs the change's code
where aigov's and its parent's processes are out of reach, with an allowlisted environment
and the base's ``pass_env``.

The attacker here is a test command that reads every ``/proc/*/environ``, ``/proc/*/mem``
and ``/proc/*/fd/*`` it can. It runs under a user that is not root, as CI's would: when the
suite runs as root (CI does), aigov and its parent shell run as ``nobody`` (setpriv). The
one capability they keep, CAP_DAC_READ_SEARCH, only lets that user reach the interpreter
under /root; it gives no access to another process's /proc files (that is CAP_SYS_PTRACE).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import aigov_script, ci_free_env, git, run_aigov

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc")

NOBODY = 65534
DROP = (
    "setpriv",
    f"--reuid={NOBODY}",
    f"--regid={NOBODY}",
    "--clear-groups",
    "--inh-caps=+dac_read_search",
    "--ambient-caps=+dac_read_search",
    "--",
)

#: The attacker: every process it can see, every way /proc offers into it.
READER = r"""
import json, os, re
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "needles.json")) as f:
    needles = {name: value.encode() for name, value in json.load(f).items()}
me = os.getpid()
hits, seen = [], []

def look(pid, where, data):
    for name, value in needles.items():
        if value in data:
            hits.append(f"{pid} {where} {name}")

for entry in os.listdir("/proc"):
    if not entry.isdigit():
        continue
    proc = f"/proc/{entry}"
    try:
        with open(proc + "/environ", "rb") as f:
            look(entry, "environ", f.read())
        seen.append(int(entry))
    except OSError:
        pass
    try:
        fds = os.listdir(proc + "/fd")
    except OSError:
        fds = []
    for fd in fds:
        try:
            handle = os.open(f"{proc}/fd/{fd}", os.O_RDONLY | os.O_NONBLOCK)
            try:
                look(entry, f"fd {fd}", os.read(handle, 1 << 20))
            finally:
                os.close(handle)
        except OSError:
            pass
    if int(entry) == me:  # its own memory holds the needles it was handed
        continue
    try:
        with open(proc + "/maps") as f:
            regions = [line.split()[:2] for line in f]
        with open(proc + "/mem", "rb", buffering=0) as mem:
            for span, perms in regions:
                start, end = (int(x, 16) for x in span.split("-"))
                if not perms.startswith("r") or end - start > 1 << 28:
                    continue
                try:
                    mem.seek(start)
                    look(entry, "mem", mem.read(end - start))
                except (OSError, OverflowError, ValueError):
                    pass
    except OSError:
        pass
canary = os.environ.get("CANARY", "").encode()
with open(f"/proc/{me}/environ", "rb") as f:
    found_canary = bool(canary) and canary in f.read()
report = {"hits": hits, "seen": seen, "me": me, "canary": found_canary}
with open(os.path.join(os.environ["AIGOV_OUTPUT_DIR"], "report.json"), "w") as f:
    json.dump(report, f)
with open(os.environ["AIGOV_RESULT_FILE"], "a") as f:
    f.write(json.dumps({"name": "leaks", "value": len(hits)}) + "\n")
"""


def _python_for_nobody() -> str:
    """An interpreter the test command can start inside its sandbox (the suite's own
    may sit under /root, which only root reaches)."""
    system = Path("/usr/bin/python3")
    return str(system) if os.geteuid() == 0 and system.exists() else sys.executable


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A folder the unprivileged user may use (pytest's tmp_path is root's alone)."""
    with tempfile.TemporaryDirectory(prefix="aigov-isolation-") as name:
        path = Path(name)
        path.chmod(0o755)
        yield path


def _repo(folder: Path, needles: dict[str, str]) -> Path:
    repo = folder / "repo"
    (repo / "scripts").mkdir(parents=True)
    (repo / ".aigov.yaml").write_text("organization: acme\ntesting: {kill_grace: 1}\n")
    (repo / "m.yaml").write_text(
        "apiVersion: aigov/v1\nkind: Model\nmetadata: {name: m, owner: lena}\n"
        'spec: {model_type: tabular, version: "1.0.0", risk_tier: minimal}\n'
    )
    (repo / "p.yaml").write_text(
        "apiVersion: aigov/v1\nkind: TestPlan\nmetadata: {name: p}\nspec:\n"
        "  applies_to: {models: [m]}\n  tests:\n"
        "    - name: reader\n"
        f"      command: [{json.dumps(_python_for_nobody())}, scripts/read.py]\n"
        "      env: {CANARY: canary-in-its-own-environment}\n"
        '      metrics: [{name: leaks, operator: "<=", threshold: 0}]\n'
    )
    (repo / "scripts/read.py").write_text(READER)
    (repo / "scripts/needles.json").write_text(json.dumps(needles))
    return repo


def _own(path: Path) -> None:
    for item in [path, *path.rglob("*")]:
        os.chown(item, NOBODY, NOBODY, follow_symlinks=False)


@pytest.mark.parametrize("drop", [True, False], ids=["unprivileged", "as-is"])
def test_a_test_command_reading_all_of_proc_finds_no_secret_of_aigov_or_its_parent(
    open_dir: Path, drop: bool
) -> None:
    """``drop``: as nobody when the suite is root (CI); else as the suite's own user (root
    in CI, whose command is then root of its own user namespace only)."""
    given = {
        "AIGOV_SIGNING_KEY": "sk-" + secrets.token_hex(16),
        "AIGOV_ENCRYPTION_KEY": "ek-" + secrets.token_hex(16),
        "AIGOV_GITHUB_TOKEN": "ghp_" + secrets.token_hex(18),
        "AWS_SECRET_ACCESS_KEY": "aws-" + secrets.token_hex(16),
    }
    repo = _repo(open_dir, given)
    env = {k: v for k, v in ci_free_env().items() if not k.startswith("AIGOV_")}
    env.update(given, AIGOV_CACHE="off", HOME=str(open_dir))
    logs = open_dir / "logs"
    # The parent: a shell that holds the secrets and waits for aigov (as a CI step does).
    shell = f'"{aigov_script()}" test run --repo "{repo}" --out "{logs}"; echo "rc=$?"'
    argv: tuple[str, ...] = ("sh", "-c", shell)
    if drop and os.geteuid() == 0:
        _own(open_dir)
        argv = (*DROP, *argv)
    done = subprocess.run(
        argv,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    report = json.loads((logs / "m-1.0.0-p/reader-1/report.json").read_text())
    assert report["canary"], "the reader must find what it was given (it works)"
    assert report["me"] in report["seen"]
    assert report["hits"] == [], done.stdout + done.stderr
    assert "rc=0" in done.stdout, done.stdout + done.stderr


def test_the_environment_is_an_allowlist_and_pass_env_comes_from_the_base(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    (repo / ".aigov.yaml").write_text("organization: acme\n")
    (repo / "m.yaml").write_text(
        "apiVersion: aigov/v1\nkind: Model\nmetadata: {name: m, owner: lena}\n"
        'spec: {model_type: tabular, version: "1.0.0", risk_tier: minimal}\n'
    )
    show = (
        "import json, os\n"
        "with open(os.path.join(os.environ['AIGOV_OUTPUT_DIR'], 'env.json'), 'w') as f:\n"
        "    json.dump(sorted(os.environ), f)\n"
        "with open(os.environ['AIGOV_RESULT_FILE'], 'a') as f:\n"
        "    f.write(json.dumps({'name': 'score', 'value': 1}) + '\\n')\n"
    )
    (repo / "scripts/show.py").write_text(show)

    def plan(passed: list[str]) -> str:
        return (
            "apiVersion: aigov/v1\nkind: TestPlan\nmetadata: {name: p}\nspec:\n"
            "  applies_to: {models: [m]}\n  tests:\n"
            f"    - name: show\n      command: [{json.dumps(sys.executable)}, scripts/show.py]\n"
            f"      pass_env: {json.dumps(passed)}\n"
            '      metrics: [{name: score, operator: ">=", threshold: 1}]\n'
        )

    (repo / "p.yaml").write_text(plan(["MODEL_STORE_TOKEN"]))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    # The change asks for the signing key too; the base does not give it.
    (repo / "p.yaml").write_text(plan(["MODEL_STORE_TOKEN", "AIGOV_SIGNING_KEY"]))
    given = {
        "AIGOV_SIGNING_KEY": "sk",
        "AIGOV_ENCRYPTION_KEY": "ek",
        "MODEL_STORE_TOKEN": "t",
        "SOME_VARIABLE": "v",
        "GITHUB_SHA": "abc",
        "CI_REPOSITORY_URL": "https://gitlab-ci-token:glcbt-x@gitlab.example/acme/x.git",
    }
    for base, out in (("main", "with-base"), (None, "without")):
        args = ["test", "run", "--repo", str(repo), "--out", str(tmp_path / out)]
        done = run_aigov(*args, *(["--base", base] if base else []), env=given)
        assert done.returncode == 0, done.stdout + done.stderr
    seen = json.loads((tmp_path / "with-base/m-1.0.0-p/show-1/env.json").read_text())
    assert "MODEL_STORE_TOKEN" in seen and "GITHUB_SHA" in seen and "PATH" in seen
    for name in ("AIGOV_SIGNING_KEY", "AIGOV_ENCRYPTION_KEY", "SOME_VARIABLE", "CI_REPOSITORY_URL"):
        assert name not in seen
    # Without --base the working tree's pass_env counts (a local run): the key goes through.
    seen = json.loads((tmp_path / "without/m-1.0.0-p/show-1/env.json").read_text())
    assert "AIGOV_SIGNING_KEY" in seen and "AIGOV_ENCRYPTION_KEY" not in seen


def test_without_namespaces_a_secret_in_reach_stops_the_run(tmp_path: Path) -> None:
    """No unshare on PATH stands for a platform without namespaces: with a secret in
    aigov's environment, auto refuses; --isolation namespace says why it cannot."""
    repo = _repo(tmp_path, {})
    bare = tmp_path / "bin"
    bare.mkdir()
    for tool in ("git",):
        found = shutil.which(tool)
        assert found is not None
        (bare / tool).symlink_to(found)
    env = {"PATH": str(bare), "AIGOV_SIGNING_KEY": "sk-123"}
    done = run_aigov("test", "run", "--repo", str(repo), env=env)
    assert done.returncode == 2
    assert "AIGOV_SIGNING_KEY (aigov)" in done.stderr and "sk-123" not in done.stderr
    assert "no unshare program" in done.stderr and "Two jobs" in done.stderr
    done = run_aigov("test", "run", "--repo", str(repo), "--isolation", "namespace", env=env)
    assert done.returncode == 2 and "--isolation namespace: no unshare" in done.stderr
    done = run_aigov("test", "run", "--repo", str(repo), "--isolation", "none", env=env)
    assert done.returncode == 0, done.stderr
    assert "isolation: none (--isolation none)" in done.stderr
    # A secret only the parent holds counts too: a command could read /proc/$PPID/environ.
    shell = f'/usr/bin/env -u AIGOV_SIGNING_KEY "{aigov_script()}" test run --repo "{repo}"; :'
    parent = subprocess.run(
        ["/bin/sh", "-c", shell], env=ci_free_env() | env, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert parent.returncode == 0  # the shell's own status; aigov's message is on stderr
    assert re.search(r"AIGOV_SIGNING_KEY \(process \d+\)", parent.stderr), parent.stderr
    assert "AIGOV_SIGNING_KEY (aigov)" not in parent.stderr and "sk-123" not in parent.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="the fallback for aigov running as root")
def test_as_root_without_namespaces_commands_run_as_nobody(open_dir: Path) -> None:
    """No unshare on PATH (a container that forbids namespaces): aigov, as root with a
    secret in reach, runs the commands as nobody, who cannot read root's /proc files."""
    given = {"AIGOV_SIGNING_KEY": "sk-" + secrets.token_hex(16)}
    repo = _repo(open_dir, given)
    bare = open_dir / "bin"
    bare.mkdir()
    for tool in ("git", "setpriv"):
        found = shutil.which(tool)
        assert found is not None
        (bare / tool).symlink_to(found)
    logs = open_dir / "logs"
    done = run_aigov(
        "test", "run", "--repo", str(repo), "--out", str(logs), env={"PATH": str(bare), **given}
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "isolation: as the user nobody (no unshare program" in done.stderr
    report = json.loads((logs / "m-1.0.0-p/reader-1/report.json").read_text())
    assert report["canary"] and report["hits"] == [], report
    assert (logs / "m-1.0.0-p/reader-1").stat().st_uid != 0
