"""The safe loader: positions on the side, duplicate keys, limits, discovery by content."""

from __future__ import annotations

from pathlib import Path

from conftest import MODEL, WriteRepo

from aigov_gate.config import AigovConfig
from aigov_gate.loading import Limits
from aigov_gate.loading.safe_yaml import locate, parse_text
from aigov_gate.validation import validate_repo


def test_positions_are_never_written_into_the_data() -> None:
    parsed = parse_text("a:\n  b: [1, 2]\n---\nc: {d: e}\n", Limits())
    assert parsed.documents == [{"a": {"b": [1, 2]}}, {"c": {"d": "e"}}]
    assert locate(parsed.text, 0, ("a", "b", 1)) == (2, 10)
    assert locate(parsed.text, 1, ("c", "d")) == (4, 8)
    assert locate(parsed.text, 1, ("c", "d"), key=True) == (4, 5)
    assert locate(parsed.text, 1, ("c", "zz")) == (4, 4)  # deepest node found


def test_duplicate_keys_are_all_reported() -> None:
    parsed = parse_text("a: 1\nb: {x: 1, x: 2}\na: 3\n", Limits())
    assert sorted((p.code, p.line) for p in parsed.problems) == [
        ("yaml.duplicate-key", 2),
        ("yaml.duplicate-key", 3),
    ]


def test_shared_aliases_within_limits_are_fine() -> None:
    parsed = parse_text("base: &b {x: 1}\none: *b\ntwo: *b\n", Limits())
    assert not parsed.problems
    assert parsed.documents[0]["two"] == {"x": 1}


def test_alias_limit_is_configurable() -> None:
    text = "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nb: [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    assert not parse_text(text, Limits()).problems
    (problem,) = parse_text(text, Limits(max_alias_nodes=100)).problems
    assert problem.code == "yaml.alias-bomb"


def test_discovery_is_by_content_and_skips_tool_folders(write_repo: WriteRepo) -> None:
    repo = write_repo(
        {
            "anywhere/deep/model.yml": MODEL.format(name="a"),
            "node_modules/pkg/model.yaml": MODEL.format(name="b"),
            ".venv/x.yaml": MODEL.format(name="c"),
            "notes.txt": MODEL.format(name="d"),
            "k8s.yaml": "apiVersion: apps/v1\nkind: Deployment\n",
            "drafts/wip.yaml": "apiVersion: aigov/v1\nkind: [\n",
        }
    )
    result = validate_repo(repo, AigovConfig(exclude=["drafts/*"]))
    assert result.findings == []
    assert [d.raw.name for d in result.documents] == ["a"]


def test_configured_paths_limit_discovery(write_repo: WriteRepo) -> None:
    repo = write_repo(
        {"gov/a.yaml": MODEL.format(name="a"), "other/b.yaml": "apiVersion: aigov/v1\n"}
    )
    result = validate_repo(repo, AigovConfig(paths=["gov"]))
    assert result.findings == []
    assert result.documents_checked == 1


def test_unreadable_file_is_a_finding(write_repo: WriteRepo) -> None:
    repo = write_repo({"m.yaml": MODEL.format(name="m")})
    (repo / "gone.yaml").symlink_to(repo / "deleted.yaml")  # dangling, inside the repo
    result = validate_repo(repo, AigovConfig(), [Path(repo / "gone.yaml")])
    (finding,) = result.findings
    assert finding.rule_id == "file.unreadable"
    assert str(finding.location) == "gone.yaml"
    assert "No such file or directory" in finding.message
