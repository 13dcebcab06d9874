"""Nobody being gated opens the gate: each way a reviewer found to do so now blocks.

Every test here is one of issue 16's "what a reviewer did": forged or self-approved
waivers, roles edited in the change, look-alike names, typed approvals, production without
an assessment or a test run, a skipped workflow, a bar lowered with the results, missing
slices, an undecodable run. Repositories are real Git repositories; GitHub and GitLab are
the loopback forge (tests/forge.py); SSH keys are real (tests/sshsign.py and ssh-keygen).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import gate_repo as g
import pytest
import sshsign
from conftest import EXAMPLES, WriteRepo, git, run_aigov
from forge import GL_TOKEN, TOKEN, Forge, serve

from aigov_gate.signoff.sshsig import NAMESPACE, parse_allowed_signers, statement

#: Gates here run on today's date (no --as-of): CI runs them under a fake clock too.
pytestmark = pytest.mark.dated

RISK = "risk/scorer.yaml"
PROD = ("--stage", "deploy", "--environment", "production")
TODAY = date.today()
SOON = (TODAY + timedelta(days=30)).isoformat()


def gate(repo: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    done = run_aigov("gate", "--repo", str(repo), "--format", "json", *args, env=env)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)


def found(report: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["rule_id"] == rule]


def blocking(report: dict[str, Any]) -> set[str]:
    return {f["rule_id"] for f in report["findings"] if f["blocking"]}


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def based(write_repo: WriteRepo, files: dict[str, str | bytes] | None = None) -> Path:
    """A Git repo whose main holds ``repo_files(files)``, on a branch 'change'."""
    repo = write_repo(g.repo_files(files))
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "base")
    git(repo, "checkout", "-q", "-b", "change")
    return repo


# -- waivers --------------------------------------------------------------------------


def test_waivers_anyone_typed_open_nothing_in_the_example(tmp_path: Path) -> None:
    repo = tmp_path / "credit-scoring"
    shutil.copytree(EXAMPLES / "credit-scoring", repo)
    rules = (
        "deploy.not-approved",
        "deploy.production-not-approved",
        "deploy.condition-unmet",
        "eu-ai-act.art14-human-oversight",
    )
    target = "{kind: Model, name: credit-scoring}"
    text = "---\n".join(
        g.waiver(
            rule,
            "2099-12-31",
            target,
            approved_at="2026-11-01",
            approvers=(),
            name=f"w{i}",
            approved_by="[nobody.at.all]",
        )
        for i, rule in enumerate(rules)
    )
    (repo / "governance/waivers.yaml").write_text(text, encoding="utf-8")
    code, report = gate(repo, *PROD)
    assert code == 1
    assert {"deploy.not-approved", "deploy.condition-unmet"} <= blocking(report)
    assert not [f for f in report["findings"] if f["waived_by"]]
    [never] = found(report, "waiver.not-allowed")
    assert never["message"].startswith("deploy.production-not-approved can never be waived")
    unapproved = [f["message"] for f in found(report, "waiver.unapproved")]
    assert "waiver for deploy.not-approved waives nothing: nobody.at.all holds none of " in (
        "\n".join(unapproved)
    )
    assert any("days after approved_at (waivers.max_days is 90)" in m for m in unapproved)
    unverified = found(report, "waiver.unverified")
    assert len(unverified) == 4 and all(f["blocking"] for f in unverified)
    assert "approved: no approval counted" in unverified[0]["details"]  # a line of its own


def test_a_waiver_counts_only_signed_by_an_approver_who_is_not_the_assessor(
    write_repo: WriteRepo,
) -> None:
    failing = {"tests/run-2.0.0.yaml": g.run(auc=0.7)}
    signed = g.waiver("metric.threshold", SOON)
    code, report = gate(write_repo(g.repo_files({**failing, "w.yaml": signed})))
    assert code == 0 and found(report, "metric.threshold")[0]["waived_by"] == "Waiver/w"

    typed = g.waiver("metric.threshold", SOON, approvers=())
    code, report = gate(write_repo(g.repo_files({**failing, "w.yaml": typed})))
    assert code == 1 and found(report, "metric.threshold")[0]["waived_by"] == ""
    [f] = found(report, "waiver.unverified")
    assert (f["path"], f["line"]) == ("w.yaml", 8)  # approved_by

    config = g.CONFIG.replace("risk_approver: [miguel]", "risk_approver: [miguel, dana]")
    own = g.waiver(
        "metric.threshold", SOON, approvers=(("dana", "risk_approver"),), approved_by="[dana]"
    )
    files = {**failing, ".aigov.yaml": config, "w.yaml": own}
    code, report = gate(write_repo(g.repo_files(files)))
    assert code == 1
    [f] = found(report, "waiver.unapproved")
    assert "dana assessed scorer: nobody accepts the risk of their own assessment" in f["message"]
    signoff = next(s for s in report["signoff"] if s["assessment"] == "w")
    assert signoff["not_counted"] == [
        {"user": "dana", "reason": "assessed the waived model (separation of duties)"}
    ]

    long = g.waiver("metric.threshold", SOON, approved_at=(TODAY - timedelta(days=80)).isoformat())
    code, report = gate(write_repo(g.repo_files({**failing, "w.yaml": long})))
    assert code == 1
    [f] = found(report, "waiver.unapproved")
    assert "expires 110 days after approved_at (waivers.max_days is 90)" in f["message"]
    assert (f["path"], f["line"]) == ("w.yaml", 10)


def test_signoff_findings_cannot_be_waived_even_with_the_github_provider(
    write_repo: WriteRepo,
) -> None:
    config = g.CONFIG + "signoff:\n  provider: github\n  max_retries: 0\n"
    files = {
        ".aigov.yaml": config,
        RISK: g.risk(approvers=()),
        "w.yaml": g.waiver("signoff.unavailable", SOON),
    }
    repo = write_repo(g.repo_files(files))
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "approved by its author")
    code, report = gate(repo, *PROD)  # no token: the provider cannot be asked
    assert code == 1 and "signoff.unavailable" in blocking(report)
    assert found(report, "waiver.not-allowed")
    assert not found(report, "signoff.unavailable")[0]["waived_by"]


# -- authority comes from the base ----------------------------------------------------


def test_roles_added_in_the_change_do_not_count_and_need_a_security_admin(
    write_repo: WriteRepo,
) -> None:
    repo = based(write_repo, {RISK: g.risk(status="under_review", approvers=())})
    config = g.CONFIG.replace("risk_approver: [miguel]", "risk_approver: [miguel, lena]")
    (repo / ".aigov.yaml").write_text(config, encoding="utf-8")
    (repo / RISK).write_text(
        g.risk(approvers=(("lena", "risk_approver"), ("sam", "security_admin"))), "utf-8"
    )
    commit_all(repo, "lena approves as a risk approver she just made herself")
    code, report = gate(repo)  # the working tree's roles: lena counts
    assert code == 0
    code, report = gate(repo, "--base", "main")
    assert code == 1
    [changed] = found(report, "authority.changed")
    assert (changed["path"], changed["line"], changed["blocking"]) == (".aigov.yaml", 5, True)
    assert changed["message"] == "roles changed: main's roles apply until sign-off"
    assert any(d.startswith("required: ") and "security_admin" in d for d in changed["details"])
    assert "aigov approvals sign --authority" in changed["hint"]
    entry = next(s for s in report["signoff"] if s["assessment"] == "scorer-risk")
    assert {"user": "lena", "reason": "is not a risk_approver in .aigov.yaml"} in entry[
        "not_counted"
    ]
    assert found(report, "signoff.unverified")
    done = run_aigov("approvals", "status", "--repo", str(repo), "--base", "main")
    assert done.returncode == 1
    assert "not counted: lena: is not a risk_approver in .aigov.yaml" in done.stdout
    code, report = gate(repo, "--base", "main", "--fail-on", "critical")
    assert code == 1 and found(report, "authority.changed")[0]["blocking"]  # whatever --fail-on

    # a security_admin of the base signs the change off: it stops blocking (but still
    # does not apply in this run: the base's roles judge this change)
    day = date.fromisoformat(g.APPROVED)
    from aigov_gate.authority import controls_digest, from_base
    from aigov_gate.config import load_config
    from aigov_gate.git import open_base
    from aigov_gate.validation import validate_repo

    authority = from_base(repo, load_config(repo / ".aigov.yaml"), open_base(repo, "main"))
    # the digest covers the control documents, found by the base's discovery
    documents = validate_repo(repo, authority.config).documents
    authority.proposed_controls = controls_digest(documents)
    digest = authority.digest()
    signature = sshsign.approval_signature(
        "Authority", "acme", ".aigov.yaml", digest, "sam", "security_admin", day
    )
    body = (
        f"- approver: sam\n  role: security_admin\n  date: {g.APPROVED}\n"
        f"  digest: {digest}\n  signature: {json.dumps(signature)}\n"
    )
    (repo / ".aigov/authority-approvals.yaml").write_text(body, encoding="utf-8")
    code, report = gate(repo, "--base", "main")
    assert not found(report, "authority.changed")
    assert found(report, "signoff.unverified")  # lena still does not count here
    assert code == 1


def test_a_key_added_to_allowed_signers_in_the_change_is_not_trusted(
    write_repo: WriteRepo,
) -> None:
    base_signers = sshsign.allowed_signers(("miguel", "sam"))
    repo = based(write_repo, {g.SIGNERS_FILE: base_signers})
    # lena writes an approval "by miguel" signed with her own key, and lists her key for him
    text = g.RISK.format(status="approved", prod="true", review=g.REVIEW, met="true")
    digest = g.assessment_digest(text)
    day = date.fromisoformat(g.APPROVED)
    forged = sshsign.sign(
        statement("RiskAssessment", "acme", "scorer-risk", digest, "miguel", "risk_approver", day),
        "lena",
    )
    real = sshsign.approval_signature(
        "RiskAssessment", "acme", "scorer-risk", digest, "sam", "security_admin", day
    )
    approvals = (
        f"  approvals:\n"
        f"    - {{approver: miguel, role: risk_approver, date: {g.APPROVED}, digest: {digest},"
        f" signature: {json.dumps(forged)}}}\n"
        f"    - {{approver: sam, role: security_admin, date: {g.APPROVED}, digest: {digest},"
        f" signature: {json.dumps(real)}}}\n"
    )
    (repo / RISK).write_text(text + approvals, encoding="utf-8")
    lena = f'miguel namespaces="{NAMESPACE}" {sshsign.public_line("lena")}\n'
    (repo / g.SIGNERS_FILE).write_text(base_signers + lena, encoding="utf-8")
    commit_all(repo, "a key for miguel")
    assert gate(repo)[0] == 0  # the working tree trusts the new key
    code, report = gate(repo, "--base", "main")
    assert code == 1
    entry = next(s for s in report["signoff"] if s["assessment"] == "scorer-risk")
    [miguel] = [d for d in entry["not_counted"] if d["user"] == "miguel"]
    assert "which main:.aigov/allowed_signers does not list" in miguel["reason"]
    [changed] = found(report, "authority.changed")
    assert changed["path"] == g.SIGNERS_FILE


@pytest.fixture
def forge() -> Iterator[tuple[Forge, str]]:
    state = Forge()
    yield from ((state, base) for base in serve(state))


def _forge_env(provider: str, base: str) -> dict[str, str]:
    if provider == "github":
        return {"GITHUB_API_URL": base, "GITHUB_REPOSITORY": "acme/gov", "GITHUB_TOKEN": TOKEN}
    return {
        "CI_API_V4_URL": base + "/api/v4",
        "CI_PROJECT_ID": "42",
        "GITLAB_TOKEN": GL_TOKEN,
        "CI_MERGE_REQUEST_IID": "7",
    }


def _open(state: Forge, provider: str, head: str, files: list[str]) -> None:
    if provider == "github":
        state.pull(7, author="lena", head=head)
    else:
        state.mr(7, author="lena", head=head)
    state.files[7] = files


def _approve(state: Forge, provider: str, user: str, head: str) -> None:
    if provider == "github":
        state.review(7, user, "APPROVED", head)
    else:
        state.approve(7, user, "2026-02-04T10:00:00.000Z")


@pytest.mark.parametrize("provider", ["github", "gitlab"])
def test_forge_providers_apply_the_base_authority_and_sign_off_waivers(
    provider: str, write_repo: WriteRepo, forge: tuple[Forge, str]
) -> None:
    state, base = forge
    config = g.CONFIG + f"signoff:\n  provider: {provider}\n  max_retries: 0\n"
    repo = based(write_repo, {".aigov.yaml": config, "tests/run-2.0.0.yaml": g.run(auc=0.7)})
    # the pull request by lena: makes herself a risk approver, and waives a failing test
    (repo / ".aigov.yaml").write_text(
        config.replace("risk_approver: [miguel]", "risk_approver: [miguel, lena]"), "utf-8"
    )
    (repo / "w.yaml").write_text(g.waiver("metric.threshold", SOON, approvers=()), "utf-8")
    head = commit_all(repo, "waive the failing metric")
    _open(state, provider, head, [".aigov.yaml", "w.yaml"])
    env = _forge_env(provider, base)
    args = ("--base", "main", "--pr", "7") if provider == "github" else ("--base", "main")

    code, report = gate(repo, *args, env=env)
    assert code == 1
    assert {"authority.changed", "waiver.unverified", "metric.threshold"} <= blocking(report)

    _approve(state, provider, "lena", head)  # the author: never counts
    _approve(state, provider, "miguel", head)  # a risk approver of the base
    code, report = gate(repo, *args, env=env)
    assert not found(report, "waiver.unverified")
    assert found(report, "metric.threshold")[0]["waived_by"] == "Waiver/w"
    [changed] = found(report, "authority.changed")
    assert "still needed: 1 more security_admin (any of sam)" in changed["details"]
    assert code == 1

    _approve(state, provider, "sam", head)
    code, report = gate(repo, *args, env=env)
    assert found(report, "authority.changed") == []
    assert code == 0, [f for f in report["findings"] if f["blocking"]]


# -- identities -----------------------------------------------------------------------


def test_look_alike_and_padded_names_do_not_split_one_person_in_two(
    write_repo: WriteRepo,
) -> None:
    config = g.CONFIG.replace("risk_approver: [miguel]", "risk_approver: [miguel, dana]")
    cyrillic = g.RISK.replace("assessor: dana", "assessor: d\u0430na").format(
        status="approved", prod="true", review=g.REVIEW, met="true"
    )
    approvers = (("dana", "risk_approver"), ("sam", "security_admin"))
    files = {".aigov.yaml": config, RISK: g.record(cyrillic, approvers)}
    code, report = gate(write_repo(g.repo_files(files)))
    assert code == 1
    [f] = found(report, "identity.lookalike")
    assert (f["path"], f["line"], f["blocking"]) == (RISK, 9, True)
    assert "CYRILLIC SMALL LETTER A" in f["message"] and "imitates 'dana'" in f["message"]
    code, report = gate(write_repo(g.repo_files(files)), "--fail-on", "critical")
    assert code == 1

    padded = g.RISK.replace("assessor: dana", 'assessor: "Dana "').format(
        status="approved", prod="true", review=g.REVIEW, met="true"
    )
    files = {".aigov.yaml": config, RISK: g.record(padded, approvers)}
    code, report = gate(write_repo(g.repo_files(files)))
    assert code == 1
    entry = report["signoff"][0]
    assert {"user": "dana", "reason": "is the assessor (separation of duties)"} in entry[
        "not_counted"
    ]


# -- signed recorded approvals --------------------------------------------------------


def test_typed_approvals_do_not_count_unless_the_config_says_unsigned_is_fine(
    write_repo: WriteRepo,
) -> None:
    text = g.RISK.format(status="approved", prod="true", review=g.REVIEW, met="true")
    typed = g.record(text, (("miguel", "risk_approver"), ("sam", "security_admin")), signed=False)
    code, report = gate(write_repo(g.repo_files({RISK: typed, **g.DEPLOYED})), *PROD)
    assert code == 1 and "signoff.unverified" in blocking(report)
    reasons = {d["user"]: d["reason"] for d in report["signoff"][0]["not_counted"]}
    assert reasons["miguel"].startswith("unsigned: sign it with 'aigov approvals sign'")

    lax = g.CONFIG + "signoff:\n  recorded:\n    require_signatures: false\n"
    files = g.repo_files({RISK: typed, ".aigov.yaml": lax, **g.DEPLOYED})
    code, report = gate(write_repo(files), *PROD)
    assert code == 0
    assert report["signoff"][0]["notes"] == [
        "unsigned approvals counted (miguel, sam): signoff.recorded.require_signatures is false"
    ]


def test_a_signature_over_other_content_or_by_another_key_is_rejected(
    write_repo: WriteRepo,
) -> None:
    text = g.RISK.format(status="approved", prod="true", review=g.REVIEW, met="true")
    digest = g.assessment_digest(text)
    day = date.fromisoformat(g.APPROVED)
    other = sshsign.approval_signature(
        "RiskAssessment", "acme", "scorer-risk", "0" * 64, "miguel", "risk_approver", day
    )
    wrong_ns = sshsign.sign(
        statement("RiskAssessment", "acme", "scorer-risk", digest, "sam", "security_admin", day),
        "sam",
        namespace="git",
    )
    approvals = (
        f"  approvals:\n"
        f"    - {{approver: miguel, role: risk_approver, date: {g.APPROVED}, digest: {digest},"
        f" signature: {json.dumps(other)}}}\n"
        f"    - {{approver: sam, role: security_admin, date: {g.APPROVED}, digest: {digest},"
        f" signature: {json.dumps(wrong_ns)}}}\n"
    )
    code, report = gate(write_repo(g.repo_files({RISK: text + approvals})))
    assert code == 1
    reasons = {d["user"]: d["reason"] for d in report["signoff"][0]["not_counted"]}
    assert reasons == {
        "miguel": "signature rejected: the signature does not match the statement",
        "sam": "signature rejected: signed for namespace 'git', not 'aigov-approval': "
        "not an approval",
    }


def _keygen(tmp_path: Path, name: str, kind: str) -> Path:
    key = tmp_path / name
    subprocess.run(
        ["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", name, "-f", str(key)],
        check=True,
        capture_output=True,
    )
    return key


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs OpenSSH's ssh-keygen")
def test_approvals_sign_with_real_ssh_keys_and_ssh_keygen_agrees(
    write_repo: WriteRepo, tmp_path: Path
) -> None:
    keys = {
        "miguel": _keygen(tmp_path, "miguel", "ed25519"),
        "sam": _keygen(tmp_path, "sam", "rsa"),
    }
    signers = "".join(
        f'{who} namespaces="{NAMESPACE}" {key.with_suffix(".pub").read_text().split(" ")[0]} '
        f"{key.with_suffix('.pub').read_text().split(' ')[1]}\n"
        for who, key in keys.items()
    )
    files = {RISK: g.risk(approvers=()), g.SIGNERS_FILE: signers, **g.DEPLOYED}
    repo = write_repo(g.repo_files(files))
    code, report = gate(repo, *PROD)
    assert code == 1 and "signoff.unverified" in blocking(report)
    for who, role in (("miguel", "risk_approver"), ("sam", "security_admin")):
        done = run_aigov(
            "approvals", "sign", "scorer-risk", "--repo", str(repo), "--as", who,
            "--role", role, "--key", str(keys[who]), "--date", g.APPROVED,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"recorded {who}'s approval as {role} of RiskAssessment")
        assert done.stderr == ""  # the key is listed: no warning
    code, report = gate(repo, *PROD)
    assert (code, report["signoff"][0]["approved"]) == (
        0,
        [{"user": "miguel", "role": "risk_approver"}, {"user": "sam", "role": "security_admin"}],
    )
    assert "# yaml" not in (repo / RISK).read_text()  # nothing else was rewritten

    # ssh-keygen -Y verify accepts what aigov wrote, for the statement aigov verifies
    from aigov_gate.loading.safe_yaml import Limits, parse_text

    doc = parse_text((repo / RISK).read_text(), Limits()).documents[0]
    approval = doc["spec"]["approvals"][0]
    message = statement(
        "RiskAssessment", "acme", "scorer-risk", approval["digest"], "miguel",
        "risk_approver", approval["date"],
    )  # fmt: skip
    (tmp_path / "sig").write_text(approval["signature"])
    (tmp_path / "signers").write_text(signers)
    verify = [
        "ssh-keygen", "-Y", "verify", "-f", str(tmp_path / "signers"), "-I", "miguel",
        "-n", NAMESPACE, "-s", str(tmp_path / "sig"),
    ]  # fmt: skip
    checked = subprocess.run(verify, input=message, capture_output=True, check=False)
    assert checked.returncode == 0, checked.stderr
    checked = subprocess.run(verify, input=message + b"x", capture_output=True, check=False)
    assert checked.returncode != 0

    # and the test signer's output (used by every other test) verifies with ssh-keygen too
    (tmp_path / "sig").write_text(sshsign.sign(message, "miguel"))
    (tmp_path / "signers").write_text(sshsign.allowed_signers(("miguel",)))
    assert subprocess.run(verify, input=message, capture_output=True, check=False).returncode == 0
    for kind in ("ecdsa", "rsa", "ed25519"):
        key = _keygen(tmp_path, f"k-{kind}", kind)
        signed = subprocess.run(
            ["ssh-keygen", "-Y", "sign", "-q", "-f", str(key), "-n", NAMESPACE],
            input=message, capture_output=True, check=True,
        ).stdout.decode()  # fmt: skip
        pub = key.with_suffix(".pub").read_text().split()
        allowed = parse_allowed_signers(f"miguel {pub[0]} {pub[1]}\n")
        assert allowed.verify(signed, message, "miguel", date.today()).algorithm.startswith(
            ("ecdsa", "rsa-sha2-512", "ssh-ed25519")
        )


def test_approvals_sign_errors_are_clear(write_repo: WriteRepo, tmp_path: Path) -> None:
    repo = write_repo(g.repo_files())
    done = run_aigov(
        "approvals", "sign", "scorer-rsik", "--repo", str(repo), "--as", "miguel",
        "--role", "risk_approver", "--key", str(tmp_path / "none"),
    )  # fmt: skip
    assert done.returncode == 2
    assert "no RiskAssessment, Waiver, TestPlan or TestRun named 'scorer-rsik'" in done.stderr
    assert "did you mean 'scorer-risk'?" in done.stderr
    done = run_aigov(
        "approvals", "sign", "scorer-risk", "--repo", str(repo), "--as", "miguel",
        "--role", "risk_approver", "--key", str(tmp_path / "none"),
    )  # fmt: skip
    assert done.returncode == 2 and "no such file" in done.stderr
    assert "Traceback" not in done.stderr


# -- production gating ----------------------------------------------------------------


def test_every_production_deploy_needs_an_assessment_and_a_completed_run(
    write_repo: WriteRepo,
) -> None:
    limited = g.model().replace("risk_tier: high", "risk_tier: limited")
    files: dict[str, str | bytes] = {"models/scorer.yaml": limited}
    repo = write_repo(g.repo_files(files))
    (repo / RISK).unlink()
    code, report = gate(repo, *PROD)
    assert code == 1
    [f] = found(report, "deploy.assessment-missing")
    assert f["blocking"] and "no RiskAssessment is bound to version 2.0.0" in f["message"]

    (repo / "tests/run-2.0.0.yaml").unlink()
    (repo / "tests/plan.yaml").unlink()
    code, report = gate(repo)
    assert code == 0
    [warn] = found(report, "test.no-run")
    assert (warn["severity"], warn["blocking"]) == ("medium", False)
    code, report = gate(repo, *PROD)
    assert code == 1 and {"deploy.untested", "deploy.assessment-missing"} <= blocking(report)


def test_the_approval_workflow_is_followed_against_the_base(write_repo: WriteRepo) -> None:
    repo = based(write_repo, {RISK: g.risk(status="draft", prod=False, approvers=())})
    (repo / RISK).write_text(g.risk(prod=False), "utf-8")
    commit_all(repo, "draft straight to approved")
    code, report = gate(repo, "--base", "main")
    [f] = found(report, "risk.workflow")
    assert code == 1 and f["line"] == 11
    assert "moves draft -> approved, which the approval workflow does not allow" in f["message"]

    git(repo, "checkout", "-q", "main")
    (repo / RISK).write_text(g.risk(status="rejected", prod=False, approvers=()), "utf-8")
    commit_all(repo, "rejected")
    git(repo, "checkout", "-q", "-b", "again")
    (repo / RISK).write_text(g.risk(prod=False), "utf-8")
    commit_all(repo, "rejected straight to approved")
    code, report = gate(repo, "--base", "main")
    assert "moves rejected -> approved" in found(report, "risk.workflow")[0]["message"]

    # an approved assessment edited and still approved goes back to review
    git(repo, "checkout", "-q", "main")
    (repo / RISK).write_text(g.risk(), "utf-8")
    commit_all(repo, "approved")
    git(repo, "checkout", "-q", "-b", "edit")
    edited = g.RISK.replace("four weeks", "one week").format(
        status="approved", prod="true", review=g.REVIEW, met="true"
    )
    (repo / RISK).write_text(
        g.record(edited, (("miguel", "risk_approver"), ("sam", "security_admin"))), "utf-8"
    )
    commit_all(repo, "edit after approval, re-signed")
    code, report = gate(repo, "--base", "main")
    [f] = found(report, "risk.workflow")
    assert "was changed after approval and still says approved" in f["message"]

    # production_approved without approval, even without --base
    files = {RISK: g.risk(status="draft", prod=True, approvers=())}
    code, report = gate(write_repo(g.repo_files(files)))
    [f] = found(report, "risk.workflow")
    assert code == 1 and "says production_approved: true but is draft" in f["message"]


# -- thresholds fixed in advance, fail closed -----------------------------------------


def test_a_bar_lowered_with_the_results_is_a_finding_that_shows_both_bars(
    write_repo: WriteRepo,
) -> None:
    repo = based(write_repo)
    lowered = g.PLAN.replace("threshold: 0.75", "threshold: 0.65").replace(
        "limit: 0.8", "limit: 0.6"
    )
    (repo / "tests/plan.yaml").write_text(lowered, "utf-8")
    code, report = gate(repo, "--base", "main")
    assert len(found(report, "test.threshold-loosened")) == 2  # new results or not
    rerun = g.run(auc=0.795, female=0.32, finished="2026-03-01T10:00:00Z")
    rerun = rerun.replace("name: scorer-2.0.0-run", "name: scorer-2.0.0-rerun")
    (repo / "tests/rerun-2.0.0.yaml").write_text(rerun, "utf-8")  # runs are append-only
    code, report = gate(repo, "--base", "main")
    assert code == 1
    messages = sorted(
        "\n".join([f["message"], *f["details"]]) for f in found(report, "test.threshold-loosened")
    )
    assert len(messages) == 2
    assert messages[0].startswith("scorer-plan lowers the bar scorer must reach\n")
    assert "\nloosened: accuracy: auc threshold >= 0.75 -> >= 0.65\n" in messages[0]
    assert "\nloosened: fairness: approval_rate max_disparity ratio 0.8 -> 0.6\n" in messages[1]
    assert not found(report, "metric.threshold")  # the new bar passes: that is the point
    assert (
        "not signed off:\nrequired: a loosened test plan needs 1 approval from risk_approver"
        in messages[0]
    )

    # a risk approver signs the lowered plan off: it stands
    approved = g.record(lowered, (("miguel", "risk_approver"),))
    (repo / "tests/plan.yaml").write_text(approved, "utf-8")
    code, report = gate(repo, "--base", "main")
    assert found(report, "test.threshold-loosened") == []
    assert code == 0, [f for f in report["findings"] if f["blocking"]]
    [entry] = [s for s in report["signoff"] if s["assessment"] == "scorer-plan"]
    assert entry["approved"] == [{"user": "miguel", "role": "risk_approver"}]
    # ...but not its author's own signature as a risk approver made in the change
    config = g.CONFIG.replace("risk_approver: [miguel]", "risk_approver: [miguel, lena]")
    (repo / ".aigov.yaml").write_text(config, "utf-8")
    (repo / "tests/plan.yaml").write_text(g.record(lowered, (("lena", "risk_approver"),)), "utf-8")
    code, report = gate(repo, "--base", "main")
    assert code == 1 and found(report, "test.threshold-loosened")


def test_a_slice_the_plan_declares_or_the_base_run_had_must_be_present(
    write_repo: WriteRepo,
) -> None:
    declared = g.PLAN.replace(
        "          slice_key: sex\n", "          slice_key: sex\n          slices: [female, male]\n"
    )
    run = g.run().replace(
        "        - {name: approval_rate, value: 0.50, slice_key: sex, slice_value: male}\n", ""
    )
    code, report = gate(
        write_repo(g.repo_files({"tests/plan.yaml": declared, "tests/run-2.0.0.yaml": run}))
    )
    assert code == 1
    [f] = found(report, "metric.missing")
    assert "where sex = male (the plan lists it)" in f["message"]

    # a slice the base's run measured and this change's run drops
    repo = based(write_repo)
    (repo / "tests/run-2.0.0.yaml").write_text(run, "utf-8")
    code, report = gate(repo, "--base", "main")
    assert code == 1
    [f] = found(report, "metric.missing")
    assert "where sex = male (scorer-2.0.0-run measured it)" in f["message"]


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-32", "utf-32-be"])
def test_a_run_saved_as_utf16_or_utf32_is_read_not_skipped(
    codec: str, write_repo: WriteRepo
) -> None:
    newer = g.run(auc=0.6, finished="2026-03-01T10:00:00Z").replace(
        "name: scorer-2.0.0-run", "name: scorer-2.0.0-rerun"
    )
    files: dict[str, str | bytes] = {"tests/rerun.yaml": newer.encode(codec)}
    code, report = gate(write_repo(g.repo_files(files)))
    assert code == 1
    [f] = found(report, "metric.threshold")
    assert (f["path"], f["line"]) == ("tests/rerun.yaml", 14)


def test_switching_the_provider_in_the_change_does_not_switch_it_for_the_gate(
    write_repo: WriteRepo,
) -> None:
    config = g.CONFIG + "signoff:\n  provider: github\n  max_retries: 0\n"
    repo = based(
        write_repo, {".aigov.yaml": config, RISK: g.risk(status="under_review", approvers=())}
    )
    (repo / ".aigov.yaml").write_text(g.CONFIG, "utf-8")  # back to recorded...
    (repo / RISK).write_text(g.risk(), "utf-8")  # ...with signed recorded approvals
    commit_all(repo, "approve through the recorded provider instead")
    assert gate(repo)[0] == 0  # the working tree's provider would accept it
    code, report = gate(repo, "--base", "main", "--pr", "7")
    assert code == 1
    [entry] = [s for s in report["signoff"] if s["assessment"] == "scorer-risk"]
    assert entry["provider"] == "github"  # the base's provider judges the change
    assert found(report, "authority.changed")
