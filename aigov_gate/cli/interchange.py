"""``aigov import``: documents from other tools' formats (docs/interchange.md)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from aigov_gate.cli.context import config_option, repo_option
from aigov_gate.cli.importing import import_options, write_import
from aigov_gate.cli.output import say
from aigov_gate.errors import UsageError

if TYPE_CHECKING:
    from aigov_gate.config import AigovConfig

_RISK_TIERS = ("prohibited", "high", "limited", "minimal")
_MODEL_TYPES = ("tabular", "nlp", "vision", "speech", "llm", "recommender", "timeseries", "other")


@click.group("import")
def import_group() -> None:
    """Write governance documents from other tools' formats."""


@import_group.command("model-card")
@click.argument("card", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--version", "version", required=True, help="The model version (a card has none).")
@click.option(
    "--risk-tier",
    type=click.Choice(_RISK_TIERS),
    required=True,
    help="The model's EU AI Act risk tier: a card does not say, and an import does not guess.",
)
@click.option("--name", help="The Model's name (default: the model-index name, as a Name).")
@click.option("--model-type", type=click.Choice(_MODEL_TYPES), help="Default: from the task.")
@import_options
@repo_option
@config_option
def model_card_command(
    card: Path,
    version: str,
    risk_tier: str,
    name: str | None,
    model_type: str | None,
    repo: Path | None,
    config_path: Path | None,
    **given: Any,
) -> None:
    """A Hugging Face model card's front matter -> a Model and a TestRun per dataset.

    Writes models/NAME.yaml and runs/NAME-VERSION-DATASET.yaml under -o; overwrites a
    file only with --force. Exit codes: 0 written, 2 could not import.
    """
    from aigov_gate.cli.context import find_repo
    from aigov_gate.cli.output import use_config
    from aigov_gate.config import find_config, load_config
    from aigov_gate.interchange import importer
    from aigov_gate.interchange.model_card import front_matter

    root = find_repo(repo)
    config = load_config(config_path or find_config(root))
    use_config(config)
    metadata = front_matter(_read(card, "a README.md"), str(card))
    imported = importer("model-card")(
        metadata, name=name, version=version, risk_tier=risk_tier, model_type=model_type
    )
    (model,) = imported.of_kind("Model")
    write_import(root, config, imported, f"Imported from {card.name} by aigov import model-card",
                 given)  # fmt: skip
    datasets = [use["name"] for use in model["spec"].get("datasets", [])]
    if datasets:
        say(
            "next: `aigov validate` checks that a Dataset document exists for each of: "
            + ", ".join(datasets),
            err=True,
        )


@import_group.command("cyclonedx")
@click.argument("bom", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--risk-tier",
    type=click.Choice(_RISK_TIERS),
    help="For components without an aigov:risk_tier property (an import does not guess).",
)
@click.option("--version", "version", help="For components without a version.")
@import_options
@repo_option
@config_option
def import_cyclonedx_command(
    bom: Path,
    risk_tier: str | None,
    version: str | None,
    repo: Path | None,
    config_path: Path | None,
    **given: Any,
) -> None:
    """A CycloneDX 1.6 or 1.7 ML-BOM (JSON) -> a Model per machine-learning-model
    component, and a TestRun of its performance metrics.

    The BOM is checked against the official schema first. Overwrites only with --force.
    Exit codes: 0 written, 2 could not import.
    """
    from aigov_gate.cli.context import find_repo
    from aigov_gate.cli.output import use_config
    from aigov_gate.config import find_config, load_config
    from aigov_gate.interchange import importer
    from aigov_gate.interchange.cyclonedx_in import read_bom

    root = find_repo(repo)
    config = load_config(config_path or find_config(root))
    use_config(config)
    bom_data = read_bom(_read(bom, "a JSON BOM"), str(bom))
    imported = importer("cyclonedx")(bom_data, risk_tier, version)
    write_import(root, config, imported, f"Imported from {bom.name} by aigov import cyclonedx",
                 given)  # fmt: skip


@import_group.command("mlflow")
@click.option("--run", "run_id", help="One run, by id.")
@click.option("--experiment", help="The runs of an experiment, by name (newest first).")
@click.option("--latest", is_flag=True, help="With --experiment: only its newest finished run.")
@click.option(
    "--tracking-uri",
    help="A file store (PATH or file:PATH), sqlite:///PATH, or http(s)://SERVER.",
)
@click.option("--connector", help="A ConnectorConfig of type mlflow (configuration.tracking_uri, "
              "secret_envs.token).")  # fmt: skip
@click.option("--base", metavar="REF", help="Take --connector as REF has it; only then is its "
              "token sent.")  # fmt: skip
@click.option("--model", "-m", "model", required=True, help="The Model the runs evaluated.")
@click.option("--version", "version", required=True, help="The model version they evaluated.")
@click.option("--dataset", help="The Dataset they ran on.")
@click.option(
    "--write-model",
    is_flag=True,
    help="Also write the Model (MODEL at VERSION); needs --risk-tier.",
)
@click.option("--risk-tier", type=click.Choice(_RISK_TIERS), help="With --write-model.")
@click.option("--model-type", type=click.Choice(_MODEL_TYPES), default="other", show_default=True)
@import_options
@repo_option
@config_option
def import_mlflow_command(
    run_id: str | None,
    experiment: str | None,
    latest: bool,
    tracking_uri: str | None,
    connector: str | None,
    base: str | None,
    model: str,
    version: str,
    dataset: str | None,
    write_model: bool,
    risk_tier: str | None,
    model_type: str,
    repo: Path | None,
    config_path: Path | None,
    **given: Any,
) -> None:
    """MLflow runs -> TestRuns (metrics, params, source commit, status, times), from a
    file store, a SQLite tracking database or a tracking server; no mlflow package needed.

    Exit codes: 0 written, 2 could not import.
    """
    import os

    from aigov_gate.cli.context import find_repo
    from aigov_gate.cli.output import use_config
    from aigov_gate.config import find_config, load_config
    from aigov_gate.interchange import importer
    from aigov_gate.interchange.mlflow import Selection, read_runs

    if (run_id is None) == (experiment is None):
        raise UsageError("name either --run ID or --experiment NAME")
    if (tracking_uri is None) == (connector is None):
        raise UsageError("name either --tracking-uri or --connector")
    if write_model and risk_tier is None:
        raise UsageError("--write-model needs --risk-tier: an import does not guess it")
    root = find_repo(repo)
    config = load_config(config_path or find_config(root))
    use_config(config)
    token_env = ""
    if connector is not None:
        tracking_uri, token_env = _mlflow_connector(root, config, connector, base)
    assert tracking_uri is not None
    if "://" not in tracking_uri and not tracking_uri.startswith("file:"):
        tracking_uri = str((Path.cwd() / tracking_uri).resolve())
    runs = read_runs(tracking_uri, Selection(run_id, experiment, latest), os.environ, token_env)
    spec = (
        {"model_type": model_type, "version": version, "risk_tier": risk_tier}
        if write_model
        else None
    )
    imported = importer("mlflow")(runs, model, version, dataset, spec)
    write_import(root, config, imported, "Imported from MLflow by aigov import mlflow", given)


def _mlflow_connector(
    root: Path, config: AigovConfig, name: str, base: str | None
) -> tuple[str, str]:
    """(tracking URI, token variable) of the connector: the base's with ``base``. Without
    it the connector is the working tree's, possibly the change's: its token is not sent."""
    from aigov_gate.documents.integrations import ConnectorConfig
    from aigov_gate.validation import validate_repo

    if base is not None:
        from aigov_gate import git

        docs = git.base_documents(root, base, config, ("ConnectorConfig",))
    else:
        docs = validate_repo(root, config).documents
    for doc in docs:
        model = doc.model
        if isinstance(model, ConnectorConfig) and model.metadata.name == name:
            if model.spec.connector_type != "mlflow":
                raise UsageError(f"connector '{name}' is of type {model.spec.connector_type}, "
                                 "not mlflow")  # fmt: skip
            uri = model.spec.configuration.get("tracking_uri")
            if not isinstance(uri, str) or not uri:
                raise UsageError(f"connector '{name}' has no configuration.tracking_uri",
                                 where=str(doc.raw.locate(("spec", "configuration"))))  # fmt: skip
            if "://" not in uri and not uri.startswith("file:"):
                uri = str((root / uri).resolve())
            token = model.spec.secret_envs.get("token", "")
            if token and base is None and uri.startswith(("http://", "https://")):
                say(f"note: {token} is not sent to {uri}: the connector comes from the working "
                    "tree; pass --base REF to use it as REF has it", err=True)  # fmt: skip
                token = ""
            return uri, token
    where = f" at {base}" if base else ""
    raise UsageError(
        f"no ConnectorConfig named '{name}'{where}", hint="aigov doctor lists connectors"
    )


def _read(path: Path, what: str) -> str:
    """An input file's text, or a usage error saying why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}", hint=f"pass {what} in UTF-8") from None
