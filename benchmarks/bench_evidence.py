"""Build + verify an evidence bundle over N MiB of artifacts, next to sha256sum of the same files.

    python benchmarks/bench_evidence.py --mib 1024

Artifacts are random bytes (incompressible, like model weights or parquet files), spread
over 8 files referenced by EvidenceArtifact documents. Prints MB/s for sha256sum, the
build (gate + seal) and the verify, and each as a share of sha256sum's throughput.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AIGOV = str(Path(sys.executable).with_name("aigov"))
FILES = 8


def _repo(root: Path, mib: int) -> None:
    (root / "docs").mkdir(parents=True)
    (root / "governance").mkdir()
    (root / ".aigov.yaml").write_text("organization: bench\npaths: [governance]\n")
    (root / "governance/model.yaml").write_text(
        "apiVersion: aigov/v1\nkind: Model\nmetadata:\n  name: big\nspec:\n"
        "  model_type: tabular\n  version: '1.0.0'\n  risk_tier: minimal\n"
    )
    block = 1 << 20
    for i in range(FILES):
        path = root / f"docs/weights-{i}.bin"
        digest = hashlib.sha256()
        with path.open("wb") as fh:
            for _ in range(mib // FILES):
                chunk = os.urandom(block)
                digest.update(chunk)
                fh.write(chunk)
        (root / f"governance/weights-{i}.yaml").write_text(
            f"apiVersion: aigov/v1\nkind: EvidenceArtifact\nmetadata:\n  name: weights-{i}\n"
            f"spec:\n  artifact_type: other\n  path: docs/weights-{i}.bin\n"
            f"  sha256: {digest.hexdigest()}\n  models: [big]\n"
        )
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)


def _time(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mib", type=int, default=1024)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        _repo(root, args.mib)
        env = {**os.environ, "AIGOV_PRIVATE_KEY_DIR": str(Path(tmp) / "private")}
        subprocess.run(
            [AIGOV, "keys", "generate", "--repo", str(root)],
            env=env,
            check=True,
            capture_output=True,
        )
        files = sorted(str(p) for p in (root / "docs").iterdir())
        total = sum(Path(f).stat().st_size for f in files) / 1e6
        sha = _time(["sha256sum", *files], env, root)
        bundle = Path(tmp) / "bundle.tar.gz"
        build = _time([AIGOV, "gate", "--repo", str(root), "--evidence", str(bundle)], env, root)
        verify = _time(
            [AIGOV, "evidence", "verify", str(bundle), "--keyring", str(root / ".aigov/keys")],
            env,
            root,
        )
        both = build + verify
        print(
            f"artifacts: {total:.0f} MB in {FILES} files; "
            f"bundle {bundle.stat().st_size / 1e6:.0f} MB"
        )
        print(f"sha256sum        {sha:6.2f} s  {total / sha:7.1f} MB/s")
        for name, seconds in (("build", build), ("verify", verify)):
            print(
                f"{name:<16} {seconds:6.2f} s  {total / seconds:7.1f} MB/s  "
                f"{100 * sha / seconds:5.1f}% of sha256sum"
            )
        print(
            f"build + verify   {both:6.2f} s  {2 * total / both:7.1f} MB/s per pass  "
            f"{100 * 2 * sha / both:5.1f}% of sha256sum"
        )
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
