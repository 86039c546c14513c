"""The smcat reader: smcat text -> (Chart, diagnostics).

Stage 1 of the pipeline (`read(data, name)`, and `parse(text, file)` for text). It builds the Lark
LALR parser for `grammars/smcat.lark` once, turns the parse tree into the IR (reading spans from
the tokens), and runs the resolution passes of `resolve.py` that state-machine-cat applies after
parsing. It never raises on bad input: every problem becomes a `Diagnostic`. It imports no emitter.

smcat's naming, label and activity rules are not here: they live, lark-free and beside their
inverses, in `notation.py`, which the YAML reader and the emitters share.
"""

from __future__ import annotations

import contextvars
import functools
import importlib.util
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lark import Lark, Token
from lark.exceptions import UnexpectedInput

from ...runtime.compiling import gc_paused
from ..diagnostics import Diagnostic, Severity
from ..ir import (
    MAX_NESTING,
    Chart,
    Comment,
    Region,
    Span,
    State,
    StateKind,
    Transition,
    TransitionKind,
)
from ..notation import (
    COLOR_CHARS,
    MAX_WIDTH,
    js_trim,
    kind_from_name,
    split_activities,
    split_label,
    unquote,
)
from . import resolve
from . import smcat_declarations as declared
from .smcat_errors import syntax_error


def accelerated() -> bool:
    """True when lark-cython runs the lexer and parser (set STATEWRIGHT_PURE_LARK=1 to opt out).

    lark-cython compiles lark's LALR lexer and parser loop; it reads the same grammar and
    tables, so the result is the same, about twice as fast. Without it, plain lark runs.
    """
    if os.environ.get("STATEWRIGHT_PURE_LARK"):
        return False
    return importlib.util.find_spec("lark_cython") is not None


@functools.cache
def _parser() -> Lark:
    """The parser, built once. It calls `_Builder` as it reduces (no parse tree is built)."""
    from ... import grammars

    text = (Path(grammars.__file__).parent / "smcat.lark").read_text(encoding="utf-8")
    options: dict[str, object] = {}
    if accelerated():
        import lark_cython

        options["_plugins"] = lark_cython.plugins
    return Lark(
        text,
        start=["start", "declaration_body"],
        parser="lalr",
        lexer="contextual",
        propagate_positions=False,
        maybe_placeholders=False,
        transformer=_Builder(),
        lexer_callbacks={"COMMENT": _comment},
        cache=_cache_file(bool(options)),
        **options,
    )


def _cache_file(accelerated: bool) -> str | bool:
    """Where lark keeps the analysed grammar (its LALR tables) between runs: a file in the
    user's own cache folder (`$XDG_CACHE_HOME/statewright`, else `~/.cache/statewright`), made
    private; lark checks the grammar's hash inside it and rebuilds a stale one. Never lark's
    default, a predictable name in the shared temporary folder, whose pickle another local
    user could plant. False (no cache: the tables are built each run) when there is no such
    folder that only this user can write."""
    import lark

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "statewright")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        status = os.stat(folder)
    except OSError:
        return False
    getuid = getattr(os, "getuid", None)
    if getuid is not None and (status.st_uid != getuid() or status.st_mode & 0o022):
        return False
    flavour = "-cython" if accelerated else ""
    python = f"{sys.version_info[0]}{sys.version_info[1]}"
    return os.path.join(folder, f"smcat-lark{lark.__version__}-py{python}{flavour}.cache")


def _comment(token: Token) -> Token:
    """Keep each comment the lexer skips, with its place, for the formatter."""
    _CONTEXT.get().comments.append(token)
    return token


@dataclass
class _Context:
    file: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    shadowed: list[State] = field(default_factory=list)
    comments: list[Token] = field(default_factory=list)
    declared: declared.Declarations = field(default_factory=lambda: declared.Declarations())
    next_id: int = 1
    too_deep: tuple[str, Span] | None = None

    def span(self, first: Token, last: Token | None = None) -> Span:
        if last is None:
            last = first
        return Span(
            self.file,
            first.line or 0,
            first.column or 0,
            last.end_line or 0,
            last.end_column or 0,
        )

    def error(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, Severity.ERROR, message, span, hint))


@dataclass(frozen=True)
class _Region:
    region: Region
    depth: int
    opening: Token


_CONTEXT: contextvars.ContextVar[_Context] = contextvars.ContextVar("smcat_parse_context")


class _Builder:
    """Reductions -> IR, called by the LALR parser as it goes (lark's inline transformer).

    It collects problems in the parse's context instead of raising: lark would wrap an
    exception, and one bad attribute must not hide the rest of the chart.
    """

    @property
    def ctx(self) -> _Context:
        return _CONTEXT.get()

    # -- structure -----------------------------------------------------------------------------

    def start(self, children: list[tuple[Region, int]]) -> Region:
        return children[0][0]

    # -- declared data (`//@` lines: compiler/read/smcat_declarations.py) -------------------------

    def declaration(self, children: list[Token]) -> None:
        declared.read(children[0], self.ctx.declared, _declaration_body, self.ctx.span)

    context_declaration = staticmethod(declared.context_declaration)
    event_declaration = staticmethod(declared.event_declaration)
    decl_field = staticmethod(declared.decl_field)
    decl_value = staticmethod(declared.decl_value)
    decl_list = staticmethod(declared.decl_list)
    decl_dict = staticmethod(declared.decl_dict)
    decl_pair = staticmethod(declared.decl_pair)
    decl_event = staticmethod(declared.first)

    def machine(self, children: list[object]) -> tuple[Region, int]:
        states: tuple[State, ...] = ()
        transitions: list[Transition] = []
        depth = 0
        for child in children:
            if child is None:  # a declaration (kept in the context)
                continue
            if isinstance(child, _StateList):
                states = child.states
                depth = child.depth
            else:
                assert isinstance(child, Transition)
                transitions.append(child)
        return Region(states, tuple(transitions)), depth

    def state_list(self, children: list[tuple[State, int]]) -> _StateList:
        # A later declaration of a name replaces an earlier one in place (smcat's `uniq`).
        order: dict[str, int] = {}
        states: list[State] = []
        depth = 0
        for state, state_depth in children:
            depth = max(depth, state_depth)
            if state.name in order:
                self.ctx.shadowed.append(states[order[state.name]])
                states[order[state.name]] = state
            else:
                order[state.name] = len(states)
                states.append(state)
        return _StateList(tuple(states), depth)

    def region(self, children: list[Any]) -> _Region:
        opening: Token = children[0]
        inner: tuple[Region, int] = children[1]
        return _Region(inner[0], inner[1] + 1, opening)

    def state(self, children: list[object]) -> tuple[State, int]:
        notes: tuple[str, ...] = children[0]  # type: ignore[assignment]
        name_token: Token = children[1]  # type: ignore[assignment]
        name = _name(name_token)
        fields: dict[str, object] = {"kind": kind_from_name(name)}
        depth = 0
        for child in children[2:]:
            if isinstance(child, _Attributes):
                fields.update(child.values)
                if child.kind_explicit:
                    fields["kind_explicit"] = True
            elif isinstance(child, _Text):
                if child.text:
                    fields["actions"] = split_activities(child.text)
            elif isinstance(child, _Region):
                depth = child.depth
                if depth > MAX_NESTING:
                    # Enclosing states reduce later and overwrite this: the report names the
                    # outermost one. Their contents are dropped, so no later stage recurses deep.
                    self.ctx.too_deep = (name, self.ctx.span(name_token))
                    fields["region"] = Region()
                else:
                    fields["region"] = child.region
        state = State(
            name=name,
            notes=notes,
            span=_CONTEXT.get().span(name_token),
            **fields,  # type: ignore[arg-type]
        )
        return state, depth

    def transition(self, children: list[object]) -> Transition:
        notes: tuple[str, ...] = children[0]  # type: ignore[assignment]
        first: Token = children[1]  # type: ignore[assignment]
        arrow: Token = children[2]  # type: ignore[assignment]
        second: Token = children[3]  # type: ignore[assignment]
        end: Token = children[-1]  # type: ignore[assignment]
        if arrow.type == "FORWARD_ARROW":
            source, target = first, second
        else:
            source, target = second, first
        fields: dict[str, object] = {}
        for child in children[4:-1]:
            if isinstance(child, _Text) and child.text:
                event, guard, action = split_label(child.text)
                fields.update(label=child.text, event=event, guard=guard, action=action)
            elif isinstance(child, _Attributes):
                fields.update(child.values)
        ctx = _CONTEXT.get()
        transition = Transition(
            id=ctx.next_id,
            source=_name(source),
            target=_name(target),
            notes=notes,
            span=ctx.span(first, end),
            source_span=ctx.span(source),
            target_span=ctx.span(target),
            **fields,  # type: ignore[arg-type]
        )
        ctx.next_id += 1
        return transition

    def notes(self, children: list[Token]) -> tuple[str, ...]:
        if not children:
            return ()
        return tuple(js_trim(token.value[1:]) for token in children)

    # -- text ----------------------------------------------------------------------------------

    def activities(self, children: list[Token]) -> _Text:
        return _Text(_text(children[1:]))

    def label(self, children: list[Token]) -> _Text:
        return _Text(_text(children[1:]))

    # -- attributes ----------------------------------------------------------------------------

    def state_attrs(self, children: list[tuple[str, object, Token]]) -> _Attributes:
        return self._attributes(children)

    def transition_attrs(self, children: list[tuple[str, object, Token]]) -> _Attributes:
        return self._attributes(children)

    def _attributes(self, children: list[tuple[str, object, Token]]) -> _Attributes:
        values: dict[str, object] = {}
        explicit = False
        for key, value, _token in children:
            if key == "kind" and isinstance(value, StateKind):
                explicit = True
            # smcat sets an attribute only when its value is truthy: `label=""` and `width=0`
            # leave the attribute unset.
            if value:
                values[key] = value
        return _Attributes(values, explicit)

    def attr_label(self, children: list[Token]) -> tuple[str, object, Token]:
        return "label", unquote(children[1].value), children[1]

    def attr_color(self, children: list[Token]) -> tuple[str, object, Token]:
        value = unquote(children[1].value)
        if children[1].type == "QUOTED" and not COLOR_CHARS.fullmatch(value):
            self.ctx.error(
                "P005",
                f"transition color `{value}` has characters state-machine-cat does not accept",
                self.ctx.span(children[1]),
                'use a colour name or a hex value, like "red" or "#ff0000"',
            )
        return "color", value, children[1]

    def attr_class(self, children: list[Token]) -> tuple[str, object, Token]:
        return "css_class", children[1].value[1:-1], children[1]

    def attr_active(self, children: list[Token]) -> tuple[str, object, Token]:
        return "active", True, children[0]

    def attr_type(self, children: list[Token]) -> tuple[str, object, Token]:
        token = children[1]
        if token.type == "STATE_TYPE":
            return "kind", StateKind(token.value), token
        return "kind", TransitionKind(token.value), token

    def attr_width(self, children: list[Token]) -> tuple[str, object, Token]:
        token = children[1]
        value = float(token.value)
        if value > MAX_WIDTH:
            self.ctx.error(
                "P006",
                f"transition width {token.value} is more than {MAX_WIDTH}",
                self.ctx.span(token),
                f"use a width from 0 to {MAX_WIDTH}",
            )
        return "width", value, token


@dataclass(frozen=True)
class _StateList:
    states: tuple[State, ...]
    depth: int


@dataclass(frozen=True)
class _Text:
    text: str


@dataclass(frozen=True)
class _Attributes:
    values: dict[str, object]
    kind_explicit: bool


def _name(token: Token) -> str:
    return unquote(token.value) if token.type == "QUOTED" else str(token.value)


def _text(tokens: list[Token]) -> str:
    """The value of free text after `:`: quoted text as written, bare text trimmed."""
    if not tokens:
        return ""
    token = tokens[0]
    return unquote(token.value) if token.type == "QUOTED" else js_trim(token.value)


# -- entry points -----------------------------------------------------------------------------


def read(data: bytes, name: str) -> tuple[Chart | None, list[Diagnostic]]:
    """smcat bytes -> the chart (None when the text cannot be read) and every diagnostic: the
    reader's interface (`read/__init__.py`). Bytes that are not UTF-8 give P001."""
    text, diagnostics = decode(data, name)
    if text is None:
        return None, diagnostics
    chart, found = parse(text, name)
    return chart, diagnostics + found


def decode(data: bytes, name: str) -> tuple[str | None, list[Diagnostic]]:
    """Bytes -> text; a file that is not UTF-8 gives P001 at its first bad byte."""
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        return None, [
            Diagnostic(
                "P001",
                Severity.ERROR,
                f"the file is not UTF-8 text (byte 0x{data[error.start]:02x} at offset "
                f"{error.start})",
                Span(name, line, column, line, column + 1),
                "save the file as UTF-8",
            )
        ]


def parse(text: str, file: str = "<input>") -> tuple[Chart | None, list[Diagnostic]]:
    """Parse smcat text into a chart.

    Args:
        text: the source. A leading byte-order mark is skipped.
        file: the name diagnostics use for the source.

    Returns:
        The chart (None when the text has a syntax error) and every diagnostic found.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    context = _Context(file)
    token = _CONTEXT.set(context)
    try:
        with gc_paused():
            machine = _parser().parse(text, start="start")
    except UnexpectedInput as error:
        return None, [syntax_error(error, text, file, _parse_example)]
    finally:
        _CONTEXT.reset(token)
    assert isinstance(machine, Region)
    if context.too_deep is not None:
        name, span = context.too_deep
        context.error(
            "P004",
            f"state `{name}` holds composite states nested more than {MAX_NESTING} levels deep",
            span,
            "flatten the hierarchy; statewright refuses deeper nesting",
        )
    declared.misplaced(context.comments, context.declared, context.span)
    context.diagnostics += context.declared.diagnostics()
    chart = Chart(
        machine,
        file,
        tuple(context.shadowed),
        _comments(context, text),
        context=tuple(context.declared.context),
        signatures=tuple(context.declared.signatures),
    )
    chart = resolve.resolve(chart)
    return chart, context.diagnostics


def _comments(context: _Context, text: str) -> tuple[Comment, ...]:
    lines = text.splitlines()
    found = []
    for token in context.comments:
        line = lines[token.line - 1] if token.line and token.line <= len(lines) else ""
        before = line[: (token.column or 1) - 1]
        value = str(token.value)
        end_line = (token.line or 0) + value.count("\n")
        end_column = (
            len(value) - value.rfind("\n") if "\n" in value else (token.column or 0) + len(value)
        )
        span = Span(context.file, token.line or 0, token.column or 0, end_line, end_column)
        found.append(Comment(value, span, trailing=bool(before.strip())))
    return tuple(found)


def _declaration_body(body: str) -> object:
    """The text of one `//@` line, parsed with the grammar's `declaration_body` rule."""
    return _parser().parse(body, start="declaration_body")


def _parse_example(text: str) -> object:
    """Parse with a throw-away context: used to recognise known mistakes by parser state."""
    token = _CONTEXT.set(_Context("<example>"))
    try:
        return _parser().parse(text, start="start")
    finally:
        _CONTEXT.reset(token)
