"""Compiling CEL expressions written in YAML, with errors placed at the file's line and column.

    >>> compiled = compile_expression("model.spec.risk_tier == 'high'", {"model"})  # doctest: +SKIP
    >>> compiled.program.execute({"model": {...}})  # doctest: +SKIP

The ``cel`` package (common-expression-language) is imported here only, and only when a
gate runs, because importing it costs about 0.2 s (see docs/performance.md).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import cel

_ERROR_AT = re.compile(r"<input>:(\d+):(\d+): (.*?)(?:\n|$)")
_COMPREHENSION = re.compile(
    r"\b(?:all|exists|exists_one|map|filter)\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*,"
)
_BUILTIN_NAMES = frozenset({"true", "false", "null"})
_NATIVE_FUNCTIONS = frozenset(
    [
        "size",
        "has",
        "matches",
        "contains",
        "startsWith",
        "endsWith",
        "int",
        "uint",
        "double",
        "string",
        "bytes",
        "bool",
        "timestamp",
        "duration",
        "type",
        "dyn",
        "getFullYear",
        "getMonth",
        "getDate",
        "getDayOfMonth",
        "getDayOfWeek",
        "getDayOfYear",
        "getHours",
        "getMinutes",
        "getSeconds",
        "getMilliseconds",
        "all",
        "exists",
        "exists_one",
        "map",
        "filter",
        "optional.of",
        "optional.none",
        "optional.ofNonZeroValue",
        "hasValue",
        "orValue",
        "value",
        "or",
        "max",
        "min",
    ]
)


def known_functions() -> frozenset[str]:
    """CEL's own functions and the cel-go extension libraries ``cel.stdlib`` adds."""
    from cel.stdlib import EXTENSIONS

    extra = {name for library in EXTENSIONS.values() for name in library}
    return _NATIVE_FUNCTIONS | extra


def new_context(variables: dict[str, Any]) -> Any:
    """A CEL context with ``variables`` and the extension functions (``trim``, ``split``...)."""
    import cel
    from cel.stdlib import add_stdlib_to_context

    context = cel.Context(variables)
    add_stdlib_to_context(context)
    return context


@dataclass(frozen=True, slots=True)
class ExpressionError:
    """What is wrong and where inside the expression (0-based offset into its text)."""

    code: str
    message: str
    offset: int


@dataclass(frozen=True, slots=True)
class Compiled:
    source: str
    program: cel.Program
    variables: frozenset[str]
    #: Comprehensions inside comprehensions: their cost multiplies with the data, and CEL's
    #: evaluation cannot be interrupted in-process, so these run under a time budget.
    nested: bool = False
    #: At most how many items the expression's own list and map literals hold (its commas
    #: and brackets outside strings): they count with the context's in :func:`evaluate`.
    literals: int = 0


#: Bounds checked before an expression reaches the CEL parser, whose recursion crashes the
#: interpreter on 30,000 chained terms and panics on 100,000 parentheses, and whose
#: evaluation cannot be interrupted (it holds the GIL): deep comprehension nesting is the
#: way to make it run unbounded.
MAX_LENGTH = 16 * 1024
MAX_NESTING = 64
MAX_OPERATORS = 500
MAX_COMPREHENSION_NESTING = 2
_OPERATOR = re.compile(r"&&|\|\||==|!=|<=|>=|[-+*/%<>?]")
_MACRO = re.compile(r"\.(?:all|exists|exists_one|map|filter)\s*\($")


def _macro_depth(source: str) -> int:
    """How deeply comprehensions (all, exists, map, filter) nest in ``source``."""
    code = _outside_strings(source)
    stack: list[bool] = []
    depth = deepest = 0
    for at, ch in enumerate(code):
        if ch in "([{":
            macro = ch == "(" and bool(_MACRO.search(code[max(0, at - 12) : at + 1]))
            stack.append(macro)
            depth += macro
            deepest = max(deepest, depth)
        elif ch in ")]}" and stack:
            depth -= stack.pop()
    return deepest


def bounds(source: str) -> ExpressionError | None:
    """Why ``source`` is too large or too deep to compile safely, or None."""
    if len(source) > MAX_LENGTH:
        return ExpressionError(
            "policy.too-complex",
            f"the expression is {len(source)} characters, over the limit of {MAX_LENGTH}",
            MAX_LENGTH,
        )
    depth = macros = 0
    stack: list[bool] = []  # per open bracket: whether it opened a comprehension
    code = _outside_strings(source)
    for at, ch in enumerate(code):
        if ch in "([{":
            macro = ch == "(" and bool(_MACRO.search(code[max(0, at - 12) : at + 1]))
            stack.append(macro)
            macros += macro
            depth = max(depth, len(stack))
            if len(stack) > MAX_NESTING:
                return ExpressionError(
                    "policy.too-complex", f"brackets nest deeper than {MAX_NESTING}", at
                )
            if macros > MAX_COMPREHENSION_NESTING:
                return ExpressionError(
                    "policy.too-complex",
                    f"comprehensions (all, exists, map, filter) nest deeper than "
                    f"{MAX_COMPREHENSION_NESTING}: their cost multiplies",
                    at,
                )
        elif ch in ")]}" and stack:
            macros -= stack.pop()
    operators = len(_OPERATOR.findall(code))
    if operators > MAX_OPERATORS:
        return ExpressionError(
            "policy.too-complex",
            f"{operators} operators, over the limit of {MAX_OPERATORS}: split the rule",
            0,
        )
    return None


def _outside_strings(source: str) -> str:
    """``source`` with the contents of string literals blanked (same length)."""
    out = list(source)
    quote = ""
    escaped = False
    for i, ch in enumerate(source):
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = ""
                continue
            out[i] = " "
        elif ch in "'\"":
            quote = ch
    return "".join(out)


def compile_expression(source: str, known: Collection[str]) -> Compiled | ExpressionError:
    """Compile ``source``; an error when it does not parse or names an unknown variable."""
    import cel

    too_much = bounds(source)
    if too_much is not None:
        return too_much
    try:
        program = cel.compile(source)
    except ValueError as exc:
        return _syntax_error(source, str(exc))
    bound = set(_COMPREHENSION.findall(source))
    names = set(program.variables()) - bound - _BUILTIN_NAMES
    unknown = sorted(names - set(known))
    if unknown:
        name = unknown[0]
        shown = ", ".join(sorted(known))
        return ExpressionError(
            "policy.unknown-variable",
            f"unknown variable '{name}' (the context has: {shown})",
            _first_use(source, name),
        )
    calls = [f for f in program.functions() if not f.startswith(("_", "@", "!_"))]
    strange = sorted(set(calls) - known_functions())
    if strange:
        name = strange[0]
        return ExpressionError(
            "policy.unknown-function",
            f"unknown function '{name}' (see docs/policies.md for the functions available)",
            _first_use(source, name.rsplit(".", 1)[-1], member=True),
        )
    code = _outside_strings(source)
    literals = sum(code.count(c) for c in ",[{")
    return Compiled(source, program, frozenset(names), _macro_depth(source) >= 2, literals)


def _syntax_error(source: str, text: str) -> ExpressionError:
    match = _ERROR_AT.search(text)
    if match is None:
        return ExpressionError("policy.syntax-error", text.splitlines()[0], 0)
    line, column, detail = int(match[1]), int(match[2]), match[3]
    lines = source.split("\n")
    offset = sum(len(x) + 1 for x in lines[: line - 1]) + column - 1
    return ExpressionError("policy.syntax-error", f"CEL {detail}", min(offset, len(source)))


def _first_use(source: str, name: str, *, member: bool = False) -> int:
    """Offset of ``name`` as a variable (not after a dot), or with ``member`` anywhere."""
    before = r"(?<!\w)" if member else r"(?<![.\w])"
    match = re.search(before + re.escape(name) + r"\b", source)
    return match.start() if match else 0


def caret(source: str, offset: int) -> str:
    """The expression's line with a caret under ``offset``, for a hint."""
    start = source.rfind("\n", 0, offset) + 1
    end = source.find("\n", offset)
    line = source[start : end if end >= 0 else len(source)]
    return f"{line}\n{' ' * (offset - start)}^"


def position_in_file(
    file_text: str, value_line: int, value_column: int, offset: int
) -> tuple[int, int]:
    """Map ``offset`` inside a YAML scalar's value to the file's 1-based line and column.

    Works for plain, quoted and block (``|``, ``>``) scalars: folded line breaks are one
    character in the value just as they are in the file.
    """
    lines = file_text.split("\n")
    if value_line < 1 or value_line > len(lines):
        return value_line, value_column
    first = lines[value_line - 1]
    indicator = first[value_column - 1 : value_column]
    if indicator in ("|", ">"):
        segments = _block_segments(lines, value_line)
    else:
        skip = 1 if indicator in ("'", '"') else 0
        segments = [(value_line, value_column + skip, first[value_column - 1 + skip :])]
        segments += _continuation(lines, value_line)
    remaining = offset
    for line_no, column, text in segments:
        if remaining <= len(text):
            return line_no, column + remaining
        remaining -= len(text) + 1
    return value_line, value_column


def _block_segments(lines: list[str], value_line: int) -> list[tuple[int, int, str]]:
    segments: list[tuple[int, int, str]] = []
    indent = None
    for i in range(value_line, len(lines)):
        text = lines[i]
        if not text.strip():
            segments.append((i + 1, 1, ""))
            continue
        width = len(text) - len(text.lstrip(" "))
        if indent is None:
            indent = width
        if width < indent:
            break
        segments.append((i + 1, indent + 1, text[indent:]))
    return segments


def _continuation(lines: list[str], value_line: int) -> list[tuple[int, int, str]]:
    segments: list[tuple[int, int, str]] = []
    for i in range(value_line, min(value_line + 50, len(lines))):
        text = lines[i]
        stripped = text.lstrip(" ")
        segments.append((i + 1, len(text) - len(stripped) + 1, stripped))
    return segments


#: Seconds a nested comprehension may run (AIGOV_POLICY_BUDGET_SECONDS overrides).
BUDGET_SECONDS = 10.0


#: Nested comprehensions over at most this many list items (in the context and the
#: expression's literals) run in
#: this process: at the allowed nesting (MAX_COMPREHENSION_NESTING, 2) their cost is at most
#: the square of it times the expression's operators (MAX_OPERATORS), about a second at worst.
IN_PROCESS_ITEMS = 140


def evaluate(compiled: Compiled, context: Any) -> Any:
    """Run a compiled program; CEL's errors surface as :class:`EvaluationError`.

    A program with nested comprehensions over a large context runs in a forked child under
    a time budget: the CEL extension holds the GIL while it evaluates, so nothing in this
    process could stop it. Past the budget the child is killed and the rule fails closed.
    Over a small context (the usual model, with its datasets, runs and slices) its cost is
    bounded without a fork, which costs more than the evaluation (7 ms a fork).
    """
    if compiled.nested and hasattr(os, "fork"):
        items = compiled.literals + _items(context, IN_PROCESS_ITEMS)
        if items > IN_PROCESS_ITEMS:
            return _bounded(compiled, context)
    return _run(compiled, context)


def _items(value: Any, limit: int) -> int:
    """How many list items and map entries ``value`` holds, counting stops past ``limit``."""
    count, stack = 0, [value]
    while stack and count <= limit:
        item = stack.pop()
        if isinstance(item, dict):
            count += len(item)
            stack.extend(v for v in item.values() if isinstance(v, dict | list | tuple))
        elif isinstance(item, list | tuple):
            count += len(item)
            stack.extend(v for v in item if isinstance(v, dict | list | tuple))
    return count


def _run(compiled: Compiled, context: Any) -> Any:
    try:
        return compiled.program.execute(context)
    except KeyError as exc:
        raise EvaluationError(f"no such field {exc}") from None
    except Exception as exc:  # the user's expression: any failure is theirs to fix
        raise EvaluationError(str(exc).split(". ")[0] or type(exc).__name__) from None


def _bounded(compiled: Compiled, context: Any) -> Any:
    import pickle
    import select
    import signal

    budget = float(os.environ.get("AIGOV_POLICY_BUDGET_SECONDS") or BUDGET_SECONDS)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: evaluate, send the outcome, leave without cleanup
        os.close(read)
        try:
            outcome: tuple[str, Any] = ("ok", _run(compiled, context))
        except EvaluationError as exc:
            outcome = ("error", str(exc))
        try:
            data = pickle.dumps(outcome)
        except Exception:
            data = pickle.dumps(("error", "the rule returned a value that cannot be read"))
        with os.fdopen(write, "wb") as out:
            out.write(data)
        os._exit(0)
    os.close(write)
    chunks = []
    deadline = time.monotonic() + budget
    with os.fdopen(read, "rb") as pipe:
        while True:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([pipe], [], [], max(0.0, left))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise EvaluationError(
                    f"it ran past the evaluation budget of {budget:g} s (nested "
                    "comprehensions multiply their cost with the data)"
                )
            chunk = pipe.read1(1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    os.waitpid(pid, 0)
    try:
        kind, value = pickle.loads(b"".join(chunks))
    except Exception:
        raise EvaluationError("the evaluation ended without an answer") from None
    if kind == "error":
        raise EvaluationError(value)
    return value


class EvaluationError(Exception):
    """A rule could not be evaluated on a target (the gate reports it and fails closed)."""


_TEMPLATE = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)


def template_parts(message: str) -> list[tuple[int, str]]:
    """``(offset, expression)`` of every ``{{ expression }}`` in a message template."""
    return [(m.start(1), m.group(1)) for m in _TEMPLATE.finditer(message)]


def unclosed_template(message: str) -> int | None:
    """Offset of a ``{{`` that no ``}}`` closes, or None."""
    rest = _TEMPLATE.sub(lambda m: " " * len(m.group(0)), message)
    at = rest.find("{{")
    return at if at >= 0 else None


def render(message: str, values: list[Any]) -> str:
    """Replace each ``{{...}}`` by the matching value, shown as a person would write it."""
    it = iter(values)
    return _TEMPLATE.sub(lambda _m: show(next(it, "?")), message)


def show(value: Any) -> str:
    from datetime import datetime, time

    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(show(v) for v in value)
    if isinstance(value, dict):  # as JSON, not Python's repr: text stays text (PII masking)
        from aigov_gate.loading.safe_json import dumps_sorted  # {1: a, b: c} sorts too

        return dumps_sorted(value, default=show)
    return str(value)
