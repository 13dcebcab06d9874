"""Hostile configurations and files: each a clear error or finding with the place named,
never exit 3 (issue 24)."""

from __future__ import annotations

import json
from pathlib import Path

import gate_repo as g
import pytest
from conftest import WriteRepo, run_aigov


def validate(repo: Path, *args: str) -> tuple[int, str, str]:
    done = run_aigov("validate", "--repo", str(repo), *args)
    return done.returncode, done.stdout, done.stderr


def test_paths_must_stay_inside_the_repository(write_repo: WriteRepo, tmp_path: Path) -> None:
    repo = write_repo(g.repo_files())
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "m.yaml").write_text(g.model())
    (repo / "linked").symlink_to(outside, target_is_directory=True)
    for paths, message in (
        ("[../outside]", "paths: '../outside' is not a folder inside the repository"),
        (f"[{outside}]", "is not a folder inside the repository"),
        ("[linked]", "paths: 'linked' goes through a symbolic link"),
    ):
        (repo / ".aigov.yaml").write_text(g.CONFIG + f"paths: {paths}\n")
        for command in ("validate", "gate"):
            done = run_aigov(command, "--repo", str(repo))
            assert done.returncode == 2, (paths, command, done.stdout)
            assert message in done.stderr and "Traceback" not in done.stderr


def test_symlink_loops_are_findings_not_crashes(write_repo: WriteRepo) -> None:
    card = (
        "apiVersion: aigov/v1\nkind: EvidenceArtifact\nmetadata: {name: card}\n"
        "spec:\n  artifact_type: model_card\n  path: docs/loop.md\n  sha256: " + "a" * 64 + "\n"
    )
    repo = write_repo(g.repo_files({"evidence.yaml": card}))
    (repo / "loop.yaml").symlink_to("loop.yaml")  # a link to itself
    (repo / "docs").mkdir()
    (repo / "docs/loop.md").symlink_to("loop.md")
    code, out, err = validate(repo)
    assert code == 1 and "Traceback" not in err
    assert "loop.yaml: error [file.symlink-outside]" in out
    assert "path 'docs/loop.md' is a symbolic link loop" in out
    assert run_aigov("gate", "--repo", str(repo)).returncode == 1


def test_a_policy_for_an_environment_that_does_not_exist_is_an_error(
    write_repo: WriteRepo,
) -> None:
    policy = (
        "apiVersion: aigov/v1\nkind: Policy\nmetadata: {name: p}\nspec:\n  title: Owner\n"
        "  severity: high\n  rule: model.metadata.owner != ''\n  message: no owner\n"
        "  environments: [prodution]\n"
    )
    repo = write_repo(g.repo_files({"policies/p.yaml": policy}))
    done = run_aigov("validate", "--repo", str(repo), "--format", "json")
    assert done.returncode == 1
    [f] = [
        f
        for f in json.loads(done.stdout)["findings"]
        if f["rule_id"] == "policy.unknown-environment"
    ]
    assert (f["path"], f["line"]) == ("policies/p.yaml", 9)
    assert "environment 'prodution' is not in .aigov.yaml" in f["message"]
    assert "did you mean 'production'?" in f["hint"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("!!int x", "the int 'x' is not a valid int"),
        ("!!float x", "the float 'x' is not a valid float"),
        ("!!bool x", "the bool 'x' is not a valid bool"),
        ("!!timestamp x", "the timestamp 'x' is not a valid timestamp"),
        ("9" * 5000, "the int of 5000 characters is too long"),
    ],
)
def test_bad_tagged_values_are_findings_and_later_documents_are_still_checked(
    value: str, message: str, write_repo: WriteRepo
) -> None:
    text = (
        "apiVersion: aigov/v1\nkind: Model\nmetadata: {name: m}\n"
        f"spec: {{model_type: tabular, version: {value}, risk_tier: minimal}}\n---\n"
        "apiVersion: aigov/v1\nkind: Model\nmetadata: {name: n}\n"
        "spec: {model_type: tabular, version: '1', risk_tier: minimal, x: !!python/object y}\n"
        "---\napiVersion: aigov/v1\nkind: Dataset\nmetadata: {name: d}\nspec: {}\n"
    )
    repo = write_repo({"a.yaml": text})
    done = run_aigov("validate", "--repo", str(repo), "--format", "json")
    assert done.returncode == 1, done.stderr
    found = [(f["rule_id"], f["line"]) for f in json.loads(done.stdout)["findings"]]
    assert found == [("yaml.bad-value", 4), ("yaml.unsafe-tag", 9), ("schema.missing-field", 14)]
    assert message in done.stdout


def test_non_finite_numbers_are_refused_where_they_make_no_sense(write_repo: WriteRepo) -> None:
    run = g.run().replace("{name: auc, value: 0.8}", "{name: auc, value: .inf}")
    plan = g.PLAN.replace("max_regression: 0.01", "max_regression: .inf").replace(
        "threshold: 0.05", "threshold: 1e309"
    )
    repo = write_repo(g.repo_files({"tests/run-2.0.0.yaml": run, "tests/plan.yaml": plan}))
    done = run_aigov("validate", "--repo", str(repo), "--format", "json")
    assert done.returncode == 1
    bad = {(f["path"], f["line"]) for f in json.loads(done.stdout)["findings"]}
    assert bad == {("tests/run-2.0.0.yaml", 14), ("tests/plan.yaml", 14), ("tests/plan.yaml", 28)}


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("lena@müller-bank.de", "[redacted:email]"),
        ("jürgen.schmidt@bank.de wrote", "[redacted:email] wrote"),
        ("call 0044 20 7946 0958", "call [redacted:phone]"),
        ("iban gb82 west 1234 5698 7654 32", "iban [redacted:iban]"),
        ("GB82-WEST-1234-5698-7654-32", "[redacted:iban]"),
        ("from ::ffff:81.2.69.160 on", "from [redacted:ip] on"),
        (
            "::error file=a.yaml,line=3,col=5::bad value",
            "::error file=a.yaml,line=3,col=5::bad value",
        ),
        ("::warning file=a.yaml::a thing", "::warning file=a.yaml::a thing"),
        ("2001:db8::1 and fe80::1ff:fe23:4567:890a", "[redacted:ip] and [redacted:ip]"),
    ],
)
def test_personal_data_the_masker_missed(text: str, masked: str) -> None:
    from aigov_gate.pii import mask

    assert mask(text) == masked


def test_values_rendered_from_dicts_are_masked_in_policy_messages(write_repo: WriteRepo) -> None:
    model = g.model().replace(
        "  owner: lena\n", '  owner: lena\n  annotations: {contact: "ana\u00a0lena@example.com"}\n'
    )
    policy = (
        "apiVersion: aigov/v1\nkind: Policy\nmetadata: {name: p}\nspec:\n  title: t\n"
        "  severity: low\n  rule: 'false'\n"
        "  message: 'annotations {{ model.metadata.annotations }}'\n"
    )
    repo = write_repo(g.repo_files({"models/scorer.yaml": model, "policies/p.yaml": policy}))
    done = run_aigov("gate", "--repo", str(repo), "--format", "github")
    assert "lena@example.com" not in done.stdout
    assert "[redacted:email]" in done.stdout
    assert "::notice file=" in done.stdout or "::warning file=" in done.stdout


def test_a_config_linked_from_outside_the_repository_is_refused(
    write_repo: WriteRepo, tmp_path: Path
) -> None:
    repo = write_repo(g.repo_files())
    outside = tmp_path / "shared.yaml"
    outside.write_text(g.CONFIG)
    (repo / ".aigov.yaml").unlink()
    (repo / ".aigov.yaml").symlink_to(outside)
    for command in ("validate", "gate"):
        done = run_aigov(command, "--repo", str(repo))
        assert done.returncode == 2
        assert ".aigov.yaml is a symbolic link to a file outside the repository" in done.stderr


def _policy(rule: str, message: str = "no owner") -> str:
    return (
        "apiVersion: aigov/v1\nkind: Policy\nmetadata: {name: p}\nspec:\n  title: t\n"
        f"  severity: high\n  rule: {json.dumps(rule)}\n  message: {json.dumps(message)}\n"
    )


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("1" + "+1" * 30000 + " > 0", "over the limit of 16384"),
        ("(" * 100 + "true" + ")" * 100, "brackets nest deeper than 64"),
        ("[1].all(x, [1].all(y, [1].all(z, true)))", "comprehensions (all, exists, map, filter)"),
        (" && ".join(["true"] * 600), "operators, over the limit of 500"),
    ],
)
def test_cel_that_would_crash_or_never_end_is_refused_before_compiling(
    rule: str, message: str, write_repo: WriteRepo
) -> None:
    repo = write_repo(g.repo_files({"policies/p.yaml": _policy(rule)}))
    for command in ("validate", "gate"):
        done = run_aigov(command, "--repo", str(repo), "--format", "json", timeout=60)
        assert done.returncode == 1, done.stderr
        [f] = [
            f for f in json.loads(done.stdout)["findings"] if f["rule_id"] == "policy.too-complex"
        ]
        assert message in f["message"] and f["path"] == "policies/p.yaml"


def test_validate_reports_cel_syntax_errors_and_message_templates_fail_loudly(
    write_repo: WriteRepo,
) -> None:
    repo = write_repo(g.repo_files({"policies/p.yaml": _policy("model.spec.version ==")}))
    done = run_aigov("validate", "--repo", str(repo), "--format", "json")
    assert done.returncode == 1
    assert [f["rule_id"] for f in json.loads(done.stdout)["findings"]] == ["policy.syntax-error"]

    unclosed = _policy("false", "owner {{ model.metadata.owner")
    repo = write_repo(g.repo_files({"policies/p.yaml": unclosed}))
    done = run_aigov("validate", "--repo", str(repo), "--format", "json")
    [f] = json.loads(done.stdout)["findings"]
    assert f["rule_id"] == "policy.syntax-error" and "never closes it" in f["message"]

    for part in ("{{ model.spec.nope }}", "{{ 1/0 }}"):
        repo = write_repo(g.repo_files({"policies/p.yaml": _policy("false", f"bad {part}")}))
        done = run_aigov("gate", "--repo", str(repo), "--format", "json")
        assert done.returncode == 1
        found = json.loads(done.stdout)["findings"]
        [violation] = [f for f in found if f["rule_id"] == "p"]
        assert violation["message"] == "bad ?"
        [error] = [f for f in found if f["rule_id"] == "policy.eval-error"]
        assert "the message part {{" in error["message"] and error["blocking"]


def test_the_alias_budget_is_for_the_whole_repository(write_repo: WriteRepo) -> None:
    # each file stays under the per-document budget; together they would not
    config = g.CONFIG + "limits: {max_alias_nodes: 2000}\n"
    block = "[" + ", ".join(["x"] * 60) + "]"
    files: dict[str, str | bytes] = {".aigov.yaml": config}
    for i in range(12):
        items = ", ".join(["*v"] * 20)
        files[f"runs/r{i}.yaml"] = (
            f"apiVersion: aigov/v1\nkind: TestRun\nmetadata: {{name: r{i}}}\n"
            f"spec:\n  model: scorer\n  model_version: '2.0.0'\n  status: failed\n"
            f"  parameters: {{v: &v {block}, many: [{items}]}}\n"
        )
    repo = write_repo(g.repo_files(files))
    done = run_aigov("validate", "--repo", str(repo), "--format", "json")
    bombs = [f for f in json.loads(done.stdout)["findings"] if f["rule_id"] == "yaml.alias-bomb"]
    assert done.returncode == 1 and bombs
    assert "aliases across the repository expand beyond 2000 nodes" in bombs[0]["message"]
    assert all(f["path"].startswith("runs/") for f in bombs)
    assert len(bombs) < 12  # the first files fit the budget, the rest do not


def test_a_personal_data_pattern_runs_in_linear_time_and_one_re2_refuses_is_a_config_error(
    write_repo: WriteRepo,
) -> None:
    # (a+)+$ takes exponential time under Python's re on "aaa...ab"; on RE2 it is linear, so
    # the masker finishes on 30,000 characters of it (under backtracking: never).
    config = g.CONFIG + "pii:\n  patterns:\n    employee: 'EMP-[0-9]{6}'\n    evil: '(a+)+$'\n"
    use = "a" * 30_000 + "b EMP-123456"
    model = g.model(pii=False).replace("Decision support for loan officers.", use)
    repo = write_repo(g.repo_files({".aigov.yaml": config, "models/scorer.yaml": model}))
    done = run_aigov("validate", "--repo", str(repo), "--format", "json", timeout=60)
    found = [f for f in json.loads(done.stdout)["findings"] if f["rule_id"] == "pii.undeclared"]
    assert done.returncode == 1 and len(found) == 1, done.stderr
    assert "(employee in spec.intended_use)" in found[0]["message"]
    refused = g.CONFIG + "pii:\n  patterns:\n    employee: '(?<=EMP-)[0-9]{6}'\n"
    repo = write_repo(g.repo_files({".aigov.yaml": refused}))
    done = run_aigov("validate", "--repo", str(repo), timeout=30)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert ".aigov.yaml:" in done.stderr
    assert "pattern 'employee' is not an RE2 regular expression" in done.stderr
    assert "look-arounds" in done.stderr


def test_schema_errors_do_not_hide_broken_references(write_repo: WriteRepo) -> None:
    model = g.model().replace(
        "  datasets:\n    - name: loans\n", "  owner_team: x\n  datasets:\n    - name: nope\n"
    )
    repo = write_repo(g.repo_files({"models/scorer.yaml": model}))
    done = run_aigov("validate", "--repo", str(repo), "--format", "json")
    rules = sorted(f["rule_id"] for f in json.loads(done.stdout)["findings"])
    assert done.returncode == 1
    assert rules == ["ref.missing", "schema.unknown-field"]


def test_nested_comprehensions_run_under_a_time_budget(write_repo: WriteRepo) -> None:
    numbers = "[" + ",".join(str(i) for i in range(1500)) + "]"
    rule = f"{numbers}.all(x, {numbers}.all(y, x + y >= 0))"  # 2.25M steps, 13 KB
    repo = write_repo(g.repo_files({"policies/p.yaml": _policy(rule)}))
    done = run_aigov(
        "gate", "--repo", str(repo), "--format", "json", env={"AIGOV_POLICY_BUDGET_SECONDS": "0.2"}
    )
    assert done.returncode == 1, done.stderr
    [f] = [f for f in json.loads(done.stdout)["findings"] if f["rule_id"] == "policy.eval-error"]
    assert "ran past the evaluation budget of 0.2 s" in f["message"] and f["blocking"]
    done = run_aigov("gate", "--repo", str(repo), "--format", "json", timeout=120)
    assert not [
        f for f in json.loads(done.stdout)["findings"] if f["rule_id"] == "policy.eval-error"
    ]


def test_a_nested_rule_over_a_small_context_runs_without_a_fork(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A fork costs ~7 ms, more than the evaluation: at 5 nested pack rules per model, 1,000
    # models spent 35 s forking. Small contexts are bounded without one; large ones fork.
    from aigov_gate.policy import expressions

    compiled = expressions.compile_expression(
        "model.tags.all(x, model.tags.exists(y, y == x))", {"model"}
    )
    assert isinstance(compiled, expressions.Compiled) and compiled.nested

    def no_fork() -> int:
        raise AssertionError("forked")

    monkeypatch.setattr("aigov_gate.policy.expressions.os.fork", no_fork)
    assert expressions.evaluate(compiled, {"model": {"tags": ["a", "b"]}}) is True
    big = {"model": {"tags": [str(i) for i in range(200)]}}
    with pytest.raises(AssertionError, match="forked"):
        expressions.evaluate(compiled, big)
