"""Writes this folder's MLflow fixtures with the real mlflow library (not run by the tests).

    python -m venv /tmp/mlf && /tmp/mlf/bin/pip install mlflow==3.17.2
    cd tests/data/mlflow && /tmp/mlf/bin/python make_fixtures.py

- mlruns/: a file store (MLFLOW_ALLOW_FILE_STORE=true: 3.x keeps it in maintenance mode)
- mlflow-3.17.2.sql: `sqlite3 .dump` of a SQLite tracking database with the same runs
  (the tests build the database from it: 44 KB of text instead of a 1 MB binary)
- rest/*.json: what `mlflow server` on that database answered to the REST calls
  aigov makes, replayed by the tests' loopback server
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import mlflow

HERE = Path(__file__).resolve().parent


def fill(uri: str) -> list[str]:
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment("credit-scoring")
    ids = []
    with mlflow.start_run(run_name="train-2.2.0") as run:
        mlflow.log_params({"learning_rate": "0.1", "max_depth": "4"})
        mlflow.log_metric("auc", 0.77)
        ids.append(run.info.run_id)
    time.sleep(0.05)
    with mlflow.start_run(run_name="train-2.3.0") as run:
        mlflow.log_params({"learning_rate": "0.05", "max_depth": "6"})
        mlflow.set_tags(
            {
                "mlflow.source.git.commit": "4f7d3b0c2f1e8a9d6c5b4a3f2e1d0c9b8a7f6e5d",
                "mlflow.source.name": "train.py",
            }
        )
        for step, value in enumerate([0.70, 0.75, 0.781]):
            mlflow.log_metric("auc", value, step=step)
        mlflow.log_metric("brier_score", 0.104)
        mlflow.log_metric("approval_rate/sex/female", 0.52)
        mlflow.log_metric("approval_rate/sex/male", 0.56)
        ids.append(run.info.run_id)
    with mlflow.start_run(run_name="crashed") as run:
        mlflow.log_metric("auc", float("nan"))
        ids.append(run.info.run_id)
    mlflow.end_run()
    mlflow.MlflowClient().set_terminated(ids[-1], status="FAILED")
    return ids


def main() -> None:
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    shutil.rmtree(HERE / "mlruns", ignore_errors=True)
    fill(f"file:{HERE / 'mlruns'}")
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "mlflow.db"
        ids = fill(f"sqlite:///{db}")
        with sqlite3.connect(db) as connection:
            dump = "\n".join(connection.iterdump())
        (HERE / f"mlflow-{mlflow.__version__}.sql").write_text(dump + "\n", encoding="utf-8")
        server = subprocess.Popen(
            [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", f"sqlite:///{db}",
             "--host", "127.0.0.1", "--port", "5987", "--workers", "1"],
        )  # fmt: skip
        try:
            record(ids)
        finally:
            server.terminate()
            server.wait()


def record(ids: list[str]) -> None:
    base = "http://127.0.0.1:5987/api/2.0/mlflow"
    for _ in range(60):
        try:
            urllib.request.urlopen(base + "/experiments/search?max_results=1", timeout=1)
            break
        except OSError:
            time.sleep(1)
    rest = HERE / "rest"
    shutil.rmtree(rest, ignore_errors=True)
    rest.mkdir()

    def get(path: str, **params: str) -> object:
        url = f"{base}{path}?{urllib.parse.urlencode(params)}"
        return json.loads(urllib.request.urlopen(url, timeout=10).read())

    def post(path: str, body: dict[str, object]) -> object:
        request = urllib.request.Request(
            base + path, json.dumps(body).encode(), {"Content-Type": "application/json"}
        )
        return json.loads(urllib.request.urlopen(request, timeout=10).read())

    found = get("/experiments/get-by-name", experiment_name="credit-scoring")
    experiment_id = found["experiment"]["experiment_id"]  # type: ignore[index]
    search = {
        "experiment_ids": [experiment_id],
        "max_results": 1000,
        "order_by": ["attributes.start_time DESC"],
        "run_view_type": "ACTIVE_ONLY",
    }
    answers = {
        "experiments-get-by-name.json": found,
        "experiments-get.json": get("/experiments/get", experiment_id=experiment_id),
        "runs-get.json": get("/runs/get", run_id=ids[1]),
        "runs-search.json": post("/runs/search", search),
    }
    for name, answer in answers.items():
        (rest / name).write_text(json.dumps(answer, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
