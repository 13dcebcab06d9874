"""What the gate's checks of each model find: metrics, test runs, risk assessments, deployment,
sign-off and data (``policy/metric_checks.py``, ``policy/risk_checks.py``, ``signoff/``)."""

from __future__ import annotations

from aigov_gate.rules import RuleInfo, rule

MODEL_RULES: tuple[RuleInfo, ...] = (
    rule(
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
    rule(
        "metric.missing",
        "A required metric has no value",
        "high",
        "Every metric (and, with `slice_key`, at least one slice) the plan requires appears "
        "in the run's result for that test.",
        "A metric that was not measured cannot have passed.",
        "Measure it and add it to the run's results, or mark the test `required: false`.",
        "eu-ai-act:Art. 15",
    ),
    rule(
        "metric.insufficient-evidence",
        "The evidence cannot decide a metric",
        "medium",
        "A metric with `min_n` above its `n` (the metric's denominator) or with no `n`, or "
        "with `decide_on: "
        "lower_bound | upper_bound` whose confidence interval is missing or straddles the "
        "threshold: neither a pass nor a fail. Medium (a warning) at a merge, high (blocking) "
        "at a production deploy: `gate.insufficient_evidence` and "
        "`gate.insufficient_evidence_production` in .aigov.yaml; low for optional tests.",
        "A 40-row slice passes a point threshold by luck; an interval that crosses the bar "
        "has not shown the model clears it.",
        "Measure on more rows: the finding says about how many, and in which slice (at the "
        "plan metric's `power`, 0.8 by default); `aigov metrics compute --intervals` (or "
        "`--bootstrap N`) gives the interval. Or change min_n / decide_on in a reviewed change.",
        "eu-ai-act:Art. 15",
    ),
    rule(
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
    rule(
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
    rule(
        "test.claim-contradiction",
        "A run claims passed/failed but its numbers say otherwise",
        "high",
        "A `passed` value written in a run (per metric or per test) is a claim: the gate "
        "recomputes it from the value and the plan's threshold.",
        "Pipelines copy stale flags; a reviewer must not trust `passed: true` next to a failing "
        "number.",
        "Remove the `passed` claims or fix them; the gate computes the outcome itself.",
    ),
    rule(
        "test.threshold-mismatch",
        "A run records a different threshold than the plan",
        "low",
        "A metric's `threshold` in the run differs from the plan's.",
        "The plan is authoritative; a different threshold in the run usually means the "
        "pipeline uses an old plan.",
        "Make the pipeline read thresholds from the plan.",
    ),
    rule(
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
    rule(
        "test.required-missing",
        "A required test has no result",
        "high",
        "Each `required` test of the plan has a result in the run that counts.",
        "Skipping the fairness test must not look like passing it.",
        "Run the test and add its result, or make it `required: false` in a reviewed change.",
    ),
    rule(
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
    rule(
        "test.run-not-completed",
        "The newest run of this version did not complete",
        "info",
        "The latest run recorded for the version is pending, running, failed or cancelled; "
        "the gate uses the latest completed one instead.",
        "So a reader knows which run the decision rests on.",
        "Finish or re-run the test; nothing to do if the completed run is the one you mean.",
    ),
    rule(
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
    rule(
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
    rule(
        "risk.review-due",
        "The risk review is due soon",
        "info",
        "The review falls within `gate.review_warning_days` (30 by default).",
        "Plan the review before it blocks a production deployment.",
        "Schedule the review.",
    ),
    rule(
        "risk.prohibited",
        "The model is in the prohibited risk tier",
        "critical",
        "A model with `risk_tier: prohibited` (EU AI Act Art. 5 practices).",
        "Prohibited practices may not be placed on the market or used at all.",
        "Withdraw the model, or correct the classification with a documented legal analysis.",
        "eu-ai-act:Art. 5",
    ),
    rule(
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
    rule(
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
        waivable=False,
    ),
    rule(
        "signoff.unavailable",
        "The sign-off provider could not be asked",
        "high",
        "Reading reviews or approvals failed: no token, no pull request for the commit that "
        "last changed the assessment, a permission error, a rate limit that outlasted the "
        "retries, or the API being down.",
        "An approval that cannot be checked is not an approval: the gate fails closed.",
        "Follow the hint (usually: give the job a token with read access), then re-run.",
        waivable=False,
    ),
    rule(
        "signoff.not-checked",
        "Sign-off not checked: no pull request in context",
        "info",
        "With the github or gitlab provider, a merge gate outside a pull-request pipeline (and "
        "without --pr) cannot see reviews; approved assessments are then verified at the "
        "production deploy gate.",
        "A local run should not pretend to know who approved.",
        "Run in a pull-request pipeline, or pass --pr N.",
        waivable=False,
    ),
    rule(
        "deploy.production-not-approved",
        "Production use is not approved",
        "high",
        "`production_approved: true` on the version's RiskAssessment for a production environment.",
        "Approval of the assessment is not the same decision as approval to go live.",
        "Have a risk approver set `production_approved` once conditions are met.",
        "eu-ai-act:Art. 26",
        waivable=False,
    ),
    rule(
        "deploy.condition-unmet",
        "A deployment condition is not met",
        "high",
        "Every `deployment_conditions` entry of the RiskAssessment has `met: true` before a "
        "production deployment.",
        "Conditions are the mitigations the approvers relied on.",
        "Meet the condition, record the evidence and set `met: true`.",
    ),
    rule(
        "deploy.tests-failing",
        "Required tests do not pass for this version",
        "high",
        "At the deploy stage: every required test of every applicable plan passes in the "
        "latest completed run of the version being deployed.",
        "Only a version that passed its tests may run where it affects people.",
        "Fix the failing tests (see the metric findings) and record a new run.",
        "eu-ai-act:Art. 15",
    ),
    rule(
        "deploy.review-overdue",
        "Production deployment with an overdue risk review",
        "high",
        "No production deployment while the version's risk review is overdue.",
        "An out-of-date assessment cannot justify going live.",
        "Review the assessment first.",
        "eu-ai-act:Art. 9",
    ),
    rule(
        "data.pii-undeclared",
        "The model uses personal data but does not say so",
        "high",
        "A model using a dataset with `contains_pii: true` must declare `contains_pii: true`.",
        "PII flows into the model: retention, access and DPIA duties follow it.",
        "Set `contains_pii: true` on the model.",
        "gdpr:Art. 30",
        "gdpr:Art. 35",
    ),
    rule(
        "data.classification",
        "The model is classified below its data",
        "high",
        "A model's `data_classification` is at least the strictest classification of its "
        "datasets (public < internal < confidential < restricted).",
        "A model trained on restricted data can leak it; it must be handled as strictly.",
        "Raise the model's `data_classification`.",
        "iso-iec-27001:A.5.12",
    ),
)
