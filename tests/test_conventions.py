"""One convention across commands (issue 38): -o/--output with deprecated aliases, --force
on writers, the --format json envelope, schema export --repo. In-process (CliRunner)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import invoke


def test_schema_export_goes_to_the_repository_never_to_a_subfolder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    sub = repo / "governance" / "models"
    sub.mkdir(parents=True)
    (repo / ".aigov.yaml").write_text("organization: acme\n")
    monkeypatch.chdir(sub)
    done = invoke("schema", "export")
    assert done.exit_code == 0, done.output
    assert (repo / ".aigov" / "schemas" / "model.json").is_file()
    assert not (sub / ".aigov").exists()
    # --repo names it from anywhere; --check reads the same place.
    monkeypatch.chdir(tmp_path)
    assert invoke("schema", "export", "--repo", str(repo), "--check").exit_code == 0
    other = tmp_path / "other"
    other.mkdir()
    assert invoke("schema", "export", "--repo", str(other)).exit_code == 0
    assert (other / ".aigov" / "schemas" / "test-run.json").is_file()


def test_schema_export_overwrites_a_changed_schema_only_with_force(tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    assert invoke("schema", "export", "-o", str(out)).exit_code == 0
    assert invoke("schema", "export", "-o", str(out)).exit_code == 0  # same bytes: nothing lost
    (out / "model.json").write_text("{}", encoding="utf-8")
    refused = invoke("schema", "export", "-o", str(out))
    assert refused.exit_code == 2
    assert f"{out / 'model.json'} already exists; not overwriting it" in refused.stderr
    assert "pass --force" in refused.stderr
    assert (out / "model.json").read_text() == "{}"
    assert invoke("schema", "export", "-o", str(out), "--force").exit_code == 0
    assert invoke("schema", "export", "-o", str(out), "--check").exit_code == 0


def test_the_old_out_still_works_and_says_it_is_deprecated(tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    done = invoke("schema", "export", "--out", str(out))
    assert done.exit_code == 0 and (out / "model.json").is_file()
    assert "note: --out is deprecated; use -o/--output (same meaning)" in done.stderr
    assert "deprecated" not in invoke("schema", "export", "-o", str(out)).stderr
    both = invoke("schema", "export", "-o", str(out), "--out", str(tmp_path / "x"))
    assert both.exit_code == 2 and "-o/--output and --out name the same thing" in both.stderr
    # hidden from --help, which shows the one spelling
    shown = invoke("schema", "export", "--help").stdout
    assert "-o, --output" in shown and "--out " not in shown


def _envelope(*args: str) -> dict[str, object]:
    done = invoke(*args, "--format", "json")
    assert done.exit_code in (0, 1), done.output
    body: dict[str, object] = json.loads(done.stdout)
    assert body["schema_version"] == 1
    assert body["tool"] == {"name": "aigov-gate", "version": body["tool"]["version"]}  # type: ignore[index]
    assert body["command"] == " ".join(a for a in args if not a.startswith(("-", "/")))
    return body


def test_frameworks_list_prints_the_envelope() -> None:
    body = _envelope("frameworks", "list")
    ids = [f["id"] for f in body["frameworks"]]  # type: ignore[attr-defined]
    assert "eu-ai-act" in ids and "iso-iec-42001" in ids


def test_writers_refuse_to_overwrite_before_doing_anything(tmp_path: Path) -> None:
    """Every writer checks before it runs: the file is left byte for byte."""
    from conftest import ROOT

    example = str(ROOT / "examples" / "credit-scoring")
    target = tmp_path / "taken"
    target.write_text("mine")
    commands = [
        ["export", "model-card", "credit-scoring", "--repo", example, "-o", str(target)],
        ["export", "cyclonedx", "--repo", example, "-o", str(target)],
        ["compliance", "report", "--repo", example, "-o", str(target)],
        ["report", "html", "--repo", example, "-o", str(target)],
        ["gate", "--repo", example, "-o", f"json={target}"],
        ["frameworks", "export-mapping", "eu-ai-act", "iso-iec-42001", "-o", str(target)],
    ]
    for args in commands:
        done = invoke(*args)
        assert done.exit_code == 2, (args, done.output)
        assert f"{target} already exists; not overwriting it" in done.stderr, args
        assert target.read_text() == "mine", args
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]
