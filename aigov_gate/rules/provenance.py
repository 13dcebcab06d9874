"""What the gate finds when a change narrows what judges it, rewrites what the base holds,
or brings results nobody vouches for: each needs the base's sign-off (docs/gate.md)."""

from __future__ import annotations

from aigov_gate.rules import RuleInfo, rule

PROVENANCE_RULES: tuple[RuleInfo, ...] = (
    rule(
        "risk.tier-lowered",
        "A model's risk tier was lowered",
        "high",
        "With `--base`: a Model the base has (keyed by organization and name) whose "
        "`risk_tier` the change lowers (prohibited > high > limited > minimal). Which checks "
        "and policies apply, the sign-off an assessment needs and the incident clocks all "
        "follow the tier, so lowering it silences them. Stands only with the sign-off of the "
        "base's `signoff.authority_role` ('aigov approvals sign --authority'). Blocks "
        "whatever `--fail-on` says; cannot be waived.",
        "A model cannot reclassify itself out of the checks that judge it.",
        "Restore the tier, and land a reclassification on its own, signed off.",
        "eu-ai-act:Art. 6",
        always_blocks=True,
    ),
    rule(
        "scope.narrowed",
        "A model's, dataset's or evidence artifact's scope was narrowed",
        "high",
        "With `--base`: a Model or Dataset the base has (keyed by organization and name) "
        "that the change deletes or renames, or whose fields that decide which checks apply "
        "it narrows: a Model's `eu_ai_act.annex_iii_category` or `eu_ai_act.role` removed or "
        "changed, a framework removed from `frameworks`, a dataset removed from `datasets`, "
        "`contains_pii` turned off, `data_classification` lowered (public < internal < "
        "confidential < restricted); a Dataset's `contains_pii` turned off or a name removed "
        "from `protected_attributes`; an EvidenceArtifact's `contains_pii` turned off. "
        "One finding per field, at "
        "its line, naming was and now; adding to them is no finding. Stands only with the "
        "sign-off of the base's `signoff.authority_role` ('aigov approvals sign --authority'). "
        "Blocks whatever `--fail-on` says; cannot be waived.",
        "A change cannot take its model or data out of the checks that judge it.",
        "Restore the field (or the document), and land the narrowing on its own, signed off.",
        "eu-ai-act:Art. 6",
        always_blocks=True,
    ),
    rule(
        "test.run-rewritten",
        "A completed test run was edited or deleted",
        "high",
        "With `--base`: a TestRun that is `completed` at the base (keyed by organization and "
        "name, not by path) is edited or deleted by the change. Completed runs are "
        "append-only: the only exceptions are a deletion after the run's retention date "
        "(`finished_at` plus the base's `retention.test_runs` days) and an edit or deletion "
        "signed off by the base's `signoff.authority_role` ('aigov approvals sign "
        "--authority'), e.g. to erase personal data. Blocks whatever `--fail-on` says; "
        "cannot be waived.",
        "A result rewritten after the fact is no evidence: a failing run edited into a "
        "passing one opens the gate.",
        "Restore the run as the base has it and add a new TestRun for the new result.",
        "eu-ai-act:Art. 12",
        always_blocks=True,
    ),
    rule(
        "test.unattested",
        "A model is judged on a run nobody vouches for",
        "high",
        "The run the model is judged on is claimed: no attestation beside it verifies against "
        "an executor key of the base's keyring (with its bytes unchanged), and no approver in "
        "`testing.attestation.approver_roles` signed its digest. For tiers whose "
        "`testing.attestation.claimed` rule is `block` (high and prohibited by default), with "
        "`--base` at merge and at every production deploy. Cannot be waived.",
        "A TestRun is a YAML file anyone can write: a hand-written run with better numbers "
        "would otherwise be judged like a measured one.",
        "Run the plan with 'aigov test run' where the executor key is (docs/ci.md), commit the "
        "run with its .attestation.json, or have a risk approver sign the run.",
        "eu-ai-act:Art. 15",
        waivable=False,
    ),
    rule(
        "test.harness-changed",
        "A run's numbers came from evaluation code the change wrote",
        "high",
        "With `--base`: the change adds an attested run, and a file or folder its plan's tests "
        "declare as `evaluation_code` (in the base's plan or the change's) is not the base's, "
        "as attested or as the change holds it. It stands only when the run is approved "
        "('aigov approvals sign RUN', `testing.attestation.approver_roles`). Cannot be waived.",
        "Code that computes the numbers judges the model as much as the bar does: changed in "
        "the change it judges, it can print any number.",
        "Land the evaluation code change on its own, then run the tests; or have the run "
        "signed off.",
        "eu-ai-act:Art. 15",
        waivable=False,
    ),
)
