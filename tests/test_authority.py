"""Whose settings decide (authority.py), in-process on real Git repositories."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import git
from sshsign import allowed_signers

from aigov_gate import git as aigov_git
from aigov_gate.authority import FIELDS, digest_of, from_base, from_worktree
from aigov_gate.config import parse_config
from aigov_gate.errors import ConfigError

BASE_CONFIG = """organization: acme
paths: [governance]
roles:
  risk_approver: [miguel]
  security_admin: [sam]
"""
SIGNERS = ".aigov/allowed_signers"


def _repo(tmp_path: Path, config: str = BASE_CONFIG, signers: str | None = None) -> Path:
    root = tmp_path / "repo"
    (root / "governance").mkdir(parents=True)
    (root / "governance" / "README.md").write_text("governance\n", encoding="utf-8")
    (root / ".aigov.yaml").write_text(config, encoding="utf-8")
    if signers is not None:
        (root / ".aigov").mkdir()
        (root / SIGNERS).write_text(signers, encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    return root


def test_the_working_tree_is_all_there_is_without_a_base(tmp_path: Path) -> None:
    root = _repo(tmp_path, signers=allowed_signers(("miguel",)))
    config = parse_config(BASE_CONFIG, ".aigov.yaml")
    authority = from_worktree(root, config)
    assert authority.source == "the working tree"
    assert authority.signers_text == allowed_signers(("miguel",))
    assert authority.changes == []
    assert authority.signers is not None and authority.signers.source == SIGNERS
    assert [s.principals for s in authority.signers.signers] == [("miguel",)]
    assert authority.digest() == digest_of(
        config.model_dump(mode="json", include=set(FIELDS)), allowed_signers(("miguel",))
    )


def test_no_allowed_signers_file_is_none(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    authority = from_worktree(root, parse_config(BASE_CONFIG, ".aigov.yaml"))
    assert authority.signers_text is None and authority.signers is None


@pytest.mark.parametrize("dangling", [False, True])
def test_a_symlinked_allowed_signers_file_is_refused_not_followed(
    tmp_path: Path, dangling: bool
) -> None:
    root = _repo(tmp_path)
    outside = tmp_path / "elsewhere"
    if not dangling:
        outside.write_text(allowed_signers(("miguel",)), encoding="utf-8")
    (root / ".aigov").mkdir()
    (root / SIGNERS).symlink_to(outside)
    with pytest.raises(ConfigError, match="is a symbolic link") as raised:
        from_worktree(root, parse_config(BASE_CONFIG, ".aigov.yaml"))
    assert raised.value.hint == "keep it a plain file in the repository"


def test_an_allowed_signers_file_that_is_not_utf8_is_a_clear_error(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    (root / ".aigov").mkdir()
    (root / SIGNERS).write_bytes(b"miguel \xff\xfe\n")
    with pytest.raises(ConfigError, match="cannot read the allowed-signers file") as raised:
        from_worktree(root, parse_config(BASE_CONFIG, ".aigov.yaml"))
    assert "UTF-8" in (raised.value.hint or "")


def test_the_base_decides_and_the_change_to_it_is_listed_where_it_is(tmp_path: Path) -> None:
    root = _repo(tmp_path, signers=allowed_signers(("miguel",)))
    changed = BASE_CONFIG.replace("[miguel]", "[miguel, mallory]") + "policy_packs: []\n"
    (root / ".aigov.yaml").write_text(changed, encoding="utf-8")
    (root / SIGNERS).write_text(allowed_signers(("miguel", "sam")), encoding="utf-8")
    config = parse_config(changed, ".aigov.yaml")
    authority = from_base(root, config, aigov_git.open_base(root, "HEAD"))
    assert authority.source == "HEAD"
    assert authority.config.roles["risk_approver"] == ["miguel"]
    assert authority.config.policy_packs != []
    assert authority.config.organization == "acme"
    assert authority.signers_text == allowed_signers(("miguel",))
    assert authority.signers is not None and authority.signers.source == f"HEAD:{SIGNERS}"
    assert [(c.what, c.location.line, c.location.column) for c in authority.changes] == [
        ("policy_packs", 6, 1),
        ("roles", 3, 1),
        ("allowed_signers", 1, 1),
    ]
    roles = authority.changes[1]
    assert "mallory" in roles.after and "mallory" not in roles.before
    assert authority.changes[2].before == "1 line(s)" and authority.changes[2].after == "2 line(s)"
    assert authority.base_digest is not None  # the approval binds the base (issue 33)
    assert authority.digest() == digest_of(
        config.model_dump(mode="json", include=set(FIELDS)),
        allowed_signers(("miguel", "sam")),
        base=authority.base_digest,
    )


def test_an_unchanged_base_lists_no_change(tmp_path: Path) -> None:
    root = _repo(tmp_path, signers=allowed_signers(("miguel",)))
    config = parse_config(BASE_CONFIG, ".aigov.yaml")
    authority = from_base(root, config, aigov_git.open_base(root, "HEAD"))
    assert authority.changes == []


def test_deleting_the_allowed_signers_file_is_a_change_without_a_line(tmp_path: Path) -> None:
    root = _repo(tmp_path, signers=allowed_signers(("miguel",)))
    (root / SIGNERS).unlink()
    authority = from_base(
        root, parse_config(BASE_CONFIG, ".aigov.yaml"), aigov_git.open_base(root, "HEAD")
    )
    (change,) = authority.changes
    assert (change.what, change.location.line, change.after) == ("allowed_signers", 0, "0 line(s)")
    assert authority.signers_text == allowed_signers(("miguel",))


def test_adding_an_allowed_signers_file_is_a_change(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    (root / ".aigov").mkdir()
    (root / SIGNERS).write_text(allowed_signers(("sam",)), encoding="utf-8")
    authority = from_base(
        root, parse_config(BASE_CONFIG, ".aigov.yaml"), aigov_git.open_base(root, "HEAD")
    )
    (change,) = authority.changes
    assert (change.what, change.before, change.after) == (
        "allowed_signers",
        "0 line(s)",
        "1 line(s)",
    )
    assert authority.signers_text is None


def test_a_long_setting_is_shortened_in_the_change(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    many = ", ".join(f"person{i}" for i in range(60))
    changed = BASE_CONFIG.replace("[miguel]", f"[{many}]")
    (root / ".aigov.yaml").write_text(changed, encoding="utf-8")
    authority = from_base(
        root, parse_config(changed, ".aigov.yaml"), aigov_git.open_base(root, "HEAD")
    )
    (change,) = authority.changes
    assert len(change.after) == 160 and change.after.endswith("...")
    assert len(change.before) < 160 and not change.before.endswith("...")


def test_a_base_config_that_does_not_load_is_a_clear_error(tmp_path: Path) -> None:
    root = _repo(tmp_path, config="organization: acme\nroles: [not, a, mapping]\n")
    with pytest.raises(ConfigError, match=r"the base's \.aigov\.yaml \(HEAD\) does not load"):
        from_base(root, parse_config(BASE_CONFIG, ".aigov.yaml"), aigov_git.open_base(root, "HEAD"))
    (root / ".aigov.yaml").write_bytes(b"organization: \xff\n")
    git(root, "commit", "-q", "-am", "not utf-8")
    with pytest.raises(ConfigError, match="it is not UTF-8") as raised:
        from_base(root, parse_config(BASE_CONFIG, ".aigov.yaml"), aigov_git.open_base(root, "HEAD"))
    assert "fix it there first" in (raised.value.hint or "")


def test_a_symlink_at_the_base_is_refused(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    (root / ".aigov").mkdir()
    (root / SIGNERS).symlink_to("../.aigov.yaml")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "link")
    (root / SIGNERS).unlink()
    with pytest.raises(ConfigError, match="is not a regular file"):
        from_base(root, parse_config(BASE_CONFIG, ".aigov.yaml"), aigov_git.open_base(root, "HEAD"))
