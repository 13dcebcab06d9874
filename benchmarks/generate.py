"""Generate a synthetic governance repository: N models, each with 10 documents.

Per model: Model, Dataset, TestPlan, 3 TestRuns, RiskAssessment, 2 ComplianceMappings,
EvidenceArtifact (+ the evidence file). One Framework for all. Every document is valid.

    python benchmarks/generate.py OUT_DIR --models 1000
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

FRAMEWORK = """\
apiVersion: aigov/v1
kind: Framework
metadata: {name: eu-ai-act}
spec:
  title: EU AI Act (excerpt)
  version: Regulation (EU) 2024/1689
  clauses:
    - {clause_number: Art. 9, title: Risk management system, applies_to: {risk_tiers: [high]}}
    - {clause_number: Art. 10, title: Data and data governance, applies_to: {risk_tiers: [high]}}
"""

MODEL = """\
apiVersion: aigov/v1
kind: Model
metadata:
  name: model-{i}
  owner: team-{team}
  labels: {{team: team-{team}}}
spec:
  model_type: tabular
  version: "1.{i}.0"
  description: Synthetic model number {i} for benchmarks.
  intended_use: Decision support for benchmark number {i}.
  contains_pii: true
  data_classification: confidential
  risk_tier: high
  eu_ai_act: {{role: provider, annex_iii_category: 5(b)}}
  datasets:
    - {{name: dataset-{i}, purpose: training}}
  frameworks: [eu-ai-act]
  deployments:
    staging: {{version: "1.{i}.0", status: active, since: 2026-10-01}}
"""

DATASET = """\
apiVersion: aigov/v1
kind: Dataset
metadata: {{name: dataset-{i}}}
spec:
  version: "2025-{month:02d}"
  contains_pii: true
  data_classification: confidential
  sources: [System {i}]
  collection_period: {{start: 2020-01-01, end: 2024-12-31}}
  protected_attributes: [sex, age_band]
  known_limitations: [Synthetic]
"""

PLAN = """\
apiVersion: aigov/v1
kind: TestPlan
metadata: {{name: plan-{i}}}
spec:
  applies_to: {{models: [model-{i}]}}
  tests:
    - name: performance
      metrics:
        - {{name: auc, operator: ">=", threshold: 0.75, max_regression: 0.01}}
    - name: fairness
      type: fairness
      metrics:
        - name: approval_rate
          operator: between
          range: [0.3, 0.8]
          slice_key: sex
          max_disparity: {{measure: ratio, limit: 0.8}}
"""

RUN = """\
apiVersion: aigov/v1
kind: TestRun
metadata: {{name: run-{i}-{n}}}
spec:
  model: model-{i}
  model_version: "1.{i}.0"
  dataset: dataset-{i}
  test_plan: plan-{i}
  status: completed
  started_at: 2026-10-0{n}T08:00:00Z
  finished_at: 2026-10-0{n}T08:30:00Z
  results:
    - test_name: performance
      metrics:
        - {{name: auc, value: 0.78{n}, threshold: 0.75}}
    - test_name: fairness
      metrics:
        - {{name: approval_rate, value: 0.5{n}, slice_key: sex, slice_value: female}}
        - {{name: approval_rate, value: 0.55, slice_key: sex, slice_value: male}}
"""

RISK = """\
apiVersion: aigov/v1
kind: RiskAssessment
metadata: {{name: risk-{i}}}
spec:
  model: model-{i}
  model_version: "1.{i}.0"
  risk_level: high
  assessor: assessor-{team}
  assessment_date: 2026-09-15
  approval_status: under_review
  risk_factors:
    - {{name: bias, likelihood: medium, impact: high}}
  mitigation_measures:
    - {{description: Threshold per segment, status: implemented}}
  compliance_requirements:
    - {{framework: eu-ai-act, clause: Art. 9}}
  evidence_documents: [card-{i}]
  next_review_date: 2027-03-15
"""

MAPPING = """\
apiVersion: aigov/v1
kind: ComplianceMapping
metadata: {{name: map-{i}-{art}}}
spec:
  framework: eu-ai-act
  clause: Art. {art}
  models: [model-{i}]
  satisfied_by: {{test_plans: [plan-{i}], evidence: [card-{i}]}}
  compliance_status: partially_compliant
"""

EVIDENCE = """\
apiVersion: aigov/v1
kind: EvidenceArtifact
metadata: {{name: card-{i}}}
spec:
  artifact_type: model_card
  path: docs/card-{i}.md
  sha256: {sha}
  models: [model-{i}]
"""


def generate(out: Path, models: int) -> int:
    """Write the repository; returns the number of governance documents."""
    for folder in ("models", "datasets", "tests", "risk", "mappings", "evidence"):
        (out / "governance" / folder).mkdir(parents=True, exist_ok=True)
    (out / "docs").mkdir(exist_ok=True)
    (out / "governance" / "framework.yaml").write_text(FRAMEWORK, encoding="utf-8")
    gov = out / "governance"
    for i in range(models):
        team, month = i % 17, i % 12 + 1
        card = f"# Model card {i}\n\nSynthetic.\n".encode()
        (out / "docs" / f"card-{i}.md").write_bytes(card)
        sha = hashlib.sha256(card).hexdigest()
        files = {
            f"models/model-{i}.yaml": MODEL.format(i=i, team=team),
            f"datasets/dataset-{i}.yaml": DATASET.format(i=i, month=month),
            f"tests/plan-{i}.yaml": PLAN.format(i=i),
            f"risk/risk-{i}.yaml": RISK.format(i=i, team=team),
            f"evidence/card-{i}.yaml": EVIDENCE.format(i=i, sha=sha),
        }
        for n in (1, 2, 3):
            files[f"tests/run-{i}-{n}.yaml"] = RUN.format(i=i, n=n)
        for art in (9, 10):
            files[f"mappings/map-{i}-{art}.yaml"] = MAPPING.format(i=i, art=art)
        for rel, text in files.items():
            (gov / rel).write_text(text, encoding="utf-8")
    (out / ".aigov.yaml").write_text("organization: bench\npaths: [governance]\n", "utf-8")
    return models * 10 + 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--models", type=int, default=100)
    args = parser.parse_args()
    count = generate(args.out, args.models)
    print(f"wrote {count} documents to {args.out}")


if __name__ == "__main__":
    main()


def dashboard_repo(models: int, clauses: int) -> dict[str, str]:
    """Files of a repository with ``models`` models and one framework of ``clauses`` clauses,
    each model mapped to one clause: what the dashboard's size target is stated for."""
    rows = "".join(
        f"    - {{clause_number: C-{i:03d}, title: Control number {i} of the acme catalog}}\n"
        for i in range(clauses)
    )
    files = {
        ".aigov.yaml": "organization: acme\nframeworks: [acme-big]\npolicy_packs: [baseline]\n",
        "frameworks/big.yaml": "apiVersion: aigov/v1\nkind: Framework\nmetadata: {name: acme-big}\n"
        f"spec:\n  title: Acme big catalog\n  version: '1'\n  clauses:\n{rows}",
    }
    for m in range(models):
        files[f"models/m-{m:03d}.yaml"] = (
            f"apiVersion: aigov/v1\nkind: Model\nmetadata: {{name: m-{m:03d}, owner: team}}\n"
            "spec:\n  model_type: tabular\n  version: '1.0.0'\n  risk_tier: minimal\n"
        )
        files[f"mappings/m-{m:03d}.yaml"] = (
            "apiVersion: aigov/v1\nkind: ComplianceMapping\n"
            f"metadata: {{name: map-{m:03d}}}\nspec:\n  framework: acme-big\n"
            f"  clause: C-{m % clauses:03d}\n  models: [m-{m:03d}]\n"
            "  satisfied_by: {policies: [baseline.model-owner]}\n"
        )
    return files
