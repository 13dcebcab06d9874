"""A small high-risk governance repo for gate tests, as ``{path: text}`` to edit per test.

Its dates are in the past (assessed 2026-01-10), but for the next review: that is
:data:`REVIEW`, two years from the day the tests run, so that gates run without ``--as-of``
(as users run them) find no overdue review in any year.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from sshsign import allowed_signers, approval_signature

from aigov_gate.loading.safe_yaml import Limits, parse_text
from aigov_gate.signoff import digest

#: The next review: in the future, whenever the tests run.
REVIEW = (date.today() + timedelta(days=730)).isoformat()
APPROVED = "2026-01-12"
#: The SSH keys of every test person (tests/sshsign.py), as the repos carry them.
SIGNERS_FILE = ".aigov/allowed_signers"

CONFIG = """\
organization: acme
environments:
  staging: {}
  production: {production: true}
roles:
  risk_assessor: [dana]
  risk_approver: [miguel]
  security_admin: [sam]
# the runs these tests write by hand are claimed (tests/test_attested_runs.py gates those)
testing:
  attestation: {claimed: {high: pass}}
"""

MODEL = """\
apiVersion: aigov/v1
kind: Model
metadata:
  name: scorer
  owner: lena
spec:
  model_type: tabular
  version: "2.0.0"
  digest: sha256:{digest}
  intended_use: Decision support for loan officers.
  risk_tier: high
  contains_pii: {pii}
  data_classification: {classification}
  datasets:
    - name: loans
"""

DATASET = """\
apiVersion: aigov/v1
kind: Dataset
metadata:
  name: loans
spec:
  version: "1"
  sources: [crm]
  license: internal
  contains_pii: true
  data_classification: confidential
"""

PLAN = """\
apiVersion: aigov/v1
kind: TestPlan
metadata:
  name: scorer-plan
spec:
  applies_to:
    models: [scorer]
  tests:
    - name: accuracy
      metrics:
        - name: auc
          operator: ">="
          threshold: 0.75
          max_regression: 0.01
    - name: fairness
      type: fairness
      metrics:
        - name: approval_rate
          operator: ">="
          threshold: 0.30
          slice_key: sex
          max_disparity: {measure: ratio, limit: 0.8}
    - name: robustness
      required: false
      metrics:
        - name: drop
          operator: "<="
          threshold: 0.05
"""

RUN = """\
apiVersion: aigov/v1
kind: TestRun
metadata:
  name: scorer-{version}-run
spec:
  model: scorer
  model_version: "{version}"
  test_plan: scorer-plan
  status: {status}
  finished_at: {finished}
  results:
    - test_name: accuracy
      metrics:
        - {{name: auc, value: {auc}}}
    - test_name: fairness
      metrics:
        - {{name: approval_rate, value: {female}, slice_key: sex, slice_value: female}}
        - {{name: approval_rate, value: 0.50, slice_key: sex, slice_value: male}}
    - test_name: robustness
      metrics:
        - {{name: drop, value: {drop}}}
"""

RISK = """\
apiVersion: aigov/v1
kind: RiskAssessment
metadata:
  name: scorer-risk
spec:
  model: scorer
  model_version: "2.0.0"
  risk_level: high
  assessor: dana
  assessment_date: 2026-01-10
  approval_status: {status}
  production_approved: {prod}
  next_review_date: {review}
  deployment_conditions:
    - description: Shadow run for four weeks.
      met: {met}
"""


def model(pii: bool = True, classification: str = "confidential") -> str:
    return MODEL.format(pii=str(pii).lower(), classification=classification, digest="ab" * 32)


#: The scorer as Acme deploys it (a vendor's model): the EU AI Act's Annex IV technical
#: documentation is its provider's duty, so tests of production-deploy sign-off pass in any
#: year without it (from 2027-12-02 a provider's high-risk deploy needs it complete; Annex
#: IV itself is tested on the example, tests/test_dossier.py).
DEPLOYED = {"models/scorer.yaml": model() + "  eu_ai_act:\n    role: deployer\n"}


def run(
    version: str = "2.0.0",
    auc: float = 0.80,
    female: float = 0.45,
    drop: float = 0.01,
    status: str = "completed",
    finished: str = "2026-02-01T10:00:00Z",
) -> str:
    return RUN.format(
        version=version, auc=auc, female=female, drop=drop, status=status, finished=finished
    )


def risk(
    status: str = "approved",
    prod: bool = True,
    review: str = REVIEW,
    met: bool = True,
    approvers: tuple[tuple[str, str], ...] = (
        ("miguel", "risk_approver"),
        ("sam", "security_admin"),
    ),
) -> str:
    """The assessment, with ``approvers`` recorded against its current digest."""
    text = RISK.format(status=status, prod=str(prod).lower(), review=review, met=str(met).lower())
    return record(text, approvers)


def record(
    text: str,
    approvers: tuple[tuple[str, str], ...],
    digest: str = "",
    signed: bool = True,
    organization: str = "acme",
    day: str = APPROVED,
) -> str:
    """Append recorded approvals (``(user, role)``) bound to ``text``'s digest.

    Each is signed with the approver's test key (tests/sshsign.py) unless ``signed=False``.
    """
    if not approvers:
        return text
    digest = digest or assessment_digest(text)
    doc = parse_text(text, Limits()).documents[0]
    kind, name = doc["kind"], doc["metadata"]["name"]
    lines = ["  approvals:"]
    for user, role in approvers:
        lines.append(f"    - {{approver: {user}, role: {role}, date: {day}, digest: {digest}}}")
        if signed:
            lines[-1] = (
                lines[-1][:-1]
                + ",\n       signature: "
                + _quoted(
                    approval_signature(
                        kind, organization, name, digest, user, role, date.fromisoformat(day)
                    )
                )
                + "}"
            )
    return text + "\n".join(lines) + "\n"


def _quoted(armored: str) -> str:
    """The armored signature as a double-quoted YAML scalar (fits in a flow mapping)."""
    return '"' + armored.replace("\n", "\\n") + '"'


def assessment_digest(text: str) -> str:
    parsed = parse_text(text, Limits())
    return digest(parsed.documents[0])


def repo_files(changes: Mapping[str, str | bytes] | None = None) -> dict[str, str | bytes]:
    """A repo that passes the merge gate and a production deploy, with ``changes`` applied."""
    files: dict[str, str | bytes] = {
        ".aigov.yaml": CONFIG,
        "models/scorer.yaml": model(),
        "data/loans.yaml": DATASET,
        "tests/plan.yaml": PLAN,
        "tests/run-2.0.0.yaml": run(),
        "risk/scorer.yaml": risk(),
        SIGNERS_FILE: allowed_signers(),
    }
    files.update(changes or {})
    return files


def waiver(
    policy: str,
    expires: str,
    target: str = "{kind: Model, name: scorer}",
    approved_at: str = "",
    approvers: tuple[tuple[str, str], ...] = (("miguel", "risk_approver"),),
    name: str = "w",
    approved_by: str = "[miguel]",
) -> str:
    """A Waiver approved ``approved_at`` (default: 60 days before ``expires``), signed
    that day."""
    day = approved_at or (date.fromisoformat(expires) - timedelta(days=60)).isoformat()
    text = (
        f"apiVersion: aigov/v1\nkind: Waiver\nmetadata: {{name: {name}}}\nspec:\n"
        f"  policy: {policy}\n  target: {target}\n"
        "  justification: Accepted by the model risk committee until the retrain lands.\n"
        f"  approved_by: {approved_by}\n  approved_at: {day}\n  expires: {expires}\n"
    )
    return record(text, approvers, day=day)
