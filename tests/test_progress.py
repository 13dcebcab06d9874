"""The progress line: on a terminal's stderr, after a delay, cleared at the end; never in
a pipe or CI log unless asked; never on stdout."""

from __future__ import annotations

import os
import pty
import subprocess
from pathlib import Path

import gate_repo as g
from conftest import WriteRepo, aigov_script, ci_free_env


def _on_a_terminal(repo: Path, *args: str, **env: str) -> tuple[int, str, str]:
    """Run aigov with stderr on a pseudo-terminal; return the exit code, stdout, stderr."""
    leader, follower = pty.openpty()
    done = subprocess.run(
        [aigov_script(), *args, "--repo", str(repo)],
        stdout=subprocess.PIPE,
        stderr=follower,
        env={**ci_free_env(), "CI": "", **env},  # CI unset unless the test sets it
        timeout=60,
        check=False,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal is closed once everything was read
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return done.returncode, done.stdout.decode(), b"".join(chunks).decode()


def test_a_terminal_sees_progress_and_is_left_clean(write_repo: WriteRepo) -> None:
    repo = write_repo(g.repo_files())
    code, out, err = _on_a_terminal(repo, "validate", AIGOV_PROGRESS_AFTER="0")
    assert code == 0 and "aigov:" not in out
    assert "\raigov: reading files 1/" in err
    assert err.endswith("\r\x1b[K")  # the line is cleared
    code, out, err = _on_a_terminal(repo, "gate", "--format", "json", AIGOV_PROGRESS_AFTER="0")
    assert "aigov: evaluating models 1/1" in err and "aigov:" not in out
    # Before the delay has passed, nothing is drawn at all.
    code, _, err = _on_a_terminal(repo, "validate", AIGOV_PROGRESS_AFTER="60")
    assert code == 0 and "aigov:" not in err


def test_pipes_and_ci_see_none_unless_asked(write_repo: WriteRepo) -> None:
    repo = write_repo(g.repo_files())
    env = {**ci_free_env(), "AIGOV_PROGRESS_AFTER": "0", "CI": ""}
    command = [aigov_script(), "validate", "--repo", str(repo)]
    quiet = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert quiet.returncode == 0 and "aigov:" not in quiet.stderr
    _, _, on_ci = _on_a_terminal(repo, "validate", AIGOV_PROGRESS_AFTER="0", CI="true")
    assert "aigov:" not in on_ci
    asked = subprocess.run(
        command, capture_output=True, text=True, env={**env, "AIGOV_PROGRESS": "on"}, check=False
    )
    assert asked.returncode == 0 and "aigov: reading files" in asked.stderr
    assert "\r" not in asked.stderr and "aigov:" not in asked.stdout
