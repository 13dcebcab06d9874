"""What the gate finds about the repository and the change: secrets, personal data, waivers,
authority, workflow, policies, the decision itself, compliance and evidence."""

from __future__ import annotations

from aigov_gate.rules import RuleInfo, rule

CHANGE_RULES: tuple[RuleInfo, ...] = (
    rule(
        "secret.inline",
        "A secret is written in a document",
        "critical",
        "ConnectorConfig `configuration` and WebhookSubscription fields hold no secret-like "
        "keys (password, token, secret, api_key, private_key...) or token-shaped values, and "
        "URLs carry no credentials. The value is never printed.",
        "Anything in Git is readable by everyone with the repository, forever.",
        "Rotate the secret now, remove it, and name an environment variable instead "
        "(`secret_envs` / `secret_env`).",
        "iso-iec-27001:A.5.17",
        "soc2:CC6.1",
    ),
    rule(
        "pii.undeclared",
        "A document declares no personal data but holds some",
        "high",
        "Models, datasets, evidence artifacts (and the artifact's text file) and test results "
        "with `contains_pii: false` (the default) are scanned for emails, phone numbers, IBANs, "
        "card numbers (Luhn), IP addresses and the patterns in `pii.patterns`. The finding "
        "names the kind and the field, never the value.",
        "The flag decides whether evidence bundles encrypt the file and whether GDPR duties "
        "apply; a wrong 'no' publishes personal data in plain text.",
        "Set `contains_pii: true`, or remove the personal data; `aigov pii scan PATH` lists "
        "every match.",
        "gdpr:Art. 5",
        "eu-ai-act:Art. 10",
    ),
    rule(
        "waiver.expired",
        "A waiver has expired",
        "medium",
        "A waiver's `expires` is before the evaluation date: it no longer waives anything.",
        "Exceptions are time-boxed so they get re-decided.",
        "Fix the finding, or renew the waiver with a new approval and date.",
        waivable=False,
    ),
    rule(
        "waiver.expiring",
        "A waiver expires soon",
        "low",
        "A waiver expires within `gate.waiver_warning_days` (14 by default).",
        "So the finding it hides does not block a release by surprise.",
        "Fix the finding, or renew the waiver.",
        waivable=False,
    ),
    rule(
        "waiver.unused",
        "A waiver matches no finding",
        "low",
        "A waiver whose policy and target produced no finding in this run.",
        "Stale exceptions accumulate and hide future problems.",
        "Delete the waiver.",
        waivable=False,
    ),
    rule(
        "waiver.not-allowed",
        "A waiver targets a finding that can never be waived",
        "high",
        "Invalid documents, broken or failing policies (`policy.eval-error`), unverified or "
        "unavailable sign-off (`signoff.unverified`, `signoff.unavailable`) and a production "
        "deploy without an approved assessment (`deploy.production-not-approved`) cannot be "
        "waived. The waiver waives nothing, and blocks whatever `--fail-on` says.",
        "A waiver is written by the people being gated: for these findings it would let them "
        "open the gate themselves. The gate fails closed.",
        "Delete the waiver and fix the finding: get the sign-off, fix the policy or the document.",
        always_blocks=True,
    ),
    rule(
        "waiver.unapproved",
        "A waiver's approval does not hold",
        "high",
        "Every name in `approved_by` holds one of `waivers.approver_roles` (default "
        "risk_approver) and is neither the waived model's assessor nor the waiver's owner, "
        "no name imitates another (mixed scripts), and `expires` is at most "
        "`waivers.max_days` (default 90) after `approved_at`.",
        "A waiver is a risk acceptance: accepting a risk is the risk owner's decision, for a "
        "bounded time, never the decision of the people whose work is gated.",
        "Have a member of the approver roles approve it, or shorten it to `waivers.max_days`.",
        "eu-ai-act:Art. 9",
        waivable=False,
    ),
    rule(
        "waiver.unverified",
        "A waiver's sign-off does not verify",
        "high",
        "A waiver needs the same sign-off as a risk assessment: `waivers.approvals` (default "
        "1) approvals by members of `waivers.approver_roles` who are not the author or the "
        "assessor: on the pull request that adds or changes it (github, gitlab), or signed "
        "recorded approvals of its digest (recorded). At a production deploy, through the "
        "pull request that last changed it. It waives nothing until then, and cannot itself "
        "be waived.",
        "Typing a name into `approved_by` is not an approval.",
        "Get the approval on the pull request, or `aigov approvals sign WAIVER`.",
        "eu-ai-act:Art. 9",
        waivable=False,
    ),
    rule(
        "authority.changed",
        "The change edits who may decide",
        "high",
        "With `--base`: any section of .aigov.yaml, the allowed-signers file, a keyring "
        "file or a control document (Policy, Framework, ConnectorConfig, "
        "WebhookSubscription) differs from the base revision (a deletion is reported at the "
        "base file's line). The base's settings and documents apply to this run; the change "
        "needs a sign-off by a member of the base's "
        "`signoff.authority_role` (default security_admin): an approval on the pull request, "
        "or a signed approval in .aigov/authority-approvals.yaml (`aigov approvals sign "
        "--authority`). Blocks whatever `--fail-on` says; cannot be waived.",
        "Whoever could edit the roles in the change being judged could approve it themselves.",
        "Ask a security_admin of the base revision to approve the change.",
        "iso-iec-42001:A.3.2",
        always_blocks=True,
    ),
    rule(
        "identity.lookalike",
        "A name imitates another",
        "high",
        "Assessors, approvers and owners are compared after dropping default-ignorable code "
        "points, NFKC normalisation, case folding and trimming; a name holding an invisible "
        "character (U+200B, U+00AD, U+2060...), mixing scripts by the Unicode Script "
        "property (a Cyrillic a, U+0430, or an Armenian vo, U+0578, in a Latin name), or whose "
        "look-alike skeleton equals another known name is refused, naming the code point. "
        "Blocks whatever `--fail-on` says; cannot be waived.",
        "Separation of duties compares names: a look-alike lets one person act as two.",
        "Spell the name as its owner does everywhere else.",
        always_blocks=True,
    ),
    rule(
        "risk.workflow",
        "The approval workflow was skipped",
        "high",
        "With `--base`: an assessment moves draft -> under_review -> approved | rejected; "
        "rejected re-enters through under_review; a content change after approval returns it "
        "to under_review. Always: `production_approved: true` needs `approval_status: "
        "approved`. Cannot be waived.",
        "An approval that skipped review, or that covers content written after it, approves "
        "nothing.",
        "Take each step in its own reviewed change.",
        "eu-ai-act:Art. 9",
        waivable=False,
    ),
    rule(
        "test.threshold-loosened",
        "A bar a model must reach was lowered",
        "high",
        "With `--base`: for every model x metric x slice key, the strictest bar the base's "
        "TestPlans apply to the model is compared with the loosest bar any of the change's "
        "plans applies to it (plans matched by `applies_to`, not by name: renamed, retargeted "
        "and added plans count, whether or not results moved). A lower threshold, a looser "
        "`max_disparity` or `max_regression`, a dropped slice, a test made optional or a "
        "metric no plan requires any more is a finding, and so is a changed test `command`, "
        "`env`, `results` or `format` (how the result is produced). It stands only when a "
        "risk approver signs the plan off. Cannot be waived.",
        "A bar moved by the change it judges is no bar: thresholds are fixed in advance.",
        "Land the plan change on its own (signed off by a risk_approver), then the results.",
        "eu-ai-act:Art. 15",
        waivable=False,
    ),
    rule(
        "test.no-run",
        "A model has no test plan and no completed run",
        "medium",
        "A model below high risk that no TestPlan covers and that has no completed TestRun for "
        "its version. Warns at merge; a production deploy blocks (`deploy.untested`).",
        "Nothing shows the model was tested at all.",
        "Add a TestPlan and commit a completed TestRun.",
    ),
    rule(
        "deploy.untested",
        "A production deploy without a completed test run",
        "high",
        "Every model deployed to a production environment has a completed TestRun for the "
        "version, whatever its risk tier. Cannot be waived.",
        "Production use of an untested version is not a risk anyone accepted.",
        "Run the tests against this version and commit the TestRun.",
        "eu-ai-act:Art. 15",
        waivable=False,
    ),
    rule(
        "deploy.assessment-missing",
        "A production deploy without a risk assessment",
        "high",
        "Every model deployed to a production environment has a RiskAssessment bound to the "
        "version (its `model_version`, or the model's current version), whatever the risk "
        "tier; it must then be approved (`deploy.not-approved`). Cannot be waived.",
        "Minimal-risk is a classification someone must have assessed and signed off.",
        "Add the RiskAssessment for this version and get it approved.",
        "eu-ai-act:Art. 9",
        waivable=False,
    ),
    rule(
        "policy.syntax-error",
        "A policy's CEL expression does not compile",
        "high",
        "`rule`, `applies_to.selector` and every `{{...}}` in `message` compile as CEL.",
        "A broken rule checks nothing; the gate fails closed.",
        "Fix the expression at the caret.",
        always_blocks=True,
    ),
    rule(
        "policy.unknown-variable",
        "A policy uses a variable the context does not have",
        "high",
        "Names in a rule are context variables (docs/policies.md) or comprehension variables.",
        "A misspelt variable would fail at every evaluation.",
        "Use one of the documented variables.",
        always_blocks=True,
    ),
    rule(
        "policy.unknown-function",
        "A policy calls a function CEL does not have",
        "high",
        "Functions in a rule are CEL's own or those of the cel-go extension libraries "
        "(strings, math, lists, sets; docs/policies.md).",
        "An unknown function would fail at every evaluation.",
        "Use one of the documented functions.",
        always_blocks=True,
    ),
    rule(
        "policy.too-complex",
        "A policy's CEL expression is too large or too deep",
        "high",
        "Before compiling: at most 16 KiB, brackets nested at most 64 deep, at most 500 "
        "operators, and comprehensions (`all`, `exists`, `map`, `filter`) nested at most 2 "
        "deep. Blocks whatever `--fail-on` says.",
        "The CEL parser recurses (30,000 chained terms crash it) and its evaluation cannot "
        "be interrupted: nested comprehensions multiply their cost without bound.",
        "Split the rule into several policies, or move the work out of nested comprehensions.",
        always_blocks=True,
    ),
    rule(
        "policy.eval-error",
        "A policy failed to evaluate on a target",
        "high",
        "Evaluating the rule raised an error (missing field, type mismatch) or returned "
        "something other than true/false. The finding takes the policy's own severity, at "
        "least high; it blocks whatever `--fail-on` says and cannot be waived.",
        "A rule that cannot decide must not pass: the gate fails closed.",
        "Guard optional values (`risk != null && ...`, `has(x.field)`), or fix types.",
        always_blocks=True,
    ),
    rule(
        "gate.no-policies",
        "No policy was evaluated",
        "high",
        "At least one Policy (of the repository or an enabled pack) applies to this stage.",
        "A gate that evaluates nothing must not pass.",
        "Enable a pack (`policy_packs: [baseline]`) or add policies.",
    ),
    rule(
        "gate.model-unchecked",
        "No check applies to a model",
        "high",
        "Each gated model has at least one applicable TestPlan or Policy.",
        "A model nothing looks at must not pass by default.",
        "Add a TestPlan for it, or enable a policy pack that covers it.",
    ),
    rule(
        "gate.no-models",
        "No model to gate",
        "high",
        "The repository has at least one Model document.",
        "A gate about models that sees none must not pass.",
        "Add Model documents, or check `paths` in .aigov.yaml.",
    ),
    rule(
        "compliance.overclaimed",
        "A mapping declares a better compliance status than the evidence supports",
        "high",
        "Each ComplianceMapping's `compliance_status` against the status derived for the "
        "clause and model (docs/compliance.md): declaring compliant where it derives as "
        "partially_compliant, non_compliant or not_assessed, or not_applicable where it applies.",
        "A status written by hand that the evidence does not back is what an auditor finds "
        "first; the derived status is the one that can be shown.",
        "Fix what the finding's reason names (a failing policy, stale evidence, a missing "
        "run), or declare the derived status.",
    ),
    rule(
        "compliance.understated",
        "A mapping declares a worse compliance status than the evidence supports",
        "info",
        "The same comparison, the other way: the clause derives as better than declared.",
        "Reports that disagree with themselves confuse readers; usually the declaration is old.",
        "Declare the derived status, or drop `compliance_status` and let it be derived.",
    ),
    rule(
        "compliance.coverage-below",
        "Too few applicable clauses of a framework are assessed for a model",
        "medium",
        "With `compliance.min_coverage` set in .aigov.yaml: per framework and model, the share "
        "of applicable, non-voluntary leaf clauses that something (policy, check, mapping, "
        "crosswalk) assesses.",
        "A clause nothing maps to is a gap no report shows as failing.",
        "Add ComplianceMappings (or policies naming the clause) for the clauses listed.",
    ),
    rule(
        "compliance.date-overridden",
        "A clause's date is set in .aigov.yaml instead of by its catalog",
        "info",
        "Each entry of `compliance.applies_from` in .aigov.yaml (taken from the base revision "
        "with --base): informational when it names a clause, high when it names none.",
        "When counsel reads a date differently from the catalog, every report must say the "
        "law was not applied as published; a misspelt clause would silently do nothing.",
        "Keep the reason current, or remove the override to follow the catalog again.",
    ),
    rule(
        "compliance.unknown-framework",
        "`frameworks` in .aigov.yaml names a framework that does not exist",
        "high",
        "Each name in `frameworks` against the built-in catalogs and the repository's "
        "Framework documents.",
        "A misspelt framework silently drops its whole compliance view.",
        "Use a built-in name (`aigov frameworks list`) or add the Framework document.",
    ),
    rule(
        "evidence.stale",
        "Evidence mapped to a clause no longer counts",
        "medium",
        "Each evidence artifact a ComplianceMapping names, for each gated model: its file "
        "still matches its sha256, it is for this model and version (`models`, "
        "`model_version`), it is not older than the model version (`Model.spec.released`), "
        "and it is younger than its allowed age (`max_age_days`, or `evidence.max_age_days` "
        "in .aigov.yaml).",
        "Last year's model card does not describe this year's model.",
        "Renew the artifact (new file, sha256 and created date) or map other evidence.",
    ),
)
