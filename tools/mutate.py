"""Mutation testing of one module: does the test suite notice when the code is wrong?

Each mutant changes one thing in the module's syntax tree (a comparison flipped, ``and``
for ``or``, a ``not`` dropped, a constant changed, a call statement deleted, a ``return``
or ``raise`` guard made unreachable), is written over the module, and the given tests run
against it. A mutant the tests pass with has *survived*: some behaviour is untested.

    python tools/mutate.py aigov_gate/policy/metric_checks.py -- tests/test_gate.py
    python tools/mutate.py aigov_gate/compliance/status.py --sample 11 --seed 1 \\
        --lines 300-486 -- tests/test_compliance.py -k status

The module is restored after every mutant, and on Ctrl-C. Bytecode is not written while
mutants run, and the module's cached bytecode is removed, so a mutant is never shadowed
by a stale ``.pyc``. ``--list`` shows the mutants without running anything; ``--sample N
--seed S`` picks N of them the same way every time. Not part of CI: a run costs one test
run per mutant. Exit code: 0 when every mutant was killed, 1 when any survived.
"""

from __future__ import annotations

import argparse
import ast
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_COMPARE_SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
_BINOP_SWAPS: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
}


@dataclass(frozen=True)
class Mutant:
    """One change: the ``index``-th site of the module, at ``line``, described."""

    index: int
    line: int
    description: str


def _sites(tree: ast.AST) -> Iterator[tuple[ast.AST, str]]:
    """Every node that can be mutated, with what the mutation does, in a stable order."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for op in node.ops:
                if type(op) in _COMPARE_SWAPS:
                    swapped = _COMPARE_SWAPS[type(op)].__name__
                    yield node, f"{type(op).__name__} -> {swapped}"
                    break
        elif isinstance(node, ast.BoolOp):
            yield node, "and <-> or"
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield node, "drop not"
        elif isinstance(node, ast.BinOp) and type(node.op) in _BINOP_SWAPS:
            swapped = _BINOP_SWAPS[type(node.op)].__name__
            yield node, f"{type(node.op).__name__} -> {swapped}"
        elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
            yield node, f"{node.value} -> {not node.value}"
        elif isinstance(node, ast.Constant) and type(node.value) is int:
            yield node, f"{node.value} -> {node.value + 1}"
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            yield node, "delete call statement"
        elif isinstance(node, ast.If) and any(
            isinstance(s, ast.Return | ast.Raise | ast.Continue) for s in node.body
        ):
            yield node, "guard never taken (if False)"


def _mutate(node: ast.AST) -> None:
    """Apply the mutation of ``node`` in place (the node is in a copy of the tree)."""
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op) in _COMPARE_SWAPS:
                node.ops[i] = _COMPARE_SWAPS[type(op)]()
                return
    elif isinstance(node, ast.BoolOp):
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif isinstance(node, ast.UnaryOp):
        node.op = ast.UAdd()  # +x keeps x's value, as "drop not" means (truthiness kept)
        node.operand = ast.Call(ast.Name("bool", ast.Load()), [node.operand], [])
    elif isinstance(node, ast.BinOp):
        node.op = _BINOP_SWAPS[type(node.op)]()
    elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
        node.value = not node.value
    elif isinstance(node, ast.Constant):
        node.value = node.value + 1
    elif isinstance(node, ast.Expr):
        node.value = ast.Constant(None)
    elif isinstance(node, ast.If):
        node.test = ast.Constant(False)


def mutants(source: str, lines: range | None) -> list[Mutant]:
    tree = ast.parse(source)
    found = []
    for index, (node, description) in enumerate(_sites(tree)):
        line = getattr(node, "lineno", 0)
        if _is_docstring(node) or (lines is not None and line not in lines):
            continue
        found.append(Mutant(index, line, description))
    return found


def _is_docstring(node: ast.AST) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)


def mutated_source(source: str, mutant: Mutant) -> str:
    tree = ast.parse(source)  # a fresh tree each time: the mutation happens in place
    node = next(n for i, (n, _) in enumerate(_sites(tree)) if i == mutant.index)
    _mutate(node)
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def run_tests(pytest_args: list[str], timeout: float) -> str:
    """``killed``, ``survived`` or ``timeout`` (a hang is noticed, so it counts as killed)."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"]
    try:
        done = subprocess.run(
            [*command, *pytest_args],
            capture_output=True,
            env=env,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "timeout"
    return "survived" if done.returncode == 0 else "killed"


def _drop_bytecode(module: Path) -> None:
    for cached in (module.parent / "__pycache__").glob(f"{module.stem}.*.pyc"):
        cached.unlink()


def _parse_lines(text: str | None) -> range | None:
    if not text:
        return None
    first, _, last = text.partition("-")
    return range(int(first), int(last or first) + 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("module", type=Path, help="the .py file to mutate")
    parser.add_argument("--lines", help="only mutants on these lines, e.g. 40-120")
    parser.add_argument("--sample", type=int, help="run N mutants chosen with --seed")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=600, help="seconds per test run")
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.epilog = "after --: the arguments pytest runs with (test files, -k ...)"
    argv = sys.argv[1:] if argv is None else argv
    cut = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:cut])
    args.pytest_args = argv[cut + 1 :]

    module: Path = args.module
    original = module.read_text(encoding="utf-8")
    chosen = mutants(original, _parse_lines(args.lines))
    if args.sample is not None and args.sample < len(chosen):
        chosen = sorted(random.Random(args.seed).sample(chosen, args.sample), key=lambda m: m.index)
    if args.list:
        for m in chosen:
            print(f"{module}:{m.line}: #{m.index} {m.description}")
        return 0
    if run_tests(args.pytest_args, args.timeout) != "survived":
        print("the tests fail on the unmutated module: fix them first", file=sys.stderr)
        return 2

    survivors: list[Mutant] = []
    started = time.monotonic()
    try:
        for n, m in enumerate(chosen, 1):
            module.write_text(mutated_source(original, m), encoding="utf-8")
            _drop_bytecode(module)
            outcome = run_tests(args.pytest_args, args.timeout)
            print(f"[{n}/{len(chosen)}] {module}:{m.line}: #{m.index} {m.description}: {outcome}")
            if outcome == "survived":
                survivors.append(m)
    finally:
        module.write_text(original, encoding="utf-8")
        _drop_bytecode(module)
    elapsed = time.monotonic() - started
    print(f"\n{len(survivors)} of {len(chosen)} mutants survived ({elapsed:.0f} s)")
    for m in survivors:
        print(f"  survived: {module}:{m.line}: #{m.index} {m.description}")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
