"""Partial statistics: the cells of some rows, written as JSON, merged exactly.

``aigov metrics compute ... --partial OUT`` writes :func:`dump` of the cells of its rows
(no metric lines). ``aigov metrics merge`` reads several with :func:`load`, checks that
they are of the same plan and were counted the same way (:func:`merge`), and adds their
cells up. Counts add exactly, and the merged cells are built into :class:`Predictions` by
the code one run uses (:func:`duck.predictions`), so the lines, and the intervals for a
seed, are the ones a single run over all the rows prints.

A partial is JSON of this shape (``version`` 1)::

    {"kind": "aigov-metrics-partial", "version": 1,
     "plan": {"name": "p", "sha256": "..."},
     "predictions": {"path": "part-0.parquet", "sha256": "...", "rows": 500},
     "dataset_digest": null, "columns": {"y_true": "label", "y_score": "score"},
     "protected": ["sex"], "regression": false, "score_precision": 4,
     "min_cell_count": null,
     "cells": {"groups": [["female", "male", ...]], "y_true": [...], "y_score": [...],
               "n": [...]}}

The project's guarded JSON reader (:mod:`aigov_gate.loading.safe_json`) reads it, with a
size limit (``--max-bytes``, default 1 GiB), its depth bounded, NaN and infinity refused;
then every field is checked for its type.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from aigov_gate.errors import UsageError
from aigov_gate.measure.duck import Cells, combined

KIND, VERSION = "aigov-metrics-partial", 1
ROLES = ("y_true", "y_pred", "y_score")
DEFAULT_MAX_BYTES = 1 << 30


@dataclass(frozen=True)
class Partial:
    """One partial, read and checked; ``how`` is what every merged partial must share."""

    path: Path
    plan: dict[str, str]
    cells: Cells
    regression: bool
    precision: int | None
    min_count: int | None

    @property
    def how(self) -> dict[str, object]:
        return {
            "plan sha256": self.plan["sha256"],
            "columns": self.cells.columns,
            "protected": self.cells.protected,
            "regression": self.regression,
            "score precision": self.precision,
            "min cell count": self.min_count,
        }


def plan_digest(data: dict[str, Any]) -> str:
    """The plan document's SHA-256: its canonical JSON (sorted keys, no spaces)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def refuse_small(cells: Cells, min_count: int | None) -> None:
    """Refuse cells of fewer than ``min_count`` rows (a partial must hold no row data)."""
    if min_count is None:
        return
    small = cells.counts < min_count
    if small.any():
        raise UsageError(
            f"{cells.pattern}: {int(small.sum())} of {len(cells.counts)} cells hold fewer "
            f"than {min_count} rows (the smallest: {int(cells.counts.min())})",
            hint="round scores (--score-precision), slice by fewer columns, or lower "
            "--min-cell-count; no partial was written",
        )


def dump(
    cells: Cells,
    plan: dict[str, str],
    regression: bool,
    precision: int | None,
    min_count: int | None,
) -> str:
    """The partial's JSON text."""
    refuse_small(cells, min_count)
    body: dict[str, object] = {
        "groups": cells.groups,
        **{role: values.tolist() for role, values in cells.numbers.items()},
        "n": [int(n) for n in cells.counts],
    }
    document = {
        "kind": KIND,
        "version": VERSION,
        "plan": plan,
        "predictions": {
            "path": Path(cells.pattern).name,
            "sha256": cells.sha256,
            "rows": cells.rows,
        },
        "dataset_digest": cells.declared,
        "columns": cells.columns,
        "protected": cells.protected,
        "regression": regression,
        "score_precision": precision,
        "min_cell_count": min_count,
        "cells": body,
    }
    return json.dumps(document, separators=(",", ":")) + "\n"


def _bad(path: Path, what: str) -> UsageError:
    return UsageError(
        f"{path}: not an aigov metrics partial: {what}",
        hint="pass files written by 'aigov metrics compute --partial'",
    )


def _field(doc: dict[str, Any], key: str, kind: type | tuple[type, ...], path: Path) -> Any:
    value = doc.get(key)
    if not isinstance(value, kind) or isinstance(value, bool) is not (kind is bool):
        raise _bad(path, f"'{key}' is missing or not a {getattr(kind, '__name__', kind)}")
    return value


def _optional_int(doc: dict[str, Any], key: str, path: Path) -> int | None:
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _bad(path, f"'{key}' is not a count")
    return value


def load(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Partial:
    """One partial, every field checked (a clear error for anything else)."""
    if not path.is_file():
        raise UsageError(f"{path}: no such file", hint="pass the partials to merge")
    from aigov_gate.loading.safe_json import JsonError, JsonLimits, load_file

    try:
        doc = load_file(path, JsonLimits(max_bytes=max_bytes), expect=dict, constants=False)
    except JsonError as exc:
        if exc.line:
            raise _bad(path, f"not JSON: {exc.at(str(path))}") from None
        hint = "raise it with --max-bytes" if "over the limit" in exc.message else ""
        raise UsageError(f"{path}: {exc.message}", hint=hint) from None
    if not isinstance(doc, dict) or doc.get("kind") != KIND:
        raise _bad(path, f"'kind' is not {KIND}")
    if doc.get("version") != VERSION:
        raise _bad(path, f"version {doc.get('version')!r}; this aigov reads {VERSION}")
    plan = _strings(_field(doc, "plan", dict, path), ("name", "sha256"), path)
    seen = _field(doc, "predictions", dict, path)
    columns = _field(doc, "columns", dict, path)
    if not all(k in ROLES and isinstance(v, str) for k, v in columns.items()):
        raise _bad(path, "'columns' maps y_true/y_pred/y_score to column names")
    protected = _field(doc, "protected", list, path)
    if not all(isinstance(p, str) for p in protected):
        raise _bad(path, "'protected' is not a list of column names")
    declared = doc.get("dataset_digest")
    if declared is not None and not isinstance(declared, str):
        raise _bad(path, "'dataset_digest' is not text")
    cells = _cells(_field(doc, "cells", dict, path), columns, protected, path)
    digest = _strings(seen, ("path", "sha256"), path)["sha256"]
    if seen.get("rows") != int(cells[2].sum()):
        raise _bad(path, f"its cells hold {int(cells[2].sum())} rows, it says {seen.get('rows')}")
    groups, numbers, counts = cells
    found = Cells(str(path), digest, declared, columns, protected, groups, numbers, counts)
    regression = _field(doc, "regression", bool, path)
    if not regression:
        _classes(numbers, path)
    precision = _optional_int(doc, "score_precision", path)
    return Partial(
        path, plan, found, regression, precision, _optional_int(doc, "min_cell_count", path)
    )


def _classes(numbers: dict[str, Any], path: Path) -> None:
    for role in ("y_true", "y_pred"):
        if role in numbers and ((numbers[role] != 0) & (numbers[role] != 1)).any():
            raise _bad(path, f"a value of '{role}' is not 0 or 1")
    score = numbers.get("y_score")
    if score is not None and ((score < 0) | (score > 1)).any():
        raise _bad(path, "a score is outside [0, 1]")
    if "y_true" not in numbers:
        raise _bad(path, "no y_true")


def _strings(value: dict[str, Any], keys: tuple[str, ...], path: Path) -> dict[str, str]:
    if not all(isinstance(value.get(k), str) for k in keys):
        raise _bad(path, f"needs text {', '.join(keys)}")
    return {k: str(value[k]) for k in keys}


def _cells(
    body: dict[str, Any], columns: dict[str, str], protected: list[str], path: Path
) -> tuple[list[list[str | None]], dict[str, Any], Any]:
    counts = body.get("n")
    if not isinstance(counts, list) or not counts:
        raise _bad(path, "no cells")
    size = len(counts)
    if not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in counts):
        raise _bad(path, "a cell count is not a positive whole number")
    groups = body.get("groups")
    if not isinstance(groups, list) or len(groups) != len(protected):
        raise _bad(path, "'groups' needs one list per protected column")
    for values in groups:
        if not isinstance(values, list) or len(values) != size:
            raise _bad(path, f"a group list does not have {size} values")
        if not all(v is None or isinstance(v, str) for v in values):
            raise _bad(path, "a group value is not text or null")
    numbers = {}
    for role in columns:
        values = body.get(role)
        if not isinstance(values, list) or len(values) != size:
            raise _bad(path, f"'{role}' does not have {size} values")
        ok = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        if not ok or not all(math.isfinite(v) for v in values):
            raise _bad(path, f"a value of '{role}' is not a finite number")
        numbers[role] = np.asarray(values, dtype=np.float64)
    return groups, numbers, np.asarray(counts, dtype=np.float64)


def merge(partials: list[Partial], plan: dict[str, str]) -> Cells:
    """The cells of all the partials' rows, refusing partials that cannot be added up."""
    first = partials[0]
    for p in partials:
        if p.plan["sha256"] != plan["sha256"]:
            raise UsageError(
                f"{p.path}: counted for plan {p.plan['name']} sha256 {p.plan['sha256'][:12]}, "
                f"but --plan {plan['name']} is sha256 {plan['sha256'][:12]}",
                hint="recompute the partial with this plan (the plan changed, or another plan)",
            )
        for key, value in p.how.items():
            if value != first.how[key]:
                raise UsageError(
                    f"{p.path}: {key} is {value!r}, but {first.path} has {first.how[key]!r}",
                    hint="count every partial with the same options",
                )
    digests = [p.cells.sha256 for p in partials]
    twice = sorted({d for d in digests if digests.count(d) > 1})
    if twice:
        named = [str(p.path) for p in partials if p.cells.sha256 == twice[0]]
        raise UsageError(
            f"the same predictions ({twice[0][:12]}) are in {' and '.join(named)}",
            hint="pass each shard's partial once",
        )
    declared = {p.cells.declared for p in partials}
    if len(declared) > 1:
        raise UsageError(
            "the partials were made from different datasets: "
            + ", ".join(sorted(str(d) for d in declared)),
            hint="merge the partials of one dataset",
        )
    roles, protected = first.cells.columns, first.cells.protected
    return Cells(
        f"merge of {len(partials)} partials",
        combined(digests),
        declared.pop(),
        roles,
        protected,
        [[v for p in partials for v in p.cells.groups[i]] for i in range(len(protected))],
        {r: np.concatenate([p.cells.numbers[r] for p in partials]) for r in roles},
        np.concatenate([p.cells.counts for p in partials]),
    )


__all__ = ["Partial", "dump", "load", "merge", "plan_digest", "refuse_small"]
