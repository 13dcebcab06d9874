"""Files a command writes for the user: reports, exports."""

from __future__ import annotations

from pathlib import Path

from aigov_gate.errors import UsageError


def write_report(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a temporary file renamed into place)."""
    try:
        if path.parent != Path():
            path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise UsageError(
            f"cannot write {path}: {exc.strerror}", hint="check the folder and permissions"
        ) from None
