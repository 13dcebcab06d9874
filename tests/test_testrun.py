"""``aigov test run``: real processes (grandchildren that ignore SIGTERM, daemons, floods of
output, Ctrl-C), real JUnit files from pytest, lm-eval and AI Verify result files, and the
example's plan end to end into a TestRun the gate accepts."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, WriteRepo, aigov_script, ci_free_env, git, run_aigov

from aigov_gate.loading.safe_yaml import Limits, parse_text
from aigov_gate.runner.formats import read_aiverify, read_junit, read_lm_eval

PY = sys.executable
DATA = Path(__file__).parent / "data" / "results"

HEAD = """\
organization: acme
testing: {{kill_grace: 1{extra}}}
"""

MODEL = """\
apiVersion: aigov/v1
kind: Model
metadata: {name: m, owner: lena}
spec: {model_type: tabular, version: "1.0.0", risk_tier: minimal}
"""


def plan(*tests: str) -> str:
    body = "".join(textwrap.indent(t, "    ") for t in tests)
    return (
        "apiVersion: aigov/v1\nkind: TestPlan\nmetadata: {name: p}\nspec:\n"
        "  applies_to: {models: [m]}\n  tests:\n" + body
    )


def case(name: str, script: str, **extra: Any) -> str:
    """A plan test running ``script`` (a file under scripts/) with this interpreter."""
    lines = [f"- name: {name}", f"  command: [{json.dumps(PY)}, scripts/{script}]"]
    lines += [f"  {k}: {json.dumps(v)}" for k, v in extra.items()]
    lines.append('  metrics: [{name: score, operator: ">=", threshold: 0.5}]')
    return "\n".join(lines) + "\n"


EMIT = """\
import json, os, sys
with open(os.environ["AIGOV_RESULT_FILE"], "a") as f:
    f.write(json.dumps({"name": "score", "value": 0.9}) + "\\n")
"""


def repo_with(
    write_repo: WriteRepo, tests: list[str], scripts: dict[str, str], extra: str = ""
) -> Path:
    files: dict[str, str | bytes] = {
        ".aigov.yaml": HEAD.format(extra=extra),
        "m.yaml": MODEL,
        "p.yaml": plan(*tests),
    }
    files.update({f"scripts/{k}": v for k, v in scripts.items()})
    return write_repo(files)


def runs(repo: Path) -> list[dict[str, Any]]:
    out = []
    for path in sorted((repo / "runs").glob("*.yaml")):
        out.append(parse_text(path.read_text(), Limits()).documents[0])
    return out


def results(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["test_name"]: r for r in run["spec"]["results"]}


def started_in(out_dir: Path) -> list[int]:
    """Live processes (not zombies) whose AIGOV_OUTPUT_DIR is ``out_dir``."""
    needle = f"AIGOV_OUTPUT_DIR={out_dir}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if entry.name.isdigit() and needle in environ.split(b"\0") and not gone(int(entry.name)):
            found.append(int(entry.name))
    return found


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # a zombie still answers kill(0): it is gone if /proc says so
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ", 1)[1].startswith("Z")


@pytest.mark.dated  # the gate runs on today's date, as users run it
def test_the_example_plan_runs_and_the_gate_accepts_the_run(tmp_path: Path) -> None:
    repo = tmp_path / "credit-scoring"
    shutil.copytree(EXAMPLES / "credit-scoring", repo)
    shipped = set((repo / "governance/runs").glob("credit-scoring-2.3.0-run-*.yaml"))
    done = run_aigov(
        "test", "run", "--repo", str(repo), "--dataset", "loan-applications-holdout-2025"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert sum(line.startswith("ok ") for line in lines) == 4
    # the demo executor key's private half was thrown away: the run is written, unattested
    assert "the runs will not be attested" in done.stderr
    runs = set((repo / "governance/runs").glob("credit-scoring-2.3.0-run-*.yaml"))
    [written] = list(runs - shipped)
    assert f"wrote governance/runs/{written.name} (completed)" in done.stdout
    run = parse_text(written.read_text(), Limits()).documents[0]
    spec = run["spec"]
    assert (spec["status"], spec["dataset"], spec["test_plan"]) == (
        "completed",
        "loan-applications-holdout-2025",
        "credit-scoring-plan",
    )
    auc = results(run)["discrimination"]["metrics"][0]
    assert auc["name"] == "auc" and 0.75 < auc["value"] < 0.85 and auc["n"] == 2400
    ages = results(run)["fairness-age"]["metrics"]
    assert [m["slice_value"] for m in ages] == ["18-24", "25-44", "45-64", "65+"]
    assert run_aigov("validate", "--repo", str(repo)).returncode == 0
    gate = run_aigov("gate", "--repo", str(repo), "--format", "json", process=True)
    assert gate.returncode == 0, gate.stdout
    # the run counts: the same run, edited to miss the plan's bar, blocks
    failing = written.read_text().replace(f"value: {auc['value']}", "value: 0.6")
    written.write_text(failing)
    gate = run_aigov("gate", "--repo", str(repo), "--format", "json")
    assert gate.returncode == 1
    assert any(
        f["rule_id"] == "metric.threshold" and f["path"].startswith("governance/runs/")
        for f in json.loads(gate.stdout)["findings"]
    )


def test_failures_bad_lines_retries_and_secrets(write_repo: WriteRepo) -> None:
    scripts = {
        "emit.py": EMIT,
        "fail.py": EMIT
        + "sys.stderr.write('model file missing: lena@example.com\\n'); sys.exit(4)\n",
        "bad.py": (
            "import os\n"
            "with open(os.environ['AIGOV_RESULT_FILE'], 'a') as f:\n"
            '    f.write(\'{"name": "score", "value": 0.7}\\n\')\n'
            "    f.write('progress 50%\\n')\n"
            '    f.write(\'{"name": "score", "value": Infinity}\\n\')\n'
        ),
        "flaky.py": (
            "import json, os, pathlib, sys\n"
            "mark = pathlib.Path(os.environ['AIGOV_OUTPUT_DIR']).parent / 'tried'\n"
            "if not mark.exists():\n"
            "    mark.write_text('1'); sys.exit(1)\n" + EMIT.split("\n", 1)[1]
        ),
        "env.py": (
            "import json, os\n"
            "seen = [n for n in ('GITHUB_TOKEN', 'RECEIVER_SECRET', 'MY_API_KEY', 'PASSED_TOKEN')"
            " if n in os.environ]\n"
            "with open(os.environ['AIGOV_RESULT_FILE'], 'a') as f:\n"
            "    f.write(json.dumps({'name': 'score', 'value': len(seen)}) + '\\n')\n"
            "print(' '.join(seen), os.environ['GREETING'], os.environ['AIGOV_MODEL_VERSION'])\n"
        ),
    }
    tests = [
        case("good", "emit.py"),
        case("failing", "fail.py"),
        case("bad-lines", "bad.py"),
        case("flaky", "flaky.py", retries=1),
        case("env", "env.py", env={"GREETING": "hi"}, pass_env=["PASSED_TOKEN"]),
    ]
    repo = repo_with(write_repo, tests, scripts)
    secrets = {
        "GITHUB_TOKEN": "ghp_" + "a" * 36,
        "RECEIVER_SECRET": "whsec_x",
        "MY_API_KEY": "k",
        "PASSED_TOKEN": "t",
    }
    done = run_aigov("test", "run", "--repo", str(repo), "--out", str(repo / "logs"), env=secrets)
    assert done.returncode == 1
    [run] = runs(repo)
    assert run["spec"]["status"] == "failed"
    by = results(run)
    assert by["good"]["metrics"] == [{"name": "score", "value": 0.9}]
    assert (by["failing"]["exit_code"], by["failing"]["error"]) == (4, "exited with code 4")
    assert by["failing"]["metrics"] == [{"name": "score", "value": 0.9}]  # partial: kept
    assert by["failing"]["stderr_tail"] == "model file missing: [redacted:email]"
    assert by["bad-lines"]["metrics"] == [{"name": "score", "value": 0.7}]
    assert "bad-lines: result.jsonl:2: not a JSON object: progress 50%" in done.stdout
    assert "bad-lines: result.jsonl:3: score: value 'Infinity' is not a finite number" in (
        done.stdout
    )
    assert (by["flaky"]["attempts"], by["flaky"]["exit_code"]) == (2, 0)
    assert by["env"]["metrics"] == [{"name": "score", "value": 1.0}]  # PASSED_TOKEN only
    log = (repo / "logs/m-1.0.0-p/env-1/stdout.log").read_text()
    assert log.split() == ["PASSED_TOKEN", "hi", "1.0.0"]
    assert "lena@example.com" not in done.stdout + done.stderr
    # a second run never overwrites the first
    assert run_aigov("test", "run", "--repo", str(repo), env=secrets).returncode == 1
    assert len(runs(repo)) == 2
    # its raw logs (under .aigov/test-runs/, not masked) never reach Git: the folder
    # ignores itself; the TestRuns it wrote (masked) do show up, to be committed
    raw = list((repo / ".aigov" / "test-runs").rglob("stderr.log"))
    assert raw and "lena@example.com" in "".join(p.read_text() for p in raw)
    git(repo, "init", "-q")  # (a no-op where it is a repository already)
    untracked = git(repo, "status", "--porcelain", "--untracked-files=all")
    assert ".aigov/" not in untracked and "lena@example.com" not in untracked
    assert ".yaml" in untracked


HANG = """\
import os, signal, sys, time
pids = os.environ["AIGOV_OUTPUT_DIR"] + "/pids"
child = os.fork()
if child == 0:  # a grandchild that ignores SIGTERM
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if os.fork() == 0:  # ...and a daemon that leaves the process group
        os.setsid()
        if os.fork() == 0:
            with open(pids, "a") as f:
                f.write(f"{os.getpid()}\\n")
            while True:
                time.sleep(1)
        os._exit(0)
    with open(pids, "a") as f:
        f.write(f"{os.getpid()}\\n")
    while True:
        time.sleep(1)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
with open(os.environ["AIGOV_RESULT_FILE"], "a") as f:
    f.write('{"name": "score", "value": 0.8}\\n')
while True:
    time.sleep(1)
"""


def test_a_hanging_test_and_everything_it_started_are_gone_after_the_timeout(
    write_repo: WriteRepo,
) -> None:
    repo = repo_with(write_repo, [case("hang", "hang.py", timeout=2)], {"hang.py": HANG})
    done = run_aigov("test", "run", "--repo", str(repo), "--out", str(repo / "logs"))
    assert done.returncode == 1
    assert "TIMEOUT   p/hang for m@1.0.0" in done.stdout
    assert "timed out after 2 s" in done.stdout
    [run] = runs(repo)
    hang = results(run)["hang"]
    assert run["spec"]["status"] == "failed"
    assert hang["metrics"] == [{"name": "score", "value": 0.8}]  # written before the timeout
    assert hang["exit_code"] == -signal.SIGKILL  # it ignored SIGTERM
    out_dir = repo / "logs/m-1.0.0-p/hang-1"
    assert len((out_dir / "pids").read_text().split()) == 2  # both started
    # Their pids are the PID namespace's; here they are found by the variable aigov set.
    deadline = time.monotonic() + 5
    while started_in(out_dir) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not started_in(out_dir)


def test_a_flood_of_output_does_not_stall_and_a_runaway_one_is_stopped(
    write_repo: WriteRepo,
) -> None:
    flood = "import sys\n" + "sys.stdout.write('x' * 1024 * 1024)\n" * 10 + EMIT
    runaway = "import sys\nwhile True:\n    sys.stdout.write('y' * 65536)\n"
    tests = [case("flood", "flood.py"), case("runaway", "runaway.py")]
    repo = repo_with(
        write_repo,
        tests,
        {"flood.py": flood, "runaway.py": runaway},
        extra=", max_output_bytes: 20000000",
    )
    done = run_aigov("test", "run", "--repo", str(repo), "--out", str(repo / "logs"))
    by = results(runs(repo)[0])
    assert by["flood"]["exit_code"] == 0 and by["flood"]["metrics"]
    assert (repo / "logs/m-1.0.0-p/flood-1/stdout.log").stat().st_size == 10 * 1024 * 1024
    assert by["runaway"]["error"] == "stdout.log grew over 20000000 bytes"
    assert done.returncode == 1


def test_ctrl_c_cancels_and_still_writes_the_run(write_repo: WriteRepo) -> None:
    slow = "import time\ntime.sleep(60)\n"
    tests = [case("quick", "emit.py"), case("slow", "slow.py")]
    repo = repo_with(write_repo, tests, {"emit.py": EMIT, "slow.py": slow})
    proc = subprocess.Popen(
        [aigov_script(), "test", "run", "--repo", str(repo), "--jobs", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ci_free_env(),
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()  # "ok  p/quick ...": one test finished, one running
    assert first.startswith("ok        p/quick")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    [run] = runs(repo)
    assert run["spec"]["status"] == "cancelled"
    by = results(run)
    assert by["quick"]["metrics"] == [{"name": "score", "value": 0.9}]
    assert by["slow"]["error"] == "cancelled"
    assert "(cancelled)" in out


def test_dry_run_and_usage_errors(write_repo: WriteRepo) -> None:
    no_command = '- name: manual\n  metrics: [{name: score, operator: ">=", threshold: 0.5}]\n'
    repo = repo_with(
        write_repo, [case("good", "emit.py", timeout=9), no_command], {"emit.py": EMIT}
    )
    done = run_aigov("test", "run", "--repo", str(repo), "--dry-run")
    assert done.returncode == 0
    assert "skipped  p/manual (no command)" in done.stdout
    assert "would run 1 test(s)" in done.stdout
    assert "p/good for m@1.0.0:" in done.stdout and "timeout 9 s" in done.stdout
    assert not (repo / "runs").exists() and not (repo / ".aigov").exists()
    done = run_aigov("test", "run", "pp", "--repo", str(repo))
    assert done.returncode == 2 and "no TestPlan named 'pp'" in done.stderr
    assert "did you mean 'p'?" in done.stderr
    done = run_aigov("test", "run", "--repo", str(repo), "--model", "n")
    assert done.returncode == 2 and "no model named 'n'" in done.stderr
    escape = case("escape", "emit.py", cwd="../..")
    repo = repo_with(write_repo, [escape], {"emit.py": EMIT})
    done = run_aigov("test", "run", "--repo", str(repo))
    assert done.returncode == 2 and "cwd ../.. leaves the repository" in done.stderr
    assert "Traceback" not in done.stderr


# -- result formats ---------------------------------------------------------------------

JUNIT_TEST = """\
def test_auc(record_property):
    record_property("aigov.metric.auc", 0.81)
    record_property("aigov.metric.approval_rate[sex=female]", 0.52)
    record_property("unrelated", "x")


def test_suite(record_testsuite_property):
    record_testsuite_property("aigov.metric.brier_score", 0.07)
"""


@pytest.mark.parametrize("family", ["xunit1", "xunit2"])
def test_junit_properties_from_a_real_pytest_run(family: str, write_repo: WriteRepo) -> None:
    repo = write_repo({"t/test_model.py": JUNIT_TEST})
    xml = repo / "report.xml"
    subprocess.run(
        [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", f"junit_family={family}",
         f"--junitxml={xml}", str(repo / "t")],
        check=True, capture_output=True, cwd=repo, env=ci_free_env(),
    )  # fmt: skip
    metrics, problems = read_junit(xml.read_text(), "report.xml")
    assert problems == []
    by = {(m["name"], m.get("slice_value")): m["value"] for m in metrics}
    assert by[("brier_score", None)] == 0.07
    if family == "xunit1":  # xunit2 drops test-case properties (pytest warns)
        assert by[("auc", None)] == 0.81
        assert by[("approval_rate", "female")] == 0.52


def test_junit_as_a_plan_format(write_repo: WriteRepo) -> None:
    script = (
        "import os, subprocess, sys\n"
        "out = os.path.join(os.environ['AIGOV_OUTPUT_DIR'], 'junit.xml')\n"
        "sys.exit(subprocess.call([sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider',"
        " '-o', 'junit_family=xunit1', '--junitxml=' + out, 'scripts/test_model.py']))\n"
    )
    scripts = {"run.py": script, "test_model.py": JUNIT_TEST}
    repo = repo_with(write_repo, [case("junit", "run.py", format="junit")], scripts)
    done = run_aigov("test", "run", "--repo", str(repo))
    assert done.returncode == 0, done.stdout + done.stderr
    names = sorted(m["name"] for m in results(runs(repo)[0])["junit"]["metrics"])
    assert names == ["approval_rate", "auc", "brier_score"]


def test_lm_eval_and_ai_verify_result_files() -> None:
    metrics, problems = read_lm_eval((DATA / "lm-eval-results.json").read_text(), "r.json")
    assert problems == []
    by = {(m["name"], m["slice_value"]): m for m in metrics}
    acc = by[("acc", "hellaswag")]
    assert (acc["value"], acc["n"]) == (0.5673, 10042)
    assert acc["ci_low"] == pytest.approx(0.5673 - 1.96 * 0.0049)
    assert by[("exact_match,strict-match", "gsm8k")]["value"] == 0.3412
    assert ("alias", "hellaswag") not in by

    metrics, problems = read_aiverify((DATA / "aiverify-results.json").read_text(), "r.json")
    assert problems == []
    by_name = {m["name"]: m["value"] for m in metrics}
    assert by_name["results.0.metrics.demographic_parity_ratio"] == 0.84
    bad, problems = read_aiverify('{"output": {}}', "r.json")
    assert bad == [] and problems == ["r.json: not an AI Verify result (no gid and cid)"]


def test_progress_on_a_terminal_and_the_ci_job_as_executor(write_repo: WriteRepo) -> None:
    import pty

    repo = repo_with(write_repo, [case("good", "emit.py")], {"emit.py": EMIT})
    env = ci_free_env() | {
        "GITHUB_RUN_ID": "4242",
        "GITHUB_REPOSITORY": "acme/gov",
        "GITHUB_SERVER_URL": "https://github.example",
    }
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [aigov_script(), "test", "run", "--repo", str(repo)],
        stdout=child,
        stderr=child,
        env=env,
    )
    os.close(child)
    seen = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the child side closed: the run is over
            break
        if not chunk:
            break
        seen += chunk
    os.close(main)
    assert proc.wait(timeout=30) == 0
    text = seen.decode()
    assert "tests: 1/1 done, 0 running, 0 failed" in text
    assert "\r\x1b[2K" in text  # the status line is rewritten, not repeated
    [run] = runs(repo)
    assert run["spec"]["executor"] == "https://github.example/acme/gov/actions/runs/4242"
