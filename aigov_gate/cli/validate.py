"""``aigov validate``: schema, references and YAML safety, every problem in one run."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from aigov_gate.cli.context import config_option, repo_option
from aigov_gate.cli.output import decided, say
from aigov_gate.reporters import REPORTER_BY_NAME

if TYPE_CHECKING:
    from aigov_gate.config import AigovConfig
    from aigov_gate.loading.cache import Cache
    from aigov_gate.references import Checked
    from aigov_gate.result import Finding

FORMATS = tuple(REPORTER_BY_NAME)
_OFF = {"off", "0", "false", "no"}


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@repo_option
@config_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option(
    "--cache/--no-cache",
    default=None,
    help="Remember parsed files and findings between runs, in the user's cache directory "
    "(default: on; off when CI is set, unless AIGOV_CACHE=on; AIGOV_CACHE=off turns it "
    "off; docs/performance.md).",
)
@click.pass_context
def validate_command(
    ctx: click.Context,
    paths: tuple[Path, ...],
    repo: Path | None,
    config_path: Path | None,
    fmt: str,
    cache: bool | None,
) -> None:
    """Validate governance documents: YAML safety, schemas, references.

    With PATHS (files or folders, as pre-commit passes them) only those are validated,
    and their references are checked against the whole repository.
    """
    from aigov_gate.cli.context import find_repo
    from aigov_gate.cli.output import use_config
    from aigov_gate.cli.progress import Progress
    from aigov_gate.config import find_config, load_config
    from aigov_gate.result import sort_findings
    from aigov_gate.validation import remember, validate_repo

    root = find_repo(repo)
    config = load_config(config_path or find_config(root))
    store = _cache(root, config, cache)
    progress = Progress()
    try:
        result = validate_repo(root, config, paths, store, progress)
    finally:
        progress.close()
    if not result.cached:
        result.findings = sort_findings(result.findings + _policy_problems(result.documents))
    if store is not None:
        remember(root, store, result)
    colour = fmt == "text" and sys.stdout.isatty()
    use_config(config)
    say(REPORTER_BY_NAME[fmt](result, colour), nl=False)
    decided(not result.findings)


def _cache(root: Path, config: AigovConfig, wanted: bool | None) -> Cache | None:
    import os

    from aigov_gate.loading.cache import Cache, default_directory

    if wanted is None:
        said = os.environ.get("AIGOV_CACHE", "").strip().lower()
        ci = os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}
        wanted = said in {"on", "1", "true", "yes"} or (not ci and said not in _OFF)
    if not wanted:
        return None
    return Cache(default_directory(os.environ), root, config.limits.to_limits())


def _policy_problems(documents: list[Checked]) -> list[Finding]:
    """CEL syntax, variables, functions and bounds of each Policy, as the gate will see them.

    Only when there are Policy documents: compiling imports ``cel`` (about 0.2 s), which a
    pre-commit run on a model file does not pay.
    """
    from aigov_gate.documents.policy import Policy

    policies = [doc for doc in documents if isinstance(doc.model, Policy)]
    if not policies:
        return []
    from aigov_gate.policy.policies import compile_policy

    return [problem for doc in policies for problem in compile_policy(doc).problems]
