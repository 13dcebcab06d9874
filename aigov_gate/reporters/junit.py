"""JUnit XML for GitLab, Jenkins and other CI test reports.

One test suite per model and one test case per model x rule evaluated: a blocking
finding is a ``failure``, a waived one ``skipped``, warnings go to ``system-out`` of a
passing case. Findings about no model (invalid documents, waivers) form the
``repository`` suite, one case per rule. No timestamps or durations: same inputs, same bytes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from aigov_gate.reporters.common import by_model
from aigov_gate.result import Finding, GateResult


def _line(f: Finding) -> str:
    waived = f" (waived by {f.waived_by})" if f.waived else ""
    hint = f"\n  hint: {f.hint}" if f.hint else ""
    return f"{f.location}: [{f.severity.label}] {f.message}{waived}{hint}"


def _case(
    suite: ET.Element, classname: str, rule_id: str, findings: list[Finding], result: GateResult
) -> tuple[int, int]:
    case = ET.SubElement(suite, "testcase", name=rule_id, classname=classname)
    if findings:
        case.set("file", findings[0].location.path)
        if findings[0].location.line:
            case.set("line", str(findings[0].location.line))
    blocking = [f for f in findings if result.blocks(f)]
    waived = [f for f in findings if f.waived]
    if blocking:
        failure = ET.SubElement(
            case, "failure", message=blocking[0].message, type=blocking[0].severity.label
        )
        failure.text = "\n".join(_line(f) for f in blocking)
    elif waived and len(waived) == len(findings):
        ET.SubElement(case, "skipped", message=f"waived by {waived[0].waived_by}")
    rest = [f for f in findings if f not in blocking]
    if rest:
        ET.SubElement(case, "system-out").text = "\n".join(_line(f) for f in rest)
    skipped = 1 if (not blocking and waived and len(waived) == len(findings)) else 0
    return (1 if blocking else 0), skipped


def _suite(
    root: ET.Element, name: str, cases: dict[str, list[Finding]], result: GateResult
) -> None:
    suite = ET.SubElement(root, "testsuite", name=name)
    failures = skipped = 0
    for rule_id in sorted(cases):
        failed, skip = _case(suite, name, rule_id, cases[rule_id], result)
        failures += failed
        skipped += skip
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))


def render_junit(result: GateResult, colour: bool = False) -> str:
    root = ET.Element("testsuites", name=f"aigov gate ({result.situation.stage})")
    groups, rest = by_model(result)
    for model in result.models:
        cases: dict[str, list[Finding]] = {rule: [] for rule in model.evaluated}
        for f in groups[model.label]:
            cases.setdefault(f.rule_id, []).append(f)
        _suite(root, model.label, cases, result)
    if rest or not result.models:
        cases = {}
        for f in rest:
            cases.setdefault(f.rule_id, []).append(f)
        if not cases:
            cases["gate.decision"] = []
        _suite(root, "repository", cases, result)
    for attr in ("tests", "failures", "errors", "skipped"):
        root.set(attr, str(sum(int(s.get(attr, "0")) for s in root)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
