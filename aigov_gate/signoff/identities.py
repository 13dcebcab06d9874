"""Names in assessments and approvals that imitate someone: ``identity.lookalike``.

Separation of duties compares names (:func:`aigov_gate.identity.same`); a name spelt
with a Cyrillic a (U+0430) would compare unequal to the person it imitates and slip through.
Such names block, whatever ``--fail-on`` says, and cannot be waived.
"""

from __future__ import annotations

from collections.abc import Iterator

from aigov_gate.config import AigovConfig
from aigov_gate.documents.policy import Waiver
from aigov_gate.documents.risk import RiskAssessment
from aigov_gate.graph import Graph
from aigov_gate.identity import lookalike
from aigov_gate.references import Checked
from aigov_gate.result import Finding, Severity


def _names(doc: Checked) -> Iterator[tuple[tuple[str | int, ...], str]]:
    model = doc.model
    if isinstance(model, RiskAssessment):
        yield ("spec", "assessor"), model.spec.assessor
        for i, approval in enumerate(model.spec.approvals):
            yield ("spec", "approvals", i, "approver"), approval.approver
    elif isinstance(model, Waiver):
        for i, approval in enumerate(model.spec.approvals):
            yield ("spec", "approvals", i, "approver"), approval.approver
    owner = model.metadata.owner
    if owner:
        yield ("metadata", "owner"), owner


def lookalikes(graph: Graph, config: AigovConfig) -> list[Finding]:
    docs = [*graph.by_kind.get("RiskAssessment", []), *graph.waivers]
    known = {m for members in config.roles.values() for m in members if not m.startswith("@")}
    known |= {name for doc in docs for _, name in _names(doc)}
    out = []
    for doc in docs:
        for path, name in _names(doc):
            why = lookalike(name, sorted(known))
            if why:
                out.append(
                    Finding(
                        "identity.lookalike",
                        Severity.HIGH,
                        f"{name!r} is not a name the gate can compare: {why}",
                        doc.raw.locate(path),
                        doc.raw.target,
                        "spell the name in the script its owner uses everywhere else "
                        "(user names are compared after NFKC and case folding)",
                    )
                )
    return out


__all__ = ["lookalikes"]
