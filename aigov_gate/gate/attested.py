"""Which runs the gate trusts: attested, approved or claimed (docs/testing.md, issue 34).

A TestRun is a YAML file anyone can write. The gate classifies the run each model is
judged on:

- **attested**: ``<run>.attestation.json`` beside it is a DSSE envelope over an in-toto
  Statement v1 of :data:`PREDICATE_TYPE`, signed by an ``executor`` key of the run's
  organization in the keyring *of the base* (``--base``; else the working tree's), valid
  when it signed; the Statement names this run, and every subject's bytes are the
  repository's (the run file first: one changed byte and it is not attested).
- **approved**: not attested, but ``testing.attestation.approvals`` people in
  ``testing.attestation.approver_roles`` (roles and allowed-signers file of the base)
  signed the run's digest (``aigov approvals sign RUN``).
- **claimed**: neither.

``test.unattested``: a claimed run of a tier whose ``testing.attestation.claimed`` rule is
``block``, with ``--base`` at merge and at every production deploy. ``test.harness-changed``:
an attested run the change adds whose evaluation code (``evaluation_code`` of the plan's
tests, the base's declaration and the change's) is not the base's, as attested or as the
change holds it: its numbers came from code the change wrote. Both are high and
unwaivable; approving the run (the sign-off a loosened bar needs) clears the second.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aigov_gate.documents.base import RiskTier
from aigov_gate.documents.testing import TestRun
from aigov_gate.references import Checked
from aigov_gate.result import Finding, Severity

if TYPE_CHECKING:
    from aigov_gate.evidence.keyring import KeyEntry
    from aigov_gate.evidence.keys import PublicKey
    from aigov_gate.gate.run import Run
    from aigov_gate.graph import ModelContext

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://aigov-gate.dev/attestation/test-run/v1"
SUFFIX = ".attestation.json"
_MAX_BYTES = 4 << 20


def attestation_path(run_file: Path) -> Path:
    """``runs/x.yaml`` -> ``runs/x.attestation.json``."""
    stem = (
        run_file.name.rsplit(".", 1)[0] if run_file.suffix in (".yaml", ".yml") else run_file.name
    )
    return run_file.with_name(stem + SUFFIX)


@dataclass(frozen=True, slots=True)
class Provenance:
    """A run's class, why, and (attested) the tests' attested evaluation-code digests."""

    kind: str  # attested | approved | claimed
    why: tuple[str, ...] = ()
    code: dict[str, dict[str, str]] = field(default_factory=dict)  # test -> path -> sha256
    key: str = ""
    commands: dict[str, list[str]] = field(default_factory=dict)  # test -> the argv it ran


@dataclass(frozen=True, slots=True)
class ExecutorKeys:
    """The executor keys a run's attestation may be signed by, and where they come from."""

    source: str
    keys: dict[str, tuple[KeyEntry, PublicKey]] = field(default_factory=dict)
    problem: str = ""


def executor_keys(run: Run) -> ExecutorKeys:
    """The base's keyring's executor keys with ``--base``, else the working tree's."""
    from aigov_gate.evidence.keyring import KEYRING_FILE

    folder = run.rules_of.keys.dir.strip("/")
    ref = run.before.ref
    source = f"{ref.ref}:{folder}" if ref is not None else folder

    def read(rel: str) -> bytes | None:
        if ref is not None:
            from aigov_gate import git
            from aigov_gate.errors import UsageError

            try:
                return git.read_at(ref, f"{folder}/{rel}", _MAX_BYTES)
            except UsageError:
                return None
        path = run.root / folder / rel
        if path.is_symlink() or not path.is_file():
            return None
        return path.read_bytes()

    text = read(KEYRING_FILE)
    if text is None:
        return ExecutorKeys(source, problem=f"there is no keyring at {source}/{KEYRING_FILE}")
    return _parse_keys(source, text, read)


def _parse_keys(source: str, text: bytes, read: Any) -> ExecutorKeys:
    from pydantic import ValidationError

    from aigov_gate.evidence.keyring import KeyringFile
    from aigov_gate.evidence.keys import KeyError_, key_id, load_public
    from aigov_gate.loading.safe_yaml import Limits, parse_text

    parsed = parse_text(text.decode("utf-8", "replace"), Limits())
    try:
        data = KeyringFile.model_validate(parsed.documents[0] if parsed.documents else {})
    except ValidationError:
        return ExecutorKeys(source, problem=f"the keyring at {source} does not load")
    keys = {}
    for entry in data.keys:
        if entry.purpose != "executor":
            continue
        pem = read(entry.public_key)
        try:
            public = load_public(pem or b"", f"{source}/{entry.public_key}")
        except KeyError_:
            continue
        if key_id(public) == entry.id:
            keys[entry.id] = (entry, public)
    problem = "" if keys else f"the keyring at {source} has no executor key"
    return ExecutorKeys(source, keys, problem)


def verify(root: Path, doc: Checked[TestRun], keys: ExecutorKeys) -> Provenance:
    """Attested, or claimed with every reason it is not attested."""
    from aigov_gate.evidence import dsse

    run_path = root / doc.raw.source.path
    beside = attestation_path(run_path)
    shown = attestation_path(Path(doc.raw.source.path)).as_posix()
    if not beside.is_file() or beside.is_symlink():
        return Provenance("claimed", (f"no attestation beside it ({shown})",))
    if beside.stat().st_size > _MAX_BYTES:
        return Provenance("claimed", (f"{shown} is larger than {_MAX_BYTES} bytes",))
    try:
        envelope = dsse.parse(beside.read_bytes())
    except dsse.EnvelopeError as exc:
        return Provenance("claimed", (f"{shown}: not a DSSE envelope: {exc}",))
    if envelope.payload_type != dsse.PAYLOAD_TYPE:
        return Provenance("claimed", (f"{shown}: payloadType is {envelope.payload_type!r}",))
    try:
        statement = json.loads(envelope.payload)
    except ValueError:
        return Provenance("claimed", (f"{shown}: the payload is not JSON",))
    if not isinstance(statement, dict) or not isinstance(statement.get("predicate"), dict):
        return Provenance("claimed", (f"{shown}: not an in-toto Statement",))
    signer, why = _signed(envelope, statement, doc, keys)
    if signer is None:
        return Provenance("claimed", (f"{shown}: {why}",))
    wrong = _statement_problems(root, doc, statement)
    if wrong:
        return Provenance("claimed", tuple(f"{shown}: {w}" for w in wrong))
    signed = (f"signed by executor key {signer[:16]}",)
    return Provenance("attested", signed, _code(statement), signer, _commands(statement))


def _signed(
    envelope: Any, statement: dict[str, Any], doc: Checked[TestRun], keys: ExecutorKeys
) -> tuple[str | None, str]:
    from aigov_gate.evidence.keyring import parse_stamp, valid_at
    from aigov_gate.evidence.keys import verify_signature

    if keys.problem:
        return None, keys.problem
    reasons = []
    for sig in envelope.signatures:
        found = keys.keys.get(sig.keyid)
        if found is None:
            reasons.append(
                f"key {sig.keyid[:16] or '(none)'} is not an executor key of {keys.source}"
            )
            continue
        entry, public = found
        if entry.organization != doc.organization:
            reasons.append(
                f"key {sig.keyid[:16]} is {entry.organization}'s, not {doc.organization}'s"
            )
            continue
        if not verify_signature(public, sig.sig, envelope.pae()):
            reasons.append(f"the signature by key {sig.keyid[:16]} does not verify")
            continue
        try:
            when = parse_stamp(str(statement["predicate"].get("attested_at")))
        except ValueError:
            reasons.append("attested_at is not a UTC time (YYYY-MM-DDTHH:MM:SSZ)")
            continue
        invalid = valid_at(entry, when)
        if invalid is not None:
            reasons.append(f"key {sig.keyid[:16]}: {invalid.replace('the bundle says it', 'it')}")
            continue
        return entry.id, ""
    return None, "; ".join(reasons) or "no signature"


def _statement_problems(root: Path, doc: Checked[TestRun], statement: dict[str, Any]) -> list[str]:
    problems = []
    if statement.get("_type") != STATEMENT_TYPE:
        problems.append(f"_type is not {STATEMENT_TYPE}")
    if statement.get("predicateType") != PREDICATE_TYPE:
        problems.append(f"predicateType is not {PREDICATE_TYPE}")
    about = statement["predicate"].get("run")
    named = (about.get("name"), about.get("organization")) if isinstance(about, dict) else None
    if named != (doc.raw.name, doc.organization):
        problems.append(f"it attests another run ({named}), not {doc.raw.name}")
    subjects = statement.get("subject")
    if not isinstance(subjects, list) or not subjects:
        return [*problems, "it has no subjects"]
    own = doc.raw.source.path
    if not any(isinstance(s, dict) and s.get("name") == own for s in subjects):
        problems.append(f"the run file {own} is not one of its subjects")
    top = root.resolve()
    for subject in subjects:
        name = subject.get("name") if isinstance(subject, dict) else None
        want = (subject.get("digest") or {}).get("sha256") if isinstance(subject, dict) else None
        path = (root / str(name)).resolve()
        if not isinstance(name, str) or not path.is_relative_to(top) or not path.is_file():
            problems.append(f"subject {name} is not a file in the repository (commit it)")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != want:
            problems.append(
                f"{name}: its bytes are not the attested ones (sha256 {str(want)[:12]})"
            )
    return problems


def _code(statement: dict[str, Any]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for test in statement["predicate"].get("tests") or []:
        if not isinstance(test, dict):
            continue
        rows = test.get("evaluation_code") or []
        out[str(test.get("name"))] = {
            str(r.get("path")): str((r.get("digest") or {}).get("sha256"))
            for r in rows
            if isinstance(r, dict)
        }
    return out


def _commands(statement: dict[str, Any]) -> dict[str, list[str]]:
    tests = [t for t in statement["predicate"].get("tests") or [] if isinstance(t, dict)]
    return {str(t.get("name")): [str(a) for a in t.get("command") or []] for t in tests}


def approval(run: Run, doc: Checked[TestRun]) -> tuple[bool, tuple[str, ...]]:
    """Whether the base's approvers signed the run's digest, and the sign-off's details."""
    if not doc.model.spec.approvals:
        return False, ()
    from aigov_gate.signoff.details import signoff_details
    from aigov_gate.signoff.recorded import source
    from aigov_gate.signoff.rules import evaluate, subject_of

    rules = run.rules_of
    subject = subject_of(doc, rules)
    verdict = evaluate(subject, rules, source(subject, rules, run.authority.signers))
    return verdict.satisfied, signoff_details(verdict)


def classify(run: Run, doc: Checked[TestRun], keys: ExecutorKeys) -> Provenance:
    found = verify(run.root, doc, keys)
    if found.kind == "attested":
        return found
    ok, details = approval(run, doc)
    if ok:
        return Provenance("approved", details)
    return Provenance("claimed", found.why + details)


def findings(run: Run) -> list[Finding]:
    """``test.unattested`` and ``test.harness-changed`` for the runs the models are judged on."""
    from aigov_gate.gate.harness import harness_changed

    situation = run.situation
    enforce = (run.with_base and situation.stage == "merge") or situation.production_deploy
    out: list[Finding] = []
    base_runs = {(r.organization, r.raw.name) for r in run.before.runs} if run.with_base else set()
    for ctx in run.models.contexts:
        doc = ctx.run
        if doc is None:
            continue
        found = run.provenance(doc)
        tier = _tier(run, ctx)
        rule = run.rules_of.testing.attestation.claimed.get(tier, "block")
        if found.kind == "claimed" and enforce and rule == "block":
            out.append(_unattested(ctx, doc, found, tier))
        if (
            found.kind == "attested"
            and run.with_base
            and (doc.organization, doc.raw.name) not in base_runs
        ):
            out.extend(harness_changed(run, ctx, doc, found))
    return out


_TIERS = ("minimal", "limited", "high", "prohibited")


def _tier(run: Run, ctx: ModelContext) -> RiskTier:
    """The model's risk tier, or the base's when that is stricter: lowering the tier in
    the change does not lower the bar its runs must meet."""
    from aigov_gate.documents.assets import Model

    tier: RiskTier = ctx.spec.spec.risk_tier
    for doc in run.before.documents if run.with_base else ():
        model = doc.model
        same = isinstance(model, Model) and model.metadata.name == ctx.name
        if same and doc.organization == ctx.model.organization:
            assert isinstance(model, Model)
            tier = max(tier, model.spec.risk_tier, key=_TIERS.index)
    return tier


def _unattested(
    ctx: ModelContext, doc: Checked[TestRun], found: Provenance, tier: RiskTier
) -> Finding:
    finding = ctx.finding(
        "test.unattested",
        Severity.HIGH,
        f"{ctx.label} is judged on a claimed run: {doc.raw.name} is neither attested nor approved",
        ("metadata", "name"),
        "run the plan with 'aigov test run' in CI with the executor key (docs/ci.md), or have "
        "a risk approver sign the run ('aigov approvals sign RUN')",
        doc,
    )
    rule = f"testing.attestation.claimed for {tier}: block (the config in force)"
    return replace(finding, details=(rule, *found.why))


__all__ = [
    "PREDICATE_TYPE",
    "STATEMENT_TYPE",
    "SUFFIX",
    "ExecutorKeys",
    "Provenance",
    "attestation_path",
    "classify",
    "executor_keys",
    "findings",
    "verify",
]
