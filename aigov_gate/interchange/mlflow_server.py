"""An MLflow tracking server's REST API (2.0) as runs. Its answers are checked for shape:
a run that is not an object, a param without a key or a time that is not a number is a
UsageError that says which, never a crash."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from aigov_gate.errors import UsageError
from aigov_gate.interchange.mlflow_runs import Run, Selection, ms
from aigov_gate.loading.safe_json import JsonError, kind_of, loads


def read_server(
    uri: str, selection: Selection, env: Mapping[str, str], token_env: str
) -> list[Run]:
    import requests

    headers = {}
    if token_env:
        token = env.get(token_env)
        if not token:
            raise UsageError(f"{token_env} is not set", hint="export the tracking server's token")
        headers["Authorization"] = f"Bearer {token}"
    base = uri.rstrip("/") + "/api/2.0/mlflow"

    def call(method: str, path: str, **kwargs: Any) -> Any:
        try:
            answer = requests.request(method, base + path, headers=headers, timeout=30, **kwargs)
        except requests.RequestException as exc:
            raise UsageError(
                f"cannot reach the MLflow server at {uri}: {type(exc).__name__}"
            ) from None
        if answer.status_code in (401, 403):
            raise UsageError(f"the MLflow server refused the request ({answer.status_code})",
                             hint=f"check the token in {token_env or 'the connector'}")  # fmt: skip
        if answer.status_code == 404:
            return None
        if answer.status_code != 200:
            raise UsageError(f"the MLflow server answered {answer.status_code} to {path}")
        try:
            return loads(answer.content, expect=dict)
        except JsonError as exc:
            what = "a JSON object" if exc.message.startswith("expected ") else "JSON"
            raise UsageError(
                f"the MLflow server's answer to {path} is not {what}: {exc.message}"
            ) from None

    names: dict[str, str] = {}
    return [_server_run(r, names, call) for r in _selected(selection, call)]


def _selected(selection: Selection, call: Any) -> list[Any]:
    """The runs' JSON: the one asked for, or the experiment's active runs, newest first."""
    if selection.run_id is not None:
        found = call("GET", "/runs/get", params={"run_id": selection.run_id})
        return [found["run"]] if found and "run" in found else []
    found = call(
        "GET", "/experiments/get-by-name", params={"experiment_name": selection.experiment}
    )
    if not found or "experiment" not in found:
        return []
    experiment = _object(found["experiment"], "the MLflow experiment")
    search = {
        "experiment_ids": [str(experiment.get("experiment_id", ""))],
        "max_results": 1000,
        "order_by": ["attributes.start_time DESC"],
        "run_view_type": "ACTIVE_ONLY",
    }
    return _list((call("POST", "/runs/search", json=search) or {}).get("runs", []), "runs")


def _server_run(data: object, names: dict[str, str], call: Any) -> Run:
    what = "the MLflow server's run"
    data = _object(data, what)
    info, body = _object(data.get("info", {}), f"{what} info"), _object(data.get("data", {}), what)
    run_id = str(info.get("run_id"))
    what = f"the MLflow server's run {run_id[:40]}"
    experiment_id = str(info.get("experiment_id", ""))
    if experiment_id not in names:
        found = call("GET", "/experiments/get", params={"experiment_id": experiment_id})
        experiment = _object(found or {}, "the MLflow experiment").get("experiment", {})
        names[experiment_id] = str(
            _object(experiment, "the MLflow experiment").get("name", experiment_id)
        )
    run = Run(
        run_id=run_id,
        name=str(info.get("run_name") or run_id),
        experiment=names[experiment_id],
        status=str(info.get("status")),
        start_ms=ms(info.get("start_time"), f"{what}: start_time"),
        end_ms=ms(info.get("end_time"), f"{what}: end_time"),
        params=_pairs(body.get("params", []), f"{what}: params"),
        tags=_pairs(body.get("tags", []), f"{what}: tags"),
    )
    for item in _list(body.get("metrics", []), f"{what}: metrics"):
        m = _object(item, f"{what}: a metric")
        key, value = m.get("key"), m.get("value")
        if (
            not isinstance(key, str)
            or isinstance(value, bool)
            or not isinstance(value, int | float | str)
        ):
            raise UsageError(f"{what}: a metric without a key or a value: {str(m)[:80]}")
        try:
            number = float(value)
        except (ValueError, OverflowError):
            shown = str(value)[:40]
            raise UsageError(f"{what}: metric {key!r} is {shown!r}, not a number") from None
        timestamp = ms(m.get("timestamp", 0), f"{what}: metric {key!r} timestamp") or 0
        step = m.get("step", 0)
        if isinstance(step, str) and re.fullmatch(r"-?[0-9]{1,20}", step):
            step = int(step)
        if not isinstance(step, int) or isinstance(step, bool):
            raise UsageError(f"{what}: metric {key!r} step is {str(step)[:40]!r}, not a number")
        run.note(key, number, timestamp, step)
    return run


def _object(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise UsageError(
            f"{what} is {kind_of(value)}, not an object",
            hint="is the tracking URI an MLflow server (REST API 2.0)?",
        )
    return value


def _list(value: object, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise UsageError(f"{what} is {kind_of(value)}, not a list", hint="is it an MLflow server?")
    return value


def _pairs(value: object, what: str) -> dict[str, str]:
    """MLflow's ``[{"key": ..., "value": ...}]`` as a mapping."""
    out = {}
    for item in _list(value, what):
        pair = _object(item, f"{what}: an entry")
        if not isinstance(pair.get("key"), str):
            raise UsageError(f"{what}: an entry without a key: {str(pair)[:80]}")
        out[pair["key"]] = str(pair.get("value", ""))
    return out


__all__ = ["read_server"]
