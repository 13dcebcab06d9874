"""How fast ``--model-artifact`` hashes a model directory, against ``model-signing``'s own.

    python benchmarks/bench_artifact.py --mib 256 --files 8

Writes ``--files`` random files totalling ``--mib`` MiB in a temporary folder, then hashes
the folder with aigov's OMS manifest (one thread, standard library) and, when installed,
with ``model_signing.hashing`` (its default: file serialization, a thread pool), and prints
seconds and MiB/s of each (best of ``--repeat``). The root digests must agree.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=256)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from aigov_gate.artifact.manifest import manifest

    with tempfile.TemporaryDirectory(prefix="aigov-bench-") as tmp:
        folder = Path(tmp) / "model"
        folder.mkdir()
        each = args.mib * (1 << 20) // args.files
        for i in range(args.files):
            with (folder / f"shard-{i:03d}.bin").open("wb") as fh:
                for _ in range(each >> 20):
                    fh.write(os.urandom(1 << 20))
        ours = _best(args.repeat, lambda: manifest(folder).root)
        print(f"aigov manifest:     {ours[0]:.3f} s  {args.mib / ours[0]:8.1f} MiB/s")
        try:
            from model_signing import hashing
            from model_signing._signing.signing import Payload
        except ImportError:
            print("model-signing not installed (pip install 'aigov-gate[signing]')")
            return

        def theirs_root() -> str:
            payload = Payload(hashing.Config().hash(folder))  # type: ignore[no-untyped-call]
            return str(payload.statement.pb.subject[0].digest["sha256"])

        theirs = _best(args.repeat, theirs_root)
        print(f"model-signing hash: {theirs[0]:.3f} s  {args.mib / theirs[0]:8.1f} MiB/s")
        print(f"root digests agree: {ours[1] == theirs[1]}")


def _best(repeat: int, work: object) -> tuple[float, str]:
    assert callable(work)
    best, result = float("inf"), ""
    for _ in range(repeat):
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    return best, result


if __name__ == "__main__":
    main()
