"""Crosswalks in and out as OSCAL 1.2 Control Mapping (``mapping-collection``) documents.

Export: the ``equivalents`` between two frameworks (declared on either side, as the gate
counts them) become one ``mapping`` from the source catalog to the target, a ``map`` per
linked clause pair. aigov's equivalents say that two clauses ask for the same thing without
claiming they are identical, so the relationship is ``intersects-with`` in the vocabulary of
NIST IR 8477 (set-theory relationship mapping), with ``semantic`` matching by a human.

Import: every ``map`` whose sources and targets resolve to clauses of the two frameworks (by
the clause's OSCAL control id, imported or derived from its number) becomes an equivalent on
the source clause. The result is the source framework with those equivalents added, a
Framework document which, named like a built-in catalog, replaces it for its organization.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from aigov_gate import __version__
from aigov_gate.compliance.oscal import NS, control_id_for
from aigov_gate.compliance.oscal import stable_uuid as uuid_for
from aigov_gate.errors import UsageError
from aigov_gate.frameworks import Catalog, crosswalk
from aigov_gate.loading.safe_json import JsonError, load_file

MAPPING_OSCAL_VERSION = "1.2.0"
RELATIONSHIP = "intersects-with"


def control_id(catalog: Catalog, number: str) -> str:
    imported = catalog.clauses[number].oscal
    return control_id_for(number, imported.control_id if imported else None)


def _resource(catalog: Catalog) -> dict[str, Any]:
    """A mapping's source or target: the catalog's back-matter resource (``#uuid``)."""
    return {
        "type": "catalog",
        "href": f"#{uuid_for('catalog', catalog.name)}",
        "props": [{"name": "framework", "ns": NS, "value": catalog.name}],
    }


def _back_matter(catalogs: tuple[Catalog, ...]) -> dict[str, Any]:
    """The resources ``#uuid`` points at: each catalog's title and, when known, its
    published location."""
    resources = []
    for catalog in catalogs:
        spec = catalog.framework.spec
        resource: dict[str, Any] = {
            "uuid": uuid_for("catalog", catalog.name),
            "title": spec.title,
            "props": [{"name": "framework", "ns": NS, "value": catalog.name}],
        }
        if spec.source is not None and spec.source.url:
            resource["rlinks"] = [{"href": spec.source.url}]
        resources.append(resource)
    return {"resources": resources}


def _dates(*catalogs: Catalog) -> list[date]:
    sources = [c.framework.spec.source for c in catalogs]
    return [s.date for s in sources if s is not None and s.date is not None]


def export_mapping(source: Catalog, target: Catalog) -> dict[str, Any]:
    """The crosswalk from ``source`` to ``target`` as a mapping-collection (same inputs, same
    bytes: UUIDs are version 5 of what they identify, and no clock is read)."""
    links = crosswalk({source.name: source, target.name: target})
    pairs = [
        (number, other)
        for number in source.clauses
        for fw, other in links.get((source.name, number), [])
        if fw == target.name
    ]
    if not pairs:
        raise UsageError(
            f"no equivalents link {source.name} and {target.name}",
            hint="`aigov frameworks show` lists each clause's equivalents",
        )
    key = (source.name, target.name, __version__)
    maps = [
        {
            "uuid": uuid_for("map", *key, a, b),
            "relationship": RELATIONSHIP,
            "sources": [{"type": "control", "id-ref": control_id(source, a)}],
            "targets": [{"type": "control", "id-ref": control_id(target, b)}],
            "props": [
                {"name": "source-clause", "ns": NS, "value": a},
                {"name": "target-clause", "ns": NS, "value": b},
            ],
        }
        for a, b in pairs
    ]
    title = f"{source.framework.spec.title} to {target.framework.spec.title}"
    day = max(_dates(source, target), default=None)
    return {
        "mapping-collection": {
            "uuid": uuid_for("mapping-collection", *key),
            "metadata": {
                "title": f"aigov-gate crosswalk: {title}",
                # the newer catalog's date: no clock, so the same inputs give the same bytes
                "last-modified": f"{day or '1970-01-01'}T00:00:00+00:00",
                "version": __version__,
                "oscal-version": MAPPING_OSCAL_VERSION,
            },
            "provenance": {
                "method": "human",
                "matching-rationale": "semantic",
                "status": "complete",
                "mapping-description": "Clauses that ask for the same thing (aigov-gate "
                "equivalents): evidence for one counts toward the other as supporting.",
            },
            "mappings": [
                {
                    "uuid": uuid_for("mapping", *key),
                    "source-resource": _resource(source),
                    "target-resource": _resource(target),
                    "maps": maps,
                }
            ],
            "back-matter": _back_matter((source, target)),
        }
    }


def read_mapping(path: Path) -> dict[str, Any]:
    """The ``mapping-collection`` object of a JSON file; errors say where and what."""
    try:
        data = load_file(path)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file", hint="give an OSCAL mapping-collection") from None
    except JsonError as exc:
        raise UsageError(
            exc.at(str(path), "not valid JSON"),
            hint="an OSCAL 1.2 mapping-collection in JSON",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read: {exc}", hint="check the file") from None
    collection = data.get("mapping-collection") if isinstance(data, dict) else None
    if not isinstance(collection, dict) or not isinstance(collection.get("mappings"), list):
        raise UsageError(
            f"{path}: not an OSCAL mapping-collection",
            hint="the top-level key must be 'mapping-collection', with a 'mappings' list",
        )
    return collection


def frameworks_named(collection: dict[str, Any]) -> tuple[str | None, str | None]:
    """The source and target framework ids an aigov export records in its resources."""

    def named(resource: Any) -> str | None:
        props = resource.get("props") if isinstance(resource, dict) else None
        for prop in props or []:
            if isinstance(prop, dict) and prop.get("name") == "framework" and prop.get("ns") == NS:
                return str(prop.get("value"))
        return None

    first = collection["mappings"][0] if collection["mappings"] else {}
    first = first if isinstance(first, dict) else {}
    return named(first.get("source-resource")), named(first.get("target-resource"))


def import_mapping(
    collection: dict[str, Any], source: Catalog, target: Catalog
) -> tuple[dict[str, Any], int, list[str]]:
    """The source Framework with the collection's links to ``target`` added as equivalents;
    how many were added, and the id-refs that name no clause of either framework."""
    wanted: dict[str, list[str]] = {}
    unknown: list[str] = []
    by_id = {c.name: {control_id(c, n): n for n in c.clauses} for c in (source, target)}

    def resolve(catalog: Catalog, items: Any) -> list[str]:
        ids = by_id[catalog.name]
        refs = [str(item.get("id-ref")) for item in items or [] if isinstance(item, dict)]
        unknown.extend(r for r in refs if r not in ids)
        return [ids[r] for r in refs if r in ids]

    maps = [e for m in collection["mappings"] if isinstance(m, dict) for e in m.get("maps") or []]
    for entry in maps:
        targets = resolve(target, entry.get("targets"))
        for a in resolve(source, entry.get("sources")):
            for b in targets:
                if b not in wanted.setdefault(a, []):
                    wanted[a].append(b)
    document = source.framework.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    added = 0
    for clause in document["spec"]["clauses"]:
        have = {(e["framework"], e["clause"]) for e in clause.get("equivalents", [])}
        for b in wanted.get(clause["clause_number"], []):
            if (target.name, b) not in have:
                clause.setdefault("equivalents", []).append({"framework": target.name, "clause": b})
                added += 1
    return document, added, sorted(set(unknown))
