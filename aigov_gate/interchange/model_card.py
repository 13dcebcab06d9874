"""Hugging Face model cards in: a README.md's YAML front matter to a Model and TestRuns.

The front matter is the YAML between a first line ``---`` and the next line ``---`` (or
the end of the file, as some cards have it). What is read:

- ``model-index`` (or the legacy ``model_index``): each result's ``task`` (type, name),
  ``dataset`` (type, name, config, split, revision) and ``metrics`` (type, value, name,
  verified; the legacy single ``metric:`` too). Results are grouped by dataset: one
  TestRun per dataset, one TestResult per task and split, one MetricValue per metric.
- ``datasets`` (what the model was trained on), ``license``, ``tags``, ``pipeline_tag``
  and ``library_name``.

What a card does not say is not invented: the risk tier and the version come from the
user (``--risk-tier``, ``--version``); a metric whose value is not a number is reported
and left out, never guessed.
"""

from __future__ import annotations

import math
import re
from typing import Any

from aigov_gate.documents.imported import Imported
from aigov_gate.errors import UsageError
from aigov_gate.loading.safe_yaml import Limits, parse_text

#: ``pipeline_tag`` / ``task.type`` prefixes to our model types (first match wins).
_MODEL_TYPES = (
    ("text-generation", "llm"),
    ("text2text-generation", "llm"),
    ("image-", "vision"),
    ("object-detection", "vision"),
    ("depth-", "vision"),
    ("video-", "vision"),
    ("automatic-speech-recognition", "speech"),
    ("audio-", "speech"),
    ("text-to-speech", "speech"),
    ("tabular-", "tabular"),
    ("time-series-", "timeseries"),
    ("text-", "nlp"),
    ("token-classification", "nlp"),
    ("question-answering", "nlp"),
    ("summarization", "nlp"),
    ("translation", "nlp"),
    ("fill-mask", "nlp"),
    ("sentence-similarity", "nlp"),
    ("zero-shot-classification", "nlp"),
)


def front_matter(text: str, shown: str) -> dict[str, Any]:
    """The card's metadata; errors point into the card (its YAML starts on line 2)."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise UsageError(
            f"{shown} has no YAML front matter",
            where=f"{shown}:1:1",
            hint="a model card starts with a line '---', its metadata, and a line '---'",
        )
    end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() == "---"), len(lines))
    parsed = parse_text("\n".join(lines[1:end]) + "\n", Limits())
    if parsed.problems:
        p = parsed.problems[0]
        raise UsageError(p.message, where=f"{shown}:{p.line + 1}:{p.column}", hint=p.hint)
    data = parsed.documents[0] if parsed.documents else {}
    if not isinstance(data, dict):
        raise UsageError("the front matter is not a mapping of metadata", where=f"{shown}:2:1")
    return data


def slug(value: object) -> str:
    """A Name from a Hugging Face id: ``google/fleurs`` -> ``google--fleurs``."""
    text = str(value).strip().lower().replace("/", "--")
    text = re.sub(r"[^a-z0-9._-]+", "-", text).strip("._-")
    return text[:128].strip("._-") or "unnamed"


def model_type_of(task: str) -> str:
    return next((ours for prefix, ours in _MODEL_TYPES if task.startswith(prefix)), "other")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value.strip().rstrip("%"))
        except ValueError:
            return None
        if not math.isfinite(number):
            return None
        return number / 100 if value.strip().endswith("%") else number
    return None


def convert(
    card: dict[str, Any], *, name: str | None, version: str, risk_tier: str, model_type: str | None
) -> Imported:
    """The Model and TestRun documents (plain data) a card's metadata describes."""
    index = card.get("model-index", card.get("model_index"))
    entries = [e for e in _as_list(index) if isinstance(e, dict)]
    model_name = slug(name or (entries[0].get("name") if entries else None) or "model")
    task_types = [
        str(r.get("task", {}).get("type", ""))
        for e in entries
        for r in _as_list(e.get("results"))
        if isinstance(r, dict) and isinstance(r.get("task"), dict)
    ]
    pipeline = str(card.get("pipeline_tag") or (task_types[0] if task_types else ""))
    skipped: list[str] = []
    runs: dict[str, dict[str, Any]] = {}
    for entry in entries:
        for i, result in enumerate(_as_list(entry.get("results"))):
            _result(result, i, model_name, version, runs, skipped)
    trained = [slug(d) for d in _as_list(card.get("datasets")) if isinstance(d, str)]
    evaluated = [str(run["spec"]["dataset"]) for run in runs.values()]
    uses = [{"name": d, "purpose": "training"} for d in dict.fromkeys(trained)]
    uses += [{"name": d, "purpose": "test"} for d in dict.fromkeys(evaluated) if d not in trained]
    labels = {"source": "huggingface-model-card"}
    if card.get("license"):
        labels["license"] = slug(card["license"])
    if card.get("library_name"):
        labels["library"] = slug(card["library_name"])
    spec: dict[str, Any] = {
        "model_type": model_type or model_type_of(pipeline),
        "version": version,
        "risk_tier": risk_tier,
    }
    tags = [str(t) for t in _as_list(card.get("tags")) if isinstance(t, str | int | float)]
    if tags:
        spec["description"] = "Tags on the model card: " + ", ".join(tags) + "."
    if uses:
        spec["datasets"] = uses
    model = {
        "apiVersion": "aigov/v1",
        "kind": "Model",
        "metadata": {"name": model_name, "labels": labels},
        "spec": spec,
    }
    return Imported([model, *runs.values()], skipped)


def _result(
    result: Any,
    position: int,
    model: str,
    version: str,
    runs: dict[str, dict[str, Any]],
    skipped: list[str],
) -> None:
    where = f"model-index result {position + 1}"
    if not isinstance(result, dict):
        skipped.append(f"{where}: not a mapping")
        return
    task: dict[str, Any] = result["task"] if isinstance(result.get("task"), dict) else {}
    dataset: dict[str, Any] | None = (
        result["dataset"] if isinstance(result.get("dataset"), dict) else None
    )
    if dataset is None or not (dataset.get("type") or dataset.get("name")):
        skipped.append(f"{where}: names no dataset (Hugging Face leaves such results out too)")
        return
    dataset_name = slug(dataset.get("type") or dataset.get("name"))
    metrics = []
    raw_metrics = _as_list(result.get("metrics", result.get("metric")))
    for metric in raw_metrics:
        if not isinstance(metric, dict) or not (metric.get("type") or metric.get("name")):
            skipped.append(f"{where}: a metric without a type")
            continue
        value = _number(metric.get("value"))
        metric_name = str(metric.get("type") or metric.get("name"))
        if value is None:
            skipped.append(f"{where}: metric '{metric_name}' has no numeric value")
            continue
        metric_value: dict[str, Any] = {"name": metric_name, "value": value}
        args = metric.get("args")
        if isinstance(args, dict) and args.get("slice_key") and "slice_value" in args:
            metric_value["slice_key"] = str(args["slice_key"])  # as aigov export writes it
            metric_value["slice_value"] = str(args["slice_value"])
        metrics.append(metric_value)
    split = dataset.get("split")
    config = dataset.get("config")
    test_name = str(task.get("type") or task.get("name") or "evaluation")
    if config:
        test_name += f" ({config})"
    if split:
        test_name += f" on {split}"
    verified = [m for m in raw_metrics if isinstance(m, dict) and m.get("verified") is True]
    test: dict[str, Any] = {"test_name": test_name, "metrics": metrics}
    if verified:
        test["summary"] = f"{len(verified)} metric(s) verified by Hugging Face"
    # A dataset at another revision is another evaluation: its own TestRun.
    revision = str(dataset.get("revision") or "")
    run = runs.get(f"{dataset_name}@{revision}")
    if run is None:
        parameters: dict[str, Any] = {"source": "huggingface model card"}
        if dataset.get("name"):
            parameters["dataset_name"] = str(dataset["name"])
        if revision:
            parameters["dataset_revision"] = revision
        run_name = f"{model}-{version}-{dataset_name}" + (f"-{revision[:12]}" if revision else "")
        run = runs[f"{dataset_name}@{revision}"] = {
            "apiVersion": "aigov/v1",
            "kind": "TestRun",
            "metadata": {"name": slug(run_name)},
            "spec": {
                "model": model,
                "model_version": version,
                "dataset": dataset_name,
                "status": "completed",
                "parameters": parameters,
                "results": [],
            },
        }
    run["spec"]["results"].append(test)
