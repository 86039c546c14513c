"""Emit `-T smcat`: the canonical smcat text of a chart (`statewright fmt`).

Stage 3 (emitter): Chart -> str. Parsing the output gives the same IR (spans aside), and
formatting formatted text changes nothing. States that were only named in transitions stay
implicit; names, activities and labels are quoted only where bare text would read differently.
It imports no reader.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..errors import UnwritableText
from ..ir import Action, Chart, Region, State, Transition
from ..notation import JS_TRIM, activity_line, compose_label, split_label
from .escape import smcat_note
from .escape import smcat_string as _smcat_string
from .smcat_json import js_number

INDENT = "    "

# What a bare name may be (grammars/smcat.lark, IDENTIFIER), less the starts that another
# token claims: a comment anywhere; a note or a closing brace where a statement starts.
_BARE_NAME = re.compile(r"[^;, \"\t\n\r=\-><:{\[]+")
_CLAIMED_START = ("#", "//", "/*", "}")
_CLAIMED_START_TARGET = ("//", "/*")


def emit(chart: Chart, options: Mapping[str, Any] | None = None) -> str:
    placed = _Placed(chart)
    lines = _declarations(chart)
    if lines:
        lines.append("")
    lines += _machine(chart.region, 0, placed)
    if placed.end:
        if lines:
            lines.append("")
        lines.extend(placed.end)
    return "\n".join(lines) + "\n" if lines else ""


class _Placed:
    """Where the source's comments go: a comment on a line of its own goes before the next
    statement, a comment after code goes at the end of the statement that starts on its line
    (on a line of its own before it, when the statement takes several lines), and comments
    after the last statement go at the end. Formatting formatted text moves nothing."""

    def __init__(self, chart: Chart) -> None:
        self.leading: dict[int, list[str]] = {}
        self.trailing: dict[int, list[str]] = {}
        self.end: list[str] = []
        anchors: list[tuple[int, int, int]] = []
        for state in chart.states():
            if state.declared and state.span.line > 0:
                anchors.append((state.span.line, state.span.column, id(state)))
        for transition in chart.transitions():
            if transition.span.line > 0:
                anchors.append((transition.span.line, transition.span.column, id(transition)))
        anchors.sort()
        for comment in chart.comments:
            where = (comment.span.line, comment.span.column)
            if comment.trailing and "\n" not in comment.text:
                before = [a for a in anchors if (a[0], a[1]) < where and a[0] == where[0]]
                if before:
                    self.trailing.setdefault(before[-1][2], []).append(comment.text)
                    continue
            after = next((a for a in anchors if (a[0], a[1]) > where), None)
            if after is None:
                self.end.append(comment.text)
            else:
                self.leading.setdefault(after[2], []).append(comment.text)

    def around(self, item: object, pad: str, lines: list[str]) -> list[str]:
        """The statement's lines with its comments."""
        leading = list(self.leading.get(id(item), ()))
        trailing = self.trailing.get(id(item), [])
        if trailing and len(lines) == 1:
            lines = [lines[0] + " " + " ".join(trailing)]
        else:
            leading += trailing
        return [pad + text for text in leading] + lines


def _declarations(chart: Chart) -> list[str]:
    """The declared data as `//@` lines (the reader: read/smcat_declarations.py)."""
    lines = [f"//@ context {v.name}: {v.type} = {v.default}" for v in chart.context]
    for signature in chart.signatures:
        fields = ", ".join(
            f"{f.name}{'' if f.required else '?'}: {f.type}" for f in signature.fields
        )
        event = signature.event
        if not _EVENT_NAME.fullmatch(event):
            event = '"' + event.replace('"', '\\"') + '"'
        lines.append(f"//@ event {event}({fields})")
    return lines


#: an event name written bare in a declaration (grammars/smcat.lark, DECL_EVENT_NAME)
_EVENT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")


def _machine(machine: Region, depth: int, placed: _Placed) -> list[str]:
    pad = INDENT * depth
    lines: list[str] = []
    declared = [s for s in machine.states if s.declared]
    for position, state in enumerate(declared):
        separator = ";" if position == len(declared) - 1 else ","
        notes = [pad + line for note in state.notes for line in smcat_note(note)]
        lines.extend(placed.around(state, pad, notes + _state(state, depth, separator, placed)))
    if declared and machine.transitions:
        lines.append("")
    for transition in machine.transitions:
        notes = [pad + line for note in transition.notes for line in smcat_note(note)]
        lines.extend(placed.around(transition, pad, [*notes, pad + _transition(transition)]))
    return lines


def _state(state: State, depth: int, separator: str, placed: _Placed) -> list[str]:
    pad = INDENT * depth
    head = pad + name(state.name)
    attributes = _state_attributes(state)
    if attributes:
        head += f" [{attributes}]"
    if state.actions:
        head += ": " + _activities(state.actions, pad + INDENT)
    if state.region is None:
        return [head + separator]
    inner = _machine(state.region, depth + 1, placed)
    if not inner:
        return [head + " {}" + separator]
    return [head + " {", *inner, pad + "}" + separator]


def _state_attributes(state: State) -> str:
    parts = []
    if state.label:
        parts.append(f"label={smcat_string(state.label)}")
    if state.color:
        parts.append(f'color="{state.color}"')
    if state.css_class:
        parts.append(f'class="{state.css_class}"')
    if state.active:
        parts.append("active")
    if state.kind_explicit:
        parts.append(f"type={state.kind.value}")
    return " ".join(parts)


def _transition(transition: Transition) -> str:
    text = f"{name(transition.source)} => {name(transition.target, statement_start=False)}"
    parts = []
    if transition.color:
        parts.append(f"color={smcat_string(transition.color)}")
    if transition.css_class:
        parts.append(f'class="{transition.css_class}"')
    if transition.kind is not None:
        parts.append(f"type={transition.kind.value}")
    if transition.width:
        parts.append(f"width={_number(transition.width)}")
    if parts:
        text += f" [{' '.join(parts)}]"
    label = transition.label if transition.label is not None else compose_label(transition)
    if label:
        text += ": " + (label if _bare_ok(label, "{;") else smcat_string(label, "the label"))
        meant = (transition.event, transition.guard, transition.action)
        if split_label(label) != meant:  # reads back as another event, guard or action
            raise UnwritableText(
                f"the transition {transition.source!r} => {transition.target!r} cannot be "
                f"written in smcat: its label {label[:80]!r} reads back as event, guard and "
                f"action {split_label(label)!r}, not {meant!r} (an smcat action is one line "
                "of text; an event holds no `[` or `/`): keep the chart in YAML or SCXML"
            )
    return text + ";"


def _activities(actions: tuple[Action, ...], continuation: str) -> str:
    lines = [activity_line(a) for a in actions]
    text = "\n".join(lines)
    if _bare_ok(text, ",;{") and all(lines):
        return ("\n" + continuation).join(lines)
    return smcat_string(text)


def name(text: str, *, statement_start: bool = True) -> str:
    """A state name as smcat text: bare where possible, else quoted (a transition's target
    may start with `#` or `}`: no statement starts there)."""
    claimed = _CLAIMED_START if statement_start else _CLAIMED_START_TARGET
    if _BARE_NAME.fullmatch(text) is not None and not text.startswith(claimed):
        return text
    return smcat_string(text, "the state name")


def smcat_string(text: str, what: str = "the text") -> str:
    """`text` as an smcat quoted string; `UnwritableText` when it ends in a backslash (the
    `\\"` it would end in escapes the closing quote: no quoted string holds such a text)."""
    if text.endswith("\\"):
        shown = text if len(text) <= 60 else text[:30] + "..." + text[-27:]
        raise UnwritableText(
            f"{what} {shown!r} ends in a backslash and cannot be written bare, and an smcat "
            'quoted string cannot end in a backslash (`\\"` escapes its closing quote): '
            "change the text, or keep the chart in YAML or SCXML, which can hold it"
        )
    return _smcat_string(text)


def _bare_ok(text: str, stops: str) -> bool:
    """Whether free text can be written unquoted and read back unchanged.

    Text ending in a backslash has no quoted form (`\\"` would escape the closing quote): when
    it cannot be bare either, `smcat_string` refuses it.
    """
    return (
        bool(text)
        and text == text.strip(JS_TRIM)
        and not any(c in text for c in stops)
        and not text.startswith(('"', "//"))
        and not (text.startswith("/*") and "*/" in text)
    )


def _number(value: float) -> str:
    number = js_number(value)
    if isinstance(number, int):
        return str(number)
    text = repr(number)
    return format(number, ".12f").rstrip("0") if "e" in text else text
