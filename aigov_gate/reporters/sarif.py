"""SARIF 2.1.0 for GitHub code scanning (``github/codeql-action/upload-sarif``).

Rules carry an identifier name (``MetricThreshold`` for ``metric.threshold``), their help
URI, clause refs (as tags, at most 20 with ours, as GitHub allows; every clause is in the
rule's ``relationships``) and, for the security rules only, the ``security`` tag and
GitHub's ``security-severity``; ``automationDetails.id`` names the stage, environment and
model; results carry file and region (start and end; line 1 for a finding about a whole
file) relative to ``%SRCROOT%`` (declared in
``originalUriBaseIds``), stable partial fingerprints (ours and GitHub's
``primaryLocationLineHash``), and waived findings an external suppression with the
waiver's name. No timestamps: same inputs, same bytes.
"""

from __future__ import annotations

import json
from typing import Any

from aigov_gate import __version__
from aigov_gate.catalog import DOCS_URL, RULES
from aigov_gate.reporters.common import fingerprints, judged, judged_to_json, level
from aigov_gate.result import Finding, GateResult, Severity

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SECURITY_SEVERITY = {
    Severity.INFO: "0.0",
    Severity.LOW: "3.0",
    Severity.MEDIUM: "5.5",
    Severity.HIGH: "8.0",
    Severity.CRITICAL: "9.5",
}
#: GitHub code scanning refuses an upload whose rule has more than 20 tags.
MAX_TAGS = 20
#: Rules whose findings are security problems in the ordinary sense: a secret written
#: down, a forged or unverifiable signature, a look-alike identity, evidence that does not
#: match its digest or leaves the repository, input built to attack the parser. Only these
#: are tagged ``security`` and carry ``security-severity``, so they, and only they, show
#: as security alerts; a governance finding (a metric, a missing approval) is an alert
#: at its ``level`` (docs/reporters.md, "SARIF for GitHub code scanning", says why).
SECURITY_RULES = frozenset(
    {
        "secret.inline",
        "signoff.unverified",
        "waiver.unverified",
        "identity.lookalike",
        "authority.changed",
        "evidence.digest-mismatch",
        "evidence.path-outside",
        "file.symlink-outside",
        "yaml.unsafe-tag",
        "yaml.alias-bomb",
    }
)
_POLICIES_URL = DOCS_URL.replace("rules.md", "policies.md")
_DEFAULT_LEVEL = {"info": "note", "low": "note", "medium": "warning", "high": "error"}


def _rule(result: GateResult, rule_id: str) -> dict[str, Any]:
    info = result.rule(rule_id)
    text = info.checks or info.title
    help_text = "\n\n".join(x for x in (info.checks, info.why, f"Fix: {info.fix}") if x)
    security = rule_id in SECURITY_RULES
    tags = ["ai-governance", *(["security"] if security else []), *info.clauses]
    properties: dict[str, Any] = {"tags": tags[:MAX_TAGS]}  # all clauses: relationships
    severity = Severity.parse(info.severity)
    if security and severity is not Severity.INFO:  # GitHub reads it only with "security"
        properties["security-severity"] = _SECURITY_SEVERITY[severity]
    rule: dict[str, Any] = {
        "id": rule_id,
        "name": _name(rule_id),
        "shortDescription": {"text": info.title},
        "fullDescription": {"text": text},
        "helpUri": info.help_uri if rule_id in RULES else _POLICIES_URL,
        "help": {"text": help_text},
        "defaultConfiguration": {"level": _DEFAULT_LEVEL.get(info.severity, "error")},
        "properties": properties,
    }
    if info.clauses:
        rule["relationships"] = [
            {
                "target": {"id": clause, "toolComponent": {"name": framework}},
                "kinds": ["relevant"],
            }
            for framework, clause in (c.split(":", 1) for c in info.clauses)
        ]
    return rule


def _name(rule_id: str) -> str:
    """``metric.threshold`` -> ``MetricThreshold``: SARIF's rule name is an identifier,
    not the id again (SARIF 3.49.7; the multitool's SARIF1001)."""
    parts = [p for p in rule_id.replace("-", ".").replace("_", ".").split(".") if p]
    name = "".join(p[:1].upper() + p[1:] for p in parts) or "Rule"
    return name + "Rule" if name.lower() == rule_id.lower() else name  # a policy "wide"


def automation_id(result: GateResult) -> str:
    """GitHub's category of the analysis (everything up to the last ``/``): the stage, and
    the environment and model when the run has them, so the staging and production gates,
    or per-model jobs, on one commit do not replace each other's alerts."""
    situation = result.situation
    parts = ["aigov-gate", situation.stage]
    if situation.environment:
        parts.append(f"env={situation.environment}")
    if situation.model:
        parts.append(f"model={situation.model}")
    return "/".join(parts) + "/"


def _taxonomies(result: GateResult, rule_ids: list[str]) -> list[dict[str, Any]]:
    """One taxonomy per framework the reported rules name; taxa are its clauses."""
    from aigov_gate.frameworks import BUILTIN_FRAMEWORKS, builtin_catalog

    wanted: dict[str, set[str]] = {}
    for rule_id in rule_ids:
        for label in result.rule(rule_id).clauses:
            framework, _, clause = label.partition(":")
            wanted.setdefault(framework, set()).add(clause)
    out = []
    for framework in sorted(wanted):
        catalog = builtin_catalog(framework) if framework in BUILTIN_FRAMEWORKS else None
        taxa = []
        for clause in sorted(wanted[framework]):
            taxon: dict[str, Any] = {"id": clause, "name": clause}
            if catalog is not None and clause in catalog.clauses:
                taxon["shortDescription"] = {"text": catalog.clauses[clause].title}
            taxa.append(taxon)
        component: dict[str, Any] = {"name": framework, "taxa": taxa}
        if catalog is not None:
            spec = catalog.framework.spec
            component["version"] = spec.version
            component["shortDescription"] = {"text": spec.title}
            if spec.source is not None and spec.source.url:
                component["informationUri"] = spec.source.url
        out.append(component)
    return out


def _location(f: Finding, prefix: str) -> dict[str, Any]:
    uri = f"{prefix}/{f.location.path}" if prefix else f.location.path
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"}}
    if f.location.line:
        column = max(f.location.column, 1)
        physical["region"] = {
            "startLine": f.location.line,
            "startColumn": column,
            "endLine": f.location.line,
            "endColumn": column + 1,  # exclusive: the character the finding points at
        }
    else:  # about the whole file: its first line, where GitHub shows a file's alert
        physical["region"] = {"startLine": 1}
    return {"physicalLocation": physical}


def _result(
    result: GateResult, f: Finding, index: dict[str, int], fingerprint: str
) -> dict[str, Any]:
    message = "\n".join([f.message, *f.details]) + (f"\nHint: {f.hint}" if f.hint else "")
    item: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": index[f.rule_id],
        "level": level(result, f),
        "message": {"text": message},
        "locations": [_location(f, result.path_prefix)],
        "partialFingerprints": {
            "aigovFinding/v1": fingerprint,
            # GitHub deduplicates alerts on it; ours is stable when lines move
            "primaryLocationLineHash": f"{fingerprint[:32]}:1",
        },
        "properties": {
            "severity": f.severity.label,
            "target": f.target,
            "model": f.model,
            "clauses": list(f.clauses),
            "blocking": result.blocks(f),
        },
    }
    if f.related:
        item["relatedLocations"] = [
            {"id": i, **_location(Finding(f.rule_id, f.severity, "", r), result.path_prefix)}
            for i, r in enumerate(f.related)
        ]
    if f.waived:
        item["suppressions"] = [{"kind": "external", "justification": f"waived by {f.waived_by}"}]
    return item


def _judged_on(result: GateResult) -> list[dict[str, Any]]:
    return [{"model": m.label, **judged_to_json(judged(result, m))} for m in result.models]


def render_sarif(result: GateResult, colour: bool = False) -> str:
    rule_ids = sorted({f.rule_id for f in result.findings})
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    prints = fingerprints(result.findings)
    taxonomies = _taxonomies(result, rule_ids)
    report = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "aigov-gate",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": DOCS_URL.rsplit("/blob/", 1)[0],
                        "rules": [_rule(result, r) for r in rule_ids],
                        "supportedTaxonomies": [{"name": t["name"]} for t in taxonomies],
                    }
                },
                "taxonomies": taxonomies,
                "automationDetails": {"id": automation_id(result)},
                "originalUriBaseIds": {
                    "%SRCROOT%": {
                        "description": {
                            "text": "The project's root: the CI workspace, else the Git "
                            "work tree's top (no absolute path, so the same run gives "
                            "the same bytes)."
                        }
                    }
                },
                "columnKind": "unicodeCodePoints",
                # what each model's decision rested on (docs/gate.md, "What was judged")
                "properties": {"judgedOn": _judged_on(result)},
                "results": [
                    _result(result, f, index, fp)
                    for f, fp in zip(result.findings, prints, strict=True)
                ],
            }
        ],
    }
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"
