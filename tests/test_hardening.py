"""Hostile configurations and files: each a clear error or finding with the place named,
never exit 3 (issue 24)."""

from __future__ import annotations

import json
from pathlib import Path

import gate_repo as g
from conftest import WriteRepo, run_aigov


def validate(repo: Path, *args: str) -> tuple[int, str, str]:
    done = run_aigov("validate", "--repo", str(repo), *args)
    return done.returncode, done.stdout, done.stderr


def test_paths_must_stay_inside_the_repository(write_repo: WriteRepo, tmp_path: Path) -> None:
    repo = write_repo(g.repo_files())
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "m.yaml").write_text(g.model())
    (repo / "linked").symlink_to(outside, target_is_directory=True)
    for paths, message in (
        ("[../outside]", "paths: '../outside' is not a folder inside the repository"),
        (f"[{outside}]", "is not a folder inside the repository"),
        ("[linked]", "paths: 'linked' goes through a symbolic link"),
    ):
        (repo / ".aigov.yaml").write_text(g.CONFIG + f"paths: {paths}\n")
        for command in ("validate", "gate"):
            done = run_aigov(command, "--repo", str(repo))
            assert done.returncode == 2, (paths, command, done.stdout)
            assert message in done.stderr and "Traceback" not in done.stderr


def test_symlink_loops_are_findings_not_crashes(write_repo: WriteRepo) -> None:
    card = (
        "apiVersion: aigov/v1\nkind: EvidenceArtifact\nmetadata: {name: card}\n"
        "spec:\n  artifact_type: model_card\n  path: docs/loop.md\n  sha256: " + "a" * 64 + "\n"
    )
    repo = write_repo(g.repo_files({"evidence.yaml": card}))
    (repo / "loop.yaml").symlink_to("loop.yaml")  # a link to itself
    (repo / "docs").mkdir()
    (repo / "docs/loop.md").symlink_to("loop.md")
    code, out, err = validate(repo)
    assert code == 1 and "Traceback" not in err
    assert "loop.yaml: error [file.symlink-outside]" in out
    assert "path 'docs/loop.md' is a symbolic link loop" in out
    assert run_aigov("gate", "--repo", str(repo)).returncode == 1


def test_a_policy_for_an_environment_that_does_not_exist_is_an_error(
    write_repo: WriteRepo,
) -> None:
    policy = (
        "apiVersion: aigov/v1\nkind: Policy\nmetadata: {name: p}\nspec:\n  title: Owner\n"
        "  severity: high\n  rule: model.metadata.owner != ''\n  message: no owner\n"
        "  environments: [prodution]\n"
    )
    repo = write_repo(g.repo_files({"policies/p.yaml": policy}))
    done = run_aigov("validate", "--repo", str(repo), "--format", "json")
    assert done.returncode == 1
    [f] = [
        f
        for f in json.loads(done.stdout)["findings"]
        if f["rule_id"] == "policy.unknown-environment"
    ]
    assert (f["path"], f["line"]) == ("policies/p.yaml", 9)
    assert "environment 'prodution' is not in .aigov.yaml" in f["message"]
    assert "did you mean 'production'?" in f["hint"]
