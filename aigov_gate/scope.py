"""What decides which checks apply to a Model, Dataset or EvidenceArtifact the base has.

* :func:`tier_lowered`: a Model whose ``risk_tier`` the change lowers
  (``risk.tier-lowered``).
* :func:`narrowed`: a Model or Dataset the change deletes or renames, or a Model, Dataset
  or EvidenceArtifact whose ``_SCOPE`` fields it narrows (``scope.narrowed``).

Each is an :class:`AuthorityChange`, which stands only with the base's authority sign-off
bound to it. Widening is no change. Nothing here does I/O.
"""

from __future__ import annotations

from aigov_gate.authority import AuthorityChange
from aigov_gate.references import Checked
from aigov_gate.result import Location

Path = tuple[str | int, ...]

#: Risk tiers from the least to the most checked.
_TIERS = ("minimal", "limited", "high", "prohibited")


def tier_lowered(old: Checked, docs: list[Checked]) -> list[AuthorityChange]:
    """A Model the base has whose ``risk_tier`` the change lowers: which checks apply, the
    sign-off needed and the incident clocks follow the tier (``risk.tier-lowered``)."""
    was = old.model.spec.risk_tier
    for doc in docs:
        tier = doc.model.spec.risk_tier
        if _TIERS.index(tier) < _TIERS.index(was):
            name = old.model.metadata.name
            return [
                AuthorityChange(
                    f"Model/{name}",
                    doc.raw.locate(("spec", "risk_tier")),
                    was,
                    tier,
                    "risk.tier-lowered",
                    f"Model {name} lowers its risk_tier {was} -> {tier}: the checks, sign-off "
                    "and incident clocks that judge it follow the tier (now ",
                )
            ]
    return []


_ROLE: Path = ("spec", "eu_ai_act", "role")
_CLASSIFICATION: Path = ("spec", "data_classification")
_PII: Path = ("spec", "contains_pii")

#: The fields that decide which checks apply: removing or changing what they name (a
#: Model's datasets by name), turning ``contains_pii`` off or lowering
#: ``data_classification`` narrows the scope (``scope.narrowed``).
_SCOPE: dict[str, tuple[Path, ...]] = {
    "Model": (
        ("spec", "eu_ai_act", "annex_iii_category"),
        _ROLE,
        ("spec", "frameworks"),
        ("spec", "datasets"),
        _PII,
        _CLASSIFICATION,
    ),
    "Dataset": (_PII, ("spec", "protected_attributes")),
    "EvidenceArtifact": (_PII,),
}
#: What an absent field means (the documents' defaults): a Model without a role is a
#: provider's, so dropping ``role: deployer`` is a change of role too.
_DEFAULTS: dict[Path, object] = {_ROLE: "provider", _CLASSIFICATION: "internal"}
#: Ordered fields, from the least to the most checked: only a lower value narrows.
_ORDERED: dict[Path, tuple[str, ...]] = {
    _CLASSIFICATION: ("public", "internal", "confidential", "restricted")
}
#: What may be deleted only with sign-off (an EvidenceArtifact's fields only judge it).
_KEPT = ("Model", "Dataset")
_RULE = "scope.narrowed"


def narrowed(old: Checked, docs: list[Checked], source: str) -> list[AuthorityChange]:
    """A Model or Dataset the base has that the change deletes (or renames), or a Model,
    Dataset or EvidenceArtifact whose ``_SCOPE`` fields it narrows: each is an authority
    change (``scope.narrowed``)."""
    kind, name = old.model.kind, old.model.metadata.name
    if not docs:
        if kind not in _KEPT:
            return []
        at = old.raw.locate(("metadata", "name"))
        where = Location(at.path.partition(":")[2] or at.path, at.line, at.column)
        note = (
            f"{kind} {name} is on record at {source}, and the checks that apply follow from "
            "it: this change deletes or renames it (now "
        )
        return [AuthorityChange(f"{kind}/{name}", where, "on record", "deleted", _RULE, note)]
    out = []
    for path in _SCOPE[kind]:
        was = _value(old.raw.data, path)
        for doc in docs:
            now = _value(doc.raw.data, path)
            if _narrower(was, now, _ORDERED.get(path)):
                field = path[-1]
                note = (
                    f"{kind} {name} narrows {field}, which decides the checks that apply to "
                    "it (now "
                )
                before, after = f"{field}: {_show(was)}", f"{field}: {_show(now)}"
                out.append(
                    AuthorityChange(
                        f"{kind}/{name}", doc.raw.locate(path), before, after, _RULE, note
                    )
                )
                break
    return out


def _value(data: object, path: Path) -> object:
    """The field's value (its default when absent); a list of entries by their names."""
    for step in path:
        data = data.get(step) if isinstance(data, dict) else None
    if data is None:
        return _DEFAULTS.get(path)
    if isinstance(data, list):
        return [v.get("name") if isinstance(v, dict) else v for v in data]
    return data


def _narrower(was: object, now: object, order: tuple[str, ...] | None = None) -> bool:
    """Whether ``now`` covers less than ``was``: a name removed from a list, ``true`` turned
    off, an ordered value lowered, any other value removed or changed (the base's value is
    what the checks were chosen by)."""
    if isinstance(was, list):
        return bool(
            {str(v) for v in was} - {str(v) for v in (now if isinstance(now, list) else [])}
        )
    if isinstance(was, bool):
        return was and now is not True
    if order is not None and was in order:
        return now not in order or order.index(str(now)) < order.index(str(was))
    return was is not None and now != was


def _show(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return "(none)" if value is None else str(value)
