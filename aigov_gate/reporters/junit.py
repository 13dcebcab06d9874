"""JUnit XML for GitLab, Jenkins and other CI test reports.

One test suite per model and one test case per model x rule evaluated: a blocking
finding is a ``failure``, a waived one ``skipped``. Findings about no model (invalid
documents, waivers) form the ``repository`` suite, one case per rule.

``junit`` is valid under the two strictest schemas in use, Apache Ant's JUnit XSD and the
Jenkins xUnit plugin's ``junit-10.xsd`` (tests/schemas): no attributes on ``testsuites``;
each suite has ``package``, ``id``, ``hostname``, ``timestamp`` and ``time``, then
``properties``, its cases, ``system-out`` (the non-blocking findings) and ``system-err``.
Neither schema has a place for a file, so a failure's message and text begin with
``path:line:column``. ``junit-gitlab`` adds GitLab's ``file`` attribute to each case, which
GitLab's test report links to (the Jenkins schema refuses it; GitLab reads no line).

No clock: the timestamp is the evaluation date at midnight and every time is 0, so the same
inputs give the same bytes. Characters XML 1.0 cannot carry (``\\x00``-``\\x1f`` but tab and
newlines, U+FFFE, U+FFFF) are written as ``\\xNN`` text instead of making the file unparseable.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from aigov_gate.reporters.common import by_model, judged, judged_properties
from aigov_gate.result import Finding, GateResult

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: _xml(v) for k, v in attrs.items()})
    if text is not None:
        element.text = _xml(text)
    return element


def _line(f: Finding) -> str:
    waived = f" (waived by {f.waived_by})" if f.waived else ""
    hint = f"\n  hint: {f.hint}" if f.hint else ""
    details = "".join(f"\n  {d}" for d in f.details)
    return f"{f.location}: [{f.severity.label}] {f.message}{waived}{details}{hint}"


def _case(
    suite: ET.Element,
    classname: str,
    rule: str,
    findings: list[Finding],
    result: GateResult,
    gitlab: bool,
) -> tuple[int, int, list[Finding]]:
    """Adds the case; returns (failed, skipped, the findings it leaves to system-out)."""
    case = _sub(suite, "testcase", name=rule, classname=classname, time="0")
    if gitlab and findings and findings[0].location.path:
        path, prefix = findings[0].location.path, result.path_prefix  # as Code Quality's
        case.set("file", _xml(f"{prefix}/{path}" if prefix else path))
    blocking = [f for f in findings if result.blocks(f)]
    if blocking:
        first = blocking[0]
        message = f"{first.location}: {first.message}"
        _sub(
            case,
            "failure",
            "\n".join(map(_line, blocking)),
            message=message,
            type=first.severity.label,
        )
    waived = bool(findings) and all(f.waived for f in findings)
    if waived:
        _sub(case, "skipped", message=f"waived by {findings[0].waived_by}")
    rest = [f for f in findings if f not in blocking]
    return (1 if blocking else 0), (1 if waived else 0), rest


def _suite(
    root: ET.Element,
    name: str,
    cases: dict[str, list[Finding]],
    result: GateResult,
    gitlab: bool,
    judged_on: tuple[tuple[str, str], ...] = (),
) -> None:
    situation = result.situation
    suite = _sub(root, "testsuite", name=name, package="aigov", id=str(len(root)))
    suite.set("hostname", "localhost")
    suite.set("timestamp", situation.today.isoformat() + "T00:00:00")
    properties = _sub(suite, "properties")
    _sub(properties, "property", name="aigov.stage", value=situation.stage)
    _sub(properties, "property", name="aigov.as_of", value=situation.today.isoformat())
    if situation.environment:
        _sub(properties, "property", name="aigov.environment", value=situation.environment)
    for key, text in judged_on:
        _sub(properties, "property", name=key, value=text)
    failures = skipped = 0
    rest: list[Finding] = []
    for rule in sorted(cases):
        failed, skip, left = _case(suite, name, rule, cases[rule], result, gitlab)
        failures, skipped = failures + failed, skipped + skip
        rest += left
    _sub(suite, "system-out", "\n".join(map(_line, rest)))
    _sub(suite, "system-err", "")
    for attr, value in (("tests", len(cases)), ("failures", failures), ("errors", 0)):
        suite.set(attr, str(value))
    suite.set("skipped", str(skipped))
    suite.set("time", "0")


def _render(result: GateResult, gitlab: bool) -> str:
    root = ET.Element("testsuites")
    groups, rest = by_model(result)
    for model in result.models:
        cases: dict[str, list[Finding]] = {rule: [] for rule in model.evaluated}
        for f in groups[model.label]:
            cases.setdefault(f.rule_id, []).append(f)
        _suite(
            root,
            model.label,
            cases,
            result,
            gitlab,
            tuple(judged_properties(judged(result, model))),
        )
    if rest or not result.models:
        cases = {}
        for f in rest:
            cases.setdefault(f.rule_id, []).append(f)
        if not cases:
            cases["gate.decision"] = []
        _suite(root, "repository", cases, result, gitlab)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def render_junit(result: GateResult, colour: bool = False) -> str:
    """Valid under the Ant and Jenkins JUnit schemas."""
    return _render(result, gitlab=False)


def render_junit_gitlab(result: GateResult, colour: bool = False) -> str:
    """``junit`` with GitLab's ``file`` attribute on each test case."""
    return _render(result, gitlab=True)
