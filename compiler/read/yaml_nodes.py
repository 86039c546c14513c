"""Read untrusted YAML into a small node tree with source positions, bounded in time and memory.

Shared by the YAML chart reader (`yaml_chart.py`) and the project file reader
(`tools/build/project.py`).
It never constructs Python objects from tags (so no `!!python/...` can run), and it builds the
tree itself from PyYAML's event stream instead of calling PyYAML's composer:

- the composer recurses once per nesting level (a deep document overflows the stack); this
  builder keeps its own stack and refuses documents nested deeper than `MAX_DEPTH`;
- an alias shares its anchor's node, so a "billion laughs" document is small as a tree and
  enormous when walked: every node records how many nodes it stands for once aliases are
  expanded, and a document over `MAX_NODES` is refused as soon as it gets there; an alias to a
  node that is still open (a recursive structure) is refused;
- documents over `MAX_BYTES` are refused before parsing; explicit tags other than the YAML
  core schema's are refused; a stream with several documents is refused.

Scalars keep their text and the tag YAML's resolver gives them (str, int, float, bool, null),
so readers can tell `on` (a boolean to YAML 1.1) from `"on"` and say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml import events
from yaml.resolver import Resolver

from ..errors import SpannedError
from ..ir import Span

MAX_BYTES = 10 * 1024 * 1024
MAX_DEPTH = 1000
MAX_NODES = 1_000_000

_CORE = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL = (f"{_CORE}{t}" for t in ("str", "int", "float", "bool", "null"))
_ALLOWED_SCALAR_TAGS = frozenset({STR, INT, FLOAT, BOOL, NULL})


class YamlError(SpannedError):
    """The document cannot be read: `span` says where."""


@dataclass(eq=False)
class Node:
    span: Span
    #: how many nodes this one stands for with aliases expanded (itself included)
    size: int = 1


@dataclass(eq=False)
class Scalar(Node):
    value: str = ""
    tag: str = STR
    #: written without quotes (so its tag came from YAML's resolver, not the author)
    plain: bool = True

    def as_python(self) -> object:
        """The value `yaml.safe_load` would give."""
        if self.tag == NULL:
            return None
        if self.tag == BOOL:
            return self.value.lower() in ("yes", "true", "on", "y")
        if self.tag in (INT, FLOAT):
            loader = yaml.SafeLoader("")
            node = yaml.ScalarNode(self.tag, self.value)
            try:
                number = loader.construct_object(node)
            except ValueError:  # an integer of more digits than Python converts
                return float("-inf") if self.value.lstrip().startswith("-") else float("inf")
            if isinstance(number, int) and number.bit_length() > 1024:
                return float("inf") if number > 0 else float("-inf")  # beyond any float
            return number
        return self.value


@dataclass(eq=False)
class Sequence(Node):
    items: list[Node] = field(default_factory=list)


@dataclass(eq=False)
class Mapping(Node):
    pairs: list[tuple[Scalar, Node]] = field(default_factory=list)
    #: key text -> its pair's index (keys are unique: the builder refuses a second one)
    index: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.pairs and not self.index:  # built by hand, not by the reader
            for position, (key, _) in enumerate(self.pairs):
                self.index.setdefault(key.value, position)

    def get(self, key: str) -> Node | None:
        position = self.index.get(key)
        return None if position is None else self.pairs[position][1]


def _loader_class() -> type:
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML has it


def check_size(size: int, file: str) -> None:
    """Refuse a document of `size` bytes before reading it when it is over `MAX_BYTES`."""
    if size > MAX_BYTES:
        raise YamlError(
            f"the document is {size} bytes; the limit is {MAX_BYTES}",
            Span(file, 1, 1, 1, 2),
            "split the file into several",
        )


def read(data: bytes | str, file: str) -> Node | None:
    """Parse one YAML document into nodes; None for an empty document. Raises `YamlError`."""
    check_size(len(data.encode("utf-8") if isinstance(data, str) else data), file)
    if isinstance(data, str):
        return _Builder(file).build(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        raise YamlError(
            f"the file is not UTF-8 text (byte 0x{data[error.start]:02x})",
            Span(file, line, column, line, column + 1),
            "save the file as UTF-8",
        ) from None
    return _Builder(file).build(text)


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.resolver = Resolver()
        self.anchors: dict[str, Node] = {}
        self.open: set[int] = set()  # ids of the collections not yet closed
        self.total = 0

    def span(self, start: Any, end: Any = None) -> Span:
        """The span between two of PyYAML's marks (the C and Python parsers have their own
        mark classes; both have 0-based `line` and `column`)."""
        end = end or start
        return Span(self.file, start.line + 1, start.column + 1, end.line + 1, end.column + 1)

    def build(self, text: str) -> Node | None:
        # A byte-order mark is not a column: positions count from the first character after it
        # (as for smcat text), so carets line up under the text as editors show it.
        text = text.removeprefix("\ufeff")
        stack: list[Node] = []
        pending_key: list[Scalar | None] = []
        root: Node | None = None
        documents = 0
        try:
            for event in yaml.parse(text, Loader=_loader_class()):
                if isinstance(event, events.DocumentStartEvent):
                    documents += 1
                    if documents > 1:
                        raise YamlError(
                            "the file holds more than one YAML document",
                            self.span(event.start_mark),
                            "keep one chart per file (remove the `---` line)",
                        )
                    continue
                node: Node | None = None
                if isinstance(event, events.ScalarEvent):
                    node = self._scalar(event)
                elif isinstance(event, events.AliasEvent):
                    node = self._alias(event)
                elif isinstance(event, events.SequenceStartEvent | events.MappingStartEvent):
                    stack.append(self._collection(event, len(stack)))
                    pending_key.append(None)
                    continue
                elif isinstance(event, events.SequenceEndEvent | events.MappingEndEvent):
                    node = stack.pop()
                    pending_key.pop()
                    self.open.discard(id(node))
                    end = self.span(event.end_mark)
                    node.span = Span(
                        self.file, node.span.line, node.span.column, end.line, end.column
                    )
                else:
                    continue
                if not stack:
                    root = node
                    continue
                pending_key[-1] = _attach(stack[-1], node, pending_key[-1])
        except yaml.MarkedYAMLError as error:
            raise self._not_yaml(error, text) from None
        except yaml.YAMLError as error:
            raise YamlError(f"not valid YAML: {error}", Span(self.file, 1, 1, 1, 2)) from None
        return root

    def _collection(
        self, event: events.SequenceStartEvent | events.MappingStartEvent, depth: int
    ) -> Node:
        """An empty sequence or mapping, opened at `depth` (its tag, depth and count checked,
        its anchor kept)."""
        collection: Node = (
            Sequence(self.span(event.start_mark))
            if isinstance(event, events.SequenceStartEvent)
            else Mapping(self.span(event.start_mark))
        )
        self._check_tag(event.tag, event, sequence=isinstance(collection, Sequence))
        if depth >= MAX_DEPTH:
            raise YamlError(
                f"the document nests more than {MAX_DEPTH} levels deep",
                self.span(event.start_mark),
            )
        self._count(1, event)
        if event.anchor:
            self.anchors[event.anchor] = collection
        self.open.add(id(collection))
        return collection

    def _not_yaml(self, error: yaml.MarkedYAMLError, text: str) -> YamlError:
        """PyYAML's error, in our words, at its position (a tab in the indent gets a hint)."""
        mark = error.problem_mark or error.context_mark
        span = self.span(mark) if mark is not None else Span(self.file, 1, 1, 1, 2)
        problem = error.problem or error.context or "not YAML"
        if "nesting depth" in problem:
            # libyaml stops deep nesting itself, a token before the builder would: the same
            # limit, reported in our words
            return YamlError(f"the document nests more than {MAX_DEPTH} levels deep", span)
        lines = text.splitlines()
        line = lines[span.line - 1] if 0 < span.line <= len(lines) else ""
        indent = line[: len(line) - len(line.lstrip())]
        hint = "YAML indents with spaces, not tabs" if "\t" in indent else None
        return YamlError(f"not valid YAML: {problem}", span, hint)

    def _count(self, nodes: int, event: events.Event) -> None:
        self.total += nodes
        if self.total > MAX_NODES:
            raise YamlError(
                f"the document stands for more than {MAX_NODES:,} values once its aliases are "
                "expanded",
                self.span(event.start_mark),
                "aliases (`*name`) repeat what their anchor holds; a chart needs few of them",
            )

    def _check_tag(self, tag: str | None, event: events.NodeEvent, *, sequence: bool) -> None:
        if tag is None or tag == "!":
            return
        allowed = f"{_CORE}seq" if sequence else f"{_CORE}map"
        if tag != allowed:
            raise YamlError(
                f"the tag `{tag}` is not allowed; a chart file holds plain YAML values only",
                self.span(event.start_mark, event.end_mark),
                "remove the tag",
            )

    def _scalar(self, event: events.ScalarEvent) -> Scalar:
        self._count(1, event)
        plain = event.implicit[0]
        if event.tag is not None and event.tag != "!" and not plain:
            tag = event.tag
            if tag not in _ALLOWED_SCALAR_TAGS:
                raise YamlError(
                    f"the tag `{tag}` is not allowed; a chart file holds plain YAML values only",
                    self.span(event.start_mark, event.end_mark),
                    "remove the tag",
                )
        elif plain:
            tag = self.resolver.resolve(  # type: ignore[no-untyped-call]
                yaml.ScalarNode, event.value, (True, False)
            )
        else:
            tag = STR
        node = Scalar(
            self.span(event.start_mark, event.end_mark),
            value=event.value,
            tag=tag,
            plain=plain and not event.style,
        )
        if event.anchor:
            self.anchors[event.anchor] = node
        return node

    def _alias(self, event: events.AliasEvent) -> Node:
        anchor = event.anchor
        target = self.anchors.get(anchor) if anchor is not None else None
        if target is None:
            raise YamlError(
                f"the alias `*{anchor}` names no anchor before it", self.span(event.start_mark)
            )
        if id(target) in self.open:
            raise YamlError(
                f"the alias `*{anchor}` is inside its own anchor (a recursive structure)",
                self.span(event.start_mark),
            )
        self._count(target.size, event)
        return target


def _attach(parent: Node, node: Node, key: Scalar | None) -> Scalar | None:
    """Put a finished node in its parent: a sequence's next item, a mapping's key or (after a
    key) its value; the mapping's key still waiting for its value, or None."""
    parent.size += node.size
    if isinstance(parent, Sequence):
        parent.items.append(node)
        return key
    assert isinstance(parent, Mapping)
    if key is None:
        if not isinstance(node, Scalar):
            raise YamlError("a mapping key must be plain text", node.span, "write `key: value`")
        return node
    earlier = parent.index.setdefault(key.value, len(parent.pairs))
    if earlier != len(parent.pairs):
        raise YamlError(
            f"the key `{key.value}` appears twice in one mapping",
            key.span,
            f"the first is on line {parent.pairs[earlier][0].span.line}",
        )
    parent.pairs.append((key, node))
    return None
