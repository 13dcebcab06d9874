"""``aigov validate`` as a use case: schemas, references, YAML safety and the policies'
CEL, every problem in one run, through the validate cache when it is on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aigov_gate.config import AigovConfig
    from aigov_gate.loading.cache import Cache
    from aigov_gate.loading.loader import Report
    from aigov_gate.references import Checked
    from aigov_gate.result import Finding
    from aigov_gate.validation import ValidationResult

_ON = {"on", "1", "true", "yes"}
_OFF = {"off", "0", "false", "no"}


def validate(
    root: Path,
    config: AigovConfig,
    paths: Sequence[Path],
    env: Mapping[str, str],
    cache: bool | None = None,
    progress: Report | None = None,
) -> ValidationResult:
    """Validate ``paths`` of the repository (all of it when empty); ``cache`` as
    ``--cache/--no-cache`` says, else as ``AIGOV_CACHE`` and ``CI`` do."""
    from aigov_gate.result import sort_findings
    from aigov_gate.validation import remember, validate_repo

    store = cache_for(root, config, cache, env)
    result = validate_repo(root, config, paths, store, progress)
    if not result.cached:
        findings = sort_findings(result.findings + policy_problems(result.documents))
        result = replace(result, findings=findings)
    if store is not None:
        remember(root, store, result)
    return result


def cache_for(
    root: Path, config: AigovConfig, wanted: bool | None, env: Mapping[str, str]
) -> Cache | None:
    """The validate cache, unless it is off: ``--no-cache``, ``AIGOV_CACHE=off``, or ``CI``
    set without ``AIGOV_CACHE=on``."""
    from aigov_gate.loading.cache import Cache, default_directory

    if wanted is None:
        said = env.get("AIGOV_CACHE", "").strip().lower()
        ci = env.get("CI", "").strip().lower() not in {"", *_OFF}
        wanted = said in _ON or (not ci and said not in _OFF)
    if not wanted:
        return None
    return Cache(default_directory(env), root, config.limits.to_limits())


def policy_problems(documents: list[Checked]) -> list[Finding]:
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
