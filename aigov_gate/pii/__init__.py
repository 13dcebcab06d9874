"""Personal data in text: detection, masking, and the finding for undeclared PII.

What is detected and how (docs/evidence.md, "Personal data in outputs"): e-mail
addresses (international ones too), phone numbers validated by libphonenumber for the
configured regions, IBANs by registry country, length, BBAN structure and mod 97, card
numbers by issuer prefix, length and Luhn, IP addresses by ``ipaddress``. A value glued to
a longer token (a UUID, a digest, a fingerprint, a generated id) is not personal data.

    >>> mask("write to lena.martin@acme-bank.example or +44 20 7946 0958")
    'write to [redacted:email] or [redacted:phone]'

Masking is on by default for everything that leaves the process (reports, annotations,
webhook payloads, log lines); ``AIGOV_PII_MASKING_ENABLED=false`` turns it off. A JSON
document stays the same JSON document (``structured.py``).

``engine.py`` holds the scanner (RE2 first, validation only where RE2 found a candidate),
``detectors.py`` the detectors, ``files.py`` the file scan.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from aigov_gate.config import AigovConfig, PiiConfig
from aigov_gate.documents.assets import Dataset, EvidenceArtifact, Model
from aigov_gate.documents.testing import TestRun
from aigov_gate.pii.engine import Match, Scanner
from aigov_gate.pii.files import Scan, Stopped, scan_file, scan_paths
from aigov_gate.pii.structured import mask_output
from aigov_gate.references import Checked
from aigov_gate.result import Finding, Severity

__all__ = [
    "MASKING_ENV",
    "RULE",
    "Match",
    "Scan",
    "Scanner",
    "Stopped",
    "check_undeclared",
    "mask",
    "mask_output",
    "masker",
    "masking_enabled",
    "scan_file",
    "scan_paths",
    "strings",
]

RULE = "pii.undeclared"
MASKING_ENV = "AIGOV_PII_MASKING_ENABLED"
_FALSE = {"0", "false", "no", "off"}


def masking_enabled(config: PiiConfig | None = None, env: Mapping[str, str] | None = None) -> bool:
    value = (os.environ if env is None else env).get(MASKING_ENV)
    if value is not None:
        return value.strip().lower() not in _FALSE
    return config.masking if config is not None else True


def masker(config: AigovConfig | None = None) -> Callable[[str], str]:
    """The function every output goes through: masking, or identity when turned off."""
    pii = config.pii if config is not None else None
    if not masking_enabled(pii):
        return lambda text: text
    plain = Scanner(pii).mask
    return lambda text: mask_output(text, plain)


def mask(text: str) -> str:
    """Mask with the built-in detectors (for places without a config: error messages)."""
    return masker()(text) if text else text


def strings(
    value: Any, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every string value (not key) of parsed YAML/JSON, with its path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from strings(item, (*path, i))


def _declared(doc: Checked) -> Sequence[tuple[tuple[str | int, ...], bool]]:
    """Where the document states contains_pii, and what it states."""
    model = doc.model
    if isinstance(model, Model | Dataset | EvidenceArtifact):
        return [(("spec", "contains_pii"), model.spec.contains_pii)]
    if isinstance(model, TestRun):
        return [
            (("spec", "results", i, "contains_pii"), r.contains_pii)
            for i, r in enumerate(model.spec.results)
        ]
    return []


def check_undeclared(doc: Checked, root: Path, scanner: Scanner) -> Iterator[Finding]:
    """A finding where a document says contains_pii: false (or leaves the default) and has PII.

    The document's own string values are scanned, and an EvidenceArtifact's text file.
    The message names the kind of data and where it is, never the data itself.
    """
    declared = _declared(doc)
    if not declared or all(flag for _, flag in declared):
        return
    model = doc.model
    for path, flag in declared:
        if flag:
            continue
        scope = path[:-1]
        node: Any = doc.raw.data
        for step in scope:
            if isinstance(node, dict):
                node = node.get(step)
            elif isinstance(node, list) and isinstance(step, int) and step < len(node):
                node = node[step]
            else:
                node = None
        for where, text in strings(node, scope):
            hits = scanner.find(text)
            if hits:
                yield _finding(doc, path, f"{hits[0].kind} in {_dotted(where)}")
                break
        else:
            if isinstance(model, EvidenceArtifact) and model.spec.path:
                hit = scan_file(root / model.spec.path, scanner)
                if hit is not None:
                    where_ = f"{model.spec.path}:{hit.line}:{hit.column}"
                    yield _finding(doc, path, f"{hit.kind} in the artifact at {where_}")


def _dotted(path: tuple[str | int, ...]) -> str:
    return ".".join(str(p) for p in path)


def _finding(doc: Checked, path: tuple[str | int, ...], what: str) -> Finding:
    return Finding(
        RULE,
        Severity.HIGH,
        f"{doc.raw.kind} '{doc.raw.name}' declares no personal data, but holds some ({what})",
        doc.raw.locate(path),
        doc.raw.target,
        "set contains_pii: true (evidence bundles then encrypt it), or remove the personal "
        "data; `aigov pii scan PATH` lists every match",
    )
