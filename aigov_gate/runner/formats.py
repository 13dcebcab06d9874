"""What a test's results look like, one reader per format, in one table (:data:`FORMATS`).

* ``jsonl``: aigov's own protocol. The test appends one JSON object a line to
  ``AIGOV_RESULT_FILE``: ``{"name", "value", "slice_key", "slice_value", "n", "ci_low",
  "ci_high", "interval"}`` (only name and value required; an interval must hold the
  value, and ``interval`` says how it was made). Its stdout is never read as results.
* ``junit``: JUnit XML properties named ``aigov.metric.NAME`` or
  ``aigov.metric.NAME[KEY=VALUE]`` (a slice), on test cases (xunit1) or on the test
  suite (xunit2), e.g. pytest's ``record_property`` / ``record_testsuite_property``.
* ``lm-eval``: lm-evaluation-harness ``results_*.json``: ``results.TASK["METRIC,FILTER"]``
  becomes metric ``METRIC`` (``METRIC,FILTER`` unless the filter is ``none``) sliced by
  ``task``; ``METRIC_stderr,FILTER`` gives a 95 % interval; ``n-samples`` gives ``n``.
* ``aiverify``: an AI Verify plugin's ``output/results.json`` (``gid``, ``cid``,
  ``output``): every number in ``output`` becomes a metric named by its dotted path.

Each reader returns the metrics and the problems found (bad lines are problems with the
file's line number, never skipped silently); adding a format is one function here and
one entry in the table.

    >>> metrics, problems = read_jsonl('{"name": "auc", "value": 0.8}\\nnot json\\n', "r.jsonl")
    >>> metrics[0]["value"], problems
    (0.8, ['r.jsonl:2: not a JSON object: not json'])
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from aigov_gate.documents.testing import IntervalProvenance, interval_problem
from aigov_gate.loading.safe_json import JsonError, loads

Metric = dict[str, Any]
Reader = Callable[[str, str], tuple[list[Metric], list[str]]]

_FIELDS = {"name", "value", "slice_key", "slice_value", "n", "ci_low", "ci_high", "interval"}


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer beyond a float's range
        return None
    return number if math.isfinite(number) else None


def _clean(raw: dict[str, Any], where: str) -> tuple[Metric | None, str | None]:
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        return None, f"{where}: no metric name"
    value = _number(raw.get("value"))
    if value is None:
        return None, f"{where}: {name}: value {raw.get('value')!r} is not a finite number"
    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        return None, f"{where}: {name}: unknown field {unknown[0]!r}"
    out: Metric = {"name": name, "value": value}
    for key in ("slice_key", "slice_value"):
        if raw.get(key) is not None:
            out[key] = str(raw[key])
    if raw.get("n") is not None:
        if not isinstance(raw["n"], int) or isinstance(raw["n"], bool) or raw["n"] < 0:
            return None, f"{where}: {name}: n must be a whole number"
        out["n"] = raw["n"]
    for key in ("ci_low", "ci_high"):
        if raw.get(key) is not None:
            bound = _number(raw[key])
            if bound is None:
                return None, f"{where}: {name}: {key} is not a finite number"
            out[key] = bound
    problem = interval_problem(value, out.get("ci_low"), out.get("ci_high"))
    problem = problem or _provenance(raw.get("interval"), out)
    if problem:
        return None, f"{where}: {name}: {problem}"
    return out, None


def _provenance(given: object, out: Metric) -> str:
    """A problem with the ``interval`` object, or '' (and it is kept)."""
    if given is None:
        return ""
    try:
        IntervalProvenance.model_validate(given)
    except ValueError as exc:
        return "interval: " + (" ".join(str(exc).splitlines()[1:3]) or str(exc))
    out["interval"] = given
    return ""


def _json(text: str, shown: str) -> tuple[Any, list[str]]:
    try:
        return loads(text), []
    except JsonError as exc:
        return None, [f"not JSON: {exc.at(shown)}"]


def _collect(raw: list[tuple[dict[str, Any], str]]) -> tuple[list[Metric], list[str]]:
    """Clean each ``(metric, where)``: the good ones, and the problems of the others."""
    metrics, problems = [], []
    for item, where in raw:
        metric, problem = _clean(item, where)
        if metric is not None:
            metrics.append(metric)
        if problem is not None:
            problems.append(problem)
    return metrics, problems


def read_jsonl(text: str, shown: str) -> tuple[list[Metric], list[str]]:
    metrics, problems = [], []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{shown}:{number}"
        try:
            raw = loads(line, expect=dict, constants=str)  # NaN/Infinity stay strings
        except JsonError:
            problems.append(f"{where}: not a JSON object: {line[:80]}")
            continue
        if set(raw) == {"predictions"}:
            continue  # the binding line of 'aigov metrics compute': see bindings()
        metric, problem = _clean(raw, where)
        if metric is not None:
            metrics.append(metric)
        if problem is not None:
            problems.append(problem)
    return metrics, problems


def bindings(text: str) -> list[dict[str, Any]]:
    """The ``{"predictions": {"path", "sha256", "rows"}}`` lines of a result file."""
    out = []
    for line in text.splitlines():
        if '"predictions"' not in line:
            continue
        try:
            raw = loads(line, expect=dict)
        except JsonError:
            continue  # read_jsonl reports the line
        ref = raw.get("predictions")
        if isinstance(ref, dict) and isinstance(ref.get("sha256"), str):
            out.append({k: ref[k] for k in ("path", "sha256", "rows", "source") if k in ref})
    return out


_PROPERTY = re.compile(r"^aigov\.metric\.([^\[\]]+)(?:\[([^=\]]+)=([^\]]*)\])?$")


def read_junit(text: str, shown: str) -> tuple[list[Metric], list[str]]:
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        return [], [f"{shown}: not JUnit XML: {exc}"]
    found: list[tuple[dict[str, Any], str]] = []
    for prop in root.iter("property"):
        match = _PROPERTY.match(prop.get("name", ""))
        if match is None:
            continue
        raw_value = prop.get("value", prop.text or "")
        try:
            value: object = float(raw_value)
        except ValueError:
            value = raw_value
        raw: dict[str, Any] = {"name": match[1], "value": value}
        if match[2]:
            raw.update(slice_key=match[2], slice_value=match[3])
        found.append((raw, f"{shown}: property {prop.get('name')}"))
    return _collect(found)


def read_lm_eval(text: str, shown: str) -> tuple[list[Metric], list[str]]:
    data, bad = _json(text, shown)
    if bad:
        return [], bad
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, dict):
        return [], [f"{shown}: no 'results' object (an lm-evaluation-harness results file?)"]
    samples = data.get("n-samples") if isinstance(data.get("n-samples"), dict) else {}
    found: list[tuple[dict[str, Any], str]] = []
    for task, values in results.items():
        if not isinstance(values, dict):
            continue
        counted = samples.get(task)
        count = counted.get("effective") if isinstance(counted, dict) else None
        for key, value in values.items():
            metric, _, filt = key.partition(",")
            if metric == "alias" or metric.endswith("_stderr"):
                continue
            name = metric if filt in ("", "none") else f"{metric},{filt}"
            raw: dict[str, Any] = {
                "name": name,
                "value": value,
                "slice_key": "task",
                "slice_value": task,
            }
            stderr = _number(values.get(f"{metric}_stderr,{filt}" if filt else f"{metric}_stderr"))
            number = _number(value)
            if stderr is not None and number is not None:
                raw.update(ci_low=number - 1.96 * stderr, ci_high=number + 1.96 * stderr)
            if isinstance(count, int):
                raw["n"] = count
            if _number(value) is None and not isinstance(value, int | float):
                continue  # lm-eval writes "N/A" for metrics a task does not compute
            found.append((raw, f"{shown}: results.{task}.{key}"))
    return _collect(found)


def _leaves(value: object, path: str) -> Iterator[tuple[str, object]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _leaves(item, f"{path}.{i}")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield path, value


def read_aiverify(text: str, shown: str) -> tuple[list[Metric], list[str]]:
    data, bad = _json(text, shown)
    if bad:
        return [], bad
    if not isinstance(data, dict) or not {"gid", "cid"} <= set(data):
        return [], [f"{shown}: not an AI Verify result (no gid and cid)"]
    leaves = _leaves(data.get("output") or {}, "")
    return _collect([({"name": p, "value": v}, f"{shown}: output.{p}") for p, v in leaves])


#: format -> (reader, where its files are found in AIGOV_OUTPUT_DIR when 'results' is unset)
FORMATS: dict[str, tuple[Reader, str]] = {
    "jsonl": (read_jsonl, "result.jsonl"),
    "junit": (read_junit, "**/*.xml"),
    "lm-eval": (read_lm_eval, "**/results_*.json"),
    "aiverify": (read_aiverify, "**/output/results.json"),
}


def find_results(fmt: str, output_dir: Path, given: Path | None) -> list[Path]:
    """The result files of a test: ``given`` (a file, or a folder searched), else the default."""
    pattern = FORMATS[fmt][1]
    if given is not None and given.is_file():
        return [given]
    base = given if given is not None else output_dir
    if not base.is_dir():
        return []
    found = sorted(p for p in base.glob(pattern) if p.is_file() and not p.is_symlink())
    if fmt == "lm-eval" and found:
        return [max(found, key=lambda p: p.name)]  # the newest run (names carry the time)
    return found


__all__ = [
    "FORMATS",
    "bindings",
    "find_results",
    "read_aiverify",
    "read_jsonl",
    "read_junit",
    "read_lm_eval",
]
