"""OSCAL in and out: catalogs become Frameworks, compliance becomes assessment-results.

Import (``aigov frameworks import-oscal``) reads an OSCAL 1.1/1.2 catalog in JSON or
YAML: groups (nested at any depth), controls, and controls nested in controls
(enhancements) become clauses with ``parent``; a control's ``label`` prop is its
clause number when it is one token (``AC-2(1)``, ``GV.OC-01``), else its ``id``.
Withdrawn controls (``status: withdrawn``) become ``superseded_by`` every control their
``incorporated-into`` / ``moved-to`` links name, or are left out when there is none (their
children move up to the nearest kept ancestor). Parameters in statements are written as
NIST prints them; each clause keeps its catalog ids in ``oscal`` for the way back.

Export (``--format oscal``) writes one assessment-results document: one result per
framework and model, every counted clause in ``reviewed-controls``, and per clause an
observation (what the status rests on) and a finding (satisfied or not) on the control's
statement. Imported clauses keep their catalog's ids; for the others OSCAL ids must
start with a letter and hold no spaces, so ``Art. 5(1)(a)`` becomes ``art-5-1-a``, with
the clause number kept in a ``label`` prop. UUIDs are version 5, derived from what they
identify, so the same inputs give the same document.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aigov_gate import __version__
from aigov_gate.compliance.oscal_text import parameters, statement_part, statement_text
from aigov_gate.documents.imported import Imported
from aigov_gate.errors import UsageError
from aigov_gate.loading.safe_json import JsonError, JsonLimits, loads
from aigov_gate.result import ClauseStatus, FrameworkCompliance, GateResult

OSCAL_VERSION = "1.1.2"
_FORMATS = "an OSCAL catalog in JSON or YAML"
NS = "https://github.com/aigov-gate/aigov-gate/ns/oscal"
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, NS)
_TOKEN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


# --- import -------------------------------------------------------------------------


def read_catalog(path: Path) -> dict[str, Any]:
    """The ``catalog`` object of an OSCAL file; errors name the file, line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(
            f"{path}: no such file", hint="give the path of an OSCAL catalog"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read: {exc}", hint="check the file") from None
    if path.suffix.lower() != ".json":
        data = _yaml(text, path)
    else:  # both through the guarded readers: size and depth bounded, positions kept
        try:
            data = loads(text, JsonLimits(max_bytes=64 << 20))
        except JsonError as exc:
            raise UsageError(exc.at(str(path), "not valid JSON"), hint=_FORMATS) from None
    if not isinstance(data, dict) or not isinstance(data.get("catalog"), dict):
        other = next(iter(data), None) if isinstance(data, dict) else None
        hint = (
            "resolve the profile into a catalog first (e.g. with an OSCAL profile resolver)"
            if other == "profile"
            else "the file's top-level key must be 'catalog'"
        )
        found = f" (top-level key '{other}')" if other else ""
        raise UsageError(f"{path}: not an OSCAL catalog{found}", hint=hint)
    catalog: dict[str, Any] = data["catalog"]
    return catalog


def import_catalog(catalog: dict[str, Any], name: str | None = None) -> Imported:
    """The Framework a catalog makes; ``skipped``: withdrawn controls with no successor."""
    metadata = catalog.get("metadata") or {}
    title = str(metadata.get("title") or "Imported OSCAL catalog")
    out = Imported(counts={"groups": 0, "controls": 0})
    clauses = _clauses(list(_walk(catalog, None)), out)
    spec: dict[str, Any] = {
        "title": title,
        "version": str(metadata.get("version") or "unversioned"),
        "description": f"Imported from an OSCAL {metadata.get('oscal-version', '')} catalog "
        f"(uuid {catalog.get('uuid', 'unknown')}).".replace("  ", " "),
        "source": _source(title, metadata),
        "clauses": clauses,
    }
    framework = {
        "apiVersion": "aigov/v1",
        "kind": "Framework",
        "metadata": {"name": name or _slug(title)},
        "spec": spec,
    }
    out.documents.append(framework)
    return out


def _yaml(text: str, path: Path) -> Any:
    from aigov_gate.loading.safe_yaml import Limits, parse_text

    parsed = parse_text(text, Limits(max_file_bytes=64 << 20))
    if parsed.problems:
        bad = parsed.problems[0]
        where = f"{path}:{bad.line}:{bad.column}" if bad.line else str(path)
        raise UsageError(f"{where}: not valid YAML: {bad.message}", hint=_FORMATS)
    return parsed.documents[0] if parsed.documents else None


def _clauses(nodes: list[_Node], out: Imported) -> list[dict[str, Any]]:
    """Clauses in catalog order; a label used twice falls back to the OSCAL id."""
    seen: set[str] = set()
    for node in nodes:
        if node.number in seen:
            node.number = node.oscal_id
        seen.add(node.number)
    ids = {part: node.number for node in nodes for part in node.part_ids}
    ids.update({node.oscal_id: node.number for node in nodes})
    parent_of = {node.number: ids.get(node.parent or "") for node in nodes}
    clauses: list[dict[str, Any]] = []
    for node in nodes:
        clause: dict[str, Any] = {"clause_number": node.number, "title": node.title}
        if node.parent is not None:
            clause["parent"] = ids[node.parent]
        if node.statement:
            clause["description"] = node.statement
        if node.withdrawn:
            successors = list(dict.fromkeys(ids[m] for m in node.moved_to if m in ids))
            if not successors:
                out.skipped.append(node.number)
                continue
            clause["superseded_by"] = successors[0] if len(successors) == 1 else successors
        clause["oscal"] = {"control_id": node.oscal_id}
        if node.statement_id:
            clause["oscal"]["statement_id"] = node.statement_id
        out.counts["groups"] += node.group
        out.counts["controls"] += not node.group
        clauses.append(clause)
    kept = {c["clause_number"] for c in clauses}
    for clause in clauses:
        # A clause under a left-out (withdrawn) one moves up to the nearest kept ancestor.
        parent = clause.get("parent")
        while parent is not None and parent not in kept:
            parent = parent_of.get(parent)
        if parent is None:
            clause.pop("parent", None)
        else:
            clause["parent"] = parent
    return clauses


def _source(title: str, metadata: dict[str, Any]) -> dict[str, Any]:
    source: dict[str, Any] = {"publication": title}
    if metadata.get("version"):
        source["version"] = str(metadata["version"])
    day = str(metadata.get("published") or metadata.get("last-modified") or "")[:10]
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
        source["date"] = day
    return source


@dataclass
class _Node:
    oscal_id: str
    number: str
    title: str
    parent: str | None
    group: bool
    statement: str = ""
    withdrawn: bool = False
    moved_to: tuple[str, ...] = ()
    part_ids: tuple[str, ...] = ()
    statement_id: str | None = None


def _walk(
    container: dict[str, Any], parent: str | None, params: dict[str, str] | None = None
) -> Iterator[_Node]:
    params = parameters(container) if params is None else params
    for group in container.get("groups") or []:
        node = _node(group, parent, True, params)
        yield node
        yield from _walk(group, node.oscal_id, params)
    for control in container.get("controls") or []:
        node = _node(control, parent, False, params)
        yield node
        yield from _walk(control, node.oscal_id, params)


def _node(item: dict[str, Any], parent: str | None, group: bool, params: dict[str, str]) -> _Node:
    oscal_id = str(item.get("id") or item.get("title") or "unnamed")
    props = item.get("props") or []
    labels = [p for p in props if p.get("name") == "label" and "value" in p]
    plain = [p["value"] for p in labels if not p.get("class")] or [p["value"] for p in labels]
    number = plain[0] if plain and " " not in str(plain[0]) else oscal_id
    withdrawn = any(p.get("name") == "status" and p.get("value") == "withdrawn" for p in props)
    moved = [
        str(link.get("href", "")).lstrip("#")
        for link in item.get("links") or []
        if str(link.get("rel", "")).replace("_", "-") in ("incorporated-into", "moved-to")
    ]
    statement = statement_part(item)
    return _Node(
        oscal_id,
        str(number),
        " ".join(str(item.get("title") or oscal_id).split()),
        parent,
        group,
        statement_text(statement, params),
        withdrawn,
        tuple(moved),
        tuple(_part_ids(item.get("parts") or [])),
        str(statement["id"]) if statement and statement.get("id") else None,
    )


def _part_ids(parts: list[dict[str, Any]]) -> Iterator[str]:
    """Ids of a control's parts at any depth (800-53 withdraws into ``#ac-2_smt.k``)."""
    for part in parts:
        if part.get("id"):
            yield str(part["id"])
        yield from _part_ids(part.get("parts") or [])


def _slug(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:100].strip("-")
    return slug or "imported-catalog"


# --- export -------------------------------------------------------------------------

_STATE = {
    "compliant": ("satisfied", "pass"),
    "partially_compliant": ("not-satisfied", "other"),
    "non_compliant": ("not-satisfied", "fail"),
    "not_assessed": ("not-satisfied", "other"),
}


def oscal_id(clause: str) -> str:
    """An OSCAL token for a clause number: ``Art. 5(1)(a)`` -> ``art-5-1-a``."""
    token = re.sub(r"[^a-z0-9._]+", "-", clause.lower())
    token = re.sub(r"[-.]*-[-.]*", "-", token).strip("-.")
    if not token or not token[0].isalpha():
        token = f"c-{token}"
    assert _TOKEN.match(token), token
    return token


def stable_uuid(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(parts)))


def _prop(name: str, value: str) -> dict[str, str]:
    return {"name": name, "ns": NS, "value": value}


def assessment_results(result: GateResult) -> dict[str, Any]:
    s = result.situation
    stamp = f"{s.today.isoformat()}T00:00:00+00:00"
    where = s.stage + (f"/{s.environment}" if s.environment else "")
    identity = (stamp, where, __version__)
    plan = stable_uuid("assessment-plan", *identity)
    results = [_result(fc, stamp, identity) for fc in result.compliance]
    if not results:
        results = [_empty_result(stamp, identity)]
    return {
        "assessment-results": {
            "uuid": stable_uuid("assessment-results", *identity, *(r["uuid"] for r in results)),
            "metadata": {
                "title": f"aigov-gate assessment results ({where}, as of {s.today.isoformat()})",
                "last-modified": stamp,
                "version": __version__,
                "oscal-version": OSCAL_VERSION,
                "props": [_prop("decision", result.decision)],
            },
            "import-ap": {
                "href": f"#{plan}",
                "remarks": "aigov-gate has no separate assessment plan: the back-matter "
                "resource names the policy packs and rules that were evaluated.",
            },
            "results": results,
            "back-matter": {
                "resources": [
                    {
                        "uuid": plan,
                        "title": "aigov-gate policy set (assessment plan)",
                        "description": f"aigov-gate {__version__}; stage {where}; policy packs: "
                        f"{', '.join(result.packs) or 'none'}; {result.policies} policies "
                        "evaluated; clause statuses derived as docs/compliance.md describes.",
                    }
                ]
            },
        }
    }


def _result(fc: FrameworkCompliance, stamp: str, identity: tuple[str, ...]) -> dict[str, Any]:
    key = (*identity, fc.framework, fc.model)
    counted = [c for c in fc.clauses if c.counted]
    observations = [_observation(fc, c, stamp, key) for c in counted]
    findings = [_finding(fc, c, key) for c in counted]
    out: dict[str, Any] = {
        "uuid": stable_uuid("result", *key),
        "title": f"{fc.framework} for {fc.model}",
        "description": f"{fc.title} ({fc.version}) for model {fc.model}: coverage "
        f"{fc.coverage:.1f}% of {len(counted)} applicable clauses.",
        "start": stamp,
        "end": stamp,
        "props": [
            _prop("framework", fc.framework),
            _prop("model", fc.model),
            _prop("coverage", f"{fc.coverage:.1f}"),
        ],
        "reviewed-controls": {
            "description": f"The applicable clauses of {fc.framework}.",
            "control-selections": [_selection(counted)],
        },
    }
    if observations:
        out["observations"] = observations
        out["findings"] = findings
    return out


def _selection(clauses: list[ClauseStatus]) -> dict[str, Any]:
    if not clauses:
        return {"description": "No clause applies to this model.", "include-all": {}}
    return {"include-controls": [{"control-id": _control_id(c)} for c in clauses]}


def control_id_for(number: str, imported: str | None) -> str:
    """The catalog's own id for an imported clause, else one made from the clause number."""
    return imported or oscal_id(number)


def _control_id(c: ClauseStatus) -> str:
    return control_id_for(c.clause, c.control_id)


def _observation(
    fc: FrameworkCompliance, c: ClauseStatus, stamp: str, key: tuple[str, ...]
) -> dict[str, Any]:
    lines = [
        f"{b.source} {b.name}: {b.outcome}"
        + (f" ({b.detail})" if b.detail else "")
        + (f" via {b.via}" if b.via else "")
        for b in c.basis
    ]
    return {
        "uuid": stable_uuid("observation", *key, c.clause),
        "title": f"{c.clause} {c.title}",
        "description": "\n".join(lines) or "Nothing maps to this clause.",
        "methods": ["TEST"] if c.basis else ["EXAMINE"],
        "collected": stamp,
    }


def _finding(fc: FrameworkCompliance, c: ClauseStatus, key: tuple[str, ...]) -> dict[str, Any]:
    state, reason = _STATE[c.status]
    props = [_prop("label", c.clause), _prop("status", c.status)]
    if c.declared:
        props.append(_prop("declared-status", c.declared))
    return {
        "uuid": stable_uuid("finding", *key, c.clause),
        "title": f"{fc.framework} {c.clause}: {c.status}",
        "description": c.reason or c.status,
        "props": props,
        "target": {
            # A finding is about the control's statement (OSCAL: statement-id or objective-id).
            "type": "statement-id",
            "target-id": c.statement_id or f"{_control_id(c)}_smt",
            "title": " ".join(f"{c.clause} {c.title}".split()),
            "status": {"state": state, "reason": reason},
        },
        "related-observations": [{"observation-uuid": stable_uuid("observation", *key, c.clause)}],
    }


def _empty_result(stamp: str, identity: tuple[str, ...]) -> dict[str, Any]:
    return {
        "uuid": stable_uuid("result", *identity, "empty"),
        "title": "No framework applies",
        "description": "No framework applies to the gated models: set 'frameworks' in "
        ".aigov.yaml or on a Model.",
        "start": stamp,
        "reviewed-controls": {"control-selections": [{"description": "None.", "include-all": {}}]},
    }


def render_oscal(result: GateResult, colour: bool = False) -> str:
    return json.dumps(assessment_results(result), indent=2, ensure_ascii=False) + "\n"
