"""Hostile input: every case is a finding with the file named, exit 1, no traceback, no hang.

Each file claims to be governance (it mentions ``apiVersion: aigov/v1``) or is passed
explicitly, as pre-commit would. Run through the installed console script, with a timeout.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import MODEL, WriteRepo, run_aigov

HEADER = "apiVersion: aigov/v1\nkind: Model\n"


def _billion_laughs() -> str:
    lines = [HEADER + 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


HOSTILE: dict[str, tuple[str | bytes, str, str]] = {
    # name: (content, expected rule, expected text in the message)
    "python-tag": (
        HEADER + "spec: !!python/object/apply:os.system ['touch pwned']\n",
        "yaml.unsafe-tag",
        "python/object/apply",
    ),
    "custom-tag": (HEADER + "spec: !vault abc\n", "yaml.unsafe-tag", "!vault"),
    "duplicate-keys": (MODEL.format(name="a") + "kind: Model\n", "yaml.duplicate-key", "'kind'"),
    "billion-laughs": (_billion_laughs(), "yaml.alias-bomb", "beyond"),
    "recursive-alias": (HEADER + "spec: &s {loop: *s}\n", "yaml.recursive-alias", "alias"),
    "deep-flow-nesting": (
        HEADER + "spec: " + "[" * 50_000 + "]" * 50_000 + "\n",
        "yaml.too-deep",
        "nesting deeper",
    ),
    "deep-block-nesting": (
        HEADER + "spec:\n" + "- " * 50_000 + "x\n",
        "yaml.too-deep",
        "nesting deeper",
    ),
    "non-utf8": (HEADER.encode() + b"metadata: {name: caf\xe9}\n", "file.encoding", "UTF-8"),
    "binary": (b"apiVersion: aigov/v1\n\x00\x01\x02\xff" * 10, "file.binary", "binary"),
    "empty-documents": (MODEL.format(name="a") + "---\n---\n", "document.empty", "empty"),
    "top-level-list": ("- " + HEADER.replace("\n", "\n  "), "document.not-a-mapping", "list"),
    "top-level-scalar": ("# apiVersion: aigov/v1\njust text\n", "document.not-a-mapping", "string"),
    "syntax-error": (HEADER + "metadata: {name: [unclosed\n", "yaml.syntax", "flow"),
    "tabs": (HEADER + "metadata:\n\tname: x\n", "yaml.syntax", "tab"),
    "unhashable-key": (HEADER + "? [a, b]\n: c\n", "yaml.syntax", "unhashable"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_file_is_a_clear_finding(name: str, write_repo: WriteRepo) -> None:
    content, rule, text = HOSTILE[name]
    repo = write_repo(
        {f"governance/{name}.yaml": content, "governance/ok.yaml": MODEL.format(name="ok")}
    )
    for args in (["validate"], ["validate", f"governance/{name}.yaml"]):
        result = run_aigov(*args, cwd=repo)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr + result.stdout
        line = next(ln for ln in result.stdout.splitlines() if f"[{rule}]" in ln)
        assert line.startswith(f"governance/{name}.yaml"), line
        assert text in line, line
    assert not (repo / "pwned").exists()


def test_deep_nesting_reports_a_line_and_column(write_repo: WriteRepo) -> None:
    repo = write_repo({"m.yaml": HEADER + "spec: " + "[" * 2000 + "]" * 2000 + "\n"})
    result = run_aigov("validate", cwd=repo)
    assert "m.yaml:3:206: error [yaml.too-deep] nesting deeper than 200 levels" in result.stdout


@pytest.mark.parametrize("levels", [1_500, 50_000])
def test_the_largest_depth_limit_is_ours_not_libyamls(levels: int, write_repo: WriteRepo) -> None:
    # libyaml 0.2.6 (PyYAML >= 6.0.3) stops at 1,000 levels in its scanner; 0.2.5 does not.
    # With limits.max_depth at its largest, either way the finding is ours, at level 1,001.
    repo = write_repo(
        {
            ".aigov.yaml": "limits: {max_depth: 1000}\n",
            "m.yaml": HEADER + "spec: " + "[" * levels + "]" * levels + "\n",
        }
    )
    result = run_aigov("validate", cwd=repo, process=True)  # a real process's stack
    assert result.returncode == 1, result.stdout + result.stderr
    expected = "m.yaml:3:1006: error [yaml.too-deep] nesting deeper than 1000 levels"
    assert expected in result.stdout


def test_oversized_file_is_refused_without_parsing(write_repo: WriteRepo) -> None:
    big = MODEL.format(name="big") + "# padding\n" * 200_000
    repo = write_repo({"big.yaml": big, ".aigov.yaml": "limits: {max_file_bytes: 100000}\n"})
    result = run_aigov("validate", cwd=repo)
    assert result.returncode == 1
    assert "big.yaml: error [file.too-large]" in result.stdout
    assert "over the limit of 100000 bytes" in result.stdout


def test_size_limit_can_be_overridden_by_environment(write_repo: WriteRepo) -> None:
    repo = write_repo({"m.yaml": MODEL.format(name="m") + "# pad\n" * 500})
    assert run_aigov("validate", cwd=repo).returncode == 0
    result = run_aigov("validate", cwd=repo, env={"AIGOV_MAX_FILE_BYTES": "2000"})
    assert result.returncode == 1
    assert "m.yaml: error [file.too-large]" in result.stdout
    secret = "ghp_" + "x" * 36  # a value pasted into the wrong variable is never echoed
    bad = run_aigov("validate", cwd=repo, env={"AIGOV_MAX_FILE_BYTES": secret})
    assert bad.returncode == 2
    assert "AIGOV_MAX_FILE_BYTES is not a whole number" in bad.stderr
    assert secret not in bad.stderr + bad.stdout


def test_symlink_out_of_the_repo_is_not_followed(write_repo: WriteRepo, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text(MODEL.format(name="outside"), encoding="utf-8")
    repo = write_repo({"governance/ok.yaml": MODEL.format(name="ok")})
    (repo / "governance" / "link.yaml").symlink_to(outside)
    (repo / "governance" / "inside.yaml").symlink_to(repo / "governance" / "ok.yaml")
    (repo / "linked-dir").symlink_to(tmp_path, target_is_directory=True)
    for args in (["validate"], ["validate", "governance/link.yaml"]):
        result = run_aigov(*args, cwd=repo)
        assert result.returncode == 1
        assert "governance/link.yaml: error [file.symlink-outside]" in result.stdout
        assert str(tmp_path) not in result.stdout  # the link's target is not disclosed
    # the link inside the repo is skipped (its target is read once), the linked dir not walked
    assert "ref.duplicate-name" not in run_aigov("validate", cwd=repo).stdout
