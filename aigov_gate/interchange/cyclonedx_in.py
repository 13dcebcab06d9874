"""CycloneDX ML-BOMs in: each ``machine-learning-model`` component (nested ones too) becomes
a Model and, when it has ``performanceMetrics``, a TestRun; each data component a model
uses becomes a Dataset, so an export of ours imports back into a repository that
validates. A metric whose value is not a number is reported and left out; nothing is
guessed (a version, a risk tier).
"""

from __future__ import annotations

import math
import re
from typing import Any, get_args

from aigov_gate.documents.base import Classification
from aigov_gate.documents.imported import Imported
from aigov_gate.documents.testing import interval_problem
from aigov_gate.errors import UsageError
from aigov_gate.interchange.cyclonedx import LIMITS, PROPERTY, PURPOSE, SPEC_VERSIONS, schema_errors
from aigov_gate.interchange.model_card import model_type_of, slug
from aigov_gate.loading.safe_json import JsonError, loads


def read_bom(text: str, shown: str) -> dict[str, Any]:
    """The BOM, checked against its version's schema; errors say where."""
    try:
        bom = loads(text, LIMITS)
    except JsonError as exc:
        raise UsageError(
            f"not valid JSON: {exc.message}",
            where=f"{shown}:{exc.line}:{exc.column}" if exc.line else shown,
            hint=f"a BOM nests at most {LIMITS.max_depth} levels"
            if "nested deeper" in exc.message
            else "a trailing comma or a comment is not JSON (some published examples have one)",
        ) from None
    if not isinstance(bom, dict) or bom.get("bomFormat") != "CycloneDX":
        raise UsageError(f"{shown} is not a CycloneDX BOM (no bomFormat: CycloneDX)")
    version = str(bom.get("specVersion"))
    if version not in SPEC_VERSIONS:
        raise UsageError(
            f"{shown} is CycloneDX {version}; ML-BOMs are read in " + " and ".join(SPEC_VERSIONS),
            hint="convert it with the CycloneDX CLI (cyclonedx convert --output-version v1_6)",
        )
    problems = schema_errors(bom, version)
    if problems:
        raise UsageError(
            f"{shown} is not valid CycloneDX {version}: " + "; ".join(problems[:3]),
            hint="the official schema is in aigov_gate/interchange/schemas",
        )
    return bom


def import_bom(bom: dict[str, Any], risk_tier: str | None, version: str | None) -> Imported:
    """A Model (and TestRun) per machine-learning-model component, anywhere in the tree, and
    a Dataset per data component they use (each once, before the models)."""
    by_ref = {c.get("bom-ref"): c for c in _components(bom) if c.get("bom-ref")}
    models: list[dict[str, Any]] = []
    datasets: list[dict[str, Any]] = []
    skipped: list[str] = []
    for component in _components(bom):
        if component.get("type") == "machine-learning-model":
            models += _import_model(component, by_ref, risk_tier, version, skipped)
    if not models:
        raise UsageError("the BOM has no machine-learning-model component")
    wanted = {
        u["name"] for m in models if m["kind"] == "Model" for u in m["spec"].get("datasets", [])
    }
    for data in by_ref.values():
        name = slug(str(data.get("name", "")))
        if data.get("type") == "data" and name in wanted:
            wanted.discard(name)
            found = _dataset(data, skipped)
            datasets += [found] if found else []
    return Imported(documents=[*datasets, *models], skipped=skipped)


def _components(bom: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    stack = list(reversed(bom.get("components", [])))
    while stack:
        component = stack.pop()
        found.append(component)
        stack.extend(reversed(component.get("components", [])))
    return found


def _import_model(
    component: dict[str, Any],
    by_ref: dict[Any, dict[str, Any]],
    risk_tier: str | None,
    fallback_version: str | None,
    skipped: list[str],
) -> list[dict[str, Any]]:
    name = slug(component.get("name", "model"))
    properties = {
        p.get("name"): p.get("value") for p in component.get("properties", []) if p.get("name")
    }
    card = component.get("modelCard", {})
    parameters = card.get("modelParameters", {})
    version = component.get("version") or fallback_version
    tier = properties.get(f"{PROPERTY}risk_tier") or risk_tier
    if not version or not tier:
        what, option = ("version", "--version") if not version else ("risk tier", "--risk-tier")
        raise UsageError(
            f"component '{component.get('name')}' has no {what}",
            hint=f"give one with {option}: an import does not guess it",
        )
    spec: dict[str, Any] = {
        "model_type": _model_type(str(parameters.get("task", ""))),
        "version": str(version),
        "risk_tier": tier,
    }
    if component.get("description"):
        spec["description"] = str(component["description"])
    sha256 = [
        h["content"]
        for h in component.get("hashes", [])
        if h.get("alg") == "SHA-256" and re.fullmatch(r"[0-9a-fA-F]{64}", str(h.get("content")))
    ]
    if sha256:
        spec["digest"] = f"sha256:{sha256[0].lower()}"
    uses = _uses(component, by_ref, skipped)
    if uses:
        spec["datasets"] = uses
    considerations = card.get("considerations", {})
    if considerations.get("useCases"):
        spec["intended_use"] = " ".join(str(u) for u in considerations["useCases"])
    model = {
        "apiVersion": "aigov/v1",
        "kind": "Model",
        "metadata": {"name": name, "labels": {"source": "cyclonedx"}},
        "spec": spec,
    }
    metrics = _metrics(card.get("quantitativeAnalysis", {}), name, skipped)
    return [model, *([_run(name, str(version), metrics)] if metrics else [])]


def _run(name: str, version: str, metrics: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "aigov/v1",
        "kind": "TestRun",
        "metadata": {"name": slug(f"{name}-{version}-cyclonedx")},
        "spec": {
            "model": name,
            "model_version": version,
            "status": "completed",
            "parameters": {"source": "cyclonedx quantitativeAnalysis"},
            "results": [{"test_name": "quantitative analysis", "metrics": metrics}],
        },
    }


def _uses(
    component: dict[str, Any], by_ref: dict[Any, dict[str, Any]], skipped: list[str]
) -> list[dict[str, Any]]:
    """The model's datasets: by ref to a data component, or inline; the purpose from our
    property (an export of ours), else "training", what a model card's datasets are."""
    said = [p for p in component.get("properties", []) if p.get("name") == PURPOSE]
    purposes = dict(str(p.get("value")).partition("=")[::2] for p in said)
    datasets = component.get("modelCard", {}).get("modelParameters", {}).get("datasets", [])
    uses = []
    for dataset in datasets:
        data = by_ref.get(dataset.get("ref")) if "ref" in dataset else dataset
        label = data.get("name") if data else None
        if not label:
            skipped.append(f"a dataset of '{component.get('name')}' with neither a known ref "
                           "nor a name")  # fmt: skip
            continue
        use = {"name": slug(str(label)), "purpose": purposes.get(str(label), "training")}
        if data and data.get("version"):
            use["version"] = str(data["version"])
        uses.append(use)
    return uses


def _dataset(data: dict[str, Any], skipped: list[str]) -> dict[str, Any] | None:
    """A data component as a Dataset: what it says, nothing guessed (no version, no file)."""
    name = slug(str(data.get("name", "")))
    if not data.get("version"):
        skipped.append(f"data component '{data.get('name')}' has no version: no Dataset written")
        return None
    spec: dict[str, Any] = {"version": str(data["version"])}
    contents = (data.get("data") or [{}])[0]
    if contents.get("description"):
        spec["description"] = str(contents["description"])
    if (contents.get("contents") or {}).get("url"):
        spec["uri"] = str(contents["contents"]["url"])
    spec["contains_pii"] = bool(contents.get("sensitiveData"))
    if contents.get("classification") in get_args(Classification):
        spec["data_classification"] = contents["classification"]
    licences = [x.get("license", {}).get("name") for x in data.get("licenses", [])]
    if licences and licences[0]:
        spec["license"] = str(licences[0])
    return {
        "apiVersion": "aigov/v1",
        "kind": "Dataset",
        "metadata": {"name": name, "labels": {"source": "cyclonedx"}},
        "spec": spec,
    }


def _model_type(task: str) -> str:
    ours = {"tabular", "nlp", "vision", "speech", "llm", "recommender", "timeseries", "other"}
    return task if task in ours else model_type_of(task)


def _metrics(analysis: dict[str, Any], model: str, skipped: list[str]) -> list[dict[str, Any]]:
    metrics = []
    for metric in analysis.get("performanceMetrics", []):
        kind = str(metric.get("type") or "")
        try:
            value = float(str(metric.get("value")))
            if not math.isfinite(value):
                raise ValueError(value)
        except ValueError:
            skipped.append(f"metric '{kind}' of '{model}' has no numeric value")
            continue
        out: dict[str, Any] = {"name": kind or "metric", "value": value}
        where = metric.get("slice")
        if where:
            key, _, val = str(where).partition("=")
            out["slice_key"], out["slice_value"] = (key, val) if val else ("slice", key)
        interval = metric.get("confidenceInterval", {})
        try:
            low, high = float(interval["lowerBound"]), float(interval["upperBound"])
            problem = interval_problem(value, low, high)
            if problem:
                skipped.append(f"the interval of metric '{kind}' of '{model}': {problem}")
            else:
                out["ci_low"], out["ci_high"] = low, high
        except (KeyError, ValueError, TypeError):
            pass
        metrics.append(out)
    return metrics


__all__ = ["import_bom", "read_bom"]
