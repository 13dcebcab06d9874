"""Whether a clause applies to a model on the evaluation day, and since when: its
``applies_to`` (risk tier, EU AI Act role, Annex III area, personal data) and its dates
(``applies_from``, amendments, ``.aigov.yaml`` overrides, the law's entry into force)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, NamedTuple

from aigov_gate.documents.compliance import Applicability
from aigov_gate.frameworks import Catalog
from aigov_gate.graph import ModelContext

if TYPE_CHECKING:
    from aigov_gate.compliance.status import Inputs


class Standing(NamedTuple):
    """Whether a clause applies to a model on the day, why not, whether only its date is
    ahead, and since when it applies (None: no date set; then it always has)."""

    applies: bool
    why: str
    ahead: bool
    since: date | None


def applicable(catalog: Catalog, number: str, ctx: ModelContext, inputs: Inputs) -> Standing:
    """Whether the clause applies to the model on the evaluation day, and since when."""
    applies, today = catalog.applies(number), inputs.today
    if applies.law_from is not None and today < applies.law_from:
        why = f"not yet law: added by {applies.added_by}, in force from {applies.law_from}"
        return Standing(False, why, True, applies.law_from)
    since, why = applies_from(catalog, number, ctx, inputs)
    if since is not None and today < since:
        return Standing(False, why, True, since)
    dates = [d for d in (since, applies.law_from) if d is not None]
    matches, why = _matches(applies.to, ctx)
    return Standing(matches, why, False, max(dates) if dates else None)


def applies_from(
    catalog: Catalog, number: str, ctx: ModelContext, inputs: Inputs
) -> tuple[date | None, str]:
    """When a clause applies to a model as the law stood on the evaluation day, and why.

    The nearest override in ``.aigov.yaml`` (the clause's or an ancestor's up to the clause
    that dates it) wins; else the latest amendment in force, else the date as enacted.
    """
    applies = catalog.applies(number)
    overrides = inputs.config.compliance.applies_from.get(catalog.name, {})
    for clause in (number, *catalog.ancestors(number)):
        override = overrides.get(clause)
        if override is not None:
            day = override.applies_from
            return day, f"applies from {day} (set in .aigov.yaml: {override.reason})"
        if clause == applies.origin:
            break
    since, by = applies.since_on(inputs.today, ctx.spec.spec.released)
    return since, f"applies from {since}" + (f" as amended by {by}" if by else "")


def _matches(to: Applicability, ctx: ModelContext) -> tuple[bool, str]:
    spec = ctx.spec.spec
    if to.risk_tiers and spec.risk_tier not in to.risk_tiers:
        return False, f"for {'/'.join(to.risk_tiers)}-risk systems; {ctx.name} is {spec.risk_tier}"
    act = spec.eu_ai_act
    role = act.role if act is not None else "provider"
    if to.roles and role not in to.roles:
        return False, f"for {'/'.join(to.roles)}s; {ctx.name} is a {role}"
    if to.annex_iii_areas:
        area = (act.annex_iii_category or "")[:1] if act else ""
        if area not in to.annex_iii_areas:
            shown = (
                f"Annex III {act.annex_iii_category}" if area and act else "in no Annex III area"
            )
            return (
                False,
                f"for Annex III area {'/'.join(to.annex_iii_areas)}; {ctx.name} is {shown}",
            )
    if to.personal_data is not None and to.personal_data != _personal_data(ctx):
        state = "processes" if _personal_data(ctx) else "does not process"
        return False, f"{ctx.name} {state} personal data (contains_pii)"
    return True, ""


def _personal_data(ctx: ModelContext) -> bool:
    if ctx.spec.spec.contains_pii:
        return True
    return any(d.model.spec.contains_pii for d in ctx.datasets)
