"""Safe YAML parsing with limits, and file:line:column lookup kept out of the data.

The fast path is libyaml (PyYAML's C parser) with PyYAML's safe constructor, plus:

* duplicate keys are reported (PyYAML silently keeps the last one);
* nesting is bounded *before* libyaml sees the text: its composer recurses on the C
  stack and crashes the interpreter on a few tens of thousands of nested ``[``. Every
  level needs one of ``[{-:?``, so only a file with more of those than ``max_depth``
  can be too deep, and only such a file pays for an exact (event-stream) depth scan;
* alias expansion is bounded (a "billion laughs" file is refused, not expanded);
* only the safe tags exist, so ``!!python/object`` and friends are refused.

Positions are not stored in the data. :func:`locate` re-composes the file (cheap, and only
when a finding needs a line) and walks to the node at a path.

    >>> parsed = parse_text("a:\\n  b: [1, 2]\\n", Limits())
    >>> locate(parsed.text, 0, ("a", "b", 1))
    (2, 10)
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Every nesting level needs one of these characters, so their count bounds the depth.
_NESTING_CHARS = ("[", "{", "-", ":", "?")


DEFAULT_MAX_FILE_BYTES = 4 * 1024 * 1024
DEFAULT_MAX_DEPTH = 200
DEFAULT_MAX_ALIAS_NODES = 100_000


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what one file may cost. Configurable under ``limits:`` in .aigov.yaml."""

    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_depth: int = DEFAULT_MAX_DEPTH
    max_alias_nodes: int = DEFAULT_MAX_ALIAS_NODES


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with the text itself, 1-based position (0 when it has none)."""

    code: str
    message: str
    line: int = 0
    column: int = 0
    hint: str = ""


@dataclass(slots=True)
class Parsed:
    """The documents of one file in order, and the problems met while parsing it."""

    text: str
    documents: list[Any] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    name_positions: list[tuple[int, int]] = field(default_factory=list)
    #: A mapping key that is not a string (or a merge, which may bring one): JSON cannot
    #: hold it as it is, so the validate cache does not keep this file.
    odd_keys: bool = False
    #: Nodes the aliases add when expanded (what code walking the data, like a policy's
    #: CEL context, sees beyond the file's own nodes); the loader sums it over the repo.
    alias_nodes: int = 0


_PLAIN_TAGS: dict[str, str] = {}
_PLAIN_CACHE_SIZE = 100_000


class _CheckingLoader(_Loader):  # type: ignore[misc]
    """libyaml + safe constructor that records duplicate keys instead of dropping them."""

    duplicates: list[Problem]

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, MappingNode):
            seen: dict[str, ScalarNode] = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, ScalarNode):
                    continue
                first = seen.setdefault(key_node.value, key_node)
                if first is not key_node:
                    self.duplicates.append(_duplicate_key(first, key_node))
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]

    # libyaml's composer asks the resolver about every node. We have no path resolvers,
    # and plain scalars repeat a lot (keys above all), so resolution is cached by value.
    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is ScalarNode and implicit[0]:
            tag = _PLAIN_TAGS.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(_PLAIN_TAGS) < _PLAIN_CACHE_SIZE:
                    _PLAIN_TAGS[value] = tag
            return tag
        return super().resolve(kind, value, implicit)  # type: ignore[no-any-return]

    def construct_yaml_timestamp(self, node: ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            # "2026-13-01" is date-shaped but no date: keep the text, so the schema
            # reports it at its field and the rest of the document is still checked.
            return node.value


_CheckingLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", _CheckingLoader.construct_yaml_timestamp
)


_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_SAFE_SCALARS = frozenset(
    "tag:yaml.org,2002:" + t for t in ("null", "bool", "int", "float", "timestamp", "binary")
)


class BadValue(yaml.constructor.ConstructorError):
    """A scalar its tag cannot hold (``!!int x``, a 5,000-digit integer)."""


#: In ``Parsed.documents`` where a document could not be built (its problem is recorded).
UNREADABLE = object()


class _Builder:
    """Nodes -> Python data, about twice as fast as PyYAML's generic constructor.

    Plain strings, mappings and sequences (nearly everything in governance YAML) are built
    directly; other safe scalars go through the safe constructor; any other tag is refused;
    a mapping with a merge key (``<<``) is handed to the safe constructor whole. Duplicate
    keys are recorded. Shared (aliased) nodes are built once.
    """

    __slots__ = ("built", "loader", "odd_keys", "problems")

    def __init__(self, loader: _CheckingLoader, problems: list[Problem]) -> None:
        self.loader = loader
        self.problems = problems
        self.built: dict[int, Any] = {}
        self.odd_keys = False

    def build(self, node: Node) -> Any:
        tag = node.tag
        if tag == _STR:
            return node.value
        key = id(node)
        if key in self.built:
            return self.built[key]
        if tag == _MAP:
            result: Any = self._mapping(node)
        elif tag == _SEQ:
            result = []
            self.built[key] = result
            result.extend(self.build(child) for child in node.value)
        elif tag in _SAFE_SCALARS:
            result = self._scalar(node)
        else:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"could not determine a constructor for the tag '{tag}'",
                node.start_mark,
            )
        self.built[key] = result
        return result

    def _scalar(self, node: Node) -> Any:
        """A safe scalar (int, float, bool, date, ...); a value its tag cannot hold is an error."""
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, TypeError, AttributeError, OverflowError, KeyError) as exc:
            kind = node.tag.rsplit(":", 1)[-1]
            value = node.value if isinstance(node.value, str) else ""
            shown = repr(value) if len(value) <= 40 else f"of {len(value)} characters"
            why = "too long" if "digits" in str(exc) else f"not a valid {kind}"
            raise BadValue(None, None, f"the {kind} {shown} is {why}", node.start_mark) from None

    def _mapping(self, node: Node) -> dict[Any, Any]:
        if any(k.tag == _MERGE for k, _ in node.value):
            self.odd_keys = True
            try:
                merged: dict[Any, Any] = self.loader.construct_object(node, deep=True)
            except (ValueError, TypeError, AttributeError, OverflowError, KeyError):
                raise BadValue(
                    None,
                    None,
                    "a merged mapping holds a value its tag cannot hold",
                    node.start_mark,
                ) from None
            return merged
        result: dict[Any, Any] = {}
        self.built[id(node)] = result
        for key_node, value_node in node.value:
            key = self.build(key_node)
            if type(key) is not str:
                self.odd_keys = True
            try:
                duplicate = key in result
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    "found unhashable key",
                    key_node.start_mark,
                ) from None
            if duplicate:
                first = next(k for k, _ in node.value if k.value == key_node.value)
                self.problems.append(_duplicate_key(first, key_node))
            result[key] = self.build(value_node)
        return result


def _duplicate_key(first: Node, again: Node) -> Problem:
    """The problem for a key that ``again`` repeats (``first`` defined it)."""
    line, column = _position(again.start_mark)
    return Problem(
        "yaml.duplicate-key",
        f"duplicate key '{again.value}' (first defined at line {first.start_mark.line + 1})",
        line,
        column,
        "remove one of them: YAML parsers disagree on which one wins",
    )


def parse_text(text: str, limits: Limits) -> Parsed:
    """Parse every document of ``text``; problems are returned, never raised."""
    parsed = Parsed(text)
    if sum(text.count(c) for c in _NESTING_CHARS) > limits.max_depth:
        problem = _check_depth(text, limits.max_depth)
        if problem is not None:
            parsed.problems.append(problem)
            return parsed
    may_alias = "&" in text and "*" in text
    loader = _CheckingLoader(text)
    loader.duplicates = parsed.problems
    recursion_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(recursion_limit, 4 * limits.max_depth + 200))
    try:
        while loader.check_node():
            node = loader.get_node()
            if may_alias:
                problem, added = _check_aliases(node, limits.max_alias_nodes)
                if problem is not None:
                    parsed.problems.append(problem)
                    return parsed
                parsed.alias_nodes += added
            builder = _Builder(loader, parsed.problems)
            try:
                built = builder.build(node)
            except yaml.constructor.ConstructorError as exc:  # this document only
                parsed.problems.append(_from_yaml_error(exc))
                built = UNREADABLE
            parsed.odd_keys |= builder.odd_keys
            parsed.documents.append(built)
            parsed.name_positions.append(_name_position(node))
    except yaml.MarkedYAMLError as exc:
        parsed.problems.append(_from_yaml_error(exc))
    except yaml.YAMLError as exc:
        parsed.problems.append(Problem("yaml.syntax", str(exc)))
    except RecursionError:  # pragma: no cover - depth is bounded before building
        parsed.problems.append(
            Problem("yaml.too-deep", "the YAML nests too deeply to process", hint=_FLATTEN)
        )
    finally:
        sys.setrecursionlimit(recursion_limit)
        loader.dispose()
    return parsed


_FLATTEN = "governance documents are shallow; flatten the structure"


def _name_position(root: Node) -> tuple[int, int]:
    """Where ``metadata.name`` is, noted while parsing: findings point there most often."""
    node: Node | None = root
    for key in ("metadata", "name"):
        if not isinstance(node, MappingNode):
            return (0, 0)
        node = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
    return _position(node.start_mark) if node is not None else (0, 0)


def _check_depth(text: str, max_depth: int) -> Problem | None:
    """Walk the event stream (iterative, no recursion) and stop past ``max_depth``.

    libyaml 0.2.6 (in PyYAML 6.0.3 and later) refuses more than 1,000 levels in its
    scanner, which reads ahead of the events: past that many ``[`` its error comes before
    our level ``max_depth`` is reached. The pure-Python parser has no such limit and no
    recursion, so it finds the exact position, and only such files pay for it.
    """
    try:
        return _first_too_deep(yaml.parse(text, Loader=_Loader), max_depth)
    except yaml.MarkedYAMLError as exc:
        if not _is_depth_error(exc):
            return None  # a syntax error: the real parse reports it with its position
    try:
        return _first_too_deep(yaml.parse(text, Loader=yaml.SafeLoader), max_depth)
    except yaml.YAMLError:
        return None


def _first_too_deep(events: Iterable[yaml.Event], max_depth: int) -> Problem | None:
    depth = 0
    for event in events:
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > max_depth:
                line, column = _position(event.start_mark)
                message = f"nesting deeper than {max_depth} levels"
                return Problem("yaml.too-deep", message, line, column, _FLATTEN)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None


def _is_depth_error(exc: yaml.MarkedYAMLError) -> bool:
    """libyaml's own nesting limit ("exceeded maximum nesting depth"), any PyYAML."""
    return "nesting depth" in (exc.problem or "")


def _check_aliases(root: Node, max_nodes: int) -> tuple[Problem | None, int]:
    """Count the nodes the document would have with every alias expanded, memoised per node.

    Returns the problem (or None) and how many nodes the aliases add.

    Shared nodes are what aliases produce; a cycle is a recursive alias. Iterative, so a
    deep document cannot exhaust the stack here.
    """
    sizes: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            active.discard(key)
            total = 1 + sum(sizes[id(child)] for child in _children(node))
            if total > max_nodes:
                mark = node.start_mark
                return Problem(
                    "yaml.alias-bomb",
                    f"aliases expand this document beyond {max_nodes} nodes",
                    mark.line + 1,
                    mark.column + 1,
                    "write the values out instead of nesting aliases of aliases",
                ), 0
            sizes[key] = total
            continue
        if key in sizes:
            continue
        if key in active:
            mark = node.start_mark
            return Problem(
                "yaml.recursive-alias",
                "an alias refers to a node that contains it",
                mark.line + 1,
                mark.column + 1,
                "remove the recursive alias",
            ), 0
        active.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)
    return None, max(0, sizes.get(id(root), 0) - len(sizes))


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _from_yaml_error(exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or "invalid YAML"
    code, hint = "yaml.syntax", "fix the YAML syntax at this position"
    if isinstance(exc, BadValue):
        code = "yaml.bad-value"
        hint = "quote it to keep it as text, or write a value of that type"
    elif isinstance(exc, yaml.constructor.ConstructorError) and "tag" in problem:
        code = "yaml.unsafe-tag"
        hint = "only plain YAML is accepted: remove the tag (no !!python/... or custom tags)"
    elif _is_depth_error(exc):  # libyaml's 1,000 levels, under a larger limits.max_depth
        code, hint = "yaml.too-deep", _FLATTEN
    message = problem if not exc.context else f"{exc.context}: {problem}"
    line, column = _position(mark)
    return Problem(code, message, line, column, hint)


def _position(mark: Any) -> tuple[int, int]:
    """1-based (line, column) of a libyaml or PyYAML mark; (0, 0) without one."""
    return (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)


def locate(
    text: str, doc_index: int, path: Sequence[str | int], *, key: bool = False
) -> tuple[int, int]:
    """1-based (line, column) of the node at ``path`` in document ``doc_index`` of ``text``.

    With ``key=True`` and a path ending in a mapping key, the key's own position.
    When the path leaves the document, the deepest node found on the way.
    """
    node = _nth_node(text, doc_index)
    if node is None:
        return (1, 1)
    mark = node.start_mark
    for step in path:
        child = _child(node, step, key=key and step == path[-1])
        if child is None:
            break
        node = child
        mark = node.start_mark
    return (mark.line + 1, mark.column + 1)


@lru_cache(maxsize=32)
def _nth_node(text: str, doc_index: int) -> Node | None:
    loader = _Loader(text)
    try:
        for index in range(doc_index + 1):
            if not loader.check_node():
                return None
            node = loader.get_node()
            if index == doc_index:
                return node  # type: ignore[no-any-return]
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()
    return None


def _child(node: Node, step: str | int, *, key: bool) -> Node | None:
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.value == str(step):
                return key_node if key else value_node
        return None
    if isinstance(node, SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
        child: Node = node.value[step]
        return child
    return None


#: Byte order marks, longest first (UTF-32's LE mark starts with UTF-16's).
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xef\xbb\xbf", "utf-8"),
)


def encoding_of(data: bytes) -> tuple[str, int]:
    """``(codec, BOM length)``: by byte order mark, else by the YAML spec's null pattern."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec, len(bom)
    head = data[:4]
    if len(head) == 4 and head[:3] == b"\x00\x00\x00" and head[3]:
        return "utf-32-be", 0
    if len(head) == 4 and head[0] and head[1:] == b"\x00\x00\x00":
        return "utf-32-le", 0
    if len(head) >= 2 and not head[0] and head[1]:
        return "utf-16-be", 0
    if len(head) >= 2 and head[0] and not head[1]:
        return "utf-16-le", 0
    return "utf-8", 0


def decode(data: bytes) -> tuple[str | None, Problem | None]:
    """The text of a file: UTF-8, or UTF-16/UTF-32 (with or without a BOM), as YAML allows.

    Anything else (binary content, invalid sequences) is the problem that prevents it.
    """
    codec, skip = encoding_of(data)
    if codec == "utf-8" and b"\x00" in data:
        return None, _binary()
    try:
        text = data[skip:].decode(codec)
    except UnicodeDecodeError as exc:
        at = skip + exc.start
        line = data[:at].count(b"\n" if codec == "utf-8" else "\n".encode(codec)) + 1
        return None, Problem(
            "file.encoding",
            f"not valid {codec.upper().replace('-LE', '').replace('-BE', '')} "
            f"(byte 0x{data[at]:02x} at offset {at})",
            line,
            0,
            "save the file as UTF-8",
        )
    if "\x00" in text:
        return None, _binary()
    return text.removeprefix("\ufeff"), None


def _binary() -> Problem:
    return Problem(
        "file.binary", "binary content, not a YAML text file", hint="remove or rename it"
    )
