"""The built-in rule catalog: every stable rule id, what it checks, why, and how to fix it.

Pure data. ``aigov explain RULE_ID`` prints an entry, SARIF carries them as ``rules``,
and docs/rules.md is generated from it (a test keeps the page in step).

    >>> RULES["metric.disparity"].severity
    'high'
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

PACKS = ("baseline", "eu-ai-act-high-risk", "nist-ai-rmf", "iso-42001")
DOCS_URL = "https://github.com/aigov-gate/aigov-gate/blob/main/docs/rules.md"


@dataclass(frozen=True, slots=True)
class RuleInfo:
    id: str
    title: str
    severity: str
    checks: str
    why: str
    fix: str
    clauses: tuple[str, ...] = field(default=())

    @property
    def anchor(self) -> str:
        return self.id.replace(".", "")

    @property
    def help_uri(self) -> str:
        return f"{DOCS_URL}#{self.anchor}"


def _r(
    id: str, title: str, severity: str, checks: str, why: str, fix: str, *clauses: str
) -> RuleInfo:
    return RuleInfo(id, title, severity, checks, why, fix, clauses)


BUILTIN: tuple[RuleInfo, ...] = (
    _r(
        "metric.threshold",
        "A metric misses its threshold",
        "high",
        "Each metric of the TestPlan (per slice when `slice_key` is set) against its operator "
        "(>=, <=, >, <, ==, between) in the latest completed run of the model's version. "
        "High for required tests, low for optional ones.",
        "A model that misses the accuracy or fairness its own plan demands must not ship.",
        "Improve the model and record a new run, or change the plan in a reviewed pull request.",
        "eu-ai-act:Art. 15",
        "nist-ai-rmf:MEASURE 2.3",
        "iso-iec-42001:A.6.2.4",
    ),
    _r(
        "metric.missing",
        "A required metric has no value",
        "high",
        "Every metric (and, with `slice_key`, at least one slice) the plan requires appears "
        "in the run's result for that test.",
        "A metric that was not measured cannot have passed.",
        "Measure it and add it to the run's results, or mark the test `required: false`.",
        "eu-ai-act:Art. 15",
    ),
    _r(
        "metric.insufficient-evidence",
        "The evidence cannot decide a metric",
        "medium",
        "A metric with `min_n` measured on fewer rows (or with no `n`), or with `decide_on: "
        "lower_bound | upper_bound` whose confidence interval is missing or straddles the "
        "threshold: neither a pass nor a fail. Medium (a warning) at a merge, high (blocking) "
        "at a production deploy: `gate.insufficient_evidence` and "
        "`gate.insufficient_evidence_production` in .aigov.yaml; low for optional tests.",
        "A 40-row slice passes a point threshold by luck; an interval that crosses the bar "
        "has not shown the model clears it.",
        "Measure on more rows (`aigov metrics compute --bootstrap N` gives the interval), or "
        "change min_n / decide_on in a reviewed change.",
        "eu-ai-act:Art. 15",
    ),
    _r(
        "metric.disparity",
        "Slices differ more than allowed",
        "high",
        "`max_disparity` across the slices of one metric: `ratio` is min/max and must be at "
        "least the limit (the four-fifths rule is 0.8); `difference` is max - min and must be "
        "at most the limit.",
        "Each slice can pass its own threshold while one group is treated far worse than "
        "another: the disparity is the discrimination signal.",
        "Mitigate (reweighting, per-segment thresholds), re-run, and record the mitigation in "
        "the risk assessment.",
        "eu-ai-act:Art. 10",
        "nist-ai-rmf:MEASURE 2.11",
    ),
    _r(
        "metric.regression",
        "A metric got worse than the baseline beyond tolerance",
        "high",
        "With `max_regression` on a metric: the worsening against the baseline run (the base "
        "ref's latest completed run with `--base`, else the latest completed run of another "
        "version), in the direction the operator says is better.",
        "A new version can pass a lax threshold and still be clearly worse than what runs today.",
        "Find the cause, or raise `max_regression` in a reviewed change to the plan.",
        "eu-ai-act:Art. 15",
    ),
    _r(
        "test.claim-contradiction",
        "A run claims passed/failed but its numbers say otherwise",
        "high",
        "A `passed` value written in a run (per metric or per test) is a claim: the gate "
        "recomputes it from the value and the plan's threshold.",
        "Pipelines copy stale flags; a reviewer must not trust `passed: true` next to a failing "
        "number.",
        "Remove the `passed` claims or fix them; the gate computes the outcome itself.",
    ),
    _r(
        "test.threshold-mismatch",
        "A run records a different threshold than the plan",
        "low",
        "A metric's `threshold` in the run differs from the plan's.",
        "The plan is authoritative; a different threshold in the run usually means the "
        "pipeline uses an old plan.",
        "Make the pipeline read thresholds from the plan.",
    ),
    _r(
        "test.missing-run",
        "No completed test run for the model's version",
        "high",
        "A model with an applicable TestPlan has a `completed` TestRun for the exact version "
        "being gated. Pending, running, failed and cancelled runs do not count.",
        "Without evidence of testing, a new version is untested, whatever the last one showed.",
        "Run the plan against this version and commit the TestRun.",
        "eu-ai-act:Art. 9",
        "iso-iec-42001:A.6.2.4",
    ),
    _r(
        "test.required-missing",
        "A required test has no result",
        "high",
        "Each `required` test of the plan has a result in the run that counts.",
        "Skipping the fairness test must not look like passing it.",
        "Run the test and add its result, or make it `required: false` in a reviewed change.",
    ),
    _r(
        "test.no-plan",
        "A high-risk model has no test plan",
        "high",
        "Models of risk tier `high` or `prohibited` are covered by at least one TestPlan "
        "(by name or by labels).",
        "High-risk systems must be tested against defined metrics before release.",
        "Add a TestPlan whose `applies_to` names the model.",
        "eu-ai-act:Art. 9",
        "eu-ai-act:Art. 15",
    ),
    _r(
        "test.run-not-completed",
        "The newest run of this version did not complete",
        "info",
        "The latest run recorded for the version is pending, running, failed or cancelled; "
        "the gate uses the latest completed one instead.",
        "So a reader knows which run the decision rests on.",
        "Finish or re-run the test; nothing to do if the completed run is the one you mean.",
    ),
    _r(
        "risk.assessment-missing",
        "A high-risk model has no risk assessment for its version",
        "high",
        "Models of risk tier `high` or `prohibited` have a RiskAssessment whose "
        "`model_version` is the version being gated (an assessment without `model_version` "
        "covers the manifest's current version).",
        "Each version of a high-risk system can change its risks; the assessment must be of "
        "what ships.",
        "Add or update the RiskAssessment for this version.",
        "eu-ai-act:Art. 9",
        "iso-iec-42001:A.5.2",
    ),
    _r(
        "risk.review-overdue",
        "The risk review is overdue",
        "medium",
        "`next_review_date` (or `assessment_date` + `review_frequency_months`) is before the "
        "evaluation date. At a production deployment it is `deploy.review-overdue` instead.",
        "Risk assessments age: data drifts, uses widen, rules change.",
        "Review the assessment and set a new `next_review_date`.",
        "eu-ai-act:Art. 9",
        "nist-ai-rmf:GOVERN 1.5",
    ),
    _r(
        "risk.review-due",
        "The risk review is due soon",
        "info",
        "The review falls within `gate.review_warning_days` (30 by default).",
        "Plan the review before it blocks a production deployment.",
        "Schedule the review.",
    ),
    _r(
        "risk.prohibited",
        "The model is in the prohibited risk tier",
        "critical",
        "A model with `risk_tier: prohibited` (EU AI Act Art. 5 practices).",
        "Prohibited practices may not be placed on the market or used at all.",
        "Withdraw the model, or correct the classification with a documented legal analysis.",
        "eu-ai-act:Art. 5",
    ),
    _r(
        "deploy.not-approved",
        "The risk assessment is not approved",
        "high",
        "Deploying to a production environment needs the version's RiskAssessment with "
        "`approval_status: approved`.",
        "Production use of a high-risk model needs a completed sign-off.",
        "Finish the review and record the approval.",
        "eu-ai-act:Art. 9",
        "eu-ai-act:Art. 17",
    ),
    _r(
        "signoff.unverified",
        "An approval claimed in YAML does not verify",
        "high",
        "A RiskAssessment with `approval_status: approved` needs approvals that verify with the "
        "sign-off provider (`signoff.provider`): GitHub reviews APPROVED on the pull request's "
        "head, GitLab approvals given after the latest push, or approvals recorded with the "
        "assessment's current digest. Each approver must hold an approver role, neither the "
        "pull request's author nor the assessor may approve, a person counts once, and the "
        "risk level's required count and roles must be met (docs/ci.md). At a merge it checks "
        "assessments the pull request changes; at a production deploy it finds the pull request "
        "that last changed the assessment and checks it again.",
        "Anyone can type `approved` into a file; only a sign-off by the right people on the "
        "exact content makes it true.",
        "Get the approvals still needed (the finding lists them) on the current head, or set "
        "approval_status back to under_review.",
        "eu-ai-act:Art. 9",
        "eu-ai-act:Art. 17",
        "iso-iec-42001:A.3.2",
    ),
    _r(
        "signoff.unavailable",
        "The sign-off provider could not be asked",
        "high",
        "Reading reviews or approvals failed: no token, no pull request for the commit that "
        "last changed the assessment, a permission error, a rate limit that outlasted the "
        "retries, or the API being down.",
        "An approval that cannot be checked is not an approval: the gate fails closed.",
        "Follow the hint (usually: give the job a token with read access), then re-run.",
    ),
    _r(
        "signoff.not-checked",
        "Sign-off not checked: no pull request in context",
        "info",
        "With the github or gitlab provider, a merge gate outside a pull-request pipeline (and "
        "without --pr) cannot see reviews; approved assessments are then verified at the "
        "production deploy gate.",
        "A local run should not pretend to know who approved.",
        "Run in a pull-request pipeline, or pass --pr N.",
    ),
    _r(
        "deploy.production-not-approved",
        "Production use is not approved",
        "high",
        "`production_approved: true` on the version's RiskAssessment for a production environment.",
        "Approval of the assessment is not the same decision as approval to go live.",
        "Have a risk approver set `production_approved` once conditions are met.",
        "eu-ai-act:Art. 26",
    ),
    _r(
        "deploy.condition-unmet",
        "A deployment condition is not met",
        "high",
        "Every `deployment_conditions` entry of the RiskAssessment has `met: true` before a "
        "production deployment.",
        "Conditions are the mitigations the approvers relied on.",
        "Meet the condition, record the evidence and set `met: true`.",
    ),
    _r(
        "deploy.tests-failing",
        "Required tests do not pass for this version",
        "high",
        "At the deploy stage: every required test of every applicable plan passes in the "
        "latest completed run of the version being deployed.",
        "Only a version that passed its tests may run where it affects people.",
        "Fix the failing tests (see the metric findings) and record a new run.",
        "eu-ai-act:Art. 15",
    ),
    _r(
        "deploy.review-overdue",
        "Production deployment with an overdue risk review",
        "high",
        "No production deployment while the version's risk review is overdue.",
        "An out-of-date assessment cannot justify going live.",
        "Review the assessment first.",
        "eu-ai-act:Art. 9",
    ),
    _r(
        "data.pii-undeclared",
        "The model uses personal data but does not say so",
        "high",
        "A model using a dataset with `contains_pii: true` must declare `contains_pii: true`.",
        "PII flows into the model: retention, access and DPIA duties follow it.",
        "Set `contains_pii: true` on the model.",
        "gdpr:Art. 30",
        "gdpr:Art. 35",
    ),
    _r(
        "data.classification",
        "The model is classified below its data",
        "high",
        "A model's `data_classification` is at least the strictest classification of its "
        "datasets (public < internal < confidential < restricted).",
        "A model trained on restricted data can leak it; it must be handled as strictly.",
        "Raise the model's `data_classification`.",
        "iso-iec-27001:A.5.12",
    ),
    _r(
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
    _r(
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
    _r(
        "waiver.expired",
        "A waiver has expired",
        "medium",
        "A waiver's `expires` is before the evaluation date: it no longer waives anything.",
        "Exceptions are time-boxed so they get re-decided.",
        "Fix the finding, or renew the waiver with a new approval and date.",
    ),
    _r(
        "waiver.expiring",
        "A waiver expires soon",
        "low",
        "A waiver expires within `gate.waiver_warning_days` (14 by default).",
        "So the finding it hides does not block a release by surprise.",
        "Fix the finding, or renew the waiver.",
    ),
    _r(
        "waiver.unused",
        "A waiver matches no finding",
        "low",
        "A waiver whose policy and target produced no finding in this run.",
        "Stale exceptions accumulate and hide future problems.",
        "Delete the waiver.",
    ),
    _r(
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
    ),
    _r(
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
    ),
    _r(
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
    ),
    _r(
        "authority.changed",
        "The change edits who may decide",
        "high",
        "With `--base`: `roles`, `signoff`, `waivers`, `policy_packs` or `compliance` in "
        ".aigov.yaml, or the allowed-signers file, differ from the base revision. The "
        "base's settings apply to this run; the change needs a sign-off by a member of the base's "
        "`signoff.authority_role` (default security_admin): an approval on the pull request, "
        "or a signed approval in .aigov/authority-approvals.yaml (`aigov approvals sign "
        "--authority`). Blocks whatever `--fail-on` says; cannot be waived.",
        "Whoever could edit the roles in the change being judged could approve it themselves.",
        "Ask a security_admin of the base revision to approve the change.",
        "iso-iec-42001:A.3.2",
    ),
    _r(
        "identity.lookalike",
        "A name imitates another",
        "high",
        "Assessors, approvers and owners are compared after NFKC normalisation, case folding "
        "and trimming; a name mixing scripts (a Cyrillic a, U+0430, in a Latin name) or whose "
        "look-alike skeleton equals another known name is refused. Blocks whatever "
        "`--fail-on` says; cannot be waived.",
        "Separation of duties compares names: a look-alike lets one person act as two.",
        "Spell the name as its owner does everywhere else.",
    ),
    _r(
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
    ),
    _r(
        "test.threshold-loosened",
        "A test plan was loosened together with new results",
        "high",
        "With `--base`: a TestPlan threshold, `max_disparity`, `max_regression`, required "
        "slice, required flag or test is made easier or removed in the same change as new or "
        "changed TestRuns or a model version bump. The finding shows the old and new bar. "
        "Cannot be waived.",
        "A bar moved after the results are known is no bar: thresholds are fixed in advance.",
        "Land the plan change on its own first (reviewed by a risk_approver), then the results.",
        "eu-ai-act:Art. 15",
    ),
    _r(
        "test.no-run",
        "A model has no test plan and no completed run",
        "medium",
        "A model below high risk that no TestPlan covers and that has no completed TestRun for "
        "its version. Warns at merge; a production deploy blocks (`deploy.untested`).",
        "Nothing shows the model was tested at all.",
        "Add a TestPlan and commit a completed TestRun.",
    ),
    _r(
        "deploy.untested",
        "A production deploy without a completed test run",
        "high",
        "Every model deployed to a production environment has a completed TestRun for the "
        "version, whatever its risk tier. Cannot be waived.",
        "Production use of an untested version is not a risk anyone accepted.",
        "Run the tests against this version and commit the TestRun.",
        "eu-ai-act:Art. 15",
    ),
    _r(
        "deploy.assessment-missing",
        "A production deploy without a risk assessment",
        "high",
        "Every model deployed to a production environment has a RiskAssessment bound to the "
        "version (its `model_version`, or the model's current version), whatever the risk "
        "tier; it must then be approved (`deploy.not-approved`). Cannot be waived.",
        "Minimal-risk is a classification someone must have assessed and signed off.",
        "Add the RiskAssessment for this version and get it approved.",
        "eu-ai-act:Art. 9",
    ),
    _r(
        "policy.syntax-error",
        "A policy's CEL expression does not compile",
        "high",
        "`rule`, `applies_to.selector` and every `{{...}}` in `message` compile as CEL.",
        "A broken rule checks nothing; the gate fails closed.",
        "Fix the expression at the caret.",
    ),
    _r(
        "policy.unknown-variable",
        "A policy uses a variable the context does not have",
        "high",
        "Names in a rule are context variables (docs/policies.md) or comprehension variables.",
        "A misspelt variable would fail at every evaluation.",
        "Use one of the documented variables.",
    ),
    _r(
        "policy.unknown-function",
        "A policy calls a function CEL does not have",
        "high",
        "Functions in a rule are CEL's own or those of the cel-go extension libraries "
        "(strings, math, lists, sets; docs/policies.md).",
        "An unknown function would fail at every evaluation.",
        "Use one of the documented functions.",
    ),
    _r(
        "policy.too-complex",
        "A policy's CEL expression is too large or too deep",
        "high",
        "Before compiling: at most 16 KiB, brackets nested at most 64 deep, at most 500 "
        "operators, and comprehensions (`all`, `exists`, `map`, `filter`) nested at most 2 "
        "deep. Blocks whatever `--fail-on` says.",
        "The CEL parser recurses (30,000 chained terms crash it) and its evaluation cannot "
        "be interrupted: nested comprehensions multiply their cost without bound.",
        "Split the rule into several policies, or move the work out of nested comprehensions.",
    ),
    _r(
        "policy.eval-error",
        "A policy failed to evaluate on a target",
        "high",
        "Evaluating the rule raised an error (missing field, type mismatch) or returned "
        "something other than true/false. The finding takes the policy's own severity, at "
        "least high; it blocks whatever `--fail-on` says and cannot be waived.",
        "A rule that cannot decide must not pass: the gate fails closed.",
        "Guard optional values (`risk != null && ...`, `has(x.field)`), or fix types.",
    ),
    _r(
        "gate.no-policies",
        "No policy was evaluated",
        "high",
        "At least one Policy (of the repository or an enabled pack) applies to this stage.",
        "A gate that evaluates nothing must not pass.",
        "Enable a pack (`policy_packs: [baseline]`) or add policies.",
    ),
    _r(
        "gate.model-unchecked",
        "No check applies to a model",
        "high",
        "Each gated model has at least one applicable TestPlan or Policy.",
        "A model nothing looks at must not pass by default.",
        "Add a TestPlan for it, or enable a policy pack that covers it.",
    ),
    _r(
        "gate.no-models",
        "No model to gate",
        "high",
        "The repository has at least one Model document.",
        "A gate about models that sees none must not pass.",
        "Add Model documents, or check `paths` in .aigov.yaml.",
    ),
    _r(
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
    _r(
        "compliance.understated",
        "A mapping declares a worse compliance status than the evidence supports",
        "info",
        "The same comparison, the other way: the clause derives as better than declared.",
        "Reports that disagree with themselves confuse readers; usually the declaration is old.",
        "Declare the derived status, or drop `compliance_status` and let it be derived.",
    ),
    _r(
        "compliance.coverage-below",
        "Too few applicable clauses of a framework are assessed for a model",
        "medium",
        "With `compliance.min_coverage` set in .aigov.yaml: per framework and model, the share "
        "of applicable, non-voluntary leaf clauses that something (policy, check, mapping, "
        "crosswalk) assesses.",
        "A clause nothing maps to is a gap no report shows as failing.",
        "Add ComplianceMappings (or policies naming the clause) for the clauses listed.",
    ),
    _r(
        "compliance.date-overridden",
        "A clause's date is set in .aigov.yaml instead of by its catalog",
        "info",
        "Each entry of `compliance.applies_from` in .aigov.yaml (taken from the base revision "
        "with --base): informational when it names a clause, high when it names none.",
        "When counsel reads a date differently from the catalog, every report must say the "
        "law was not applied as published; a misspelt clause would silently do nothing.",
        "Keep the reason current, or remove the override to follow the catalog again.",
    ),
    _r(
        "compliance.unknown-framework",
        "`frameworks` in .aigov.yaml names a framework that does not exist",
        "high",
        "Each name in `frameworks` against the built-in catalogs and the repository's "
        "Framework documents.",
        "A misspelt framework silently drops its whole compliance view.",
        "Use a built-in name (`aigov frameworks list`) or add the Framework document.",
    ),
    _r(
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

_VALIDATION_RULES: tuple[tuple[str, str], ...] = (
    ("file.unreadable", "The file cannot be read"),
    ("file.too-large", "The file is larger than `limits.max_file_bytes`"),
    ("file.encoding", "The file is not UTF-8"),
    ("file.binary", "The file is binary"),
    ("file.empty", "The file is empty"),
    ("file.symlink-outside", "A symbolic link points outside the repository"),
    ("yaml.syntax", "The YAML does not parse"),
    ("yaml.unsafe-tag", "A Python or custom YAML tag"),
    ("yaml.bad-value", "A value its YAML tag cannot hold (`!!int x`, a 5,000-digit integer)"),
    ("yaml.duplicate-key", "A mapping key appears twice"),
    ("yaml.alias-bomb", "Aliases expand beyond `limits.max_alias_nodes`"),
    ("yaml.recursive-alias", "An alias refers to itself"),
    ("yaml.too-deep", "Nesting deeper than `limits.max_depth`"),
    ("document.empty", "An empty governance document"),
    ("document.not-a-mapping", "A document that is not a mapping"),
    ("document.missing-api-version", "A document without `apiVersion`"),
    ("schema.unknown-api-version", "An unknown `apiVersion`"),
    ("schema.unknown-kind", "An unknown `kind`"),
    ("schema.unknown-field", "A field the schema does not have"),
    ("schema.missing-field", "A required field is missing"),
    ("schema.invalid-value", "A value of the wrong type or format"),
    ("ref.missing", "A reference to a document that does not exist"),
    ("ref.unknown-clause", "A reference to a clause its framework does not have"),
    ("ref.duplicate-name", "Two documents of one kind with the same name"),
    ("evidence.file-missing", "An evidence file does not exist"),
    ("evidence.digest-mismatch", "An evidence file's sha256 differs from the document"),
    (
        "evidence.remote-unverifiable",
        "An artifact in S3 with a sha256 cannot be fetched to check it (the gate blocks)",
    ),
    ("evidence.path-outside", "An evidence path leaves the repository"),
    ("framework.duplicate-clause", "A clause number appears twice in a framework"),
    (
        "framework.unknown-clause",
        "A clause's parent or superseded_by is not a clause of its framework",
    ),
    ("framework.parent-cycle", "Clauses are their own ancestors"),
    ("policy.unknown-environment", "A policy names an environment .aigov.yaml does not have"),
    ("load.no-documents", "No governance documents found"),
)

VALIDATION: tuple[RuleInfo, ...] = tuple(
    RuleInfo(
        rule_id,
        title,
        "high",
        "Checked by `aigov validate` (and by the gate first). See docs/loading.md and "
        "docs/json-output.md.",
        "Invalid documents always block: the gate cannot judge what it cannot read.",
        "Fix the document at the reported line; the hint says how.",
    )
    for rule_id, title in _VALIDATION_RULES
)

RULES: dict[str, RuleInfo] = {rule.id: rule for rule in (*BUILTIN, *VALIDATION)}


def always_blocks(rule_id: str) -> bool:
    """Invalid documents, broken or failing policies and misspelt or forbidden waivers block
    whatever ``--fail-on``."""
    return rule_id in _ALWAYS_BLOCKING


def waivable(rule_id: str, more: Collection[str] = ()) -> bool:
    """Whether a waiver may waive findings of ``rule_id`` (``waiver.not-allowed`` if not).

    ``more`` is ``waivers.unwaivable`` from the config: it can only add to the built-in list.
    """
    return (
        rule_id not in _UNWAIVABLE
        and rule_id not in more
        and not rule_id.startswith(("signoff.", "waiver.", "authority.", "identity."))
    )


_ALWAYS_BLOCKING = frozenset(
    [r.id for r in VALIDATION]
    + [
        "policy.syntax-error",
        "policy.unknown-variable",
        "policy.unknown-function",
        "policy.eval-error",
        "policy.too-complex",
        "waiver.not-allowed",
        "authority.changed",
        "identity.lookalike",
    ]
)

#: What a waiver, written by the people being gated, must never open.
_UNWAIVABLE = _ALWAYS_BLOCKING | {
    "signoff.unverified",
    "signoff.unavailable",
    "deploy.production-not-approved",
    "deploy.assessment-missing",
    "deploy.untested",
    "risk.workflow",
    "test.threshold-loosened",
}
