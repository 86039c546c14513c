"""Parse: smcat text -> (Chart, diagnostics).

Stage 1 of the pipeline. It builds the Lark LALR parser for `grammars/smcat.lark` once, turns the
parse tree into the IR (reading spans from the tokens), and runs the resolution passes of
`resolve.py` that state-machine-cat applies after parsing. It never raises on bad input: every
problem becomes a `Diagnostic`. It imports nothing from the emitters.

The table that derives a state's kind from its name, and the two patterns with which smcat splits
a transition label and a state's activities, live here and nowhere else.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from dataclasses import dataclass, field

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.visitors import Transformer_NonRecursive

from . import resolve
from .diagnostics import Diagnostic, Severity
from .ir import (
    Action,
    ActionKind,
    Chart,
    Machine,
    Span,
    State,
    StateKind,
    Transition,
    TransitionKind,
)

#: Composite states nested deeper than this are refused with P004: later stages walk the
#: hierarchy recursively, and no hand-written chart comes near it.
MAX_NESTING = 100

# JavaScript's `\s` and `String.prototype.trim` set, which smcat's patterns rely on.
_JS_SPACE = "\t\n\x0b\x0c\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_JS_TRIM = "".join(
    chr(c) for c in [9, 10, 11, 12, 13, 32, 0xA0, 0x1680, *range(0x2000, 0x200B)]
) + "\u2028\u2029\u202f\u205f\u3000\ufeff"

# Name -> kind, first match wins (state-machine-cat derives types from substrings of names).
_KIND_BY_NAME: tuple[tuple[re.Pattern[str], StateKind], ...] = (
    (re.compile("initial"), StateKind.INITIAL),
    (re.compile("final"), StateKind.FINAL),
    (re.compile("parallel"), StateKind.PARALLEL),
    (re.compile("(deep[^\n\r\u2028\u2029]*history)|(history[^\n\r\u2028\u2029]*deep)"),
     StateKind.DEEP_HISTORY),
    (re.compile("history"), StateKind.HISTORY),
    (re.compile(r"^\^"), StateKind.CHOICE),
    (re.compile(r"^\]"), StateKind.FORKJOIN),
)

# A transition label: `event [guard] / action`, every part optional, cut at smcat's lengths.
_LABEL_PARTS = re.compile(
    r"(?P<event>[^\[/]{1,256})?(?P<cond>\[[^\]]{1,256}\])?[^/]{0,100}"
    r"(?P<action>/[^\n\r\u2028\u2029]{1,2048})?"
)
# A line of activities: `entry/ body`, `exit/ body`, `activity/ body`, else free text.
_ACTIVITY_LINE = re.compile(
    rf"(?P<trigger>entry|activity|exit)[{_JS_SPACE}]{{0,100}}/[{_JS_SPACE}]{{0,100}}"
    r"(?P<body>[^\n$]{0,2048})(?:\n|\Z)"
)
_ACTIVITY_BREAK = re.compile(rf"\n[{_JS_SPACE}]*")

# smcat's AST schema only admits these transition colours and widths.
_TRANSITION_COLOR = re.compile(r"[a-zA-Z0-9#,.:; ]*")
MAX_WIDTH = 30


def js_trim(text: str) -> str:
    """Trim as JavaScript's `String.prototype.trim` does."""
    return text.strip(_JS_TRIM)


def kind_from_name(name: str) -> StateKind:
    """The kind state-machine-cat gives a state from its name alone."""
    for pattern, kind in _KIND_BY_NAME:
        if pattern.search(name):
            return kind
    return StateKind.REGULAR


def split_label(label: str) -> tuple[str | None, str | None, str | None]:
    """Split a transition label into (event, guard, action), as state-machine-cat does."""
    match = _LABEL_PARTS.match(label)
    assert match is not None  # every part is optional: it always matches
    event, cond, action = match.group("event", "cond", "action")
    return (
        js_trim(event) if event else None,
        js_trim(cond[1:-1]) if cond else None,
        js_trim(action[1:]) if action else None,
    )


def split_activities(text: str) -> tuple[Action, ...]:
    """Split a state's activity text into actions, one per line."""
    actions = []
    for raw in _ACTIVITY_BREAK.split(text):
        line = js_trim(raw)
        match = _ACTIVITY_LINE.match(line)
        if match:
            actions.append(Action(ActionKind(match.group("trigger")), match.group("body")))
        else:
            actions.append(Action(ActionKind.ACTIVITY, line))
    return tuple(actions)


def unquote(token: str) -> str:
    """The text of a QUOTED token: without the quotes, with `\\"` read as `"`."""
    return token[1:-1].replace('\\"', '"')


@functools.cache
def _parser() -> Lark:
    grammar = importlib.resources.files("statewright.grammars").joinpath("smcat.lark")
    return Lark(
        grammar.read_text(encoding="utf-8"),
        parser="lalr",
        lexer="contextual",
        propagate_positions=False,
        maybe_placeholders=False,
        cache=True,
    )


@dataclass
class _Context:
    file: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    shadowed: list[State] = field(default_factory=list)
    next_id: int = 1

    def span(self, first: Token, last: Token | None = None) -> Span:
        last = last or first
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
    machine: Machine
    depth: int
    opening: Token


class _Builder(Transformer_NonRecursive):  # type: ignore[misc]
    """Parse tree -> IR. Collects problems in the context instead of raising."""

    def __init__(self, context: _Context) -> None:
        super().__init__(visit_tokens=False)
        self.ctx = context

    # -- structure -----------------------------------------------------------------------------

    def start(self, children: list[tuple[Machine, int]]) -> Machine:
        return children[0][0]

    def machine(self, children: list[object]) -> tuple[Machine, int]:
        states: tuple[State, ...] = ()
        transitions: list[Transition] = []
        depth = 0
        for child in children:
            if isinstance(child, _StateList):
                states = child.states
                depth = child.depth
            else:
                assert isinstance(child, Transition)
                transitions.append(child)
        return Machine(states, tuple(transitions)), depth

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

    def region(self, children: list[object]) -> _Region:
        opening = children[0]
        machine, depth = children[1]  # type: ignore[misc]
        assert isinstance(opening, Token) and isinstance(machine, Machine)
        return _Region(machine, depth + 1, opening)

    def state(self, children: list[object]) -> tuple[State, int]:
        notes: tuple[str, ...] = children[0]  # type: ignore[assignment]
        name_token = children[1]
        assert isinstance(name_token, Token)
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
                    if depth == MAX_NESTING + 1:
                        self.ctx.error(
                            "P004",
                            f"composite states are nested more than {MAX_NESTING} levels deep",
                            self.ctx.span(child.opening),
                            "flatten the hierarchy; statewright refuses deeper nesting",
                        )
                    fields["machine"] = Machine()
                else:
                    fields["machine"] = child.machine
        state = State(
            name=name,
            notes=notes,
            span=self.ctx.span(name_token),
            **fields,  # type: ignore[arg-type]
        )
        return state, depth

    def transition(self, children: list[object]) -> Transition:
        notes: tuple[str, ...] = children[0]  # type: ignore[assignment]
        first, arrow, second = children[1], children[2], children[3]
        assert isinstance(first, Token) and isinstance(arrow, Token) and isinstance(second, Token)
        end = children[-1]
        assert isinstance(end, Token)
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
        transition = Transition(
            id=self.ctx.next_id,
            source=_name(source),
            target=_name(target),
            notes=notes,
            span=self.ctx.span(first, end),
            source_span=self.ctx.span(source),
            target_span=self.ctx.span(target),
            **fields,  # type: ignore[arg-type]
        )
        self.ctx.next_id += 1
        return transition

    def notes(self, children: list[Token]) -> tuple[str, ...]:
        return tuple(js_trim(token[1:]) for token in children)

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
        return "label", unquote(children[1]), children[1]

    def attr_color(self, children: list[Token]) -> tuple[str, object, Token]:
        value = unquote(children[1])
        if children[1].type == "QUOTED" and not _TRANSITION_COLOR.fullmatch(value):
            self.ctx.error(
                "P005",
                f"transition color `{value}` has characters state-machine-cat does not accept",
                self.ctx.span(children[1]),
                'use a colour name or a hex value, like "red" or "#ff0000"',
            )
        return "color", value, children[1]

    def attr_class(self, children: list[Token]) -> tuple[str, object, Token]:
        return "css_class", children[1][1:-1], children[1]

    def attr_active(self, children: list[Token]) -> tuple[str, object, Token]:
        return "active", True, children[0]

    def attr_type(self, children: list[Token]) -> tuple[str, object, Token]:
        token = children[1]
        if token.type == "STATE_TYPE":
            return "kind", StateKind(str(token)), token
        return "kind", TransitionKind(str(token)), token

    def attr_width(self, children: list[Token]) -> tuple[str, object, Token]:
        token = children[1]
        value = float(token)
        if value > MAX_WIDTH:
            self.ctx.error(
                "P006",
                f"transition width {token} is more than {MAX_WIDTH}",
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
    return unquote(token) if token.type == "QUOTED" else str(token)


def _text(tokens: list[Token]) -> str:
    """The value of free text after `:`: quoted text as written, bare text trimmed."""
    if not tokens:
        return ""
    token = tokens[0]
    return unquote(token) if token.type == "QUOTED" else js_trim(token)


# -- entry point ------------------------------------------------------------------------------


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
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as error:
        return None, [syntax_error(error, text, file)]
    context = _Context(file)
    machine = _Builder(context).transform(tree)
    assert isinstance(machine, Machine)
    chart = Chart(machine, file, tuple(context.shadowed))
    chart = resolve.resolve(chart)
    return chart, context.diagnostics


# -- syntax errors ----------------------------------------------------------------------------

_WORDS = {
    "IDENTIFIER": "a state name",
    "QUOTED": "a quoted string",
    "COLOR_STRING": 'a colour in double quotes, like "red" or "#ff0000"',
    "CLASS_STRING": 'class names in double quotes, like "warning big"',
    "STATE_TEXT": "the state's activities",
    "LABEL_TEXT": "the transition's label",
    "NOTE": "a note (`# ...`)",
    "COLON": "`:`",
    "SEMICOLON": "`;`",
    "COMMA": "`,`",
    "LBRACE": "`{`",
    "RBRACE": "`}`",
    "LSQB": "`[`",
    "RSQB": "`]`",
    "EQUAL": "`=`",
    "FORWARD_ARROW": "an arrow like `=>`",
    "BACKWARD_ARROW": "an arrow like `<=`",
    "KW_LABEL": "`label`",
    "KW_COLOR": "`color`",
    "KW_CLASS": "`class`",
    "KW_ACTIVE": "`active`",
    "KW_TYPE": "`type`",
    "KW_WIDTH": "`width`",
    "STATE_TYPE": "a state type (regular, initial, final, terminate, parallel, history, "
    "deephistory, choice, fork, join, forkjoin, junction)",
    "TRANSITION_TYPE": "`internal` or `external`",
    "NUMBER": "a number",
    "$END": "the end of the input",
}

# Known mistakes, recognised by the parser state they leave (lark's `match_examples`).
_EXAMPLES: dict[str, list[str]] = {
    "declaration-after-transition": ["a => b; c;", "a => b; c, d;", "a => b; c [label=\"x\"];"],
    "missing-semicolon": ["a => b c => d;", "a => b\nc => d;", "a, b\nc;"],
    "unterminated-string": ['a => b: "x;'],
}

_HINTS = {
    "declaration-after-transition": (
        "declare states before the transitions of the same level: move this declaration up"
    ),
    "missing-semicolon": "end each statement with `;`",
}


def syntax_error(error: UnexpectedInput, text: str, file: str) -> Diagnostic:
    """Turn one of lark's parse errors into a diagnostic at the offending token."""
    if isinstance(error, UnexpectedToken) and error.token.type == "$END":
        return _end_of_input(error.expected, text, file)
    if isinstance(error, UnexpectedEOF):
        return _end_of_input(set(error.expected), text, file)
    expected = _expected_words(getattr(error, "expected", None) or getattr(error, "allowed", ()))
    if isinstance(error, UnexpectedToken):
        token = error.token
        span = Span(file, token.line or 1, token.column or 1, token.end_line or token.line or 1,
                    token.end_column or (token.column or 1) + len(token))
        found = _describe(token)
    else:
        assert isinstance(error, UnexpectedCharacters)
        line, column = error.line, error.column
        char = text[error.pos_in_stream] if error.pos_in_stream < len(text) else ""
        span = Span(file, line, column, line, column + 1)
        found = f"`{char}`" if char.isprintable() else f"the character U+{ord(char):04X}"
        if char == '"':
            return Diagnostic("P002", Severity.ERROR, "unterminated string", span,
                              'close the string with `"`; write `\\"` for a quote inside it')
    label = None
    try:
        label = error.match_examples(_parser().parse, _EXAMPLES, use_accepts=True)
    except Exception:  # noqa: BLE001 - a failed guess must not hide the real error
        label = None
    hint = _HINTS.get(label or "", f"expected {expected}" if expected else None)
    message = f"unexpected {found}"
    if expected and label is None:
        hint = f"expected {expected}"
    return Diagnostic("P002", Severity.ERROR, message, span, hint)


def _end_of_input(expected: set[str] | frozenset[str], text: str, file: str) -> Diagnostic:
    lines = text.split("\n")
    line = len(lines)
    column = len(lines[-1]) + 1
    words = _expected_words(expected)
    return Diagnostic(
        "P003",
        Severity.ERROR,
        "unexpected end of input",
        Span(file, line, column, line, column),
        f"expected {words}" if words else None,
    )


def _describe(token: Token) -> str:
    shown = str(token)
    if len(shown) > 30 or "\n" in shown:
        shown = shown.splitlines()[0][:27] + "..." if shown.strip() else shown.strip()
    word = _WORDS.get(token.type, token.type)
    if token.type in ("IDENTIFIER", "QUOTED", "STATE_TEXT", "LABEL_TEXT", "NUMBER"):
        return f"`{shown}`"
    return word if word.startswith("`") else f"`{shown}`"


def _expected_words(expected: object) -> str:
    names = sorted(
        str(name) for name in (expected or ())  # type: ignore[attr-defined]
        if str(name) not in ("WHITESPACE", "COMMENT")
    )
    words = sorted({_WORDS.get(name, name) for name in names})
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def parse_tree(text: str) -> Tree[Token]:
    """The raw lark tree (for tests of the grammar itself)."""
    return _parser().parse(text)
