"""``aigov import model-card`` on Hugging Face's own card fixtures (tests/data/hf-cards)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from conftest import git, run_aigov
from receiver import serve

from aigov_gate.interchange.model_card import slug

CARDS = Path(__file__).parent / "data" / "hf-cards"
CONFIG = "organization: acme\npaths: [governance]\n"
BEANS = """\
apiVersion: aigov/v1
kind: Dataset
metadata:
  name: beans
spec:
  version: "1"
  sources: [huggingface]
  license: mit
  contains_pii: false
  data_classification: public
"""


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "governance" / "datasets").mkdir(parents=True)
    (repo / ".aigov.yaml").write_text(CONFIG)
    (repo / "governance" / "datasets" / "beans.yaml").write_text(BEANS)
    return repo


def _import(repo: Path, card: Path, *args: str) -> tuple[int, str, str]:
    done = run_aigov(
        "import", "model-card", str(card), "--repo", str(repo), "--version", "1.0.0",
        "--risk-tier", "limited", *args,
    )  # fmt: skip
    assert "Traceback" not in done.stderr
    return done.returncode, done.stdout, done.stderr


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_model_index_becomes_a_model_and_a_run_per_dataset_revision(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    code, out, _ = _import(repo, CARDS / "sample_simple_model_index.md")
    assert code == 0, out
    model = yaml.safe_load((repo / "governance/models/my-cool-model.yaml").read_text())
    assert model["spec"] == {
        "model_type": "vision",  # from task.type image-classification
        "version": "1.0.0",
        "risk_tier": "limited",
        "datasets": [{"name": "beans", "purpose": "training"}],
    }
    assert model["metadata"]["labels"] == {
        "source": "huggingface-model-card",
        "license": "mit",
        "library": "timm",
    }
    runs = sorted((repo / "governance/runs").glob("*.yaml"))
    assert [r.name for r in runs] == [
        "my-cool-model-1.0.0-beans-5503434ddd75.yaml",
        "my-cool-model-1.0.0-beans.yaml",
    ]
    pinned, plain = (yaml.safe_load(r.read_text())["spec"] for r in runs)
    assert plain["results"] == [
        {"test_name": "image-classification", "metrics": [{"name": "accuracy", "value": 0.9}]}
    ]
    assert pinned["parameters"]["dataset_revision"] == "5503434ddd753f426f4b38109466949a1217c2bb"
    assert pinned["results"][0]["test_name"] == "image-classification (default) on test"
    assert pinned["results"][0]["metrics"] == [{"name": "f1", "value": 0.66}]
    # What was written validates, references included (the Dataset is in the repo).
    done = run_aigov("validate", "--repo", str(repo))
    assert done.returncode == 0, done.stdout


def test_the_same_card_gives_the_same_bytes_and_nothing_is_overwritten(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    card = CARDS / "sample_simple_model_index.md"
    assert _import(repo, card, "-o", str(tmp_path / "a"))[0] == 0
    assert _import(repo, card, "--output", str(tmp_path / "b"))[0] == 0
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
    before = _tree(tmp_path / "a")
    (tmp_path / "a/runs/my-cool-model-1.0.0-beans.yaml").unlink()
    code, _, err = _import(repo, card, "-o", str(tmp_path / "a"))
    assert code == 2 and "already exists; not overwriting it" in err and "--force" in err
    # Nothing was written, not even the run file that was missing.
    assert _tree(tmp_path / "a") == {
        k: v for k, v in before.items() if k != "runs/my-cool-model-1.0.0-beans.yaml"
    }
    # --force writes them all again; the deprecated --out still works, and says so.
    code, _, err = _import(repo, card, "--out", str(tmp_path / "a"), "--force")
    assert code == 0 and "--out is deprecated; use -o/--output" in err
    assert _tree(tmp_path / "a") == before


def test_results_without_a_dataset_are_left_out_and_said(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    code, out, err = _import(repo, CARDS / "sample_invalid_model_index.md")
    assert code == 0
    assert "Model 'my-cool-model'" in out and "TestRun" not in out
    assert "skipped: model-index result 1: names no dataset" in err
    assert not (repo / "governance" / "runs").exists()


def test_cards_that_cannot_be_imported_say_where_and_why(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    code, _, err = _import(repo, CARDS / "sample_no_metadata.md")
    assert code == 2 and "sample_no_metadata.md:1:1" in err and "no YAML front matter" in err
    code, _, err = _import(repo, CARDS / "sample_invalid_card_data.md")
    assert code == 2 and "sample_invalid_card_data.md:2:1" in err and "not a mapping" in err
    broken = tmp_path / "broken.md"
    broken.write_text("---\nlicense: mit\ntags: [a, b\nmodel-index: []\n---\n")
    code, _, err = _import(repo, broken)
    assert code == 2 and f"{broken}:4:12:" in err  # the card's line, not the YAML's
    code, _, err = _import(repo, CARDS / "sample_simple_model_index.md", "--name", "Bad Name!")
    assert code == 0  # names are made Names: "bad-name"
    assert (repo / "governance/models/bad-name.yaml").exists()
    code, _, err = _import(repo, CARDS / "sample_simple_model_index.md", "--version", "")
    assert code == 2 and "would not be valid: spec.version" in err


def test_windows_line_breaks_front_matter_to_the_end_and_legacy_keys(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    code, out, _ = _import(repo, CARDS / "sample_windows_line_breaks.md", "--name", "esperberto")
    assert code == 0 and "Model 'esperberto'" in out
    model = yaml.safe_load((repo / "governance/models/esperberto.yaml").read_text())
    assert model["spec"]["model_type"] == "other"
    assert model["metadata"]["labels"]["license"] == "mit"
    legacy = tmp_path / "legacy.md"
    legacy.write_text(
        "---\npipeline_tag: text-classification\nmodel_index:\n- name: Sentiment\n  results:\n"
        "  - task: {name: Text Classification, type: text-classification}\n"
        "    dataset: {name: glue, type: nyu-mll/glue, split: validation}\n"
        "    metric: {type: accuracy, value: 92.5%, verified: true}\n"
        "  - task: {type: text-classification}\n"
        "    dataset: {type: nyu-mll/glue}\n"
        "    metrics:\n    - {type: lena.martin@acme-bank.example, value: n/a}\n"
    )  # the front matter runs to the end of the file
    code, out, err = _import(repo, legacy)
    assert code == 0, err
    run = yaml.safe_load((repo / "governance/runs/sentiment-1.0.0-nyu-mll--glue.yaml").read_text())
    assert run["spec"]["dataset"] == "nyu-mll--glue"
    assert run["spec"]["results"][0] == {
        "test_name": "text-classification on validation",
        "metrics": [{"name": "accuracy", "value": 0.925}],
        "summary": "1 metric(s) verified by Hugging Face",
    }
    model = yaml.safe_load((repo / "governance/models/sentiment.yaml").read_text())
    assert model["spec"]["model_type"] == "nlp"
    assert "has no numeric value" in err and "[redacted:email]" in err
    assert "lena.martin" not in err


EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "credit-scoring"
#: The run the example's model is judged on: the attested one it ships (issue 34).
JUDGED = next((EXAMPLE / "governance/runs").glob("credit-scoring-2.3.0-run-*.yaml"))


def _run_metrics(path: Path) -> list[tuple[str, str, dict[str, object]]]:
    spec = yaml.safe_load(path.read_text())["spec"]
    return [
        (r["test_name"], m["name"], {k: m.get(k) for k in ("value", "slice_key", "slice_value")})
        for r in spec["results"]
        for m in r["metrics"]
    ]


def test_an_exported_card_is_read_by_huggingface_hub_and_imports_back(tmp_path: Path) -> None:
    from huggingface_hub import ModelCard, ModelCardData

    done = run_aigov(
        "export", "model-card", "credit-scoring@2.3.0", "--repo", str(EXAMPLE), process=True
    )
    assert done.returncode == 0, done.stderr
    again = run_aigov("export", "model-card", "credit-scoring", "--repo", str(EXAMPLE))
    assert again.stdout == done.stdout  # the manifest's version is 2.3.0; same bytes
    card = ModelCard(done.stdout)
    data = card.data
    assert isinstance(data, ModelCardData)
    results = data.eval_results or []
    source = JUDGED
    assert [(r.task_type, r.metric_type, r.metric_value) for r in results] == [
        (slug(test), metric, values["value"]) for test, metric, values in _run_metrics(source)
    ]
    assert {r.dataset_type for r in results} == {"loan-applications-holdout-2025"}
    assert data.datasets == ["loan-applications-2024"]
    for section in ("## Intended use", "## Training and evaluation data", "## Evaluation",
                    "## Risks and limitations", "Annex III category | 5(b)"):  # fmt: skip
        assert section in card.text or section in done.stdout
    assert "lena.m" in done.stdout  # an owner handle, not personal data the masker knows
    # Back in: the same tests, metrics, values and slices.
    readme = tmp_path / "README.md"
    readme.write_text(done.stdout)
    repo = _repo(tmp_path)
    code, _, err = _import(repo, readme, "--name", "credit-scoring", "--version", "2.3.0")
    assert code == 0, err
    back = repo / "governance/runs/credit-scoring-2.3.0-loan-applications-holdout-2025.yaml"
    assert _run_metrics(back) == _run_metrics(source)


def test_export_names_what_is_wrong_and_overwrites_only_with_force(tmp_path: Path) -> None:
    done = run_aigov("export", "model-card", "nope", "--repo", str(EXAMPLE))
    assert done.returncode == 2 and "no Model named 'nope'" in done.stderr
    assert "credit-scoring" in done.stderr
    out = tmp_path / "README.md"
    args = ("export", "model-card", "credit-scoring", "--repo", str(EXAMPLE), "-o", str(out))
    assert run_aigov(*args).returncode == 0
    first = out.read_bytes()
    out.write_text("mine")
    done = run_aigov(*args)
    assert done.returncode == 2 and "already exists; not overwriting it" in done.stderr
    assert "--force" in done.stderr and out.read_text() == "mine"
    assert run_aigov(*args, "--force").returncode == 0 and out.read_bytes() == first
    # A version without a run: the card says so instead of inventing results.
    done = run_aigov("export", "model-card", "credit-scoring@9.9.9", "--repo", str(EXAMPLE))
    assert done.returncode == 0 and "model-index" not in done.stdout
    assert "## Evaluation\n\n_Not documented._" in done.stdout


CDX = Path(__file__).parent / "data" / "cyclonedx"


def test_the_exported_ml_bom_passes_cyclonedx_s_strict_validator_in_both_versions() -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    for version, schema in (("1.6", SchemaVersion.V1_6), ("1.7", SchemaVersion.V1_7)):
        args = ("export", "cyclonedx", "--repo", str(EXAMPLE), "--spec-version", version)
        done = run_aigov(*args)
        assert done.returncode == 0, done.stderr
        assert JsonStrictValidator(schema).validate_str(done.stdout) is None
        assert run_aigov(*args).stdout == done.stdout  # same documents, same bytes
        bom = json.loads(done.stdout)
        kinds = [(c["type"], c["name"]) for c in bom["components"]]
        assert kinds == [
            ("data", "loan-applications-2024"),
            ("data", "loan-applications-holdout-2025"),
            ("machine-learning-model", "credit-scoring"),
        ]
        model = bom["components"][2]
        assert model["hashes"][0]["content"].startswith("82d0acef")
        assert {"name": "aigov:risk_tier", "value": "high"} in model["properties"]
        metrics = model["modelCard"]["quantitativeAnalysis"]["performanceMetrics"]
        female = [m for m in metrics if m.get("slice") == "sex=female"]
        assert [(m["type"], m["value"]) for m in female] == [("approval_rate", "0.593")]
        assert bom["dependencies"][0]["dependsOn"] == [
            "dataset:loan-applications-2024",
            "dataset:loan-applications-holdout-2025",
        ]


def test_an_exported_ml_bom_imports_back(tmp_path: Path) -> None:
    bom = tmp_path / "bom.json"
    bom.write_text(run_aigov("export", "cyclonedx", "--repo", str(EXAMPLE)).stdout)
    repo = _repo(tmp_path)
    done = run_aigov("import", "cyclonedx", str(bom), "--repo", str(repo), process=True)
    assert done.returncode == 0, done.stderr
    run = repo / "governance/runs/credit-scoring-2.3.0-cyclonedx.yaml"
    source = JUDGED
    assert [(n, v) for _, n, v in _run_metrics(run)] == [(n, v) for _, n, v in _run_metrics(source)]
    model = yaml.safe_load((repo / "governance/models/credit-scoring.yaml").read_text())["spec"]
    assert model["risk_tier"] == "high" and model["digest"].startswith("sha256:82d0acef")
    assert [(d["name"], d["purpose"], d["version"]) for d in model["datasets"]] == [
        ("loan-applications-2024", "training", "2024-12"),
        ("loan-applications-holdout-2025", "test", "2025-03"),  # the holdout stays a test set
    ]
    holdout = yaml.safe_load((repo / "governance/datasets/loan-applications-holdout-2025.yaml")
                             .read_text())["spec"]  # fmt: skip
    assert holdout["data_classification"] == "confidential" and holdout["contains_pii"] is True
    # the round trip validates: every dataset the model names is there
    checked = run_aigov("validate", "--repo", str(repo))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_specification_s_ml_test_vectors_import_and_bad_boms_say_why(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    for version in ("1.6", "1.7"):
        out = tmp_path / version
        args = ("--repo", str(repo), "--out", str(out))
        vector = str(CDX / f"valid-machine-learning-{version}.json")
        done = run_aigov("import", "cyclonedx", vector, *args)
        assert done.returncode == 2 and "has no risk tier" in done.stderr
        done = run_aigov("import", "cyclonedx", vector, "--risk-tier", "minimal", *args)
        assert done.returncode == 0, done.stderr
        model = yaml.safe_load((out / "models/stable-diffusion.yaml").read_text())["spec"]
        assert model["version"] == "1.4" and model["model_type"] == "other"
        assert model["datasets"] == [{"name": "training-data", "purpose": "training"}]
        # Its metric values are placeholder text: left out and said, no TestRun.
        assert "metric 'The type of performance metric'" in done.stderr
        assert not (out / "runs").exists()
    done = run_aigov("import", "cyclonedx", str(CDX / "invalid-component-type-1.6.json"))
    assert done.returncode == 2 and "is not valid CycloneDX 1.6: components/0/type" in done.stderr
    trailing = tmp_path / "trailing.json"
    trailing.write_text('{\n  "bomFormat": "CycloneDX",\n  "specVersion": "1.6",\n}\n')
    done = run_aigov("import", "cyclonedx", str(trailing), "--repo", str(repo))
    assert (
        done.returncode == 2
        and f"{trailing}:4:1" in done.stderr
        and "trailing comma" in done.stderr
    )
    old = tmp_path / "old.json"
    old.write_text('{"bomFormat": "CycloneDX", "specVersion": "1.4", "version": 1}')
    done = run_aigov("import", "cyclonedx", str(old), "--repo", str(repo))
    assert done.returncode == 2 and "CycloneDX 1.4" in done.stderr


MLFLOW = Path(__file__).parent / "data" / "mlflow"


def _mlflow(repo: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    done = run_aigov(
        "import", "mlflow", "--repo", str(repo), "--model", "credit-scoring", "--version",
        "2.3.0", *args, env=env,
    )  # fmt: skip
    assert "Traceback" not in done.stderr
    return done.returncode, done.stdout, done.stderr


def _commit(repo: Path) -> None:
    """The repository as a Git one with everything committed: the base connectors come from."""
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")


def _sqlite_store(tmp_path: Path, revision: str | None = None) -> Path:
    import sqlite3

    db = tmp_path / "mlflow.db"
    with sqlite3.connect(db) as connection:
        connection.executescript((MLFLOW / "mlflow-3.17.2.sql").read_text())
        if revision is not None:
            connection.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    return db


def _only_run(folder: Path) -> dict[str, object]:
    (run,) = sorted((folder / "runs").glob("*.yaml"))
    spec: dict[str, object] = yaml.safe_load(run.read_text())["spec"]
    return spec


EXPECTED_METRICS = [
    {"name": "approval_rate", "value": 0.52, "slice_key": "sex", "slice_value": "female"},
    {"name": "approval_rate", "value": 0.56, "slice_key": "sex", "slice_value": "male"},
    {"name": "auc", "value": 0.781},  # the last step's value, not the first
    {"name": "brier_score", "value": 0.104},
]


def test_mlflow_file_store_and_sqlite_give_the_same_test_run(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    stores = {"file": str(MLFLOW / "mlruns"), "sqlite": f"sqlite:///{_sqlite_store(tmp_path)}"}
    specs = {}
    for kind, uri in stores.items():
        out = tmp_path / kind
        args = ("--tracking-uri", uri, "--experiment", "credit-scoring", "--latest")
        code, _, err = _mlflow(repo, *args, "--out", str(out))
        assert code == 0, err
        spec = _only_run(out)
        assert spec["status"] == "completed" and spec["model_version"] == "2.3.0"
        results = spec["results"]
        assert isinstance(results, list) and len(results) == 1
        result = results[0]
        assert result["test_name"] == "mlflow run train-2.3.0"
        assert result["metrics"] == EXPECTED_METRICS
        parameters = spec["parameters"]
        assert parameters["git_commit"] == "4f7d3b0c2f1e8a9d6c5b4a3f2e1d0c9b8a7f6e5d"  # type: ignore[index]
        assert parameters["param.max_depth"] == "6" and parameters["source"] == "train.py"  # type: ignore[index]
        assert str(spec["started_at"]).endswith("+00:00")
        specs[kind] = {
            k: v
            for k, v in spec.items()
            if k not in ("parameters", "started_at", "finished_at", "executor")
        }
    assert specs["file"] == specs["sqlite"]
    # The whole experiment: three runs, the failed one with its NaN metric left out and said.
    code, _, err = _mlflow(repo, "--tracking-uri", stores["file"], "--experiment", "credit-scoring")
    assert code == 0, err
    statuses = sorted(yaml.safe_load(p.read_text())["spec"]["status"]
                      for p in (repo / "governance/runs").glob("*.yaml"))  # fmt: skip
    assert statuses == ["completed", "completed", "failed"]
    assert "metric 'auc' is nan, not a number" in err


def test_an_unknown_sqlite_schema_revision_is_refused_clearly(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    db = _sqlite_store(tmp_path, revision="0123456789ab")
    code, _, err = _mlflow(
        repo, "--tracking-uri", f"sqlite:///{db}", "--experiment", "credit-scoring"
    )
    assert code == 2 and "schema revision 0123456789ab" in err and "dc11669786a5" in err
    code, _, err = _mlflow(repo, "--tracking-uri", str(tmp_path / "nope"), "--run", "abc")
    assert code == 2 and "not an MLflow file store" in err


class _Replay:
    """A loopback MLflow tracking server answering what a real one answered (rest/*.json)."""

    def __init__(self, token: str) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        answers = {
            "/api/2.0/mlflow/experiments/get-by-name": "experiments-get-by-name.json",
            "/api/2.0/mlflow/experiments/get": "experiments-get.json",
            "/api/2.0/mlflow/runs/get": "runs-get.json",
            "/api/2.0/mlflow/runs/search": "runs-search.json",
        }
        self.requests: list[str] = []
        requests = self.requests

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def _answer(self) -> None:
                path = self.path.split("?", 1)[0]
                requests.append(f"{self.command} {path}")
                if self.headers.get("Authorization") != f"Bearer {token}":
                    self.send_response(401)
                    self.end_headers()
                    return
                name = answers.get(path)
                body = (MLFLOW / "rest" / name).read_bytes() if name else b"{}"
                self.send_response(200 if name else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                self._answer()

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self._answer()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_a_tracking_server_through_a_connector_with_its_token(tmp_path: Path) -> None:
    server = _Replay(token="s3cr3t-token")
    try:
        repo = _repo(tmp_path)
        (repo / "governance/connectors").mkdir()
        (repo / "governance/connectors/tracking.yaml").write_text(
            "apiVersion: aigov/v1\nkind: ConnectorConfig\nmetadata:\n  name: tracking\n"
            f"spec:\n  connector_type: mlflow\n  configuration:\n    tracking_uri: {server.url}\n"
            "  secret_envs:\n    token: MLFLOW_TRACKING_TOKEN\n"
        )
        _commit(repo)
        run_id = json.loads((MLFLOW / "rest/runs-get.json").read_text())["run"]["info"]["run_id"]
        tracking = ("--connector", "tracking", "--base", "HEAD")
        code, _, err = _mlflow(repo, *tracking, "--run", run_id)
        assert code == 2 and "MLFLOW_TRACKING_TOKEN is not set" in err
        wrong = {"MLFLOW_TRACKING_TOKEN": "not-it"}
        code, _, err = _mlflow(repo, *tracking, "--run", run_id, env=wrong)
        assert code == 2 and "refused the request (401)" in err and "not-it" not in err
        good = {"MLFLOW_TRACKING_TOKEN": "s3cr3t-token"}
        code, out, err = _mlflow(repo, *tracking, "--run", run_id, env=good)
        assert code == 0, err
        spec = _only_run(repo / "governance")
        assert spec["results"][0]["metrics"] == EXPECTED_METRICS  # type: ignore[index]
        assert spec["parameters"]["mlflow_experiment"] == "credit-scoring"  # type: ignore[index]
        assert "s3cr3t-token" not in out + err
        code, _, err = _mlflow(
            repo, *tracking, "--experiment", "credit-scoring", "--latest",
            "--out", str(tmp_path / "latest"), env=good,
        )  # fmt: skip
        assert code == 0, err
        assert _only_run(tmp_path / "latest")["results"] == spec["results"]
        assert "POST /api/2.0/mlflow/runs/search" in server.requests
    finally:
        server.server.shutdown()


def test_doctor_checks_each_connector_without_printing_a_secret(tmp_path: Path) -> None:
    server = _Replay(token="s3cr3t-token")
    try:
        repo = _repo(tmp_path)
        folder = repo / "governance/connectors"
        folder.mkdir()
        db = _sqlite_store(tmp_path, revision="0123456789ab")
        stores = {
            "files": (str(MLFLOW / "mlruns"), ""),
            "old-db": (f"sqlite:///{db}", ""),
            "server": (server.url, "MLFLOW_TRACKING_TOKEN"),
            "missing": (str(tmp_path / "nowhere"), ""),
        }
        for name, (uri, token) in stores.items():
            secret = f"  secret_envs:\n    token: {token}\n" if token else ""
            (folder / f"{name}.yaml").write_text(
                f"apiVersion: aigov/v1\nkind: ConnectorConfig\nmetadata:\n  name: {name}\n"
                f"spec:\n  connector_type: mlflow\n  configuration:\n    tracking_uri: '{uri}'\n"
                + secret
            )

        _commit(repo)

        def doctor(env: dict[str, str]) -> dict[str, dict[str, str]]:
            done = run_aigov(
                "doctor", "--format", "json", "--repo", str(repo), "--base", "HEAD", env=env
            )
            assert (
                "s3cr3t-token" not in done.stdout + done.stderr and "Traceback" not in done.stderr
            )
            return {c["name"]: c for c in json.loads(done.stdout)["checks"]}

        found = doctor({})
        assert found["connector files"]["status"] == "ok"
        assert found["connector old-db"]["status"] == "fail"
        assert "schema revision 0123456789ab" in found["connector old-db"]["message"]
        assert found["connector missing"]["status"] == "fail"
        assert found["connector server"]["status"] == "warn"
        assert "MLFLOW_TRACKING_TOKEN not set" in found["connector server"]["message"]
        wrong = doctor({"MLFLOW_TRACKING_TOKEN": "not-it"})["connector server"]
        assert wrong["status"] == "fail" and "401" in wrong["message"]
        good = doctor({"MLFLOW_TRACKING_TOKEN": "s3cr3t-token"})["connector server"]
        assert good["status"] == "ok", good
        assert any(
            r.startswith("GET /api/2.0/mlflow/experiments/get-by-name") for r in server.requests
        )
    finally:
        server.server.shutdown()


def test_mlflow_import_writes_the_model_when_asked_and_the_same_bytes_twice(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    args = ("--tracking-uri", str(MLFLOW / "mlruns"), "--experiment", "credit-scoring", "--latest")
    code, _, err = _mlflow(repo, *args, "--write-model", "--out", str(tmp_path / "a"))
    assert code == 2 and "--write-model needs --risk-tier" in err
    for folder in ("a", "b"):
        more = ("--write-model", "--risk-tier", "high", "--model-type", "tabular")
        code, _, err = _mlflow(repo, *args, *more, "--out", str(tmp_path / folder))
        assert code == 0, err
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
    model = yaml.safe_load((tmp_path / "a/models/credit-scoring.yaml").read_text())
    assert model["spec"] == {"model_type": "tabular", "version": "2.3.0", "risk_tier": "high"}


def _tracking(url: str) -> str:
    return (
        "apiVersion: aigov/v1\nkind: ConnectorConfig\nmetadata:\n  name: tracking\n"
        f"spec:\n  connector_type: mlflow\n  configuration:\n    tracking_uri: {url}\n"
        "  secret_envs:\n    token: MLFLOW_TRACKING_TOKEN\n"
    )


def test_an_mlflow_url_from_the_change_receives_no_credential(tmp_path: Path) -> None:
    """The base's connector names one server; the change points it at its own (a real
    HTTP server on 127.0.0.1). Neither doctor nor import sends the token there."""
    from aigov_gate.doctor import diagnose

    token = "mlflow-" + "t" * 30
    env = {"MLFLOW_TRACKING_TOKEN": token}
    with serve() as trusted, serve() as attacker:
        repo = _repo(tmp_path)
        (repo / "governance/connectors").mkdir()
        where = repo / "governance/connectors/tracking.yaml"
        where.write_text(_tracking(trusted.url("")))
        _commit(repo)
        where.write_text(_tracking(attacker.url("")))  # the change under review
        checks = {c.name: c for c in diagnose(repo, None, env, False)}
        code, _, err = _mlflow(repo, "--connector", "tracking", "--run", "r1", env=env)
        heard = [json.dumps(r.headers) for r in attacker.received]
        assert not any(token in h or "authorization" in h for h in heard), heard
        assert checks["connector tracking"].status == "warn"
        assert "not contacted" in checks["connector tracking"].message
        assert code == 2 and "MLFLOW_TRACKING_TOKEN is not sent" in err and token not in err
        # With --base, the base's server is asked, with the token; the change's is not.
        attacker.received.clear()
        checks = {c.name: c for c in diagnose(repo, None, env, False, base="main")}
        code, _, err = _mlflow(
            repo, "--connector", "tracking", "--base", "main", "--run", "r1", env=env
        )
        assert attacker.received == []
        assert len(trusted.received) == 2  # doctor's probe, then the import
        assert all(r.headers.get("authorization") == f"Bearer {token}" for r in trusted.received)
        # (this stand-in answers "ok", not MLflow's JSON: both say so, neither shows the token)
        assert code == 2 and "not JSON" in err and token not in err
        assert checks["connector tracking"].status == "fail"
        assert trusted.url("") in checks["connector tracking"].message


def test_an_imported_interval_that_does_not_hold_its_value_is_left_out(tmp_path: Path) -> None:
    bom = json.loads(run_aigov("export", "cyclonedx", "--repo", str(EXAMPLE)).stdout)
    metrics = bom["components"][2]["modelCard"]["quantitativeAnalysis"]["performanceMetrics"]
    metrics[0]["confidenceInterval"] = {"lowerBound": "0.9", "upperBound": "0.95"}
    path = tmp_path / "bom.json"
    path.write_text(json.dumps(bom))
    repo = _repo(tmp_path)
    done = run_aigov("import", "cyclonedx", str(path), "--repo", str(repo))
    assert done.returncode == 0, done.stderr
    assert f"the interval of metric '{metrics[0]['type']}'" in done.stderr
    assert "lies outside its interval [0.9, 0.95]" in done.stderr
    run = (repo / "governance/runs/credit-scoring-2.3.0-cyclonedx.yaml").read_text()
    assert "ci_low: 0.9" not in run and "ci_high: 0.95" not in run
