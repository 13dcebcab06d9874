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
    rule(
        "incident.report-overdue",
        "A serious incident's report to the authority is overdue",
        "high",
        "For each Incident of a high-risk model that its provider became aware of once Art. 73 "
        "applied (the framework pack's date, or `compliance.applies_from`): without "
        "`reported_on`, the evaluation day is after the clock's last day. The clock counts "
        "calendar days from `aware_on`: 2 for a widespread infringement or critical "
        "infrastructure, 10 where a death may be linked, 15 otherwise. `gate --notify` "
        "announces it as `incident.overdue`. Cannot be waived.",
        "Art. 73 sets fixed deadlines for reporting serious incidents to the market "
        "surveillance authority.",
        "Report the incident and record `reported_on` (and `authority`, `reference`).",
        "eu-ai-act:Art. 73",
        waivable=False,
    ),
    rule(
        "incident.rewritten",
        "An incident on record was deleted or rewritten",
        "high",
        "With `--base`: an Incident the base has (keyed by organization and name, not by "
        "path) is deleted by the change, or edited in anything but recording its report "
        "(`reported_on`, `authority`, `reference` where the base leaves them empty). Its "
        "Art. 73 clock runs from the record: moving `aware_on`, changing the type or deleting "
        "the file would silence `incident.report-overdue`. Stands only with the sign-off of "
        "the base's `signoff.authority_role` ('aigov approvals sign --authority'). Blocks "
        "whatever `--fail-on` says; cannot be waived.",
        "A reporting deadline the reported party can move is no deadline.",
        "Restore the incident as the base has it; record the report by adding `reported_on`.",
        "eu-ai-act:Art. 73",
        always_blocks=True,
    ),
    rule(
        "incident.report-due",
        "A serious incident's report is due",
        "low",
        "As `incident.report-overdue`, while the clock still runs: the finding names the "
        "last day and the days left.",
        "So the deadline is seen before it passes.",
        "Report the incident and record `reported_on`.",
        "eu-ai-act:Art. 73",
    ),
    rule(
        "incident.reported-late",
        "A serious incident was reported after its deadline",
        "medium",
        "As `incident.report-overdue`, for an Incident whose `reported_on` is after the "
        "clock's last day.",
        "A late report is a fact the authority will ask about; the record should show it was seen.",
        "Record why it was late in the incident's `description`, and waive with a reason.",
        "eu-ai-act:Art. 73",
    ),
    rule(
        "eu-ai-act.fria-missing",
        "No fundamental rights impact assessment before deployment",
        "high",
        "At a production deploy, for each high-risk model of Annex III point 5(b) or 5(c) "
        "(the cases Art. 27(1) names by point) that its organization deploys (role deployer, "
        "or deployments recorded), once Art. 27 applies: an ImpactAssessment names the model "
        "(for this version or any). Public bodies and providers of public services, the other "
        "Art. 27 cases, are not known to the gate: write a Policy for them.",
        "Art. 27 requires the assessment before first use.",
        "Write an ImpactAssessment covering Art. 27(1) (a) to (f).",
        "eu-ai-act:Art. 27",
    ),
    rule(
        "eu-ai-act.fria-not-notified",
        "The impact assessment was not notified to the authority",
        "medium",
        "At a production deploy, when every ImpactAssessment of the model lacks `notified_on`.",
        "Art. 27(3): the deployer notifies the market surveillance authority of the results.",
        "Notify the authority and record `notified_on`.",
        "eu-ai-act:Art. 27",
    ),
    rule(
        "data.special-category-unrecorded",
        "A special category of personal data is processed without a record of safeguards",
        "high",
        "For each gated model: every protected attribute of its datasets and every slice key "
        "of its plans whose name holds a word of a special category (ethnicity, religion, "
        "health, sexual orientation, ...; docs/dossiers.md lists them) is covered by a "
        "SpecialCategoryProcessing record for the model naming that category: purpose, "
        "strict necessity, pseudonymisation, access limits and a deletion date.",
        "Special categories may be processed to detect and correct bias only under recorded "
        "safeguards (EU AI Act Art. 4a as added by the Digital Omnibus; GDPR Art. 9).",
        "Write a SpecialCategoryProcessing record for the model, or stop using the attribute.",
        "gdpr:Art. 9",
    ),
    rule(
        "data.special-category-retained",
        "Special-category data is kept past its deletion date",
        "medium",
        "A SpecialCategoryProcessing record of a gated model whose `deletion_date` is before "
        "the evaluation day.",
        "The safeguards include deletion once bias is corrected or the retention period ends.",
        "Delete the data and retire the record, or record a new deletion date with the reason.",
        "gdpr:Art. 9",
    ),
)
