"""Results the change cannot fabricate: attested test runs (issue 34).

Each test builds a real Git repository whose ``main`` is the reviewed base, holding an
executor key in its keyring (the private half in the test's own folder), runs the plan
with ``aigov test run`` on a branch, and gates it in-process with ``--base main``. Keys,
signatures and commands are real; the attestation is also checked with securesystemslib.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

import gate_repo as g
import pytest
from conftest import WriteRepo, git, invoke
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey  # type: ignore[attr-defined]

from aigov_gate.config import load_config
from aigov_gate.evidence import dsse
from aigov_gate.evidence.keyring import Keyring
from aigov_gate.evidence.keys import LocalSigner
from aigov_gate.gate import GateOptions, build, run_gate
from aigov_gate.result import Finding, GateResult

#: Gates run on today's date (the fixture's review date is relative to it).
pytestmark = pytest.mark.dated

TODAY = date.today()
EVAL = "evaluation/eval.py"
#: The gate tests' config (tests/gate_repo.py) with the default rule: claimed runs of
#: high-risk models block.
CONFIG = g.CONFIG.split("# the runs these tests write by hand")[0]
KEYS = ".aigov/keys"

#: The evaluation: prints the numbers for the test named in argv[1] into the result file.
#: It also records whether the executor key was in its environment (it must never be).
EVAL_CODE = """\
import json, os, sys
NUMBERS = {"accuracy": [("auc", 0.80, None)],
           "fairness": [("approval_rate", 0.45, "female"), ("approval_rate", 0.50, "male")],
           "robustness": [("drop", 0.01, None)]}
with open(os.environ["AIGOV_RESULT_FILE"], "a") as out:
    for name, value, sex in NUMBERS[sys.argv[1]]:
        line = {"name": name, "value": value}
        if sex:
            line.update(slice_key="sex", slice_value=sex)
        out.write(json.dumps(line) + "\\n")
pem = any("PRIVATE" in v and "-----" in v for v in os.environ.values())
if "AIGOV_EXECUTOR_KEY" in os.environ or pem:
    open(os.path.join(os.environ["AIGOV_OUTPUT_DIR"], "SAW-KEY"), "w").close()
"""

PLAN = """\
apiVersion: aigov/v1
kind: TestPlan
metadata:
  name: scorer-plan
spec:
  applies_to:
    models: [scorer]
  tests:
    - name: accuracy
      command: [python3, evaluation/eval.py, accuracy]
      evaluation_code: [evaluation]
      metrics:
        - {name: auc, operator: ">=", threshold: 0.75, max_regression: 0.01}
    - name: fairness
      type: fairness
      command: [python3, evaluation/eval.py, fairness]
      evaluation_code: [evaluation]
      metrics:
        - name: approval_rate
          operator: ">="
          threshold: 0.30
          slice_key: sex
          max_disparity: {measure: ratio, limit: 0.8}
    - name: robustness
      required: false
      command: [python3, evaluation/eval.py, robustness]
      evaluation_code: [evaluation]
      metrics:
        - {name: drop, operator: "<=", threshold: 0.05}
"""


@dataclass
class Repo:
    path: Path
    private: Path  # the executor key's private half (outside the repository)

    def gate(self, base: str | None = "main", **options: str) -> GateResult:
        config = load_config(self.path / ".aigov.yaml")
        now = datetime.combine(TODAY, time(12), tzinfo=UTC)
        opts = GateOptions(base=base, **options)  # type: ignore[arg-type]
        return run_gate(build(self.path, config, opts, now, {}))

    def commit(self, message: str) -> None:
        git(self.path, "add", "-A")
        git(self.path, "commit", "-q", "-m", message)

    def runs(self) -> list[Path]:
        return sorted((self.path / "tests").glob("scorer-2.0.0-run-*.yaml"))


def found(result: GateResult, rule: str) -> list[Finding]:
    return [f for f in result.findings if f.rule_id == rule]


def judged_class(result: GateResult) -> str:
    return result.models[0].judged.run_class


@pytest.fixture
def repo(write_repo: WriteRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    """main: the small high-risk repo with a plan that runs evaluation/eval.py, and an
    executor key in its keyring; checked out on the branch 'change'."""
    private = tmp_path / "private"
    monkeypatch.setenv("AIGOV_PRIVATE_KEY_DIR", str(private))
    monkeypatch.delenv("AIGOV_EXECUTOR_KEY", raising=False)
    files = g.repo_files({"tests/plan.yaml": PLAN, EVAL: EVAL_CODE})
    del files["tests/run-2.0.0.yaml"]  # the change brings the run
    path = write_repo(files)
    (path / ".aigov.yaml").write_text(CONFIG + "testing: {runs_dir: tests}\n", encoding="utf-8")
    config = load_config(path / ".aigov.yaml")
    Keyring.load(path / KEYS, missing_ok=True).add("acme", "executor", config, _created())
    git(path, "init", "-q", "-b", "main")
    made = Repo(path, private)
    made.commit("base")
    git(path, "checkout", "-q", "-b", "change")
    return made


def _created() -> datetime:
    return datetime.combine(TODAY, time(0), tzinfo=UTC).replace(year=TODAY.year - 1)


def test_run(repo: Repo, *more: str) -> tuple[int, str]:
    done = invoke("test", "run", "--repo", str(repo.path), "--isolation", "none", *more)
    return done.exit_code, done.output


test_run.__test__ = False  # type: ignore[attr-defined]


def attested(repo: Repo) -> Path:
    """Run the plan with the executor key, commit run and attestation; the run file."""
    code, out = test_run(repo, "--attest", "require")
    assert code == 0, out
    assert "attested tests/scorer-2.0.0-run-" in out
    repo.commit("run")
    (run,) = repo.runs()
    return run


def statement_of(run: Path) -> dict[str, object]:
    envelope = json.loads(run.with_name(run.stem + ".attestation.json").read_text())
    return json.loads(base64.b64decode(envelope["payload"]))  # type: ignore[no-any-return]


# -- attested ----------------------------------------------------------------------------


def test_an_attested_run_passes_and_one_changed_byte_blocks(repo: Repo) -> None:
    run = attested(repo)
    assert not list((repo.path / ".aigov/test-runs").rglob("SAW-KEY"))  # no key in reach
    result = repo.gate()
    assert judged_class(result) == "attested"
    assert not found(result, "test.unattested") and not found(result, "test.harness-changed")
    assert result.passed, [f.rule_id for f in result.blocking]

    run.write_text(run.read_text().replace("value: 0.8\n", "value: 0.9\n"), encoding="utf-8")
    result = repo.gate()
    assert judged_class(result) == "claimed"
    (finding,) = found(result, "test.unattested")
    assert finding in result.blocking
    assert any("its bytes are not the attested ones" in d for d in finding.details)


def test_the_statement_names_what_produced_the_numbers(repo: Repo) -> None:
    run = attested(repo)
    statement = statement_of(run)
    subjects = statement["subject"]
    assert subjects == [
        {"name": run.relative_to(repo.path).as_posix(), "digest": {"sha256": _sha(run)}}
    ]
    predicate = statement["predicate"]
    assert isinstance(predicate, dict)
    tests = {t["name"]: t for t in predicate["tests"]}
    assert tests["accuracy"]["command"] == ["python3", EVAL, "accuracy"]
    assert tests["accuracy"]["exit_code"] == 0
    digest = tests["accuracy"]["evaluation_code"][0]
    assert digest["path"] == "evaluation"
    line = f"{_sha(repo.path / EVAL)}  eval.py\n"
    assert digest["digest"]["sha256"] == hashlib.sha256(line.encode()).hexdigest()
    assert predicate["commit"] == git(repo.path, "rev-parse", "HEAD~1")
    assert predicate["plan"]["digest"]["sha256"]
    assert predicate["run"]["name"] == run.stem


def test_the_attestation_verifies_with_securesystemslib(repo: Repo) -> None:
    run = attested(repo)
    keyring = Keyring.load(repo.path / KEYS)
    entry = keyring.active("acme", "executor")
    assert entry is not None
    public = serialization.load_pem_public_key((repo.path / KEYS / entry.public_key).read_bytes())
    key = SSlibKey.from_crypto(public, keyid=entry.id, scheme="ecdsa-sha2-nistp256")
    envelope = Envelope.from_dict(
        json.loads(run.with_name(run.stem + ".attestation.json").read_text())
    )
    assert entry.id in envelope.verify([key], 1)
    statement = json.loads(envelope.payload)
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["subject"][0]["digest"]["sha256"] == _sha(run)


def test_the_executor_key_from_the_environment_signs_and_is_never_passed_on(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    (pem,) = repo.private.glob("*.pem")
    monkeypatch.setenv("AIGOV_EXECUTOR_KEY", pem.read_text())
    monkeypatch.setenv("AIGOV_PRIVATE_KEY_DIR", str(repo.path.parent / "nowhere"))
    attested(repo)
    assert not list((repo.path / ".aigov/test-runs").rglob("SAW-KEY"))
    assert judged_class(repo.gate()) == "attested"


# -- claimed -----------------------------------------------------------------------------


def test_an_attested_run_passes_the_production_deploy(repo: Repo) -> None:
    """The issue's "done when": the plan runs, attests, and the production gate passes on
    the attested run (the scorer as Acme deploys it: Annex IV is its provider's duty)."""
    model = repo.path / "models/scorer.yaml"
    model.write_text(g.DEPLOYED["models/scorer.yaml"], encoding="utf-8")
    attested(repo)
    deploy = repo.gate(base=None, stage="deploy", environment="production")
    assert judged_class(deploy) == "attested"
    assert deploy.passed, [(f.rule_id, f.message) for f in deploy.blocking]
    assert not found(deploy, "test.unattested")
    # the same repository with the run written by hand instead: blocked
    for path in repo.runs():
        path.with_name(path.stem + ".attestation.json").unlink()
    deploy = repo.gate(base=None, stage="deploy", environment="production")
    assert judged_class(deploy) == "claimed"
    assert found(deploy, "test.unattested")[0] in deploy.blocking


def test_a_hand_written_run_blocks_a_high_risk_model(repo: Repo) -> None:
    (repo.path / "tests/run-2.0.0.yaml").write_text(g.run(auc=0.99), encoding="utf-8")
    repo.commit("numbers")
    result = repo.gate()
    assert judged_class(result) == "claimed"
    (finding,) = found(result, "test.unattested")
    assert finding in result.blocking
    assert "no attestation beside it" in "\n".join(finding.details)
    assert "testing.attestation.claimed for high: block" in finding.details[0]
    # ... and at a production deploy, where the working tree is the protected branch
    deploy = repo.gate(base=None, stage="deploy", environment="production")
    assert found(deploy, "test.unattested")
    assert found(deploy, "test.unattested")[0] in deploy.blocking
    # a merge gate without --base only says which class the run is in
    plain = repo.gate(base=None)
    assert judged_class(plain) == "claimed" and not found(plain, "test.unattested")


def test_a_waiver_does_not_clear_a_claimed_run(repo: Repo) -> None:
    waiver = g.waiver("test.unattested", (TODAY.replace(year=TODAY.year + 1)).isoformat())
    (repo.path / "tests/run-2.0.0.yaml").write_text(g.run(auc=0.99), encoding="utf-8")
    (repo.path / "risk/waiver.yaml").write_text(waiver, encoding="utf-8")
    repo.commit("numbers and a waiver")
    result = repo.gate()
    assert [f for f in found(result, "test.unattested") if not f.waived]


def test_lowering_the_models_tier_does_not_let_a_claimed_run_pass(repo: Repo) -> None:
    (repo.path / "models/scorer.yaml").write_text(
        g.model().replace("risk_tier: high", "risk_tier: minimal"), encoding="utf-8"
    )
    (repo.path / "tests/run-2.0.0.yaml").write_text(g.run(auc=0.99), encoding="utf-8")
    repo.commit("minimal now, and numbers")
    (finding,) = found(repo.gate(), "test.unattested")
    assert "claimed for high: block" in finding.details[0]


def test_the_base_config_lets_claimed_runs_pass_for_a_tier(repo: Repo) -> None:
    (repo.path / ".aigov.yaml").write_text(
        CONFIG + "testing:\n  runs_dir: tests\n  attestation: {claimed: {high: pass}}\n",
        encoding="utf-8",
    )
    repo.commit("base: claimed runs pass for high")
    git(repo.path, "branch", "-f", "main", "HEAD")
    (repo.path / "tests/run-2.0.0.yaml").write_text(g.run(), encoding="utf-8")
    repo.commit("run")
    assert not found(repo.gate(), "test.unattested")


def test_the_change_cannot_relax_the_tier_rule(repo: Repo) -> None:
    (repo.path / ".aigov.yaml").write_text(
        CONFIG + "testing:\n  runs_dir: tests\n  attestation: {claimed: {high: pass}}\n",
        encoding="utf-8",
    )
    (repo.path / "tests/run-2.0.0.yaml").write_text(g.run(auc=0.99), encoding="utf-8")
    repo.commit("relax and claim")
    assert found(repo.gate(), "test.unattested")


def test_a_forged_signature_is_not_attested(repo: Repo) -> None:
    run = attested(repo)
    path = run.with_name(run.stem + ".attestation.json")
    envelope = json.loads(path.read_text())
    payload = base64.b64decode(envelope["payload"])
    forger = ec.generate_private_key(ec.SECP256R1())
    forged = forger.sign(dsse.pae(dsse.PAYLOAD_TYPE, payload), ec.ECDSA(hashes.SHA256()))
    envelope["signatures"][0]["sig"] = base64.b64encode(forged).decode()  # keyid kept
    path.write_text(json.dumps(envelope), encoding="utf-8")
    repo.commit("forged")
    (finding,) = found(repo.gate(), "test.unattested")
    assert any("does not verify" in d for d in finding.details)


def test_a_key_only_in_the_changes_keyring_is_not_trusted(repo: Repo) -> None:
    run = attested(repo)
    # the change retires the base's key and brings its own, then signs with it
    config = load_config(repo.path / ".aigov.yaml")
    keyring = Keyring.load(repo.path / KEYS)
    old = keyring.active("acme", "executor")
    assert old is not None
    keyring.replace(old.model_copy(update={"status": "retired", "retired": old.created}))
    own = keyring.add("acme", "executor", config, _created())
    keyring.save()
    private = serialization.load_pem_private_key(
        (repo.private / f"{own.id}.pem").read_bytes(), None
    )
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    statement = statement_of(run)
    payload = json.dumps(statement).encode()
    path = run.with_name(run.stem + ".attestation.json")
    path.write_bytes(dsse.sign(payload, LocalSigner(private)))
    repo.commit("own key")
    result = repo.gate()
    (finding,) = found(result, "test.unattested")
    assert any("is not an executor key of main:.aigov/keys" in d for d in finding.details)
    # without --base the working tree's keyring would have vouched for it: the base decides
    assert judged_class(repo.gate(base=None)) == "attested"


def test_an_attestation_of_another_run_does_not_count(repo: Repo) -> None:
    run = attested(repo)
    copy = run.with_name("scorer-2.0.0-run-copy.yaml")
    text = run.read_text().replace(f"name: {run.stem}", "name: scorer-2.0.0-run-copy")
    copy.write_text(text, "utf-8")
    attestation = run.with_name(run.stem + ".attestation.json")
    copy.with_name(copy.stem + ".attestation.json").write_bytes(attestation.read_bytes())
    run.unlink()
    attestation.unlink()
    repo.commit("renamed")
    (finding,) = found(repo.gate(), "test.unattested")
    assert any("it attests another run" in d for d in finding.details)


# -- approved ----------------------------------------------------------------------------


def test_an_approved_run_passes(repo: Repo) -> None:
    text = g.record(g.run(), (("miguel", "risk_approver"),))
    (repo.path / "tests/run-2.0.0.yaml").write_text(text, encoding="utf-8")
    repo.commit("approved run")
    result = repo.gate()
    assert judged_class(result) == "approved"
    assert not found(result, "test.unattested")


def test_an_approval_by_someone_without_the_role_does_not_count(repo: Repo) -> None:
    text = g.record(g.run(), (("dana", "risk_approver"),))
    (repo.path / "tests/run-2.0.0.yaml").write_text(text, encoding="utf-8")
    repo.commit("self-approved run")
    result = repo.gate()
    (finding,) = found(result, "test.unattested")
    assert any("dana" in d and "risk_approver" in d for d in finding.details)


def test_approvals_sign_signs_a_run(repo: Repo, tmp_path: Path) -> None:
    import sshsign
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    (repo.path / "tests/run-2.0.0.yaml").write_text(g.run(), encoding="utf-8")
    key = tmp_path / "miguel"
    key.write_bytes(
        sshsign.key("miguel").private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, NoEncryption())
    )
    key.chmod(0o600)
    done = invoke(
        "approvals", "sign", "scorer-2.0.0-run", "--as", "miguel", "--role", "risk_approver",
        "-k", str(key), "--repo", str(repo.path),
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    repo.commit("run, signed")
    assert judged_class(repo.gate()) == "approved"


# -- the harness -------------------------------------------------------------------------


def test_numbers_from_a_changed_harness_need_sign_off(repo: Repo) -> None:
    code = (repo.path / EVAL).read_text().replace('("auc", 0.80', '("auc", 0.99')
    (repo.path / EVAL).write_text(code, encoding="utf-8")
    run = attested(repo)
    result = repo.gate()
    assert judged_class(result) == "attested"
    (finding,) = found(result, "test.harness-changed")
    assert finding in result.blocking
    assert any("evaluation: ran with" in d for d in finding.details)
    # approved by a risk approver: the sign-off a loosened bar needs
    run.write_text(g.record(run.read_text(), (("miguel", "risk_approver"),)), encoding="utf-8")
    repo.commit("signed off")
    result = repo.gate()
    assert judged_class(result) == "approved"
    assert not found(result, "test.harness-changed") and not found(result, "test.unattested")


def test_a_harness_changed_after_the_run_needs_sign_off_too(repo: Repo) -> None:
    attested(repo)
    (repo.path / "evaluation/helper.py").write_text("X = 1\n", encoding="utf-8")
    repo.commit("harness edited after the run")
    (finding,) = found(repo.gate(), "test.harness-changed")
    assert any("the change holds" in d for d in finding.details)


def test_dropping_the_declaration_does_not_hide_a_harness_change(repo: Repo) -> None:
    plan = (repo.path / "tests/plan.yaml").read_text().replace("evaluation_code: [evaluation]", "")
    (repo.path / "tests/plan.yaml").write_text(plan, encoding="utf-8")
    code = (repo.path / EVAL).read_text().replace('("auc", 0.80', '("auc", 0.99')
    (repo.path / EVAL).write_text(code, encoding="utf-8")
    attested(repo)
    assert found(repo.gate(), "test.harness-changed")


def test_a_run_of_another_command_than_the_bases_needs_sign_off(repo: Repo) -> None:
    plan = (repo.path / "tests/plan.yaml").read_text()
    (repo.path / "tests/plan.yaml").write_text(
        plan.replace(
            "[python3, evaluation/eval.py, accuracy]", "[python3, tools/eval.py, accuracy]"
        ),
        encoding="utf-8",
    )
    (repo.path / "tools").mkdir()
    (repo.path / "tools/eval.py").write_text(EVAL_CODE.replace("0.80", "0.99"), encoding="utf-8")
    attested(repo)
    result = repo.gate()
    (finding,) = found(result, "test.harness-changed")
    assert (
        "accuracy: ran `python3 tools/eval.py accuracy`, the base's plan runs "
        "`python3 evaluation/eval.py accuracy`"
    ) in finding.details


# -- the command line ---------------------------------------------------------------------


def test_attest_require_without_an_executor_key_runs_nothing(repo: Repo) -> None:
    import shutil

    shutil.rmtree(repo.path / KEYS)
    code, out = test_run(repo, "--attest", "require")
    assert code == 2
    assert "no active executor key for acme" in out
    assert not repo.runs() and not (repo.path / ".aigov/test-runs").exists()


def test_without_an_executor_key_the_run_is_written_unattested(repo: Repo) -> None:
    import shutil

    shutil.rmtree(repo.path / KEYS)
    code, out = test_run(repo)
    assert code == 0, out
    (run,) = repo.runs()
    assert not run.with_name(run.stem + ".attestation.json").exists()
    assert "will not be attested" in out


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
