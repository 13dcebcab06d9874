"""MLflow runs in, without the ``mlflow`` package: its file store (``mlruns/``), its SQLite
tracking database (read-only, schema revisions we know), or a tracking server's REST API.

A run becomes a TestRun: its latest value of each metric (by step, then time), its params
as ``parameters`` (with the run id, experiment and the source commit and entry point from
its tags), its status and times. A metric key ``name/slice_key/slice_value`` is that metric
on that slice (``approval_rate/sex/female``); any other key is a metric's name as it is.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aigov_gate.documents.imported import Imported
from aigov_gate.errors import UsageError
from aigov_gate.interchange.mlflow_runs import Run, Selection, ms
from aigov_gate.interchange.mlflow_server import read_server
from aigov_gate.interchange.model_card import slug
from aigov_gate.loading.safe_yaml import Limits, parse_text

#: alembic revisions of the SQLite store whose runs, latest_metrics, params, tags and
#: experiments tables this reader was checked against: 3.17.2 by the tests' fixture
#: (tests/data/mlflow/make_fixtures.py), 3.18.0 by the same columns read off a database it made.
KNOWN_REVISIONS = {"dc11669786a5": "mlflow 3.17", "f4a9b2c7d1e6": "mlflow 3.18"}
#: The file store writes RunStatus as numbers; SQLite and REST as names.
_STATUS_CODES = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
_OUR_STATUS = {
    "RUNNING": "running",
    "SCHEDULED": "pending",
    "FINISHED": "completed",
    "FAILED": "failed",
    "KILLED": "cancelled",
}
_SOURCE_TAGS = {
    "mlflow.source.git.commit": "git_commit",
    "mlflow.source.name": "source",
    "mlflow.source.git.repoURL": "git_repository",
}


def read_runs(
    uri: str, selection: Selection, env: Mapping[str, str], token_env: str = ""
) -> list[Run]:
    """The runs ``selection`` names, from the store at ``uri``; newest first."""
    if uri.startswith(("http://", "https://")):
        runs = read_server(uri, selection, env, token_env)
    elif uri.startswith("sqlite:///"):
        runs = _sqlite(Path(uri.removeprefix("sqlite:///")), selection)
    else:
        runs = _file_store(Path(uri.removeprefix("file://").removeprefix("file:")), selection)
    runs.sort(key=lambda r: (r.start_ms or 0, r.run_id), reverse=True)
    if not runs:
        what = (
            f"run {selection.run_id}"
            if selection.run_id
            else f"experiment '{selection.experiment}'"
        )
        raise UsageError(
            f"no {what} in {uri}", hint="check --run / --experiment and the tracking URI"
        )
    if selection.latest:  # the newest run that finished: what a gate should judge
        finished = [r for r in runs if r.status.upper() == "FINISHED"]
        if not finished:
            raise UsageError(f"experiment '{selection.experiment}' has no finished run in {uri}")
        return finished[:1]
    return runs


# -- the file store ---------------------------------------------------------------------


def _meta(path: Path) -> dict[str, Any]:
    try:
        parsed = parse_text(path.read_text(encoding="utf-8"), Limits())
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    if parsed.problems or not parsed.documents or not isinstance(parsed.documents[0], dict):
        where = f"{path}:{parsed.problems[0].line}" if parsed.problems else str(path)
        raise UsageError("not an MLflow meta.yaml", where=where)
    return parsed.documents[0]


def _file_store(root: Path, selection: Selection) -> list[Run]:
    if not root.is_dir():
        raise UsageError(f"{root} is not an MLflow file store (no such folder)")
    runs = []
    for experiment_dir in sorted(p for p in root.iterdir() if (p / "meta.yaml").is_file()):
        experiment = _meta(experiment_dir / "meta.yaml")
        name = str(experiment.get("name", experiment_dir.name))
        if selection.experiment is not None and name != selection.experiment:
            continue
        for run_dir in sorted(p for p in experiment_dir.iterdir() if (p / "meta.yaml").is_file()):
            if selection.run_id is not None and run_dir.name != selection.run_id:
                continue
            meta = _meta(run_dir / "meta.yaml")
            if meta.get("lifecycle_stage", "active") != "active":
                continue
            runs.append(_file_run(run_dir, meta, name))
    return runs


def _file_run(run_dir: Path, meta: dict[str, Any], experiment: str) -> Run:
    status = meta.get("status")
    where = str(run_dir / "meta.yaml")
    run = Run(
        run_id=str(meta.get("run_id", run_dir.name)),
        name=str(meta.get("run_name") or run_dir.name),
        experiment=experiment,
        status=_STATUS_CODES.get(status, str(status)) if isinstance(status, int) else str(status),
        start_ms=ms(meta.get("start_time"), f"{where}: start_time"),
        end_ms=ms(meta.get("end_time"), f"{where}: end_time"),
    )
    for kind in ("metrics", "params", "tags"):
        folder = run_dir / kind
        for file in sorted(p for p in folder.rglob("*") if p.is_file()):
            key = file.relative_to(folder).as_posix()  # keys with "/" are folders
            text = _text(file)
            if kind == "params":
                run.params[key] = text
            elif kind == "tags":
                run.tags[key] = text
            else:
                for number, line in enumerate(text.splitlines(), 1):
                    _metric_line(run, key, line, f"{file}:{number}")
    return run


def _text(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{file}: not UTF-8 text ({exc.reason} at byte {exc.start})",
            hint="MLflow writes params, tags and metrics as UTF-8: was the file store edited?",
        ) from None
    except OSError as exc:
        raise UsageError(f"cannot read {file}: {exc.strerror}") from None


def _metric_line(run: Run, key: str, line: str, where: str) -> None:
    """``TIMESTAMP VALUE [STEP]``, MLflow's metric file line."""
    parts = line.split()
    if not parts:
        return
    try:
        if len(parts) not in (2, 3):
            raise ValueError(line)
        value = float(parts[1])
        timestamp, step = int(parts[0]), int(parts[2]) if len(parts) > 2 else 0
    except ValueError:
        raise UsageError(
            f"{where}: not a metric line ('TIMESTAMP VALUE [STEP]'): {line[:80]!r}",
            hint="was the file store edited by hand?",
        ) from None
    run.note(key, value, timestamp, step)


# -- SQLite -------------------------------------------------------------------------------


def _sqlite(path: Path, selection: Selection) -> list[Run]:
    if not path.is_file():
        raise UsageError(f"{path} does not exist", hint="a tracking URI is sqlite:///PATH")
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise UsageError(f"cannot open {path}: {exc}") from None
    try:
        return _sqlite_runs(db, path, selection)
    except sqlite3.Error as exc:
        raise UsageError(f"{path} is not an MLflow tracking database: {exc}") from None
    finally:
        db.close()


def _sqlite_runs(db: sqlite3.Connection, path: Path, selection: Selection) -> list[Run]:
    revision = db.execute("SELECT version_num FROM alembic_version").fetchone()
    if revision is None or revision[0] not in KNOWN_REVISIONS:
        known = ", ".join(f"{r} ({v})" for r, v in KNOWN_REVISIONS.items())
        raise UsageError(
            f"{path} has MLflow schema revision {revision[0] if revision else 'none'}, "
            f"which this version of aigov-gate does not know (known: {known})",
            hint="read it through its tracking server instead (--tracking-uri http://...)",
        )
    query = (
        "SELECT r.run_uuid, r.name, e.name, r.status, r.start_time, r.end_time FROM runs r "
        "JOIN experiments e ON e.experiment_id = r.experiment_id "
        "WHERE r.lifecycle_stage = 'active'"
    )
    args: list[str] = []
    if selection.run_id is not None:
        query += " AND r.run_uuid = ?"
        args.append(selection.run_id)
    if selection.experiment is not None:
        query += " AND e.name = ?"
        args.append(selection.experiment)
    runs = []
    for run_id, name, experiment, status, start, end in db.execute(query, args).fetchall():
        what = f"{path}: run {str(run_id)[:40]}"
        run = Run(
            str(run_id),
            str(name or run_id),
            str(experiment),
            str(status),
            ms(start, f"{what}: start_time"),
            ms(end, f"{what}: end_time"),
        )
        for key, value, timestamp, step, is_nan in db.execute(
            "SELECT key, value, timestamp, step, is_nan FROM latest_metrics WHERE run_uuid = ?",
            (run_id,),
        ):
            shown = "nan" if is_nan else value  # checked as a file store's line is
            line = f"{timestamp or 0} {shown} {step}"
            _metric_line(run, str(key), line, f"{what}: metric {key}")
        run.params = _strings(db, "params", run_id)
        run.tags = _strings(db, "tags", run_id)
        runs.append(run)
    return runs


def _strings(db: sqlite3.Connection, table: str, run_id: object) -> dict[str, str]:
    query = f"SELECT key, value FROM {table} WHERE run_uuid = ?"
    return {str(k): str(v) for k, v in db.execute(query, (run_id,))}


# -- to our documents -----------------------------------------------------------------------


def _instant(ms: int | None) -> str | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC).isoformat()


def import_runs(
    runs: list[Run],
    model: str,
    version: str,
    dataset: str | None,
    model_spec: dict[str, Any] | None = None,
) -> Imported:
    """A TestRun per run; with ``model_spec`` (``--write-model``), the Model first."""
    skipped: list[str] = []
    documents = [to_testrun(run, model, version, dataset, skipped) for run in runs]
    if model_spec is not None:
        spec = dict(model_spec)
        if dataset:
            spec["datasets"] = [{"name": dataset, "purpose": "test"}]
        documents.insert(
            0,
            {
                "apiVersion": "aigov/v1",
                "kind": "Model",
                "metadata": {"name": model, "labels": {"source": "mlflow"}},
                "spec": spec,
            },
        )
    return Imported(documents, skipped)


def to_testrun(
    run: Run, model: str, version: str, dataset: str | None, skipped: list[str]
) -> dict[str, Any]:
    metrics = []
    for key in sorted(run.metrics):
        value = run.metrics[key][2]
        if not math.isfinite(value):
            skipped.append(f"run {run.run_id}: metric '{key}' is {value}, not a number")
            continue
        parts = key.split("/")
        metric: dict[str, Any] = {"name": parts[0] if len(parts) == 3 else key, "value": value}
        if len(parts) == 3:
            metric["slice_key"], metric["slice_value"] = parts[1], parts[2]
        metrics.append(metric)
    parameters: dict[str, Any] = {
        "mlflow_run_id": run.run_id,
        "mlflow_experiment": run.experiment,
        **{ours: run.tags[tag] for tag, ours in _SOURCE_TAGS.items() if tag in run.tags},
        **{f"param.{k}": v for k, v in sorted(run.params.items())},
    }
    spec: dict[str, Any] = {"model": model, "model_version": version}
    if dataset:
        spec["dataset"] = dataset
    spec["status"] = _OUR_STATUS.get(run.status.upper(), "pending")
    spec["parameters"] = parameters
    for key, at in (("started_at", run.start_ms), ("finished_at", run.end_ms)):
        if _instant(at):
            spec[key] = _instant(at)
    spec["executor"] = f"mlflow run {run.run_id}"
    spec["results"] = [{"test_name": f"mlflow run {run.name}", "metrics": metrics}]
    return {
        "apiVersion": "aigov/v1",
        "kind": "TestRun",
        "metadata": {"name": slug(f"{model}-{version}-mlflow-{run.run_id[:12]}")},
        "spec": spec,
    }


def probe(uri: str, env: Mapping[str, str], token_env: str = "") -> str:
    """Why the store at ``uri`` cannot be read, or "" when it can (for aigov doctor): the
    file store's folder, the SQLite schema revision, the server's answer to the token."""
    try:
        if uri.startswith(("http://", "https://")):
            read_server(uri, Selection(experiment="Default", latest=False), env, token_env)
        elif uri.startswith("sqlite:///"):
            _sqlite(Path(uri.removeprefix("sqlite:///")), Selection(run_id=""))
        else:
            root = Path(uri.removeprefix("file://").removeprefix("file:"))
            if not (root / "0" / "meta.yaml").is_file() and not root.is_dir():
                return f"{root} is not an MLflow file store (no such folder)"
    except UsageError as exc:
        return exc.message
    return ""


__all__ = ["KNOWN_REVISIONS", "Run", "Selection", "probe", "read_runs", "to_testrun"]
