"""Statistics of the package's structure, for docs/architecture.md: import graph and sizes.

    python tools/structure.py            # the summary table
    python tools/structure.py --edges    # also every import edge between top-level parts

Reads the syntax trees of ``aigov_gate/`` (nothing is imported or run). An import counts
wherever it is written, inside a function too: a lazy import is still a dependency. Imports
under ``if TYPE_CHECKING:`` are left out: they never run (they name types for mypy).
Parts are the top-level modules and packages (``aigov_gate.gate``, ``aigov_gate.cli``).
"""

from __future__ import annotations

import argparse
import ast
import statistics
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "aigov_gate"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.Module, here: str, is_package: bool, known: set[str]) -> set[str]:
    """What ``here`` imports; ``from pkg import submodule`` is an import of the submodule
    (the package's ``__init__`` runs first either way, as for any submodule)."""
    found: set[str] = set()
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and _dotted(node.test).endswith("TYPE_CHECKING")
        for inner in ast.walk(node)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            names = {f"{module}.{alias.name}" for alias in node.names}
            found.update(names & known)
            if names - known:  # a name defined in the module itself
                found.add(module)
    return {name for name in found if name.startswith("aigov_gate.")}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


def _part(module: str) -> str:
    return ".".join(module.split(".")[:2])


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edges", action="store_true", help="list the edges between parts")
    args = parser.parse_args()
    modules: dict[str, set[str]] = {}
    lines: list[int] = []
    functions: list[int] = []
    paths = sorted(PACKAGE.rglob("*.py"))
    known = {_module_name(path) for path in paths}
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        name = _module_name(path)
        modules[name] = _imports(tree, name, path.name == "__init__.py", known)
        lines.append(len(path.read_text(encoding="utf-8").splitlines()))
        functions.extend(
            (node.end_lineno or node.lineno) - node.lineno + 1
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        )
    graph = {m: {i for i in imports if i in modules and i != m} for m, imports in modules.items()}
    parts: dict[str, set[str]] = defaultdict(set)
    for module, imports in graph.items():
        parts[_part(module)].update(_part(i) for i in imports if _part(i) != _part(module))
    edges = sum(len(v) for v in graph.values())
    quantiles = statistics.quantiles(functions, n=10)
    rows = [
        ("modules", len(modules)),
        ("top-level parts", len(parts)),
        ("import edges between modules", edges),
        ("import edges between parts", sum(len(v) for v in parts.values())),
        ("import cycles between modules", len(_cycles(graph))),
        ("import cycles between parts", len(_cycles(dict(parts)))),
        ("most imported part (fan-in)", _most(parts, incoming=True)),
        ("most importing part (fan-out)", _most(parts, incoming=False)),
        ("module lines: median / max", f"{statistics.median(lines):.0f} / {max(lines)}"),
        ("modules over 400 lines", sum(n > 400 for n in lines)),
        ("functions", len(functions)),
        (
            "function lines: median / p90 / max",
            f"{statistics.median(functions):.0f} / {quantiles[-1]:.0f} / {max(functions)}",
        ),
        ("functions over 50 lines", sum(n > 50 for n in functions)),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    if args.edges:
        for part in sorted(parts):
            print(f"{part} -> {', '.join(sorted(parts[part]))}")


def _most(parts: dict[str, set[str]], incoming: bool) -> str:
    counts: dict[str, int] = defaultdict(int)
    for part, targets in parts.items():
        if incoming:
            for target in targets:
                counts[target] += 1
        else:
            counts[part] = len(targets)
    top = max(counts, key=lambda k: (counts[k], k))
    return f"{top} ({counts[top]})"


if __name__ == "__main__":
    main()
