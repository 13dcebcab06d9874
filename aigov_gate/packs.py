"""Built-in policy packs: Policy YAML in ``policies/`` (shipped as ``aigov_gate.data.policies``).

    >>> [p.model.metadata.name for p in load_pack("baseline")][:1]
    ['baseline.model-owner']

``.aigov.yaml`` enables packs with ``policy_packs: [baseline, eu-ai-act-high-risk]``
(``baseline`` is on unless the list says otherwise). Pack policies apply to every
organization in the repository. Their findings point at the documents they judge,
never at the pack file, which is not part of the user's repository.
"""

from __future__ import annotations

from functools import cache

from aigov_gate.catalog import PACKS, pack_name
from aigov_gate.data import read_text as shipped_text
from aigov_gate.documents.policy import Policy
from aigov_gate.errors import ConfigError
from aigov_gate.loading import RawDocument, SourceFile
from aigov_gate.loading.safe_yaml import Limits, parse_text
from aigov_gate.references import ALL_ORGANIZATIONS, Checked


def pack_path(name: str) -> str:
    """How findings and reports name a pack file: ``@aigov/policies/NAME.yaml``."""
    return f"@aigov/policies/{name}.yaml"


def pack_text(name: str) -> str:
    name = pack_name(name)
    if name not in PACKS:
        raise ConfigError(
            f"unknown policy pack '{name}'",
            hint=f"known packs: {', '.join(PACKS)} (policy_packs in .aigov.yaml)",
        )
    return shipped_text("policies", f"{name}.yaml")


@cache
def load_pack(name: str) -> tuple[Checked, ...]:
    """The pack's policies, validated. A broken pack is a bug in aigov-gate, not user error."""
    text = pack_text(name)
    parsed = parse_text(text, Limits())
    if parsed.problems:
        raise RuntimeError(f"built-in pack {name} does not parse: {parsed.problems[0]}")
    source = SourceFile(pack_path(name), text)
    policies = []
    for index, data in enumerate(parsed.documents):
        raw = RawDocument(source, index, data)
        policies.append(Checked(raw, Policy.model_validate(data), ALL_ORGANIZATIONS))
    return tuple(policies)


def pack_policies(names: list[str]) -> list[tuple[str, Checked]]:
    """``(pack, policy)`` for every policy of the enabled packs, in pack order."""
    canonical = list(dict.fromkeys(pack_name(name) for name in names))
    return [(name, doc) for name in canonical for doc in load_pack(name)]


def policy_names(names: list[str]) -> frozenset[str]:
    return frozenset(doc.model.metadata.name for _pack, doc in pack_policies(names))


__all__ = ["ALL_ORGANIZATIONS", "PACKS", "load_pack", "pack_policies", "policy_names"]
