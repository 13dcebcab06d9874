"""Special categories of personal data among a model's protected attributes, and the
record of safeguards their processing needs (EU AI Act Art. 4a; GDPR Art. 9).

An attribute counts as a special category when a word of its name (split at anything
not a letter or digit) is one of ``WORDS``: ``ethnicity``, ``religion``, ``health_status``,
``sexual_orientation``. Sex and age are not special categories; nationality is not either,
though it can stand in for ethnic origin: declare such a proxy in a record of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import date

from aigov_gate.documents.assets import Dataset
from aigov_gate.documents.records import SpecialCategoryProcessing
from aigov_gate.documents.testing import TestPlan
from aigov_gate.graph import Graph, ModelContext
from aigov_gate.references import Checked, of_kind
from aigov_gate.result import Finding, Severity

WORDS: dict[str, str] = {
    **dict.fromkeys(("race", "racial", "ethnic", "ethnicity"), "racial_or_ethnic_origin"),
    **dict.fromkeys(("political", "politics"), "political_opinions"),
    **dict.fromkeys(
        ("religion", "religious", "belief", "beliefs", "faith"),
        "religious_or_philosophical_beliefs",
    ),
    **dict.fromkeys(("union", "unionised"), "trade_union_membership"),
    **dict.fromkeys(("genetic", "genome", "dna"), "genetic"),
    **dict.fromkeys(("biometric", "biometrics"), "biometric"),
    **dict.fromkeys(("health", "disability", "disabled", "medical", "diagnosis"), "health"),
    **dict.fromkeys(("orientation", "lgbt", "lgbtq"), "sex_life_or_sexual_orientation"),
}
_SPLIT = re.compile(r"[^a-z0-9]+")


def category(attribute: str) -> str | None:
    for word in _SPLIT.split(attribute.lower()):
        if word in WORDS:
            return WORDS[word]
    return None


def _attributes(ctx: ModelContext) -> Iterator[tuple[str, Checked, tuple[str | int, ...]]]:
    """Each protected attribute of the model's datasets and each slice of its plans."""
    for d in ctx.datasets:
        if isinstance(d.model, Dataset):
            for i, name in enumerate(d.model.spec.protected_attributes):
                yield name, d, ("spec", "protected_attributes", i)
    for plan in ctx.plans:
        if isinstance(plan.model, TestPlan):
            for i, test in enumerate(plan.model.spec.tests):
                for j, req in enumerate(test.metrics):
                    if req.slice_key:
                        yield req.slice_key, plan, ("spec", "tests", i, "metrics", j, "slice_key")


def findings(graph: Graph, contexts: Iterable[ModelContext], today: date) -> list[Finding]:
    records = of_kind(graph.by_kind["SpecialCategoryProcessing"], SpecialCategoryProcessing)
    out: list[Finding] = []
    for ctx in contexts:
        mine = [
            r
            for r in records
            if r.organization == ctx.model.organization and r.model.spec.model == ctx.name
        ]
        covered = {c for r in mine for c in r.model.spec.categories}
        seen: set[str] = set()
        for name, doc, path in _attributes(ctx):
            kind = category(name)
            if kind is None or kind in covered or kind in seen:
                continue
            seen.add(kind)
            f = ctx.finding(
                "data.special-category-unrecorded",
                Severity.HIGH,
                f"`{name}` is a special category ({kind.replace('_', ' ')}) with no record "
                "of safeguards",
                path,
                "write a SpecialCategoryProcessing record for the model (docs/dossiers.md)",
                doc=doc,
            )
            out.append(replace(f, clauses=("gdpr:Art. 9",)))
        out += [_expired(ctx, r, today) for r in mine if r.model.spec.deletion_date < today]
    return out


def _expired(ctx: ModelContext, doc: Checked[SpecialCategoryProcessing], today: date) -> Finding:
    day = doc.model.spec.deletion_date
    f = ctx.finding(
        "data.special-category-retained",
        Severity.MEDIUM,
        f"{doc.raw.name}: the special-category data was to be deleted by {day}",
        ("spec", "deletion_date"),
        "delete the data and retire the record, or record a new deletion date with why",
        doc=doc,
    )
    return replace(f, details=(f"{(today - day).days} day(s) past the deletion date",))
