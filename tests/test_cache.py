"""The validate cache: a re-run reports what a fresh run would, and nothing it cannot trust.

Every test runs the real ``aigov validate`` twice or more against one cache folder, and
compares with ``--no-cache``: the cache may only ever change how long a run takes.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import gate_repo as g
from conftest import WriteRepo, run_aigov

from aigov_gate.loading.cache import Cache
from aigov_gate.loading.safe_yaml import Limits, parse_text

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "credit-scoring"


def _validate(repo: Path, cache: Path, *args: str) -> tuple[int, str]:
    env = {"AIGOV_CACHE": "on", "AIGOV_CACHE_DIR": str(cache)}
    done = run_aigov("validate", "--repo", str(repo), "--format", "json", *args, env=env)
    assert "Traceback" not in done.stderr
    return done.returncode, done.stdout


def _fresh(repo: Path, *args: str) -> tuple[int, str]:
    done = run_aigov("validate", "--repo", str(repo), "--format", "json", "--no-cache", *args)
    return done.returncode, done.stdout


def _age(path: Path, seconds: float = 60) -> None:
    """Make the file look written a while ago, so the cache trusts its recorded stat."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns - int(seconds * 1e9)))


def _age_all(repo: Path) -> None:
    for path in repo.rglob("*"):
        if path.is_file():
            _age(path)


def _runs(cache: Path) -> int:
    (stored,) = [json.loads(p.read_text()) for p in cache.glob("*.json")]
    return len(stored["runs"])


def test_a_re_run_reports_what_a_fresh_run_reports_and_sees_every_change(
    tmp_path: Path,
) -> None:
    repo, cache = tmp_path / "repo", tmp_path / "cache"
    shutil.copytree(EXAMPLE, repo)
    _age_all(repo)
    fresh = _fresh(repo)
    assert fresh[0] == 0
    assert _validate(repo, cache) == fresh  # cold: fills the cache
    assert _validate(repo, cache) == fresh  # warm: from the cache
    assert _runs(cache) == 1
    assert not any(p.name.startswith(".tmp-") for p in cache.iterdir())

    # A change of the same size, its mtime put back: the ctime still tells.
    model = repo / "governance/models/credit-scoring.yaml"
    text = model.read_text()
    stat = model.stat()
    model.write_text(text.replace("risk_tier: high", "risk_tier: hugh"))
    assert model.stat().st_size == stat.st_size
    os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    broken = _validate(repo, cache)
    assert broken == _fresh(repo) and broken[0] == 1
    assert "spec.risk_tier" in broken[1]

    model.write_text(text)
    _age(model)
    assert _validate(repo, cache) == fresh


def test_an_artifact_that_changed_is_checked_again(tmp_path: Path) -> None:
    repo, cache = tmp_path / "repo", tmp_path / "cache"
    shutil.copytree(EXAMPLE, repo)
    _age_all(repo)
    assert _validate(repo, cache)[0] == 0
    artifact = repo / "docs/evidence/credit-scoring-model-card.md"
    artifact.write_bytes(artifact.read_bytes() + b"\nedited\n")
    changed = _validate(repo, cache)
    assert changed == _fresh(repo)
    assert changed[0] == 1 and "evidence.digest-mismatch" in changed[1]


def test_a_one_file_run_uses_what_a_whole_run_parsed_and_stays_exact(
    write_repo: WriteRepo, tmp_path: Path
) -> None:
    repo, cache = write_repo(g.repo_files()), tmp_path / "cache"
    _age_all(repo)
    assert _validate(repo, cache)[0] == 0
    model = repo / "models/scorer.yaml"
    model.write_text(model.read_text().replace("name: loans", "name: loams"))
    one = _validate(repo, cache, str(model))
    assert one == _fresh(repo, str(model))
    assert one[0] == 1 and "loams" in one[1]


def test_a_corrupt_or_foreign_cache_is_ignored_and_replaced(tmp_path: Path) -> None:
    repo, cache = tmp_path / "repo", tmp_path / "cache"
    shutil.copytree(EXAMPLE, repo)
    _age_all(repo)
    fresh = _fresh(repo)
    _validate(repo, cache)
    (stored,) = cache.glob("*.json")
    good = json.loads(stored.read_text())
    for damaged in (
        b"{not json",
        b"",
        b'{"header": 1}',
        json.dumps({**good, "runs": {k: {"findings": 7} for k in good["runs"]}}).encode(),
        json.dumps({**good, "files": {k: [1, 2] for k in good["files"]}}).encode(),
    ):
        stored.write_bytes(damaged)
        assert _validate(repo, cache) == fresh
    # A cache written by another version claims no findings for a broken repository:
    # its header differs, so it is not believed.
    (repo / "governance/models/credit-scoring.yaml").write_text("kind: Model\n")
    broken = _fresh(repo)
    assert broken[0] == 1
    _validate(repo, cache)
    lie = json.loads(stored.read_text())
    lie["header"] = "1 0000 Limits()"
    for record in lie["runs"].values():
        record["findings"] = []
    stored.write_text(json.dumps(lie))
    assert _validate(repo, cache) == broken


def test_no_cache_and_ci_write_nothing_and_the_repository_holds_none(tmp_path: Path) -> None:
    repo, cache = tmp_path / "repo", tmp_path / "cache"
    shutil.copytree(EXAMPLE, repo)
    before = sorted(p.relative_to(repo) for p in repo.rglob("*"))
    unset = {"AIGOV_CACHE_DIR": str(cache), "AIGOV_CACHE": "", "CI": ""}
    for env in ({}, {"CI": "true"}, {"AIGOV_CACHE": "off"}):
        args = ("--no-cache",) if not env else ()
        done = run_aigov("validate", "--repo", str(repo), *args, env={**unset, **env})
        assert done.returncode == 0
    assert not cache.exists()
    assert run_aigov("validate", "--repo", str(repo), env=unset).returncode == 0
    assert len(list(cache.glob("*.json"))) == 1
    assert sorted(p.relative_to(repo) for p in repo.rglob("*")) == before


def test_parsed_values_json_has_no_type_for_come_back_as_they_were(tmp_path: Path) -> None:
    text = (
        "a: 2026-01-02\nb: 2026-01-02T03:04:05.5+01:00\nc: 2026-01-02 03:04:05\n"
        "d: !!binary aGVsbG8=\n"
        "e: [1, 2.5, .inf, -0.0, true, null, '2026-01-02', 10000000000000000000001]\n"
    )
    parsed = parse_text(text, Limits())
    cache = Cache(tmp_path, tmp_path, Limits())
    cache.remember_parsed("k", parsed)
    merge = "base: &b {x: 1}\nother: {<<: *b}\n"
    odd_ones = ("1: one\n", "2026-01-02: x\n", merge, "c: !!set {x}\n")
    for odd in odd_ones:
        cache.remember_parsed(odd, parse_text(odd, Limits()))
    cache.save()
    cache = Cache(tmp_path, tmp_path, Limits())
    back = cache.parsed("k", text)
    assert back is not None and back.documents == parsed.documents
    (doc,) = back.documents
    assert doc["a"] == date(2026, 1, 2)
    assert doc["b"] == datetime(2026, 1, 2, 2, 4, 5, 500000, UTC)
    assert doc["c"] == datetime(2026, 1, 2, 3, 4, 5) and doc["c"].tzinfo is None
    assert doc["d"] == b"hello"
    assert doc["e"][3] == 0.0 and str(doc["e"][3]) == "-0.0" and doc["e"][6] == "2026-01-02"
    # Keys JSON cannot hold, and documents that did not build, are parsed again instead.
    odd_ones = (
        "1: one\n",
        "2026-01-02: x\n",
        "base: &b {x: 1}\nother: {<<: *b}\n",
        "c: !!set {x}\n",
    )
    for odd in odd_ones:
        cache.remember_parsed(odd, parse_text(odd, Limits()))
        assert cache.parsed(odd, odd) is None
