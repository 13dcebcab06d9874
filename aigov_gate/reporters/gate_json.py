"""The gate's JSON report (docs/json-output.md). Same inputs, same bytes."""

from __future__ import annotations

import json
from typing import Any

from aigov_gate import __version__
from aigov_gate.deployed import ArtifactVerdict
from aigov_gate.reporters import signoff
from aigov_gate.reporters.common import judged, judged_to_json, summary
from aigov_gate.reporters.compliance import framework_to_json
from aigov_gate.reporters.json_report import SCHEMA_VERSION, finding_to_json
from aigov_gate.result import GateResult, ModelVerdict


def gate_to_json(result: GateResult) -> dict[str, Any]:
    s = result.situation
    findings = []
    for f in result.findings:
        item = finding_to_json(f)
        item.update(clauses=list(f.clauses), model=f.model, waived_by=f.waived_by)
        item["blocking"] = result.blocks(f)
        item["details"] = list(f.details)
        findings.append(item)
    report = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "aigov-gate", "version": __version__},
        "command": "gate",
        "decision": result.decision,
        "passed": result.passed,
        "stage": s.stage,
        "environment": s.environment,
        "production": s.production,
        "as_of": s.today.isoformat(),
        "fail_on": result.fail_on.label,
        "policy_packs": list(result.packs),
        "base": result.base,
        "changed": list(result.changed),
        "summary": summary(result),
        "models": [_model(result, m) for m in result.models],
        "findings": findings,
        "compliance": [framework_to_json(fc) for fc in result.compliance],
        "signoff": [signoff.to_json(s) for s in result.signoffs],
    }
    if result.artifact is not None:  # --model-artifact (absent without it)
        report["artifact"] = artifact_to_json(result.artifact)
    if result.base:  # what the change does to compliance (keys absent without --base)
        report["compliance_changes"] = [
            {
                "framework": c.framework,
                "model": c.model,
                "clause": c.clause,
                "title": c.title,
                "before": c.before,
                "after": c.after,
                "worse": c.worse,
                "better": c.better,
                "reason": c.reason,
            }
            for c in result.compliance_changes
        ]
        report["compliance_base_error"] = result.compliance_base_error or None
        report["stale_evidence"] = [
            {
                "framework": e.framework,
                "model": e.model,
                "clause": e.clause,
                "evidence": e.evidence,
                "now": e.now,
            }
            for e in result.stale_evidence
        ]
    return report


def artifact_to_json(a: ArtifactVerdict) -> dict[str, Any]:
    return {
        "model": a.model,
        "version": a.version,
        "path": a.path,
        "name": a.name,
        "digest": a.digest,
        "oms_root": a.oms_root,
        "expected": a.expected,
        "matches": a.matches,
        "files": a.files,
        "signature": a.signature,
        "signature_detail": a.signature_detail,
    }


def _model(result: GateResult, m: ModelVerdict) -> dict[str, Any]:
    return {
        "name": m.name,
        "version": m.version,
        "path": m.location.path,
        "line": m.location.line,
        "decision": "blocked" if result.model_blocked(m) else "passed",
        "evaluated": list(m.evaluated),
        "findings": result.model_findings(m),
        "judged_on": judged_to_json(judged(result, m)),
    }


def render_gate_json(result: GateResult, colour: bool = False) -> str:
    return json.dumps(gate_to_json(result), indent=2, ensure_ascii=False) + "\n"
