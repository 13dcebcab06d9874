"""CycloneDX ML-BOMs (1.6 and 1.7, JSON): models and their datasets out, models and their
quantitative analysis in. Both directions are checked against the official schemas
(``interchange/schemas``, with ``jsonschema``; no format checker).

Out: each Model is a ``machine-learning-model`` component (hashes from its digest, its
licence, a ``modelCard`` with the task, dataset references, the latest completed run's
metrics with slices and confidence intervals, and considerations from the intended use,
out-of-scope uses and the risk assessment), each Dataset it uses a ``data`` component, and
``dependencies`` say which model uses which data. The serial number is derived from the
content, so the same documents give the same bytes.

In (``cyclonedx_in``): each ``machine-learning-model`` component becomes a Model and,
when it has ``performanceMetrics``, a TestRun; each data component it uses a Dataset.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from functools import cache
from pathlib import Path
from typing import Any

from aigov_gate import __version__
from aigov_gate.documents.assets import Dataset, Model
from aigov_gate.documents.risk import RiskAssessment
from aigov_gate.documents.testing import TestRun
from aigov_gate.errors import UsageError
from aigov_gate.graph import ModelContext
from aigov_gate.loading.safe_json import JsonLimits

SPEC_VERSIONS = ("1.6", "1.7")
_SCHEMAS = Path(__file__).parent / "schemas"
PROPERTY = _PROPERTY = "aigov:"
PURPOSE = f"{_PROPERTY}dataset_purpose"
#: The schema check recurses about ten frames per level: real BOMs nest a few levels deep.
LIMITS = JsonLimits(max_depth=48)


@cache
def _validator(spec_version: str) -> Any:
    from jsonschema import Draft7Validator
    from referencing import Registry, Resource

    def load(name: str) -> Any:
        return json.loads((_SCHEMAS / name).read_text(encoding="utf-8"))

    others = ("spdx.schema.json", "jsf-0.82.schema.json", "cryptography-defs.schema.json")
    registry = Registry().with_resources(
        (load(name)["$id"], Resource.from_contents(load(name))) for name in others
    )
    return Draft7Validator(load(f"bom-{spec_version}.schema.json"), registry=registry)


def schema_errors(bom: dict[str, Any], spec_version: str) -> list[str]:
    """What the official schema says is wrong, as ``path: message`` (first ten)."""
    try:
        errors = sorted(_validator(spec_version).iter_errors(bom), key=lambda e: list(e.path))
    except RecursionError:  # bounded by _LIMITS when read; a dict built in memory is not
        return ["(root): nested too deeply to check against the schema"]
    shown = []
    for error in errors[:10]:
        where = "/".join(str(p) for p in error.path) or "(root)"
        shown.append(f"{where}: {error.message[:300]}")
    return shown


# -- out ----------------------------------------------------------------------------------


def export_bom(contexts: list[ModelContext], spec_version: str = "1.6") -> dict[str, Any]:
    components: list[dict[str, Any]] = []
    dependencies: list[dict[str, Any]] = []
    seen_data: set[str] = set()
    for ctx in contexts:
        model_ref = f"model:{ctx.name}@{ctx.version}"
        data_refs = []
        for dataset in ctx.datasets:
            ref = f"dataset:{dataset.model.metadata.name}"
            data_refs.append(ref)
            if ref not in seen_data:
                seen_data.add(ref)
                components.append(_data_component(dataset.model, ref))
        components.append(_model_component(ctx, model_ref, data_refs))
        dependencies.append({"ref": model_ref, "dependsOn": data_refs})
    body = {"components": components, "dependencies": dependencies}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    bom: dict[str, Any] = {
        "$schema": f"http://cyclonedx.org/schema/bom-{spec_version}.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": spec_version,
        "serialNumber": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'aigov:{digest}')}",
        "version": 1,
        "metadata": {
            "tools": {
                "components": [
                    {"type": "application", "name": "aigov-gate", "version": __version__}
                ]
            }
        },
        **body,
    }
    problems = schema_errors(bom, spec_version)
    if problems:  # our own output: a bug, said plainly rather than written
        raise UsageError(f"the ML-BOM would not be valid CycloneDX {spec_version}: {problems[0]}")
    return bom


def _data_component(dataset: Dataset, ref: str) -> dict[str, Any]:
    spec = dataset.spec
    data: dict[str, Any] = {
        "type": "dataset",
        "name": dataset.metadata.name,
        "classification": spec.data_classification,
    }
    if spec.description:
        data["description"] = spec.description
    if spec.uri:
        data["contents"] = {"url": spec.uri}
    if spec.contains_pii:
        data["sensitiveData"] = ["personal data (contains_pii: true)"]
    component: dict[str, Any] = {
        "type": "data",
        "bom-ref": ref,
        "name": dataset.metadata.name,
        "version": spec.version,
        "data": [data],
    }
    if spec.license:
        component["licenses"] = [{"license": {"name": spec.license}}]
    return component


def _model_component(ctx: ModelContext, ref: str, data_refs: list[str]) -> dict[str, Any]:
    model = ctx.spec
    spec = model.spec
    card: dict[str, Any] = {
        "modelParameters": {
            "task": spec.model_type,
            "datasets": [{"ref": r} for r in data_refs],
        }
    }
    run = ctx.run.model if ctx.run is not None else None
    if isinstance(run, TestRun):
        metrics = [
            _performance(result.test_name, m) for result in run.spec.results for m in result.metrics
        ]
        if metrics:
            card["quantitativeAnalysis"] = {"performanceMetrics": metrics}
    considerations = _considerations(ctx, model)
    if considerations:
        card["considerations"] = considerations
    component: dict[str, Any] = {
        "type": "machine-learning-model",
        "bom-ref": ref,
        "name": model.metadata.name,
        "version": ctx.version,
    }
    if spec.description:
        component["description"] = spec.description
    if spec.digest and spec.digest.startswith("sha256:"):  # an OMS root digest is no file hash
        component["hashes"] = [{"alg": "SHA-256", "content": spec.digest.removeprefix("sha256:")}]
    licence = model.metadata.labels.get("license")
    if licence:
        component["licenses"] = [{"license": {"name": licence}}]
    component["modelCard"] = card
    component["properties"] = [
        {"name": f"{_PROPERTY}risk_tier", "value": spec.risk_tier},
        {"name": f"{_PROPERTY}organization", "value": ctx.model.organization},
        # CycloneDX has no place for why a model uses a dataset: ours, so it comes back
        *({"name": PURPOSE, "value": f"{u.name}={u.purpose}"} for u in spec.datasets),
    ]
    return component


def _performance(test: str, metric: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": metric.name, "value": str(metric.value)}
    if metric.slice_key is not None:
        out["slice"] = f"{metric.slice_key}={metric.slice_value}"
    if metric.ci_low is not None and metric.ci_high is not None:
        out["confidenceInterval"] = {
            "lowerBound": str(metric.ci_low),
            "upperBound": str(metric.ci_high),
        }
    return out


def _considerations(ctx: ModelContext, model: Model) -> dict[str, Any]:
    spec = model.spec
    out: dict[str, Any] = {}
    if spec.intended_use:
        out["useCases"] = [spec.intended_use]
    limitations = [f"Out of scope: {use}" for use in spec.out_of_scope_use]
    limitations += [
        f"{d.model.metadata.name}: {limitation}"
        for d in ctx.datasets
        if isinstance(d.model, Dataset)
        for limitation in d.model.spec.known_limitations
    ]
    if limitations:
        out["technicalLimitations"] = limitations
    risk = ctx.risk.model if ctx.risk is not None else None
    if isinstance(risk, RiskAssessment) and risk.spec.risk_factors:
        mitigations = {
            name: m.description for m in risk.spec.mitigation_measures for name in m.risk_factors
        }
        out["ethicalConsiderations"] = [
            {"name": f.name, "mitigationStrategy": mitigations.get(f.name, "none documented")}
            for f in risk.spec.risk_factors
        ]
    return out


__all__ = ["LIMITS", "PROPERTY", "PURPOSE", "SPEC_VERSIONS", "export_bom", "schema_errors"]
