"""``aigov test run --shard K/N`` and ``aigov test merge``: real processes, a real Git repo;
shards merge into the run one job would write, and every mismatch is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import WriteRepo, git, invoke
from test_testrun import EMIT, case, repo_with

from aigov_gate.loading.safe_yaml import Limits, parse_text

TESTS = [case(f"t{i}", "emit.py") for i in range(5)]


@pytest.fixture
def repo(write_repo: WriteRepo) -> Path:
    root = repo_with(write_repo, TESTS, {"emit.py": EMIT})
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "one")
    return root


def run(repo: Path, *args: str) -> Any:
    return invoke("test", "run", "--repo", str(repo), "--isolation", "none", *args)


def shard(repo: Path, k: int, n: int) -> list[Path]:
    out = repo.parent / f"shard-{k}-of-{n}"
    result = run(repo, "--shard", f"{k}/{n}", "-o", str(out))
    assert result.exit_code == 0, result.output
    return sorted(out.glob("*.yaml"))


def merge(repo: Path, *files: Path) -> Any:
    return invoke("test", "merge", "--repo", str(repo), *map(str, files))


def read(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = parse_text(path.read_text(encoding="utf-8"), Limits()).documents[0]
    return doc


def runs(repo: Path) -> list[Path]:
    return sorted((repo / "runs").glob("*.yaml"))


def refused(repo: Path, *files: Path) -> str:
    result = merge(repo, *files)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return str(result.output)


def test_shards_merge_into_the_run_one_job_writes(repo: Path) -> None:
    pieces = [shard(repo, k, 3) for k in (1, 2, 3)]
    assert [len(read(p[0])["spec"]["results"]) for p in pieces] == [2, 2, 1]
    assert runs(repo) == []  # shard runs never reach the gate's folder
    assert run(repo).exit_code == 0
    (whole,) = runs(repo)
    merged = merge(repo, *[p[0] for p in reversed(pieces)])  # any order
    assert merged.exit_code == 0, merged.output
    (out,) = [p for p in runs(repo) if p != whole]
    one, both = read(whole)["spec"], read(out)["spec"]
    keep = ("test_name", "metrics", "exit_code")
    assert [{k: r[k] for k in keep} for r in both["results"]] == [
        {k: r[k] for k in keep} for r in one["results"]
    ]
    assert [r["test_name"] for r in both["results"]] == [f"t{i}" for i in range(5)]
    assert both["status"] == "completed" and both["model_version"] == one["model_version"]
    shards = both["parameters"]["shards"]
    assert [s["index"] for s in shards] == [1, 2, 3]
    import hashlib

    assert [s["sha256"] for s in shards] == [
        hashlib.sha256(p[0].read_bytes()).hexdigest() for p in pieces
    ]
    assert both["parameters"]["commit"] == git(repo, "rev-parse", "HEAD")
    again = merge(repo, *[p[0] for p in pieces])
    assert again.exit_code == 2 and "merged before" in again.output


def test_a_failing_test_in_a_shard_fails_the_merged_run(write_repo: WriteRepo) -> None:
    fail = "import sys\nsys.exit(3)\n"
    root = repo_with(
        write_repo, [*TESTS[:2], case("bad", "fail.py")], {"emit.py": EMIT, "fail.py": fail}
    )
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "one")
    files = []
    for k in (1, 2):
        out = root.parent / f"s{k}"
        run(root, "--shard", f"{k}/2", "-o", str(out))
        files += sorted(out.glob("*.yaml"))
    result = merge(root, *files)
    assert result.exit_code == 1, result.output
    assert read(runs(root)[0])["spec"]["status"] == "failed"


def test_merge_refuses_pieces_that_are_not_one_run(repo: Path) -> None:
    a, b, c = (shard(repo, k, 3)[0] for k in (1, 2, 3))
    assert "given twice" in refused(repo, a, a, b, c)
    assert "no shard ran t1, t4" in refused(repo, a, c)
    other = shard(repo, 2, 2)[0]
    assert "is of 3" in refused(repo, a, other)
    posing = repo.parent / "posing.yaml"  # shard 1's results, claimed as shard 2's
    posing.write_text(a.read_text(encoding="utf-8").replace("index: 1", "index: 2"), "utf-8")
    assert "test t0 of p for m@1.0.0 is in" in refused(repo, a, posing, c)
    # a shard run again after a new commit
    (repo / "notes.txt").write_text("x", encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "two")
    (repo.parent / "shard-3-of-3").rename(repo.parent / "first-3")
    c = repo.parent / "first-3" / c.name
    newer = shard(repo, 3, 3)[0]
    assert "commit is" in refused(repo, a, b, newer)
    # the plan changed since the shards ran
    plan = repo / "p.yaml"
    plan.write_text(plan.read_text(encoding="utf-8").replace("0.5", "0.4"), encoding="utf-8")
    assert "this repository's is" in refused(repo, a, b, c)


def test_merge_refuses_tampered_and_foreign_files(repo: Path) -> None:
    a, b, c = (shard(repo, k, 3)[0] for k in (1, 2, 3))
    text = b.read_text(encoding="utf-8")
    b.write_text(text.replace("test_name: t1", "test_name: t9"), encoding="utf-8")
    assert "says it ran" in refused(repo, a, b, c)
    b.write_text(text.replace("shard:", "chard:"), encoding="utf-8")
    assert "not a shard run" in refused(repo, a, b, c)
    b.write_text("spec: [unclosed", encoding="utf-8")
    assert f"{b}:" in refused(repo, a, b, c)
    assert "no such file" in refused(repo, a, repo / "nothing.yaml")


@pytest.mark.parametrize("value", ["0/3", "4/3", "x", "1/0", "2"])
def test_a_bad_shard_is_a_usage_error(repo: Path, value: str) -> None:
    result = run(repo, "--shard", value)
    assert result.exit_code == 2 and "--shard" in result.output
