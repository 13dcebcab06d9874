"""CI integration as users meet it: the action's script, the pre-commit hooks through the
real ``pre-commit run`` from a ``.pre-commit-config.yaml``, and the CI files against the
public schemas."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import gate_repo as g
import pytest
import yaml
from click.testing import CliRunner
from conftest import EXAMPLES, ROOT, WriteRepo, aigov_script, ci_free_env, git

from aigov_gate.reporters.github import escape_data, escape_property


def schema_check(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    """``check-jsonschema --builtin-schema SCHEMA PATH``: its own command, in-process (its
    start-up in this virtualenv costs about 2 s of CPU; a check, about 0.01 s)."""
    from check_jsonschema.cli.main_command import main

    args = ["--builtin-schema", schema, str(path)]
    done = CliRunner().invoke(main, args, prog_name="check-jsonschema")
    return subprocess.CompletedProcess(args, done.exit_code, done.stdout, done.stderr)


@pytest.mark.parametrize(
    ("schema", "path"),
    [
        ("vendor.github-actions", ROOT / "action.yml"),
        ("vendor.github-workflows", EXAMPLES / "ci/github-workflow.yml"),
        ("vendor.gitlab-ci", EXAMPLES / "ci/gitlab-ci.yml"),
        ("vendor.github-workflows", EXAMPLES / "ci/github-tests.yml"),
        ("vendor.github-workflows", EXAMPLES / "ci/github-gate.yml"),
        ("vendor.gitlab-ci", EXAMPLES / "ci/gitlab-two-jobs.yml"),
        ("vendor.github-workflows", EXAMPLES / "ci/github-test-shards.yml"),
        ("vendor.github-workflows", EXAMPLES / "ci/github-base-evaluation.yml"),
        ("vendor.gitlab-ci", EXAMPLES / "ci/gitlab-test-shards.yml"),
    ],
)
def test_ci_files_validate_against_the_public_schemas(
    schema: str, path: Path, tmp_path: Path
) -> None:
    done = schema_check(schema, path)
    assert done.returncode == 0, done.stdout + done.stderr
    # the check has teeth: a broken copy fails it
    broken = tmp_path / path.name
    text = path.read_text()
    broken.write_text(
        text.replace("runs-on:", "runs_on:")
        .replace("using: composite", "using: nodejs")
        .replace("  script:", "  scripts:")
    )
    assert schema_check(schema, broken).returncode != 0


def _steps_text(job: dict[str, Any]) -> str:
    return json.dumps(job.get("steps", job.get("script", [])))


def test_the_two_job_layouts_keep_secrets_and_the_changes_code_apart() -> None:
    """Job 1 runs the change's tests and can reach no secret; job 2 holds the secrets,
    runs only a pinned aigov, and is defined where a pull request cannot edit it."""
    import yaml

    tests = yaml.safe_load((EXAMPLES / "ci/github-tests.yml").read_text())
    gate = yaml.safe_load((EXAMPLES / "ci/github-gate.yml").read_text())
    assert "secrets." not in json.dumps(tests)  # no secret is named: none can be reached
    [job1] = tests["jobs"].values()
    assert job1["permissions"] == {"contents": "read"} and "environment" not in job1
    assert "aigov test run --base" in _steps_text(job1)
    assert gate[True] == {"workflow_run": {"workflows": [tests["name"]], "types": ["completed"]}}
    [job2] = gate["jobs"].values()
    assert job2["environment"] == "aigov-signing"
    text2 = _steps_text(job2)
    assert "AIGOV_SIGNING_KEY" in text2 and "aigov-gate==" in text2
    for runs_code in ("test run", "pip install .", "pip install -e", '"uses": "./'):
        assert runs_code not in text2
    checkouts = [s for s in job2["steps"] if s.get("uses", "").startswith("actions/checkout")]
    assert checkouts[0]["with"]["persist-credentials"] is False

    lab = yaml.safe_load((EXAMPLES / "ci/gitlab-two-jobs.yml").read_text())
    assert "environment" not in lab["aigov-tests"]
    assert "aigov test run --base" in _steps_text(lab["aigov-tests"])
    assert lab["aigov-merge-gate"]["environment"]["name"] == "aigov-signing"
    text2 = _steps_text(lab["aigov-merge-gate"])
    assert "test run" not in text2 and "--evidence" in text2 and "aigov-gate==" in text2


def action_env(tmp_path: Path, **inputs: str) -> dict[str, str]:
    env = ci_free_env()
    (tmp_path / "runner").mkdir(exist_ok=True)
    env.update(
        RUNNER_TEMP=str(tmp_path / "runner"),
        GITHUB_OUTPUT=str(tmp_path / "output.txt"),
        GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md"),
        AIGOV=aigov_script(),
        AIGOV_PYTHON=sys.executable,
    )
    env.update({f"INPUT_{k.upper()}": v for k, v in inputs.items()})
    return env


def run_action(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(ROOT / "action/gate.sh")],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def outputs(tmp_path: Path) -> dict[str, str]:
    lines = (tmp_path / "output.txt").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines)


@pytest.mark.dated
def test_action_script_on_the_example_deploy(tmp_path: Path) -> None:
    example = tmp_path / "ws" / "credit-scoring"
    shutil.copytree(EXAMPLES / "credit-scoring", example)
    env = action_env(tmp_path, stage="deploy", environment="production", repo="credit-scoring")
    env["GITHUB_WORKSPACE"] = str(tmp_path / "ws")
    done = run_action(env, tmp_path / "ws")
    assert done.returncode == 1, done.stderr
    out = outputs(tmp_path)
    report = json.loads(Path(out["report-json"]).read_text())
    assert out["decision"] == "blocked" and report["decision"] == "blocked"
    # Four blockers whatever the day; two more (Art. 9 overclaimed, and the example's Annex
    # IV documentation with its three gaps) once the Digital Omnibus date for Annex III
    # systems (2027-12-02) has come.
    assert out["blocking"] == str(report["summary"]["blocking"])
    assert int(out["blocking"]) == (6 if date.today() >= date(2027, 12, 2) else 4)
    sarif = json.loads(Path(out["sarif"]).read_text())
    uri = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri["uri"].startswith("credit-scoring/governance/")
    assert "## ❌ aigov gate: blocked" in (tmp_path / "summary.md").read_text()
    assert "Why it is blocked" in Path(out["dashboard"]).read_text()
    lines = done.stdout.splitlines()
    errors = [line for line in lines if line.startswith("::error ")]
    assert len(errors) == int(out["blocking"])
    assert errors[0].startswith("::error file=credit-scoring/governance/")
    assert ",line=" in errors[0] and ",col=" in errors[0] and ",title=" in errors[0]
    assert lines[-1].startswith("aigov gate: BLOCKED (deploy to production)")


def test_action_script_fetches_the_pull_requests_base_and_caps_annotations(
    tmp_path: Path, write_repo: WriteRepo
) -> None:
    origin = write_repo(g.repo_files())
    git(origin, "init", "-q", "-b", "main")
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "base")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "main", f"file://{origin}", str(clone))
    git(clone, "checkout", "-q", "-b", "change")
    # 12 models with a problem each: more than GitHub shows per level
    for i in range(12):
        model = (
            g.model()
            .replace("name: scorer", f"name: m{i}")
            .replace("risk_tier: high", "risk_tier: minimal")
        )
        (clone / f"models/m{i}.yaml").write_text(
            model.replace("intended_use:", "intended_use_typo:")
        )
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 3, "base": {"ref": "main"}}}))
    git(clone, "update-ref", "-d", "refs/remotes/origin/main")  # as a fresh PR checkout
    env = action_env(tmp_path, extra_args="--fail-on critical")
    env["GITHUB_EVENT_PATH"] = str(event)
    done = run_action(env, clone)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert sum(line.startswith("::error ") for line in lines) == 10
    assert "aigov: 2 more finding(s) not annotated" in done.stdout
    report = json.loads(Path(outputs(tmp_path)["report-json"]).read_text())
    assert report["base"] == "origin/main" and len(report["changed"]) == 12


def test_action_script_says_why_when_the_gate_could_not_run(tmp_path: Path) -> None:
    """A usage error (exit 2) is an annotation and a summary, not only a line in the log."""
    example = tmp_path / "ws" / "credit-scoring"
    shutil.copytree(EXAMPLES / "credit-scoring", example)
    env = action_env(tmp_path, repo="credit-scoring", extra_args="--fail-on 100%")
    done = run_action(env, tmp_path / "ws")
    assert done.returncode == 2, done.stderr
    (error,) = [line for line in done.stdout.splitlines() if line.startswith("::error ")]
    assert error.startswith("::error title=aigov gate could not run (exit 2)::")
    assert "'100%25' is not one of" in error and "\n" not in error  # escaped, one line
    summary = (tmp_path / "summary.md").read_text()
    assert "## ⚠️ aigov gate could not run (exit 2)" in summary
    assert "'100%' is not one of" in summary and "usage or configuration error" in summary
    assert "'100%' is not one of" in done.stderr  # the log still has it
    assert outputs(tmp_path) == {"decision": "error"}


def test_annotation_values_are_escaped() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"
    # a message cannot open a workflow command of its own
    from aigov_gate.reporters.github import annotation
    from aigov_gate.result import Finding, Location, Severity

    evil = Finding("r", Severity.HIGH, "x\n::set-env name=A::B", Location("a,b:c.yaml", 3, 0))
    line = annotation("error", evil)
    assert "\n" not in line
    assert (
        line == "::error file=a%2Cb%3Ac.yaml,line=3,col=1,title=r (high)::x%0A::set-env name=A::B"
    )


@pytest.fixture(scope="module")
def hooks_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Path]:
    """This project as a committed Git repository (whatever state the checkout is in), its
    commit, and a PRE_COMMIT_HOME shared by the test's runs: both hooks come from one repo
    at one rev, so pre-commit builds one hook environment for all of them (``try-repo``
    would build one per call, in a store of its own)."""
    source = tmp_path_factory.mktemp("hooks") / "aigov-gate"
    skip = shutil.ignore_patterns(
        ".git", ".venv", ".ci", "build", "*.egg-info", "__pycache__", ".*_cache"
    )
    shutil.copytree(ROOT, source, ignore=skip)
    git(source, "init", "-q", "-b", "main")
    git(source, "add", "-A")
    git(source, "commit", "-q", "-m", "snapshot")
    return source, git(source, "rev-parse", "HEAD"), tmp_path_factory.mktemp("pre-commit-home")


def pre_commit(
    repo: Path, hooks: tuple[Path, str, Path], hook: str, *args: str
) -> subprocess.CompletedProcess[str]:
    """``pre-commit run HOOK ARGS`` in ``repo``, configured as a user would configure it."""
    source, rev, home = hooks
    config = repo / ".pre-commit-config.yaml"
    config.write_text(
        f"repos:\n  - repo: file://{source}\n    rev: {rev}\n"
        "    hooks:\n      - id: aigov-validate\n      - id: aigov-gate\n"
    )
    git(repo, "add", config.name)
    env = ci_free_env()
    env["PRE_COMMIT_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", hook, *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


@pytest.mark.xdist_group("pre-commit")  # one worker builds the hook environment once
def test_pre_commit_hooks_from_a_config(
    write_repo: WriteRepo, hooks_repo: tuple[Path, str, Path]
) -> None:
    repo = write_repo(g.repo_files({"README.yaml": "just: yaml\n"}))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    done = pre_commit(repo, hooks_repo, "aigov-validate", "--all-files")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "aigov validate" in done.stdout and "Passed" in done.stdout

    bad = (repo / "models/scorer.yaml").read_text().replace("intended_use:", "intended_uze:")
    (repo / "models/scorer.yaml").write_text(bad)
    git(repo, "add", "-A")
    done = pre_commit(repo, hooks_repo, "aigov-validate", "--files", "models/scorer.yaml")
    assert done.returncode == 1
    assert "models/scorer.yaml:10:3" in done.stdout and "intended_use" in done.stdout

    done = pre_commit(repo, hooks_repo, "aigov-gate", "--all-files")
    assert done.returncode == 1 and "BLOCKED" in done.stdout
    (repo / "models/scorer.yaml").write_text(g.model())
    git(repo, "add", "-A")
    done = pre_commit(repo, hooks_repo, "aigov-gate", "--all-files")
    assert done.returncode == 0, done.stdout
    _, _, home = hooks_repo
    assert len(list(home.glob("repo*/py_env-*"))) == 1  # one hook environment for all runs


@pytest.mark.xdist_group("pre-commit")  # one worker builds the hook environment once
def test_init_then_the_printed_next_steps_reach_a_passing_gate_with_green_hooks(
    tmp_path: Path, hooks_repo: tuple[Path, str, Path]
) -> None:
    """A new user's first hour: ``aigov init``, then each command it prints, word for
    word, in a shell; the scaffold's own ``.pre-commit-config.yaml`` (pointed at a local
    clone, as its comment says to do when the Git repository is not reachable) runs both
    hooks green on ``git commit``, and ``pre-commit try-repo`` on the clone agrees."""
    source, rev, home = hooks_repo
    env = ci_free_env()
    env.update(
        PATH=f"{Path(sys.executable).parent}:{env.get('PATH', '')}",
        PRE_COMMIT_HOME=str(home),
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.com",
    )
    init = subprocess.run(
        [aigov_script(), "init", "gov", "--organization", "acme"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert init.returncode == 0, init.stderr
    repo = tmp_path / "gov"
    for name in (".gitignore", ".pre-commit-config.yaml", ".github/workflows/aigov.yml"):
        assert (repo / name).is_file(), name
    config = (repo / ".pre-commit-config.yaml").read_text()
    assert "not published on a package registry" in config and "try-repo" in config
    assert "installs aigov from its own" in (repo / ".github/workflows/aigov.yml").read_text()
    assert ".aigov/test-runs/" in (repo / ".gitignore").read_text().splitlines()
    done = schema_check("vendor.github-workflows", repo / ".github/workflows/aigov.yml")
    assert done.returncode == 0, done.stdout
    steps = init.stdout.split("next steps", 1)[1].splitlines()[1:]
    commands = [line.split("  #", 1)[0].strip() for line in steps if line.startswith("  ")]
    assert commands[0] == "cd gov" and "aigov test run" in commands
    (repo / ".pre-commit-config.yaml").write_text(
        config.replace("https://github.com/aigov-gate/aigov-gate", f"file://{source}").replace(
            "rev: v0.1.0", f"rev: {rev}"
        )
    )
    outputs = []
    for printed in commands[1:]:
        # pre-commit is already installed here; the rest runs exactly as printed
        command = printed.replace("pip install pre-commit && ", "")
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        outputs.append(done.stdout + done.stderr)
    gate_output = next(o for c, o in zip(commands[1:], outputs, strict=True) if "gate" in c)
    assert "PASSED: 1 model(s)" in gate_output and "0 not blocking" in gate_output
    committed = outputs[-1]
    assert "aigov validate" in committed and "aigov gate" in committed
    assert "Failed" not in committed and committed.count("Passed") == 2, committed
    assert git(repo, "status", "--porcelain") == ""  # nothing left out, logs ignored
    assert not [p for p in git(repo, "ls-files").splitlines() if p.startswith(".aigov/test-")]
    tried = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(source), "--all-files"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert tried.returncode == 0, tried.stdout + tried.stderr
    assert tried.stdout.count("Passed") == 2, tried.stdout


def test_the_shard_examples_run_every_shard_and_merge_them() -> None:
    import yaml

    hub = yaml.safe_load((EXAMPLES / "ci/github-test-shards.yml").read_text())
    shards = hub["jobs"]["shard"]["strategy"]["matrix"]["shard"]
    run = _steps_text(hub["jobs"]["shard"])
    assert f'--shard \\"$SHARD/{len(shards)}\\"' in run and shards == list(range(1, 5))
    merge = hub["jobs"]["merge"]
    assert merge["needs"] == "shard" and "!cancelled()" in merge["if"]
    assert "aigov test merge" in _steps_text(merge) and "secrets." not in json.dumps(hub)
    lab = yaml.safe_load((EXAMPLES / "ci/gitlab-test-shards.yml").read_text())
    matrix = lab["aigov-tests"]["parallel"]["matrix"][0]["SHARD"]
    assert len(matrix) == int(lab["variables"]["SHARDS"]) and matrix == ["1", "2", "3", "4"]
    assert '--shard "$SHARD/$SHARDS"' in " ".join(lab["aigov-tests"]["script"])
    assert lab["aigov-tests-merged"]["needs"][0]["job"] == "aigov-tests"
    assert "aigov test merge" in " ".join(lab["aigov-tests-merged"]["script"])


def test_the_base_evaluation_workflow_never_runs_the_changes_code() -> None:
    """The stronger layout (issue 34): pull_request_target checks out the base; the change's
    Model and artifact are read with git show; the artifact format runs no code; the runs
    are attested, and the gate workflow follows this one."""
    text = (EXAMPLES / "ci/github-base-evaluation.yml").read_text()
    flow = yaml.safe_load(text)
    assert list(flow[True]) == ["pull_request_target"]  # PyYAML reads 'on' as True
    steps = flow["jobs"]["tests"]["steps"]
    checkouts = [s for s in steps if s.get("uses", "").startswith("actions/checkout")]
    assert checkouts and all("ref" not in s.get("with", {}) for s in checkouts)  # the base
    assert "pull_request.head.ref" not in text and "git checkout" not in text
    data = next(s for s in steps if s.get("name", "").startswith("The change's Model"))
    assert 'git show "$HEAD_SHA:$ARTIFACT"' in data["run"] and "*.onnx|*.safetensors" in data["run"]
    attest = next(s for s in steps if s.get("name", "").startswith("aigov test run"))
    assert "--attest require" in attest["run"] and "AIGOV_EXECUTOR_KEY" in attest["env"]
    assert flow["name"] == "aigov tests"  # github-gate.yml's workflow_run follows it
    gate = yaml.safe_load((EXAMPLES / "ci/github-gate.yml").read_text())
    assert "pull_request_target" in gate["jobs"]["merge-gate"]["if"]
