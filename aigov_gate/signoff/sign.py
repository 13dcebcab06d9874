"""``aigov approvals sign``: sign an approval with your SSH key and record it in the file.

Signing is done by ``ssh-keygen -Y sign`` (as Git does for commits), so keys in an agent,
on a security token or behind a passphrase work as they do for Git. The approval goes
into ``spec.approvals`` of the document (or into ``.aigov/authority-approvals.yaml``)
without touching anything else in the file: comments and layout stay, and the digest is
checked to be unchanged before the file is replaced.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from aigov_gate.errors import UsageError
from aigov_gate.loading.safe_yaml import Limits, parse_text
from aigov_gate.signoff.rules import digest
from aigov_gate.signoff.sshsig import NAMESPACE


@dataclass(frozen=True, slots=True)
class Entry:
    approver: str
    role: str
    day: date
    digest: str
    signature: str
    timestamp: str = ""  # base64 RFC 3161 response over the signature text (--timestamp)

    def lines(self, indent: int) -> list[str]:
        pad = " " * indent
        out = [
            f"{pad}- approver: {self.approver}",
            f"{pad}  role: {self.role}",
            f"{pad}  date: {self.day.isoformat()}",
            f"{pad}  digest: {self.digest}",
            f"{pad}  signature: |",
        ]
        out += [f"{pad}    {line}" for line in self.signature.strip().splitlines()]
        if self.timestamp:
            out.append(f"{pad}  timestamp: |")
            text = self.timestamp
            out += [f"{pad}    {text[i : i + 76]}" for i in range(0, len(text), 76)]
        return out


def ssh_sign(message: bytes, key: Path) -> str:
    """The armored signature ``ssh-keygen -Y sign`` makes of ``message`` with ``key``."""
    program = os.environ.get("AIGOV_SSH_KEYGEN", "ssh-keygen")
    if not key.exists():
        raise UsageError(f"--key {key}: no such file", hint="pass your SSH private (or .pub) key")
    try:
        done = subprocess.run(
            [program, "-Y", "sign", "-q", "-f", str(key), "-n", NAMESPACE],
            input=message,
            capture_output=True,
            check=False,
            timeout=300,
        )
    except FileNotFoundError:
        raise UsageError(
            f"cannot run {program}", hint="install OpenSSH 8.2 or later, or set AIGOV_SSH_KEYGEN"
        ) from None
    except subprocess.TimeoutExpired:
        raise UsageError(f"{program} -Y sign did not finish", hint="check the key") from None
    text = done.stdout.decode("ascii", "replace")
    if done.returncode != 0 or "BEGIN SSH SIGNATURE" not in text:
        err = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(
            f"{program} -Y sign failed: {err[-1] if err else 'no signature'}",
            hint="check the key path and its passphrase; OpenSSH 8.2+ is needed",
        )
    return text


def insert(text: str, index: int, entry: Entry) -> str:
    """``text`` with ``entry`` appended to ``spec.approvals`` of document ``index``."""
    docs = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    root = docs[index] if index < len(docs) else None
    spec = _value(root, "spec")
    if not isinstance(spec, yaml.MappingNode) or spec.flow_style:
        raise UsageError("spec is not a block mapping", hint="add the approval by hand")
    approvals = _value(spec, "approvals")
    lines = text.splitlines(keepends=True)
    if approvals is None:
        indent = spec.value[0][0].start_mark.column
        at = _line_after(spec, lines)
        new = [" " * indent + "approvals:\n"] + [x + "\n" for x in entry.lines(indent + 2)]
    elif isinstance(approvals, yaml.SequenceNode) and not approvals.flow_style:
        at = _line_after(approvals, lines)
        new = [x + "\n" for x in entry.lines(approvals.start_mark.column)]
    elif isinstance(approvals, yaml.SequenceNode) and not approvals.value:
        start, end = approvals.start_mark, approvals.end_mark
        indent = spec.value[0][0].start_mark.column + 2
        block = "\n" + "\n".join(entry.lines(indent))
        head = text[: start.index].rstrip(" ")
        return head + block + text[end.index :]
    else:
        raise UsageError(
            "spec.approvals is a flow sequence with entries", hint="add the approval by hand"
        )
    if at > 0 and not lines[at - 1].endswith("\n"):
        lines[at - 1] += "\n"
    return "".join(lines[:at] + new + lines[at:])


def _value(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key and isinstance(v, yaml.Node):
            return v
    return None


def _line_after(node: yaml.Node, lines: list[str]) -> int:
    """The line index just after the last content line of a block node."""
    end = node.end_mark
    before = lines[end.line][: end.column] if end.line < len(lines) else ""
    at = end.line if not before.strip() else end.line + 1
    while at > 0 and (not lines[at - 1].strip() or lines[at - 1].lstrip().startswith("#")):
        at -= 1  # keep blank lines and comments that follow the node where they are
    return min(at, len(lines))


def check_unchanged(before: str, after: str, index: int, entry: Entry) -> None:
    """The edited file parses, its document has the same digest and one more approval."""
    old = parse_text(before, Limits()).documents[index]
    parsed = parse_text(after, Limits())
    new = parsed.documents[index] if len(parsed.documents) > index else None
    if parsed.problems or not isinstance(new, dict) or digest(new) != digest(old):
        raise UsageError("the file could not be edited safely", hint="add the approval by hand")
    got = (new.get("spec") or {}).get("approvals") or []
    if not got or got[-1].get("signature", "").strip() != entry.signature.strip():
        raise UsageError("the file could not be edited safely", hint="add the approval by hand")


def append_authority(path: Path, entry: Entry) -> None:
    """Add ``entry`` to the list in ``.aigov/authority-approvals.yaml`` (created if needed)."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if not text.strip():
        text = "# Signed approvals of changes to roles, sign-off, waivers, packs or keys.\n"
    if not text.endswith("\n"):
        text += "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    body = text + "\n".join(entry.lines(0)) + "\n"
    parsed = parse_text(body, Limits())
    if parsed.problems or not isinstance(parsed.documents[0], list):
        raise UsageError(f"{path} is not a list of approvals", hint="fix or remove it")
    write(path, body)


def write(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` at once (a ``.part`` file renamed into place)."""
    part = path.with_name(path.name + ".part")
    part.write_text(text, encoding="utf-8")
    part.replace(path)


__all__ = [
    "Entry",
    "append_authority",
    "check_unchanged",
    "digest",
    "insert",
    "ssh_sign",
    "write",
]
