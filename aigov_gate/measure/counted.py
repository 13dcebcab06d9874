"""Cells counted by an engine: the one seam every engine feeds (DuckDB, Spark, a warehouse).

An engine groups the rows by every slice column (read as text), the label, the predicted
class and the score, and hands back :class:`Cells`: for each slice column its distinct
values (text, or None for a null) and each cell's integer code into them; each cell's
numbers by role; each cell's count. Nothing here depends on which engine counted, nor on
the order it returned the cells or the values in.

:func:`predictions` turns cells into the :class:`Predictions` the numpy engine measures:
slice labels in one order (sorted by their text), equal cells added up, entries sorted.
So the cells of one run over all the rows and the concatenated cells of its shards (see
:func:`concatenate`) give the same entries, hence the same lines and, for a seed, the same
bootstrap intervals. :func:`checked` holds the checks every engine applies to the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from aigov_gate.measure import table
from aigov_gate.measure.cells import Floats, Grouping, Ints, pack
from aigov_gate.measure.table import EMPTY, NULL, Predictions

ROLES = ("y_true", "y_pred", "y_score")


@dataclass(frozen=True)
class Cells:
    """The counted cells: what an engine returns, a partial holds and merges add up.

    ``labels[i]`` are the distinct raw values of ``protected[i]`` (text, None for a null),
    ``codes[i]`` each cell's index into them; ``numbers`` the label / class / score of
    each cell by role; ``counts`` the rows of each cell.
    """

    pattern: str
    sha256: str
    declared: str | None
    columns: dict[str, str]  # role -> the source's column
    protected: list[str]
    labels: list[list[str | None]]
    codes: list[Ints]
    numbers: dict[str, Floats]
    counts: Floats

    @property
    def rows(self) -> int:
        return int(self.counts.sum())

    @classmethod
    def of_values(
        cls,
        head: tuple[str, str, str | None, dict[str, str], list[str]],
        groups: list[list[str | None]],
        numbers: dict[str, Floats],
        counts: Floats,
    ) -> Cells:
        """Cells from each cell's raw slice values (an engine that returns no codes).

        ``head`` is (pattern, sha256, declared, columns, protected).
        """
        labels, index = [], []
        for values in groups:
            code: dict[str | None, int] = {}
            index.append(np.fromiter((code.setdefault(v, len(code)) for v in values), np.int64))
            labels.append(list(code))
        return cls(*head, labels, index, numbers, counts)


def checked(
    numbers: dict[str, Floats], regression: bool, low: Floats | None, high: Floats | None
) -> bool:
    """Whether the cells' numbers are sound: finite, labels 0/1, scores in [0, 1].

    ``low`` and ``high`` are each cell's smallest and largest raw score, when the engine
    rounded scores (so rounding cannot hide a 1.00001).
    """
    for role, values in numbers.items():
        if not np.isfinite(values).all():
            return False
        if (
            not regression
            and role in ("y_true", "y_pred")
            and ((values != 0) & (values != 1)).any()
        ):
            return False
    for bound in (low, high):
        if bound is not None and not np.isfinite(bound).all():
            return False
    if regression or "y_score" not in numbers:
        return True
    low = numbers["y_score"] if low is None else low
    high = numbers["y_score"] if high is None else high
    return bool(len(low) == 0 or (low.min() >= 0 and high.max() <= 1))


def floats(column: Any) -> Floats:
    """An Arrow column as float64 (a null becomes NaN, which :func:`checked` refuses)."""
    import pyarrow.compute as pc

    return np.asarray(pc.cast(column, "double").to_numpy(), dtype=np.float64)


def codes(column: Any) -> tuple[list[str | None], Ints]:
    """An Arrow text column as its distinct values (None for a null) and each row's code."""
    import pyarrow.compute as pc

    if hasattr(column, "combine_chunks"):
        column = column.combine_chunks()
    encoded = pc.dictionary_encode(column, null_encoding="encode")
    index = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    return list(encoded.dictionary.to_pylist()), index


def _grouping(key: str, labels: list[str | None], codes: Ints, source: str) -> Grouping:
    """A slice column's cells, labels sorted by their text (as :func:`table.read` names them).

    Equal raw values listed twice (concatenated shards) become one slice.
    """
    distinct = sorted(set(labels), key=lambda v: (v is None, v or ""))
    rank = {v: i for i, v in enumerate(distinct)}
    remap = np.fromiter((rank[v] for v in labels), np.int64, len(labels))
    names = tuple(NULL if v is None else (v or EMPTY) for v in distinct)
    index = remap[codes] if len(labels) else np.zeros(len(codes), dtype=np.int64)
    return table.exact(Grouping(key, names, index), source)


def _ranked(values: Floats) -> tuple[Ints, int]:
    """Each value's rank among the distinct values (0/1 labels and classes: themselves)."""
    if ((values == 0) | (values == 1)).all():
        return values.astype(np.int64), 2
    distinct, inverse = np.unique(values, return_inverse=True)
    return inverse.astype(np.int64), len(distinct)


def predictions(cells: Cells) -> Predictions:
    """The cells as :class:`Predictions` whose entries are weighted by ``counts``.

    Entries are sorted (slices, then label, class, score) and equal ones added up.
    """
    pairs = zip(cells.protected, cells.labels, cells.codes, strict=True)
    groups = [_grouping(key, labels, codes, cells.pattern) for key, labels, codes in pairs]
    roles = [r for r in ROLES if r in cells.numbers]
    parts = [(g.index, g.size) for g in groups]
    parts += [_ranked(cells.numbers[r]) for r in roles]
    if parts:
        key, _ = pack(parts)
        _, keep, inverse = np.unique(key, return_index=True, return_inverse=True)
        counts = np.bincount(inverse.ravel(), weights=cells.counts, minlength=len(keep))
    else:
        keep, counts = np.arange(len(cells.counts)), cells.counts
    numbers = {r: cells.numbers[r][keep] for r in roles}
    return Predictions(
        Path(cells.pattern),
        cells.sha256,
        cells.rows,
        numbers["y_true"],
        numbers.get("y_pred"),
        numbers.get("y_score"),
        [Grouping(g.key, g.labels, g.index[keep]) for g in groups],
        cells.declared,
        counts.astype(np.float64),
    )


def concatenate(parts: list[Cells], pattern: str, sha256: str, declared: str | None) -> Cells:
    """The cells of several sources (same columns and slices), codes made common."""
    first = parts[0]
    labels: list[list[str | None]] = []
    codes: list[Ints] = []
    for i in range(len(first.protected)):
        common: dict[str | None, int] = {}
        for p in parts:
            for v in p.labels[i]:
                common.setdefault(v, len(common))
        labels.append(list(common))
        remapped = []
        for p in parts:
            to = np.fromiter((common[v] for v in p.labels[i]), np.int64, len(p.labels[i]))
            remapped.append(to[p.codes[i]] if len(to) else p.codes[i].astype(np.int64))
        codes.append(np.concatenate(remapped))
    return Cells(
        pattern,
        sha256,
        declared,
        first.columns,
        first.protected,
        labels,
        codes,
        {r: np.concatenate([p.numbers[r] for p in parts]) for r in first.numbers},
        np.concatenate([p.counts for p in parts]),
    )


__all__ = ["ROLES", "Cells", "checked", "codes", "concatenate", "floats", "predictions"]
