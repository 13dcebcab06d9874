"""The packs, catalogs and schemas live at the top of the repository and ship as package
data: found after ``pip install .`` (a real build, installed into a folder) and after
``pip install -e .`` (the install this suite runs against, in CI as on a laptop)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path

import pytest
from conftest import EXAMPLES, ROOT, ci_free_env

SHELVES = {"policies": ".yaml", "frameworks": ".yaml", "schemas": ".json"}


def _packages() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return list(config["tool"]["setuptools"]["packages"])


def test_every_package_folder_is_listed() -> None:
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "aigov_gate").rglob("__init__.py")
    }
    on_disk |= {f"aigov_gate.data.{shelf}" for shelf in SHELVES}
    assert sorted(on_disk) == sorted(_packages())


def test_the_shelves_are_top_level_folders_of_the_repository() -> None:
    for shelf, suffix in SHELVES.items():
        assert sorted((ROOT / shelf).glob(f"*{suffix}")), shelf
        assert not list((ROOT / "aigov_gate" / shelf).glob(f"*{suffix}")), shelf


def test_an_editable_install_reads_them_from_the_top_level_folders() -> None:
    if "site-packages" in str(resources.files("aigov_gate")):
        pytest.skip("aigov_gate is installed, not editable")
    for shelf in SHELVES:
        found = Path(str(resources.files(f"aigov_gate.data.{shelf}")))
        assert found.resolve() == (ROOT / shelf).resolve()


def test_a_built_install_ships_and_finds_them(tmp_path: Path) -> None:
    target = tmp_path / "site"
    env = ci_free_env()
    build = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
         str(ROOT)],
        capture_output=True, text=True, timeout=600, env=env, check=False,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    for shelf, suffix in SHELVES.items():
        shipped = sorted(
            p.name for p in (target / "aigov_gate" / "data" / shelf).glob(f"*{suffix}")
        )
        assert shipped == sorted(p.name for p in (ROOT / shelf).glob(f"*{suffix}")), shelf
    probe = (
        "import aigov_gate, aigov_gate.data as d, aigov_gate.packs as p;"
        "import aigov_gate.frameworks as f;"
        "print(aigov_gate.__file__);"
        "print(len(p.load_pack('baseline')), f.builtin_document('eu-ai-act').model.kind,"
        " len(d.names('schemas')))"
    )
    env["PYTHONPATH"] = str(target) + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run(  # not from the checkout: its aigov_gate/ would come first
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    where, counts = done.stdout.splitlines()
    assert where.startswith(str(target))
    packs, kind, schemas = counts.split()
    assert int(packs) > 0 and kind == "Framework"
    assert int(schemas) == len(list((ROOT / "schemas").glob("*.json")))
    gate = subprocess.run(
        [sys.executable, "-m", "aigov_gate", "gate", "--repo", str(EXAMPLES / "credit-scoring"),
         "--as-of", "2026-12-01"],
        capture_output=True, text=True, env=env, check=False, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert gate.returncode == 0, gate.stdout + gate.stderr
    assert "PASSED" in gate.stdout
