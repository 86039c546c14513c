"""Syntax errors: one of lark's parse errors -> a Diagnostic at the offending token.

Part of stage 1 (the smcat reader). It says what was expected in words, recognises the common
mistakes (a declaration after a transition, a second declaration list, a missing `;`) from the
parser's state, and points at the token that is wrong rather than at the start of the statement."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lark import Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ..diagnostics import Diagnostic, Severity
from ..ir import Span, Transition

WORDS = {
    "IDENTIFIER": "a state name",
    "BRACE_NAME": "a state name",
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
    "missing-semicolon": [
        "a => b c => d;",
        "a => b\nc => d;",
        "a, b\nc;",
        "a {\n b => c\n};",
        "a => b {};",
    ],
}

_FREE_TEXT = ("STATE_TEXT", "LABEL_TEXT", "IDENTIFIER")


def syntax_error(
    error: UnexpectedInput, text: str, file: str, parse: Callable[[str], object]
) -> Diagnostic:
    """Describe a parse error.

    Args:
        error: what lark raised.
        text: the source that was parsed.
        file: the source's name, for the span.
        parse: parses with the parser that raised (used to match known mistakes).
    """
    if isinstance(error, UnexpectedCharacters):
        return _unexpected_character(error, text, file)
    stray = _stray_brace(error, file)
    if stray is not None:
        return stray
    if isinstance(error, UnexpectedEOF) or (
        isinstance(error, UnexpectedToken) and error.token.type == "$END"
    ):
        return _dangling_note(error, file) or _end_of_input(error, text, file)
    assert isinstance(error, UnexpectedToken)
    token = error.token
    shown = _first_word(token.value) if token.type in _FREE_TEXT else str(token.value)
    span = _token_span(token, file, len(shown))
    expected = _expected_words(error.expected)

    misplaced = _misplaced_declaration(error, file)
    if misplaced is not None:
        return misplaced
    message = f"unexpected {_describe(token, shown)}"
    if _matches(error, parse) == "missing-semicolon":
        return Diagnostic("P002", Severity.ERROR, message, span, "end each statement with `;`")
    return Diagnostic("P002", Severity.ERROR, message, span, f"expected {expected}")


def _stray_brace(error: UnexpectedInput, file: str) -> Diagnostic | None:
    """A `}` where no composite state is open: smcat's names may contain `}`, so the lexer
    reads it as the start of a transition and the parser stumbles on what follows (often the
    end of the input, lines later). Blame the brace, where it is."""
    stack = _value_stack(error)
    if not stack or not _is_token(stack[-1]):
        return None
    brace = stack[-1]
    if brace.type != "IDENTIFIER" or str(brace.value).strip() != "}":
        return None
    return Diagnostic(
        "P002",
        Severity.ERROR,
        "unexpected `}`: no composite state is open here",
        _token_span(brace, file, 1),
        "remove it, or open the composite state it closes with `name {`",
    )


def _misplaced_declaration(error: UnexpectedToken, file: str) -> Diagnostic | None:
    """`a => b; c;` or `a; b;`: a declaration list where only transitions may follow."""
    if error.token.type not in ("SEMICOLON", "COMMA", "LSQB", "COLON", "LBRACE"):
        return None
    if set(error.expected) - {"FORWARD_ARROW", "BACKWARD_ARROW"}:
        return None
    stack = _value_stack(error)
    if not stack or not _is_token(stack[-1]):
        return None
    name = stack[-1]
    if name.type not in ("IDENTIFIER", "QUOTED", "BRACE_NAME"):
        return None
    shown = str(name.value)
    span = _token_span(name, file, len(shown))
    after_transition = any(_holds_transition(v) for v in stack)
    if after_transition:
        return Diagnostic(
            "P007",
            Severity.ERROR,
            f"state `{shown}` is declared after a transition",
            span,
            "declare the states of a level in one list (`a, b, c;`) before its transitions",
        )
    return Diagnostic(
        "P008",
        Severity.ERROR,
        f"state `{shown}` starts a second list of state declarations",
        span,
        "declare the states of a level in one list, separated by commas: `a, b, c;`",
    )


def _holds_transition(value: Any) -> bool:
    # `transition*` is a helper rule on lark's stack: look one level into it.
    if isinstance(value, Transition):
        return True
    if isinstance(value, Tree):
        return value.data == "transition" or any(_holds_transition(c) for c in value.children)
    if isinstance(value, list):
        return any(isinstance(item, Transition) for item in value)
    return False


def _dangling_note(error: UnexpectedInput, file: str) -> Diagnostic | None:
    stack = _value_stack(error)
    if not stack or not _is_token(stack[-1]) or stack[-1].type != "NOTE":
        return None
    note = stack[-1]
    return Diagnostic(
        "P009",
        Severity.ERROR,
        "this note is not followed by a state or a transition",
        _token_span(note, file, len(note.value)),
        "a `#` note belongs to the statement after it; add one, or make it a `//` comment",
    )


def _is_token(value: Any) -> bool:
    # lark's Token, or lark-cython's (which is not a str)
    return hasattr(value, "type") and hasattr(value, "value") and hasattr(value, "line")


def _value_stack(error: UnexpectedInput) -> list[Any]:
    state = getattr(error, "state", None)
    stack = getattr(state, "value_stack", None)
    return list(stack) if stack else []


def _matches(error: UnexpectedInput, parse: Callable[[str], object]) -> str | None:
    """The label of the known mistake that leaves the parser where `error` left it.

    Compared by parser state and expected terminals (lark's `match_examples` rule, written out
    because lark-cython's parser states do not compare equal).
    """
    where = _where(error)
    if where is None:
        return None
    for label, examples in _EXAMPLES.items():
        for example in examples:
            try:
                parse(example)
            except UnexpectedInput as other:
                if _where(other) == where:
                    return label
    return None


def _where(error: UnexpectedInput) -> tuple[int, frozenset[str]] | None:
    position = getattr(getattr(error, "state", None), "position", None)
    if not isinstance(position, int):
        return None
    return position, frozenset(getattr(error, "expected", ()) or ())


def _unexpected_character(error: UnexpectedCharacters, text: str, file: str) -> Diagnostic:
    position = error.pos_in_stream or 0
    char = text[position] if position < len(text) else ""
    span = Span(file, error.line, error.column, error.line, error.column + 1)
    if char == '"':
        return Diagnostic(
            "P002",
            Severity.ERROR,
            "this string is not closed, or is not allowed here",
            span,
            'close it with `"` (write `\\"` for a quote inside it)',
        )
    shown = f"`{char}`" if char.isprintable() and char else f"the character U+{ord(char):04X}"
    expected = _expected_words(error.allowed)
    return Diagnostic(
        "P002",
        Severity.ERROR,
        f"unexpected {shown}",
        span,
        f"expected {expected}" if expected else None,
    )


def _end_of_input(error: UnexpectedInput, text: str, file: str) -> Diagnostic:
    lines = text.split("\n")
    line = len(lines)
    column = len(lines[-1]) + 1
    words = _expected_words(getattr(error, "expected", ()))
    return Diagnostic(
        "P003",
        Severity.ERROR,
        "unexpected end of input",
        Span(file, line, column, line, column),
        f"expected {words}" if words else None,
    )


def _token_span(token: Token, file: str, width: int) -> Span:
    line = token.line or 1
    column = token.column or 1
    return Span(file, line, column, line, column + max(width, 1))


def _first_word(text: str) -> str:
    words = text.split()
    word = words[0] if words else text
    return word if len(word) <= 30 else word[:27] + "..."


def _describe(token: Token, shown: str) -> str:
    if token.type in _FREE_TEXT or token.type in ("QUOTED", "NUMBER"):
        return f"`{shown}`"
    word = WORDS.get(token.type, "")
    return word if word.startswith("`") else f"`{shown}`"


def _expected_words(expected: Any) -> str:
    # a `//@` declaration may stand at the top, but it is not what a mistake there meant
    names = {str(name) for name in (expected or ())} - {"WHITESPACE", "COMMENT", "DECLARATION"}
    words = sorted({WORDS.get(name, name) for name in names})
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]
