"""Secrets written into governance documents: reported as critical, never printed.

A secret in Git is readable by everyone with the repository and stays in its history, so
this runs in ``aigov validate`` (pre-commit stops it before the commit) and in the gate.
It looks at ConnectorConfig ``configuration`` (keys named like secrets, values shaped like
tokens), WebhookSubscription fields, and credentials embedded in URLs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from aigov_gate.documents.diagnostics import SECRET_WORDS
from aigov_gate.documents.integrations import ConnectorConfig, WebhookSubscription
from aigov_gate.references import Checked
from aigov_gate.result import Finding, Severity

RULE = "secret.inline"

_TOKEN_SHAPES = re.compile(
    r"(?:ghp_|gho_|ghs_|github_pat_|glpat-|xox[bpas]-|whsec_|sk-|AKIA[0-9A-Z]{16}|"
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----|eyJ[A-Za-z0-9_-]{10,}\.)"
)
_URL_CREDENTIALS = re.compile(r"^[a-z][a-z0-9+.-]*://[^/@\s]+:[^/@\s]*@", re.IGNORECASE)
_ENV_REFERENCE = re.compile(r"^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$")
_HINT = (
    "rotate this secret now (it is in Git history), remove it, and name the environment "
    "variable that holds it instead (secret_envs / secret_env)"
)


def scan(doc: Checked) -> Iterator[Finding]:
    """A critical finding for every secret-looking value in ``doc`` (value never shown)."""
    model = doc.model
    if isinstance(model, ConnectorConfig):
        yield from _walk(doc, model.spec.configuration, ("spec", "configuration"))
    elif isinstance(model, WebhookSubscription) and _URL_CREDENTIALS.match(model.spec.url):
        yield _finding(doc, ("spec", "url"), "the webhook url carries credentials")


def secret_like(name: str) -> bool:
    return any(word in name.lower() for word in SECRET_WORDS)


def _walk(doc: Checked, value: Any, path: tuple[str | int, ...]) -> Iterator[Finding]:
    if isinstance(value, dict):
        for key, item in value.items():
            here = (*path, str(key))
            if secret_like(str(key)) and _is_value(item):
                yield _finding(doc, here, f"'{key}' holds a secret")
            else:
                yield from _walk(doc, item, here)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(doc, item, (*path, i))
    elif isinstance(value, str):
        if _TOKEN_SHAPES.search(value):
            yield _finding(doc, path, "a value has the shape of a token or private key")
        elif _URL_CREDENTIALS.match(value):
            yield _finding(doc, path, "a URL carries credentials")


def _is_value(item: Any) -> bool:
    if isinstance(item, str):
        return bool(item) and not _ENV_REFERENCE.match(item)
    return isinstance(item, int | float) and not isinstance(item, bool)


def _finding(doc: Checked, path: tuple[str | int, ...], what: str) -> Finding:
    dotted = ".".join(str(p) for p in path)
    return Finding(
        RULE,
        Severity.CRITICAL,
        f"{dotted}: {what} (value not shown)",
        doc.raw.locate(path),
        doc.raw.target,
        _HINT,
    )


def from_unknown_field(finding: Finding) -> Finding:
    """An unknown field named like a secret (``secret:`` on a webhook) is a leak, not a typo."""
    return Finding(
        RULE,
        Severity.CRITICAL,
        finding.message + " that looks like a secret (value not shown)",
        finding.location,
        finding.target,
        _HINT,
    )
