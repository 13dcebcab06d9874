"""``aigov doctor``: what is misconfigured, each check ok / warn / fail with a fix.

Checks, in order: the config, the governance documents, the evidence keys (present,
usable on this machine, not due for rotation, audit log consistent), the webhook
subscriptions (secret set and well-formed, url allowed, queue state; with
``send_test`` a webhook.test to each active one), the connectors (a credential goes only
to a host the base names, never to one from the working tree, which may be the change
under review), the sign-off provider's token when running in CI, and the Git checkout (a
repository, history deep enough, the outbox not tracked). With ``base``, the
configuration, keyring, subscriptions and connectors checked are the base's. Nothing
here prints; the CLI renders the list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from aigov_gate.config import AigovConfig, find_config, load_config
from aigov_gate.errors import AigovError
from aigov_gate.result import Subscription

if TYPE_CHECKING:
    from aigov_gate.authority import AuthorityChange
    from aigov_gate.documents.integrations import ConnectorConfig
    from aigov_gate.git import BaseRef
    from aigov_gate.graph import Graph
    from aigov_gate.references import Checked

STATUSES = ("ok", "warn", "fail")


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: str
    message: str
    hint: str = ""


def diagnose(
    root: Path,
    config_path: Path | None,
    env: Mapping[str, str],
    send_test: bool,
    base: str | None = None,
) -> list[Check]:
    """Every check; with ``base``, of what is in force for a change going into it: the
    base's configuration, keyring, subscriptions and connectors (the working tree's
    documents are still the ones validated)."""
    from aigov_gate.authority import CONTROL_KINDS
    from aigov_gate.gate.base import read_base, with_base_controls
    from aigov_gate.graph import Graph

    checks: list[Check] = []
    try:
        config = load_config(config_path or find_config(root), env)
        before = read_base(root, config, base, env) if base else None
    except AigovError as exc:
        checks.append(Check("config", "fail", exc.message, exc.hint))
        checks.extend(_git(root, None))
        return checks
    config = before.authority.config if before is not None else config
    graph, documents = _documents(root, config)
    if before is not None:
        with_base_controls(before, [d for k in CONTROL_KINDS for d in graph.by_kind[k]])
        checks.extend(_in_force(base or "", config, before.authority.changes))
    else:
        shown = config_path or find_config(root)
        where = str(shown) if shown else "no .aigov.yaml (defaults)"
        checks.append(Check("config", "ok", f"{where}: valid (organization {config.organization})"))
    checks.append(documents)
    ref = before.ref if before is not None else None
    checks.extend(_keys(root, config, env, ref))
    subs = Graph(before.controls).subscriptions() if before is not None else graph.subscriptions()
    checks.extend(_webhooks(root, config, subs, env, send_test))
    connectors = before.controls if before is not None else graph.by_kind["ConnectorConfig"]
    checks.extend(_connectors(root, connectors, env, trusted=before is not None))
    checks.append(_approvals(config, env))
    checks.extend(_git(root, config))
    return checks


def _in_force(base: str, config: AigovConfig, changes: list[AuthorityChange]) -> list[Check]:
    """The base's configuration, and what the change edits that only counts once merged."""
    checks = [
        Check("config", "ok", f"{base}:.aigov.yaml: in force (organization {config.organization})")
    ]
    if changes:
        keyring = sum(1 for c in changes if c.what.startswith("keyring file "))
        named = ", ".join(
            dict.fromkeys(
                f"the keyring ({keyring} file(s))" if c.what.startswith("keyring file ") else c.what
                for c in changes
            )
        )
        checks.append(
            Check(
                "authority",
                "warn",
                f"the working tree changes {named}: {base}'s apply until the change merges",
                "the gate blocks on authority.changed until the base's "
                f"signoff.authority_role ({config.signoff.authority_role}) signs off",
            )
        )
    return checks


def _documents(root: Path, config: AigovConfig) -> tuple[Graph, Check]:
    from aigov_gate.graph import Graph
    from aigov_gate.validation import validate_repo

    result = validate_repo(root, config)
    graph = Graph(result.documents)
    counted = f"{result.documents_checked} documents in {result.files_read} files"
    if not result.findings:
        return graph, Check("documents", "ok", f"{counted}: valid")
    first = "; ".join(f"{f.location}: {f.rule_id}" for f in result.findings[:3])
    more = f" (and {len(result.findings) - 3} more)" if len(result.findings) > 3 else ""
    return graph, Check(
        "documents",
        "fail",
        f"{len(result.findings)} problem(s) in {counted}: {first}{more}",
        "run `aigov validate` for every problem with its fix",
    )


def _connectors(
    root: Path, docs: Sequence[Checked], env: Mapping[str, str], trusted: bool
) -> list[Check]:
    """Each active ConnectorConfig of ``docs`` (the base's when ``trusted``): its secret
    variables set, and an mlflow one reachable (a file store there, a SQLite schema
    revision known, a server answering the token; the token only when ``trusted``)."""
    from aigov_gate.documents.integrations import ConnectorConfig

    checks = []
    for doc in docs:
        connector = doc.model
        if not isinstance(connector, ConnectorConfig) or connector.spec.status != "active":
            continue
        name = f"connector {connector.metadata.name}"
        unset = sorted(var for var in connector.spec.secret_envs.values() if not env.get(var))
        if unset:
            checks.append(
                Check(name, "warn", f"{', '.join(unset)} not set", "export it where aigov runs")
            )
            continue
        if connector.spec.connector_type == "mlflow":
            checks.append(_mlflow(root, name, connector, env, trusted=trusted))
        else:
            kind = connector.spec.connector_type
            checks.append(Check(name, "ok", f"{kind}: secret variables set"))
    return checks


def _mlflow(
    root: Path, name: str, connector: ConnectorConfig, env: Mapping[str, str], trusted: bool
) -> Check:
    from aigov_gate.interchange.mlflow import probe

    uri = connector.spec.configuration.get("tracking_uri")
    if not isinstance(uri, str) or not uri:
        return Check(name, "fail", "no configuration.tracking_uri", "set the tracking URI")
    if "://" not in uri and not uri.startswith("file:"):
        uri = str((root / uri).resolve())
    token = connector.spec.secret_envs.get("token", "")
    if token and not trusted and uri.startswith(("http://", "https://")):
        return Check(
            name,
            "warn",
            f"mlflow at {uri}: not contacted: {token} goes only to a host the base names, "
            "and this connector comes from the working tree",
            "run `aigov doctor --base REF` (the branch changes go into) to check it",
        )
    problem = probe(uri, env, token)
    if problem:
        return Check(name, "fail", f"mlflow at {uri}: {problem}", "fix the connector or the store")
    return Check(name, "ok", f"mlflow at {uri}: readable")


def _keys(
    root: Path, config: AigovConfig, env: Mapping[str, str], base: BaseRef | None
) -> list[Check]:
    from aigov_gate.evidence.at_base import keyring_in_force
    from aigov_gate.evidence.health import keyring_health

    try:
        with keyring_in_force(root, config, base, missing_ok=True) as keyring:
            return [Check(*row) for row in keyring_health(config, keyring)]
    except AigovError as exc:
        return [Check("keys", "fail", exc.message, exc.hint)]


def _webhooks(
    root: Path,
    config: AigovConfig,
    subscriptions: list[Subscription],
    env: Mapping[str, str],
    send_test: bool,
) -> list[Check]:
    from aigov_gate.webhooks.delivery import usable
    from aigov_gate.webhooks.outbox import Outbox, outbox_path
    from aigov_gate.webhooks.safety import shown

    if not subscriptions:
        return [Check("webhooks", "ok", "no WebhookSubscription: no events are sent")]
    gone: dict[str, tuple[float, str]] = {}
    counts: dict[str, dict[str, int]] = {}
    try:
        path = outbox_path(root, config.webhooks.outbox, bool(env.get("AIGOV_WEBHOOK_OUTBOX")))
        if path.exists():
            outbox = Outbox(path)
            gone, counts = outbox.disabled(), outbox.counts()
            outbox.close()
    except AigovError as exc:
        return [Check("webhooks", "fail", exc.message, exc.hint)]
    ready, held = usable(subscriptions, config.webhooks, env, gone)
    checks = []
    for sub in subscriptions:
        name = f"webhook {sub.name}"
        if sub.key in gone:
            checks.append(
                Check(
                    name,
                    "warn",
                    f"disabled: {gone[sub.key][1]}",
                    f"after fixing the receiver: `aigov webhooks enable {sub.name}`",
                )
            )
            continue
        if sub.key in held:
            status = "warn" if sub.status != "active" else "fail"
            checks.append(Check(name, status, held[sub.key].reason, held[sub.key].hint))
            continue
        queue = counts.get(sub.key, {})
        if queue.get("failed"):
            checks.append(
                Check(
                    name,
                    "warn",
                    f"{queue['failed']} failed deliveries in {path}",
                    "see `aigov webhooks status`; resend with `aigov webhooks retry --failed`",
                )
            )
        if send_test:
            checks.append(_send_test(path, config, ready[sub.key][0], ready[sub.key][1]))
        else:
            checks.append(Check(name, "ok", f"{shown(sub.url)}: secret set, url allowed"))
    return checks


def _send_test(path: Path, config: AigovConfig, sub: Subscription, keys: list[bytes]) -> Check:
    from aigov_gate.pii import masker
    from aigov_gate.webhooks.delivery import send_test
    from aigov_gate.webhooks.safety import shown

    try:
        tested = send_test(path, config.webhooks, sub, keys, masker(config))
    except AigovError as exc:
        return Check(f"webhook {sub.name}", "fail", exc.message, exc.hint)
    if tested.delivered:
        return Check(f"webhook {sub.name}", "ok", f"{shown(sub.url)}: webhook.test {tested.reason}")
    return Check(
        f"webhook {sub.name}",
        "fail",
        f"{shown(sub.url)}: webhook.test not delivered: {tested.reason}",
        "check the receiver is up and verifies with this secret (docs/webhooks.md)",
    )


def _approvals(config: AigovConfig, env: Mapping[str, str]) -> Check:
    from aigov_gate.signoff.context import SERVICES

    provider = config.signoff.provider
    if provider == "recorded":
        return Check("approvals", "ok", "recorded in the RiskAssessments: no token needed")
    token_env = config.signoff.token_env
    names = (token_env,) if token_env else SERVICES[provider].token_vars
    found = next((n for n in names if env.get(n)), None)
    in_ci = env.get("GITHUB_ACTIONS") == "true" or env.get("GITLAB_CI") == "true"
    if found:
        return Check("approvals", "ok", f"{provider} token found in {found}")
    wanted = " or ".join(names)
    if in_ci:
        return Check(
            "approvals",
            "fail",
            f"signoff.provider is {provider} but {wanted} is not set in this CI job: the "
            "gate cannot read approvals",
            "pass the token to the job (docs/ci.md shows the permissions it needs)",
        )
    return Check(
        "approvals",
        "warn",
        f"{wanted} is not set: local runs cannot read {provider} approvals",
        f"export {names[0]}=... to check approvals from here (CI sets it)",
    )


def _git(root: Path, config: AigovConfig | None) -> list[Check]:
    import git

    try:
        repo = git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return [
            Check(
                "git",
                "fail",
                f"{root} is not inside a Git repository",
                "governance lives in Git: `git init`, or run aigov in the checkout",
            )
        ]
    checks = []
    try:
        head = repo.head.commit.hexsha[:12]
    except ValueError:
        return [Check("git", "warn", "no commit yet", "commit the governance documents")]
    branch = "detached HEAD" if repo.head.is_detached else repo.active_branch.name
    dirty = repo.is_dirty(untracked_files=True)
    state = ", uncommitted changes" if dirty else ""
    checks.append(Check("git", "ok", f"{head} on {branch}{state}"))
    if (Path(repo.git_dir) / "shallow").exists():
        checks.append(
            Check(
                "git history",
                "warn",
                "shallow clone: --base and deploy sign-off need the history",
                "fetch it (actions/checkout: fetch-depth: 0; GitLab: GIT_DEPTH: 0)",
            )
        )
    if config is not None:
        tracked = _tracked_outbox(repo, root, config)
        if tracked:
            checks.append(
                Check(
                    "git outbox",
                    "warn",
                    f"the webhook outbox {tracked} is tracked by Git",
                    f"`git rm --cached {tracked}`: it is local delivery state",
                )
            )
    return checks


def _tracked_outbox(repo: object, root: Path, config: AigovConfig) -> str | None:
    import git

    from aigov_gate.webhooks.outbox import resolve_outbox

    assert isinstance(repo, git.Repo)
    path = resolve_outbox(root, config.webhooks.outbox)
    try:
        rel = path.resolve().relative_to(Path(repo.working_tree_dir or root).resolve())
    except ValueError:
        return None
    listed = repo.git.ls_files("--", rel.as_posix())
    return rel.as_posix() if listed else None


def worst(checks: list[Check]) -> str:
    return max((c.status for c in checks), key=STATUSES.index, default="ok")
