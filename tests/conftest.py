"""Shared fixtures: write small governance repos into tmp_path, run the CLI as users do."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from aigov_gate.cli.main import cli

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

MODEL = """\
apiVersion: aigov/v1
kind: Model
metadata:
  name: {name}
spec:
  model_type: tabular
  version: "1.0.0"
  risk_tier: minimal
"""

#: Variables of the CI running the tests that would change what aigov does.
CI_PREFIXES = ("AIGOV_", "GITHUB_", "GITLAB_", "CI_")


#: Where every ``aigov`` the tests run keeps its validate cache (aigov_gate/loading/cache.py):
#: on in every test, also under CI, so the whole suite runs through it; inside the session's
#: temporary folder, never the user's cache directory.
CACHE_DIR: list[Path] = []


@pytest.fixture(autouse=True, scope="session")
def _validate_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    CACHE_DIR.append(tmp_path_factory.mktemp("aigov-cache"))
    # Also for the tests that build their own environment from this one (pre-commit, CI).
    os.environ["AIGOV_CACHE_DIR"] = str(CACHE_DIR[0])
    # A test that forgets to name a private-key folder writes its keys here, not into the
    # user's ~/.config/aigov/keys (tests never write outside the repository or tmp).
    os.environ["AIGOV_PRIVATE_KEY_DIR"] = str(tmp_path_factory.mktemp("aigov-private-keys"))


def ci_free_env() -> dict[str, str]:
    """This process's environment without the CI's own variables (see CI_PREFIXES), with
    the validate cache on and in the session's temporary folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(CI_PREFIXES)}
    env.update(ci_free_env_overrides())
    return env


WriteRepo = Callable[[dict[str, str | bytes]], Path]


@pytest.fixture
def write_repo(tmp_path: Path) -> WriteRepo:
    """Write ``{relative path: text or bytes}`` under a fresh repo folder and return it."""

    def write(files: dict[str, str | bytes]) -> Path:
        repo = tmp_path / "repo"
        repo.mkdir(exist_ok=True)
        for rel, content in files.items():
            path = repo / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return repo

    return write


def invoke(*args: str) -> Result:
    """Run ``aigov ARGS`` in-process through click's runner."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def aigov_script() -> str:
    """The installed console script next to this interpreter."""
    script = Path(sys.executable).parent / "aigov"
    assert script.exists(), f"console script not installed at {script}"
    return str(script)


def run_aigov(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    process: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run ``aigov ARGS`` in ``cwd`` with the extra variables ``env``: exit code, stdout and
    stderr as a user sees them.

    In-process through click's runner by default (the console script's ``main`` adds only
    the GC threshold and the last flush, so the command group decides the same exit code
    and output); ``process=True`` starts the installed console script in a subprocess, for
    the end-to-end tests that need a real process (signals, pipes, start-up, imports).
    """
    if process:
        full_env = ci_free_env()
        full_env.update(env or {})
        return subprocess.run(
            [aigov_script(), *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=full_env,
            check=False,
        )
    changes: dict[str, str | None] = {k: None for k in os.environ if k.startswith(CI_PREFIXES)}
    changes.update(ci_free_env_overrides())
    changes.update(env or {})
    with contextlib.chdir(cwd or Path.cwd()):
        done = CliRunner(env=changes).invoke(
            cli, list(args), prog_name="aigov", catch_exceptions=False
        )
    return subprocess.CompletedProcess(["aigov", *args], done.exit_code, done.stdout, done.stderr)


def ci_free_env_overrides() -> dict[str, str]:
    """What :func:`ci_free_env` sets on top of this process's environment."""
    if CACHE_DIR:
        return {"AIGOV_CACHE": "on", "AIGOV_CACHE_DIR": str(CACHE_DIR[0])}
    return {"AIGOV_CACHE": "off"}


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` as a fixed test user; returns stdout (stripped)."""
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()
