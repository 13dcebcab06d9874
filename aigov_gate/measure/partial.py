"""Partial statistics: the cells of some rows, written as JSON or Parquet, merged exactly.

``aigov metrics compute ... --partial OUT`` writes the cells of its rows (no metric lines):
Parquet when OUT ends in ``.parquet``, else JSON. ``aigov metrics merge`` reads several
with :func:`load`, checks that they are of the same plan and were counted the same way
(:func:`merge`), and adds their cells up. Counts add exactly, and the merged cells are
built into :class:`Predictions` by the code one run uses (:func:`counted.predictions`),
so the lines, and the intervals for a seed, are the ones a single run over all the rows
prints.

Both formats hold one *header* (``version`` 2)::

    {"kind": "aigov-metrics-partial", "version": 2,
     "plan": {"name": "p", "sha256": "..."},
     "predictions": {"path": "part-0.parquet", "sha256": "...", "rows": 500},
     "dataset_digest": null, "columns": {"y_true": "label", "y_score": "score"},
     "protected": ["sex"], "regression": false, "score_precision": 4,
     "min_cell_count": null}

JSON adds ``"cells": {"labels": [["female", "male"]], "codes": [[0, 1, ...]],
"y_true": [...], "y_score": [...], "n": [...]}``: per protected column its distinct values
(text or null) and each cell's index into them. Parquet keeps the header as JSON in the
file's key-value metadata (``aigov.partial``) and one row per cell: ``g0``, ``g1``, ... (the
slice values as text), then ``y_true`` / ``y_pred`` / ``y_score`` and ``n``.

A partial is read within a size limit (``--max-bytes``, default 1 GiB); JSON goes through
the project's guarded reader (:mod:`aigov_gate.loading.safe_json`); every field is then
checked (types, codes in range, counts adding up, labels 0/1, scores in [0, 1]).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from aigov_gate.errors import UsageError
from aigov_gate.measure.counted import ROLES, Cells, checked, concatenate
from aigov_gate.measure.duck import combined
from aigov_gate.measure.partial_io import bad, header_of, parquet, write_parquet

KIND, VERSION = "aigov-metrics-partial", 2
DEFAULT_MAX_BYTES = 1 << 30


@dataclass(frozen=True)
class Partial:
    """One partial, read and checked; ``how`` is what every merged partial must share."""

    path: Path
    sha256: str  # of the partial file itself
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


def header(
    cells: Cells,
    plan: dict[str, str],
    regression: bool,
    precision: int | None,
    min_count: int | None,
) -> dict[str, object]:
    return {
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
    }


def write(
    out: Path,
    cells: Cells,
    plan: dict[str, str],
    regression: bool,
    precision: int | None,
    min_count: int | None,
) -> None:
    """Write the partial: Parquet if ``out`` ends in .parquet (or .pq), else JSON."""
    refuse_small(cells, min_count)
    head = header(cells, plan, regression, precision, min_count)
    if parquet(out):
        write_parquet(out, head, cells)
        return
    body: dict[str, object] = {
        "labels": cells.labels,
        "codes": [c.tolist() for c in cells.codes],
        **{role: values.tolist() for role, values in cells.numbers.items()},
        "n": [int(n) for n in cells.counts],
    }
    out.write_text(json.dumps({**head, "cells": body}, separators=(",", ":")) + "\n", "utf-8")


def load(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Partial:
    """One partial (JSON or Parquet, told by its first bytes), every field checked."""
    doc, labels, codes, numbers, counts = header_of(path, _is_parquet(path, max_bytes), max_bytes)
    if doc.get("kind") != KIND:
        raise bad(path, f"'kind' is not {KIND}")
    if doc.get("version") != VERSION:
        hint = " (version 1 partials: compute them again)" if doc.get("version") == 1 else ""
        raise bad(path, f"version {doc.get('version')!r}; this aigov reads {VERSION}{hint}")
    plan = _strings(_field(doc, "plan", dict, path), ("name", "sha256"), path)
    seen = _strings(_field(doc, "predictions", dict, path), ("path", "sha256"), path)
    columns = _field(doc, "columns", dict, path)
    if not all(k in ROLES and isinstance(v, str) for k, v in columns.items()):
        raise bad(path, "'columns' maps y_true/y_pred/y_score to column names")
    if "y_true" not in columns:
        raise bad(path, "no y_true")
    protected = _field(doc, "protected", list, path)
    if not all(isinstance(p, str) for p in protected):
        raise bad(path, "'protected' is not a list of column names")
    declared = doc.get("dataset_digest")
    if declared is not None and not isinstance(declared, str):
        raise bad(path, "'dataset_digest' is not text")
    regression = _field(doc, "regression", bool, path)
    _check_cells(path, (labels, codes, numbers, counts), columns, protected, regression)
    rows = _field(doc, "predictions", dict, path).get("rows")
    if rows != int(counts.sum()):
        raise bad(path, f"its cells hold {int(counts.sum())} rows, it says {rows}")
    found = Cells(
        str(path),
        seen["sha256"],
        declared,
        columns,
        protected,
        labels,
        codes,
        numbers,
        counts.astype(np.float64),
    )
    precision = _optional_int(doc, "score_precision", path)
    return Partial(
        path,
        _digest(path),
        plan,
        found,
        regression,
        precision,
        _optional_int(doc, "min_cell_count", path),
    )


def _is_parquet(path: Path, max_bytes: int) -> bool:
    """Whether the partial at ``path`` is Parquet (its first bytes), once its size is checked."""
    if not path.is_file():
        raise UsageError(f"{path}: no such file", hint="pass the partials to merge")
    size = path.stat().st_size
    if size > max_bytes:
        raise UsageError(
            f"{path}: {size} bytes, over the limit of {max_bytes}", hint="raise it with --max-bytes"
        )
    with path.open("rb") as f:
        return f.read(4) == b"PAR1"


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _field(doc: dict[str, Any], key: str, kind: type, path: Path) -> Any:
    value = doc.get(key)
    if not isinstance(value, kind) or isinstance(value, bool) is not (kind is bool):
        raise bad(path, f"'{key}' is missing or not a {kind.__name__}")
    return value


def _optional_int(doc: dict[str, Any], key: str, path: Path) -> int | None:
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise bad(path, f"'{key}' is not a count")
    return value


def _strings(value: dict[str, Any], keys: tuple[str, ...], path: Path) -> dict[str, str]:
    if not all(isinstance(value.get(k), str) for k in keys):
        raise bad(path, f"needs text {', '.join(keys)}")
    return {k: str(value[k]) for k in keys}


def _check_cells(
    path: Path,
    cells: tuple[list[list[str | None]], list[Any], dict[str, Any], Any],
    columns: dict[str, str],
    protected: list[str],
    regression: bool,
) -> None:
    """Refuse cells that do not fit the header, or hold what no engine would count."""
    labels, codes, numbers, counts = cells
    size = len(counts)
    if not size:
        raise bad(path, "no cells")
    if not (counts > 0).all():
        raise bad(path, "a cell count is not a positive whole number")
    if len(labels) != len(protected) or len(codes) != len(protected):
        raise bad(path, "'labels' and 'codes' need one list per protected column")
    for values, index in zip(labels, codes, strict=True):
        if len(index) != size:
            raise bad(path, f"a code list does not have {size} values")
        if len(index) and (index.min() < 0 or index.max() >= len(values)):
            raise bad(path, "a slice code is outside its labels")
    _check_numbers(path, numbers, columns, size, regression)


def _check_numbers(
    path: Path, numbers: dict[str, Any], columns: dict[str, str], size: int, regression: bool
) -> None:
    if set(numbers) != set(columns):
        raise bad(path, f"its cells have {sorted(numbers)}, its columns {sorted(columns)}")
    for role, values in numbers.items():
        if len(values) != size or not np.isfinite(values).all():
            raise bad(path, f"'{role}' is not {size} finite numbers")
    if regression:
        return
    for role in ("y_true", "y_pred"):
        if role in numbers and ((numbers[role] != 0) & (numbers[role] != 1)).any():
            raise bad(path, f"a value of '{role}' is not 0 or 1")
    if not checked(numbers, regression, None, None):
        raise bad(path, "a score is outside [0, 1]")


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
    name = f"merge of {len(partials)} partials"
    return concatenate([p.cells for p in partials], name, combined(digests), declared.pop())


__all__ = ["Partial", "header", "load", "merge", "plan_digest", "refuse_small", "write"]
