"""The CLI as users run it: in-process through CliRunner and as the installed console script."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import (
    EXAMPLES,
    MODEL,
    WriteRepo,
    aigov_script,
    ci_free_env,
    git,
    invoke,
    run_aigov,
)

from aigov_gate import __version__


def test_version() -> None:
    assert invoke("--version").output.strip() == f"aigov, version {__version__}"
    assert run_aigov("--version", process=True).stdout.strip() == f"aigov, version {__version__}"


def test_json_output_is_stable_and_documented_shape(write_repo: WriteRepo) -> None:
    repo = write_repo({"m.yaml": MODEL.format(name="m").replace("minimal", "medium")})
    first = invoke("validate", "--repo", str(repo), "--format", "json")
    second = invoke("validate", "--repo", str(repo), "--format", "json")
    assert first.exit_code == 1
    assert first.output == second.output
    report = json.loads(first.output)
    assert set(report) == {"schema_version", "tool", "command", "passed", "summary", "findings"}
    (finding,) = report["findings"]
    assert finding == {
        "rule_id": "schema.invalid-value",
        "severity": "high",
        "message": "spec.risk_tier: Input should be 'prohibited', 'high', 'limited' or 'minimal'",
        "path": "m.yaml",
        "line": 8,
        "column": 14,
        "target": "Model/m",
        "hint": "use one of the listed values",
        "related": [],
    }
    assert report["summary"]["by_severity"]["high"] == 1


def test_given_paths_are_checked_against_the_whole_repo(write_repo: WriteRepo) -> None:
    run = (
        "apiVersion: aigov/v1\nkind: TestRun\nmetadata: {name: r}\n"
        "spec: {model: scorer, model_version: '1', status: completed}\n"
    )
    repo = write_repo(
        {
            "models/scorer.yaml": MODEL.format(name="scorer"),
            "runs/r.yaml": run,
            "runs/orphan.yaml": run.replace("name: r}", "name: o}").replace("scorer", "ghost"),
            "broken/elsewhere.yaml": "apiVersion: aigov/v1\nkind: [\n",
        }
    )
    ok = run_aigov("validate", "runs/r.yaml", cwd=repo, process=True)
    assert ok.returncode == 0, ok.stdout
    assert ok.stdout == "ok: 1 document(s) in 1 file(s) valid\n"
    bad = run_aigov("validate", "runs/r.yaml", "runs/orphan.yaml", cwd=repo)
    assert bad.returncode == 1
    assert "runs/orphan.yaml:4:15: error [ref.missing] Model 'ghost' does not exist" in bad.stdout
    assert "broken/elsewhere.yaml" not in bad.stdout  # not asked about, not reported
    whole = run_aigov("validate", cwd=repo)
    assert "broken/elsewhere.yaml:3:1: error [yaml.syntax]" in whole.stdout


def test_non_governance_yaml_given_explicitly_is_skipped(write_repo: WriteRepo) -> None:
    repo = write_repo({".github/ci.yml": "on: push\n", "m.yaml": MODEL.format(name="m")})
    result = run_aigov("validate", ".github/ci.yml", cwd=repo)
    assert result.returncode == 0
    assert result.stdout.startswith("ok: 0 document(s)")


def test_empty_repo_is_not_a_silent_pass(tmp_path: Path) -> None:
    result = invoke("validate", "--repo", str(tmp_path))
    assert result.exit_code == 1
    assert "[load.no-documents] no governance documents found (searched: .)" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["validate", "nope.yaml"], "error: no such file or directory: nope.yaml"),
        (["validate", "--format", "xml"], "Invalid value for '--format'"),
        (["validate", "--repo", "missing-dir"], "--repo missing-dir is not a directory"),
        (["frobnicate"], "No such command 'frobnicate'"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str, write_repo: WriteRepo) -> None:
    repo = write_repo({"m.yaml": MODEL.format(name="m")})
    result = run_aigov(*args, cwd=repo)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_path_outside_the_repo_is_a_usage_error(write_repo: WriteRepo, tmp_path: Path) -> None:
    repo = write_repo({"m.yaml": MODEL.format(name="m")})
    other = tmp_path / "other.yaml"
    other.write_text(MODEL.format(name="o"), encoding="utf-8")
    result = run_aigov("validate", "--repo", str(repo), str(other), cwd=repo)
    assert result.returncode == 2
    assert "is outside the repository" in result.stderr


def test_invalid_config_exits_2_with_its_position(write_repo: WriteRepo) -> None:
    repo = write_repo(
        {
            ".aigov.yaml": (
                "organization: acme\nlimits:\n  max_file_bytse: 10\n"
                "roles:\n  risk_approver: [alice, 'not a user']\n"
            ),
            "m.yaml": MODEL.format(name="m"),
        }
    )
    result = run_aigov("validate", cwd=repo)
    assert result.returncode == 2
    assert (
        ".aigov.yaml:3:3: limits: unknown field 'max_file_bytse' (did you mean 'max_file_bytes'?)"
        in result.stderr
    )
    assert (
        ".aigov.yaml:5:26: roles.risk_approver[1]: does not have the expected form (A user name"
        in result.stderr
    )
    assert "Traceback" not in result.stderr


def test_config_syntax_error_exits_2(write_repo: WriteRepo) -> None:
    repo = write_repo({".aigov.yaml": "paths: [governance\n", "m.yaml": MODEL.format(name="m")})
    result = run_aigov("validate", cwd=repo)
    assert result.returncode == 2
    assert result.stderr.startswith(".aigov.yaml:2:1: error:")


def test_configured_path_missing_exits_2(write_repo: WriteRepo) -> None:
    repo = write_repo({".aigov.yaml": "paths: [governance]\n", "m.yaml": MODEL.format(name="m")})
    result = run_aigov("validate", cwd=repo)
    assert result.returncode == 2
    assert "configured path 'governance' is not a directory" in result.stderr


def test_internal_error_exits_3_and_debug_shows_the_traceback(
    monkeypatch: pytest.MonkeyPatch, write_repo: WriteRepo
) -> None:
    import aigov_gate.validation

    def explode(*_: object, **__: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(aigov_gate.validation, "validate_repo", explode)
    repo = write_repo({"m.yaml": MODEL.format(name="m")})
    quiet = invoke("validate", "--repo", str(repo))
    assert quiet.exit_code == 3
    assert "internal error: RuntimeError: boom" in quiet.output
    assert "Traceback" not in quiet.output
    loud = invoke("--debug", "validate", "--repo", str(repo))
    assert loud.exit_code == 3
    assert "Traceback (most recent call last)" in loud.output
    assert 'raise RuntimeError("boom")' in loud.output  # the frame that raised, shown
    assert "internal error: RuntimeError: boom" in loud.output


def test_init_scaffolds_a_repo_that_validates_clean(tmp_path: Path) -> None:
    target = tmp_path / "gov"
    created = run_aigov("init", str(target), "--organization", "acme-bank", process=True)
    assert created.returncode == 0, created.stderr
    assert (target / ".aigov.yaml").read_text(encoding="utf-8").count("acme-bank") == 2
    assert (target / ".aigov/schemas/model.json").is_file()
    result = run_aigov("validate", cwd=target)
    assert result.returncode == 0, result.stdout
    assert result.stdout == "ok: 4 document(s) in 4 file(s) valid\n"
    again = run_aigov("init", str(target))
    assert again.returncode == 2
    assert "refusing to overwrite: .aigov.yaml" in again.stderr
    assert run_aigov("init", str(target), "--force").returncode == 0


def test_init_rejects_a_bad_organization_name(tmp_path: Path) -> None:
    result = run_aigov("init", str(tmp_path), "--organization", "Acme Bank")
    assert result.returncode == 2
    assert "organization 'Acme Bank' is not a valid name" in result.stderr
    assert not (tmp_path / ".aigov.yaml").exists()


def test_schema_export_and_check(tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    assert invoke("schema", "export", "--out", str(out)).exit_code == 0
    assert invoke("schema", "export", "--out", str(out), "--check").exit_code == 0
    (out / "model.json").write_text("{}", encoding="utf-8")
    stale = invoke("schema", "export", "--out", str(out), "--check")
    assert stale.exit_code == 1
    assert "model.json: differs from the models" in stale.output


def test_clean_example_through_the_console_script() -> None:
    result = run_aigov("validate", "--repo", str(EXAMPLES / "credit-scoring"))
    assert result.returncode == 0
    assert result.stdout == "ok: 20 document(s) in 20 file(s) valid\n"  # with the attested run


READER_GONE = [
    ["keys", "list", "--repo", "."],
    ["doctor", "--repo", "."],
    ["validate", "--repo", "."],
    ["gate", "--format", "json", "--repo", "."],
    ["frameworks", "list", "--repo", "."],
    ["--help"],
    ["--version"],
]


@pytest.fixture(scope="module")
def keyed_example(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The example as a Git repo with a signing key, so that ``keys list`` has keys."""
    repo = tmp_path_factory.mktemp("keyed") / "repo"
    shutil.copytree(EXAMPLES / "credit-scoring", repo)
    git(repo, "init", "-q", "-b", "main")
    env = {"AIGOV_PRIVATE_KEY_DIR": str(repo.parent / "private")}
    assert run_aigov("keys", "generate", "--repo", str(repo), env=env, process=True).returncode == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "governance and keys")
    return repo, env


@pytest.mark.parametrize("args", READER_GONE, ids=" ".join)
def test_a_reader_that_went_away_is_silent_and_not_a_pass(
    args: list[str], keyed_example: tuple[Path, dict[str, str]]
) -> None:
    # The pipe's read end is closed before aigov writes a byte, so every run hits EPIPE
    # (`| head -1` hits it only when head exits before aigov's next write).
    repo, env = keyed_example
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run(
            [aigov_script(), *args],
            cwd=repo,
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            env=ci_free_env() | env,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (141, "")
    again = run_aigov(*args, cwd=repo, env=env)  # with a reader: its own code, and output
    assert again.returncode in (0, 1) and again.stdout, again.stderr


def test_piping_into_head_prints_only_what_head_prints() -> None:
    example = EXAMPLES / "credit-scoring"
    script = f"set -o pipefail; '{aigov_script()}' doctor --repo '{example}' | head -3"
    done = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, env=ci_free_env(), check=False
    )
    assert done.stderr == ""
    assert len(done.stdout.splitlines()) == 3
    assert done.returncode in (0, 1, 141)  # 141 when head left first; doctor's own code else


def test_aigovs_own_files_are_never_taken_for_governance_documents(
    write_repo: WriteRepo, tmp_path: Path
) -> None:
    """pre-commit passes every staged YAML file: the config (whose modeline and paths
    mention ``.aigov/``), the keyring (``apiVersion: aigov/v1``, ``kind: Keyring``), in the
    default folder and in a configured one, and other tools' YAML that mentions ``.aigov/``
    are skipped; a real governance document next to them is still checked."""
    config = (
        "# yaml-language-server: $schema=.aigov/schemas/aigov-config.json\n"
        "organization: acme\nsignoff:\n  recorded:\n    allowed_signers: .aigov/allowed_signers\n"
        "keys:\n  dir: security/keyring\n"
    )
    repo = write_repo(
        {
            ".aigov.yaml": config,
            "models/m.yaml": MODEL.format(name="m"),
            "ci.yaml": "- run: aigov validate .aigov/schemas\n- cache: .aigov/test-runs/\n",
        }
    )
    env = {"AIGOV_PRIVATE_KEY_DIR": str(tmp_path / "private")}
    assert run_aigov("keys", "generate", "--repo", str(repo), env=env).returncode == 0
    assert (repo / "security/keyring/keyring.yaml").is_file()
    shutil.copytree(repo / "security/keyring", repo / ".aigov/keys")  # the default folder
    files = [".aigov.yaml", "ci.yaml", "security/keyring/keyring.yaml", ".aigov/keys/keyring.yaml"]
    done = run_aigov("validate", "--repo", str(repo), *(str(repo / f) for f in files))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Keyring" not in done.stdout and "apiVersion" not in done.stdout
    assert run_aigov("validate", "--repo", str(repo)).returncode == 0
    # a governance document is still a governance document, wherever it sits
    (repo / "ci.yaml").write_text("apiVersion: aigov/v1\nkind: Model\n")
    done = run_aigov("validate", "--repo", str(repo), str(repo / "ci.yaml"))
    assert done.returncode == 1 and "ci.yaml:" in done.stdout
