"""What the gate finds about the documents a regulator asks for (issue 42)."""

from __future__ import annotations

from aigov_gate.rules import RuleInfo, rule

RECORD_RULES: tuple[RuleInfo, ...] = (
    rule(
        "eu-ai-act.annex-iv-incomplete",
        "The model's Annex IV technical documentation has gaps",
        "high",
        "At a production deploy, for each high-risk model Annex IV applies to (provider role) "
        "on the evaluation day, as the framework pack in force dates it (with "
        "`compliance.applies_from`): the dossier `aigov report annex-iv` writes has no gap. "
        "Each gap is a detail line: the point, what is missing, what fills it. Cannot be "
        "waived: a waiver does not write the documentation.",
        "A high-risk system may be placed on the market only with its technical documentation "
        "drawn up (Art. 11, Annex IV) and kept current.",
        "Run `aigov report annex-iv MODEL` and record what each gap names.",
        "eu-ai-act:Art. 11",
        "eu-ai-act:Annex IV",
        waivable=False,
    ),
)
