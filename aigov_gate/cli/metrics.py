"""``aigov metrics compute``: a plan's metrics from a predictions file, with intervals."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from aigov_gate.cli.context import config_option, repo_option
from aigov_gate.cli.conventions import force_option, output_option, refuse_overwrite
from aigov_gate.cli.output import say
from aigov_gate.cli.sources import Where, where_options

if TYPE_CHECKING:
    from aigov_gate.graph import Graph
    from aigov_gate.measure.compute import Options, Request
    from aigov_gate.measure.table import Predictions
    from aigov_gate.references import Checked


@click.group("metrics")
def metrics_group() -> None:
    """Compute metrics from predictions (needs the metrics extra: numpy)."""


def _pairs(value: str | None, option: str) -> dict[str, str]:
    from aigov_gate.errors import UsageError

    out: dict[str, str] = {}
    for part in (value or "").split(","):
        if not part.strip():
            continue
        key, sep, name = part.partition("=")
        if not sep or not key.strip() or not name.strip():
            raise UsageError(f"{option} {part!r}: expected KEY=VALUE", hint=f"e.g. {option} a=b")
        out[key.strip()] = name.strip()
    return out


_SHARED: list[
    Callable[[Callable[..., Any]], Callable[..., Any]]
] = [  # compute and merge share them
    click.option("--plan", "plan_name", required=True, metavar="PLAN", help="The TestPlan."),
    click.option("--test", "tests", multiple=True, metavar="NAME", help="Only these tests."),
    click.option("--intersectional", is_flag=True, help="Also slice by all of them combined."),
    click.option(
        "--threshold",
        type=float,
        default=0.5,
        show_default=True,
        help="y_pred = y_score >= this, when there is no y_pred column.",
    ),
    click.option("--metric", "aliases", metavar="PLAN_NAME=METRIC", help="Map plan names."),
    click.option(
        "--intervals",
        is_flag=True,
        help="Report intervals (rates and disparities: no replicates).",
    ),
    click.option(
        "--bootstrap",
        type=click.IntRange(min=0, max=100000),
        default=0,
        help="Replicates for the metrics that need them (implies --intervals).",
    ),
    click.option("--seed", type=int, default=0, show_default=True),
    click.option(
        "--jobs", type=click.IntRange(min=1, max=64), help="Processes (default: every CPU)."
    ),
    click.option("--level", type=click.FloatRange(0.5, 0.999), default=0.95, show_default=True),
    click.option(
        "--rate-interval",
        type=click.Choice(["wilson", "clopper-pearson"]),
        default="wilson",
        show_default=True,
        help="The interval of a rate (clopper-pearson: exact, never below the level, wider).",
    ),
    click.option(
        "--adjust",
        type=click.Choice(["none", "bonferroni"]),
        default="none",
        help="Widen each interval for the number of intervals (Bonferroni).",
    ),
    click.option("--dataset", metavar="NAME", help="The Dataset (default: AIGOV_DATASET)."),
    click.option("--max-bytes", type=click.IntRange(min=1), help="Largest input (all files)."),
    output_option("Write the lines here (default: stdout).", dest="out"),
    force_option,
    click.option(
        "--append-to-result-file",
        "append",
        is_flag=True,
        help="Append to AIGOV_RESULT_FILE (inside 'aigov test run').",
    ),
    repo_option,
    config_option,
]


def _measuring(command: Callable[..., None]) -> Callable[..., None]:
    """Add the shared options (:data:`_SHARED`, in that order) to a command."""
    for option in reversed(_SHARED):
        command = option(command)
    return command


@dataclass(frozen=True)
class _Run:
    """The plan, what it asks for, and how to measure: from the shared options."""

    graph: Graph
    plan: Checked
    wanted: list[Request]
    options: Options
    dataset: str | None
    max_bytes: int | None
    out: Path | None
    append: bool

    @property
    def plan_id(self) -> dict[str, str]:
        from aigov_gate.measure.partial import plan_digest

        return {"name": self.plan.model.metadata.name, "sha256": plan_digest(self.plan.raw.data)}

    def slices(self, protected: list[str]) -> list[str]:
        slices = protected + [p for r in self.wanted if r.slice_key for p in r.slice_key.split("&")]
        return list(dict.fromkeys(s.strip() for s in slices if s.strip()))

    def finish(self, data: Predictions, whole: bool = True) -> None:
        """Bind the data to the Dataset, measure, and write the lines."""
        from aigov_gate.measure import compute

        _bind(self.graph, self.plan.organization, self.dataset, data, whole)
        lines, warnings = compute.measure(self.wanted, data, self.options)
        for warning in warnings:
            say(f"warning: {warning}", err=True)
        _emit("\n".join(lines) + "\n", self.append, self.out)


def _run(regression: bool, **given: Any) -> _Run:
    """The shared options, resolved: the repository's plan, its requests, the settings."""
    from aigov_gate.cli.context import find_repo
    from aigov_gate.config import find_config, load_config
    from aigov_gate.errors import UsageError

    try:
        import numpy  # noqa: F401
    except ImportError:
        raise UsageError(
            "aigov metrics needs numpy", hint="pip install 'aigov-gate[metrics]'"
        ) from None
    from aigov_gate.graph import Graph
    from aigov_gate.measure import compute, resample
    from aigov_gate.measure.intervals import Settings
    from aigov_gate.validation import validate_repo

    refuse_overwrite([given["out"], given.get("partial")], given["force"])
    root = find_repo(given["repo"])
    config = load_config(given["config_path"] or find_config(root))
    graph = Graph(validate_repo(root, config).documents)
    name = given["plan_name"]
    plans = [p for p in graph.by_kind.get("TestPlan", []) if p.model.metadata.name == name]
    if not plans:
        known = sorted(p.model.metadata.name for p in graph.by_kind.get("TestPlan", []))
        raise UsageError(f"no TestPlan named '{name}'", hint=f"plans: {', '.join(known)}")
    wanted = compute.requests(plans[0], given["tests"], _pairs(given["aliases"], "--metric"))
    g = given
    settings = Settings(g["level"], g["adjust"], g["bootstrap"], g["seed"], g["rate_interval"])
    options = compute.Options(
        g["threshold"],
        regression,
        g["intersectional"],
        g["intervals"],
        settings,
        g["jobs"] or resample.cores(),
    )
    dataset = g["dataset"] or os.environ.get("AIGOV_DATASET")
    return _Run(graph, plans[0], wanted, options, dataset, g["max_bytes"], g["out"], g["append"])


@metrics_group.command("compute")
@click.option(
    "--columns",
    metavar="y_true=COL,y_pred=COL,y_score=COL",
    help="The file's columns (default: y_true, y_pred, y_score; y_pred and y_score optional).",
)
@click.option("--protected", metavar="COL,COL", help="Slice by these columns (and slice_keys).")
@click.option("--regression", is_flag=True, help="y_true and y_pred are numbers (mae, rmse).")
@click.option(
    "--score-precision",
    type=click.IntRange(0, 15),
    help="Round scores to this many decimals before counting (not numpy; fewer cells).",
)
@click.option(
    "--partial",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the cells here for 'aigov metrics merge', instead of the lines "
    "(Parquet if it ends in .parquet, else JSON).",
)
@click.option(
    "--min-cell-count",
    type=click.IntRange(min=1),
    help="With --partial: refuse cells of fewer rows than this (no row-level data).",
)
@_measuring
@where_options
def compute_command(
    where: Where,
    columns: str | None,
    protected: str | None,
    regression: bool,
    score_precision: int | None,
    partial: Path | None,
    min_cell_count: int | None,
    **shared: Any,
) -> None:
    """The metrics PLAN's tests ask for, computed from PREDICTIONS (CSV or Parquet, or a glob)
    or from a warehouse table (--connection URL --table NAME).

    Prints JSON lines (the result protocol of 'aigov test run'), each with n and, with
    --bootstrap N, a percentile interval (seeded: the same seed gives the same interval).
    Refuses a file whose row count differs from the Dataset's 'records', or whose declared
    dataset digest differs from the Dataset's 'digest'. Method: docs/metrics.md.
    """
    from aigov_gate.errors import UsageError
    from aigov_gate.measure import table

    run = _run(regression, partial=partial, **shared)
    slices = run.slices((protected or "").split(","))
    how = (_columns(columns), slices, regression, run.max_bytes or table.DEFAULT_MAX_BYTES)
    if partial is None:
        if min_cell_count is not None:
            raise UsageError("--min-cell-count goes with --partial", hint="add --partial OUT")
        run.finish(where.read(how, score_precision))
        return
    if shared["bootstrap"] or shared["intervals"]:
        raise UsageError(
            "--partial writes cells: no --bootstrap or --intervals",
            hint="give --bootstrap and --intervals to 'aigov metrics merge'",
        )
    from aigov_gate.measure import duck
    from aigov_gate.measure import partial as partials

    cells = where.count(how, score_precision)
    _bind(run.graph, run.plan.organization, run.dataset, duck.predictions(cells), whole=False)
    partials.write(partial, cells, run.plan_id, regression, score_precision, min_cell_count)
    say(f"{partial}: {len(cells.counts)} cells of {cells.rows} rows", err=True)


@metrics_group.command("merge")
@click.argument(
    "partials", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path)
)
@_measuring
def merge_command(partials: tuple[Path, ...], **shared: Any) -> None:
    """The lines one run over all the rows prints, from PARTIALS ('compute --partial').

    Every partial must be of the same plan (its digest), counted with the same columns,
    slices, score precision and minimum cell count, and of different predictions.
    """
    from aigov_gate.measure import duck
    from aigov_gate.measure import partial as p

    limit = shared["max_bytes"] or p.DEFAULT_MAX_BYTES
    loaded = [p.load(path, limit) for path in partials]
    run = _run(loaded[0].regression, **shared)
    cells = p.merge(loaded, run.plan_id)
    _needs(run.slices([]), cells.protected, partials[0])
    run.finish(duck.predictions(cells))


def _needs(slices: list[str], protected: list[str], path: Path) -> None:
    from aigov_gate.errors import UsageError

    missing = [s for s in slices if s not in protected]
    if missing:
        raise UsageError(
            f"{path}: the plan slices by {', '.join(missing)}, the partials do not",
            hint="recompute the partials with --protected " + ",".join(slices),
        )


def _emit(text: str, append: bool, out: Path | None) -> None:
    from aigov_gate.errors import UsageError

    if append:
        target = os.environ.get("AIGOV_RESULT_FILE")
        if not target:
            raise UsageError(
                "--append-to-result-file: AIGOV_RESULT_FILE is not set",
                hint="use it inside 'aigov test run', or pass -o FILE",
            )
        with Path(target).open("a", encoding="utf-8") as f:
            f.write(text)
    elif out is not None:
        out.write_text(text, encoding="utf-8")
    else:
        say(text, nl=False)


def _columns(columns: str | None) -> dict[str, str | None]:
    from aigov_gate.errors import UsageError

    given = _pairs(columns, "--columns")
    wrong = [k for k in given if k not in ("y_true", "y_pred", "y_score")]
    if wrong:
        raise UsageError(f"--columns {wrong[0]}: use y_true, y_pred or y_score")
    defaults: dict[str, str | None] = {"y_true": "y_true", "y_pred": None, "y_score": None}
    return {**defaults, **given}  # None: the column of that name, if the file has it


def _bind(
    graph: Graph, organization: str, name: str | None, data: Predictions, whole: bool = True
) -> None:
    """Refuse predictions that do not match the Dataset's declared rows or digest.

    A partial (``whole=False``) is a shard: its rows are checked when merged.
    """
    from aigov_gate.documents.assets import Dataset
    from aigov_gate.errors import UsageError

    if not name:
        return
    doc = graph.get("Dataset", organization, name)
    if doc is None or not isinstance(doc.model, Dataset):
        raise UsageError(f"--dataset {name}: no such Dataset", hint="check the name")
    spec = doc.model.spec
    if whole and spec.records is not None and spec.records != data.rows:
        raise UsageError(
            f"{data.path} has {data.rows} rows, but Dataset {name} declares records: "
            f"{spec.records}",
            hint="score the whole dataset, or fix 'records' in its manifest",
        )
    if spec.digest and data.dataset_digest and str(spec.digest) != data.dataset_digest:
        raise UsageError(
            f"{data.path} was made from dataset {data.dataset_digest}, but Dataset {name} "
            f"is {spec.digest}",
            hint="score the dataset the manifest names, or update its digest",
        )
