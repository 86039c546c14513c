"""Read a YAML chart into the IR: any command given a `.yaml` or `.yml` file.

Stage 1 for YAML input (bytes -> Chart + diagnostics), beside `smcat.py` for smcat text and
`scxml.py` for SCXML. The YAML form has exactly the smcat language's meaning (docs/yaml.md):
a state's kind comes from its name unless `type` says otherwise, states named only in
transitions are declared where smcat would declare them, a `label` is split into event, guard
and action as smcat splits it. What the smcat language could not say (an action spanning lines,
an event that smcat would read differently) is refused with Y003, so every YAML chart can be
written as smcat and read back to the same IR. The same resolution passes run afterwards.

The document is untrusted: `yaml_nodes` reads it without constructing objects, bounded in
size, depth and alias expansion. Every diagnostic points at the YAML line and column.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from ..diagnostics import Diagnostic, Severity
from ..ir import (
    MAX_NESTING,
    Action,
    ActionKind,
    Chart,
    Region,
    Span,
    State,
    StateKind,
    Transition,
    TransitionKind,
)
from ..notation import (
    CLASS_CHARS,
    COLOR_CHARS,
    MAX_WIDTH,
    activity_line,
    compose_label,
    js_trim,
    kind_from_name,
    split_activities,
    split_label,
)
from . import resolve, yaml_declarations
from .yaml_nodes import (
    BOOL,
    FLOAT,
    INT,
    NULL,
    Mapping,
    Node,
    Scalar,
    Sequence,
    YamlError,
    check_size,
)
from .yaml_nodes import read as read_nodes

_CHART_KEYS = ("states", "transitions", "context", "events")
_STATE_KEYS = (
    "name",
    "type",
    "label",
    "color",
    "class",
    "active",
    "entry",
    "exit",
    "activities",
    "actions",
    "note",
    "notes",
    "states",
    "transitions",
)
_TRANSITION_KEYS = (
    "from",
    "to",
    "event",
    "guard",
    "action",
    "label",
    "type",
    "color",
    "class",
    "width",
    "note",
    "notes",
)
#: Keys other tools use for what a key here says.
_SYNONYMS = {
    "on": "event",
    "trigger": "event",
    "source": "from",
    "target": "to",
    "cond": "guard",
    "condition": "guard",
    "do": "activities",
    "kind": "type",
    "children": "states",
}
_KINDS = {kind.value: kind for kind in StateKind}
_TRANSITION_KINDS = {kind.value: kind for kind in TransitionKind}


def read(data: bytes, name: str) -> tuple[Chart | None, list[Diagnostic]]:
    """YAML bytes -> the chart (None when the document cannot be read) and the diagnostics."""
    try:
        root = read_nodes(data, name)
    except YamlError as error:
        return None, [unreadable(error)]
    reader = _Reader(name)
    machine = reader.chart(root)
    if any(d.severity is Severity.ERROR and d.code == "Y001" for d in reader.diagnostics):
        return None, reader.diagnostics
    declared: dict[str, Any] = {}
    if isinstance(root, Mapping):

        def refuse(message: str, node: Node, hint: str | None) -> None:
            reader.error("Y002", message, node.span, hint)

        declared["context"] = yaml_declarations.context(root.get("context"), refuse)
        declared["signatures"] = yaml_declarations.events(root.get("events"), refuse)
    chart = Chart(machine, name, tuple(reader.shadowed), **declared)
    return resolve.resolve(chart), reader.diagnostics


def unreadable(error: YamlError) -> Diagnostic:
    """Y001 for a document that cannot be read at all."""
    return Diagnostic("Y001", Severity.ERROR, error.message, error.span, error.hint)


def refuse_large(size: int, name: str) -> Diagnostic | None:
    """Y001 for a file too large to read (checked before reading it), else None."""
    try:
        check_size(size, name)
    except YamlError as error:
        return unreadable(error)
    return None


_T = TypeVar("_T")


class _Refused(Exception):
    """Stop reading one statement (its diagnostic is already recorded)."""


@dataclass
class _Reader:
    file: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    shadowed: list[State] = field(default_factory=list)
    next_id: int = 1

    # -- diagnostics ---------------------------------------------------------------------------

    def error(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, Severity.ERROR, message, span, hint))

    def refuse(self, message: str, node: Node, hint: str | None = None) -> _Refused:
        self.error("Y002", message, node.span, hint)
        return _Refused()

    # -- structure -----------------------------------------------------------------------------

    def chart(self, root: Node | None) -> Region:
        if root is None:
            return Region()
        if not isinstance(root, Mapping):
            self.error(
                "Y002",
                "a chart file is a mapping with `states` and `transitions`",
                root.span,
                "start the file with `states:`",
            )
            return Region()
        self.keys(root, _CHART_KEYS, "chart")
        return self.machine(root, depth=0)

    def machine(self, mapping: Mapping, depth: int) -> Region:
        states: list[State] = []
        order: dict[str, int] = {}
        for item in self.items(mapping.get("states"), "states"):
            try:
                state = self.state(item, depth)
            except _Refused:
                continue
            # A later declaration of a name replaces an earlier one in place (as in smcat).
            if state.name in order:
                self.shadowed.append(states[order[state.name]])
                states[order[state.name]] = state
            else:
                order[state.name] = len(states)
                states.append(state)
        transitions: list[Transition] = []
        for item in self.items(mapping.get("transitions"), "transitions"):
            try:
                transitions.append(self.transition(item))
            except _Refused:
                continue
        return Region(tuple(states), tuple(transitions))

    def items(self, node: Node | None, key: str) -> list[Mapping]:
        if node is None or (isinstance(node, Scalar) and node.tag == NULL):
            return []
        if not isinstance(node, Sequence):
            self.refuse(f"`{key}` must be a list", node, "write each item on a `- ` line")
            return []
        found = []
        for item in node.items:
            if isinstance(item, Mapping):
                found.append(item)
            elif key == "states" and isinstance(item, Scalar) and item.tag != NULL:
                # `- name` for a state with nothing else to say
                found.append(Mapping(item.span, pairs=[(Scalar(item.span, value="name"), item)]))
            else:
                what = "a state" if key == "states" else "a transition"
                self.refuse(f"each item of `{key}` must be {what} (a mapping)", item)
        return found

    def keys(self, mapping: Mapping, allowed: tuple[str, ...], what: str) -> None:
        for key, _ in mapping.pairs:
            if key.value not in allowed:
                close = difflib.get_close_matches(key.value, allowed, n=1)
                if key.value in _SYNONYMS and _SYNONYMS[key.value] in allowed:
                    close = [_SYNONYMS[key.value]]
                hint = (
                    f"did you mean `{close[0]}`?"
                    if close
                    else f"a {what} has the keys {', '.join(f'`{k}`' for k in allowed)}"
                )
                self.error("Y002", f"unknown key `{key.value}` in a {what}", key.span, hint)

    def state(self, mapping: Mapping, depth: int) -> State:
        self.keys(mapping, _STATE_KEYS, "state")
        name_node = self.required(mapping, "name", "state")
        name = self.text(name_node, "name")
        fields: dict[str, object] = {"kind": kind_from_name(name)}
        kind = self.choice(mapping.get("type"), "type", _KINDS)
        if kind is not None:
            fields.update(kind=kind, kind_explicit=True)
        label = self.optional_text(mapping, "label")
        if label:
            fields["label"] = label
        fields.update(self.looks(mapping))
        if self.flag(mapping.get("active"), "active"):
            fields["active"] = True
        actions = self.actions(mapping)
        if actions:
            fields["actions"] = actions
        notes = self.notes(mapping)
        inner = mapping.get("states") is not None or mapping.get("transitions") is not None
        if inner:
            if depth >= MAX_NESTING:
                self.error(
                    "P004",
                    f"state `{name}` holds composite states nested more than {MAX_NESTING} "
                    "levels deep",
                    name_node.span,
                    "flatten the hierarchy; statewright refuses deeper nesting",
                )
                fields["region"] = Region()
            else:
                fields["region"] = self.machine(mapping, depth + 1)
        return State(name=name, notes=notes, span=name_node.span, **fields)  # type: ignore[arg-type]

    def transition(self, mapping: Mapping) -> Transition:
        self.keys(mapping, _TRANSITION_KEYS, "transition")
        source_node = self.required(mapping, "from", "transition")
        target_node = self.required(mapping, "to", "transition")
        fields: dict[str, object] = {}
        label_node = mapping.get("label")
        parts = [mapping.get(key) for key in ("event", "guard", "action")]
        if label_node is not None and any(p is not None for p in parts):
            raise self.refuse(
                "a transition has a `label` and `event`, `guard` or `action`",
                label_node,
                "write the label as `event`, `guard` and `action`, or only the `label` "
                "(`event [guard] / action`)",
            )
        if label_node is not None and self.text(label_node, "label"):
            label = self.text(label_node, "label")
            event, guard, action = split_label(label)
            fields.update(label=label, event=event, guard=guard, action=action)
        elif any(p is not None for p in parts):
            event, guard, action = (
                self.optional_text(mapping, key) for key in ("event", "guard", "action")
            )
            probe = Transition(0, "", "", event=event or None, guard=guard, action=action)
            label = compose_label(probe)
            if split_label(label) != (probe.event, guard, action):
                where = next(p for p in parts if p is not None)
                self.error(
                    "Y003",
                    f"smcat would read this transition's label `{label}` differently",
                    where.span,
                    "an event cannot hold `[` or `/`, and a guard cannot hold `]`; keep "
                    "surrounding blanks out of each part",
                )
            fields.update(label=label or None, event=probe.event, guard=guard, action=action)
        kind = self.choice(mapping.get("type"), "type", _TRANSITION_KINDS)
        if kind is not None:
            fields["kind"] = kind
        fields.update(self.looks(mapping))
        width_node = mapping.get("width")
        if width_node is not None:
            width = self.number(width_node, "width")
            if width > MAX_WIDTH:
                self.error(
                    "P006",
                    f"transition width {_value(width_node)} is more than {MAX_WIDTH}",
                    width_node.span,
                    f"use a width from 0 to {MAX_WIDTH}",
                )
            if width:
                fields["width"] = width
        transition = Transition(
            id=self.next_id,
            source=self.text(source_node, "from"),
            target=self.text(target_node, "to"),
            notes=self.notes(mapping),
            span=mapping.span,
            source_span=source_node.span,
            target_span=target_node.span,
            **fields,  # type: ignore[arg-type]
        )
        self.next_id += 1
        return transition

    # -- parts ---------------------------------------------------------------------------------

    def actions(self, mapping: Mapping) -> tuple[Action, ...]:
        actions: list[Action] = []
        for key, value in mapping.pairs:
            if key.value == "actions":
                # smcat's own form: each line `entry/ ...`, `exit/ ...` or free text
                for line_node in self.lines(value, "actions"):
                    line = self.text(line_node, "actions")
                    self.one_line(line_node, line, "an action")
                    actions.extend(split_activities(line))
                continue
            kind = {"entry": ActionKind.ENTRY, "exit": ActionKind.EXIT}.get(key.value)
            if kind is None and key.value != "activities":
                continue
            for line_node in self.lines(value, key.value):
                body = self.text(line_node, key.value)
                if not self.one_line(line_node, body, "an action"):
                    continue
                action = Action(kind or ActionKind.ACTIVITY, body)
                if split_activities(activity_line(action)) != (action,):
                    self.error(
                        "Y003",
                        f"smcat would read the {key.value} action `{body}` differently",
                        line_node.span,
                        "keep blanks off both ends; a `$` makes smcat read an entry or exit "
                        "action as free text (write it in `actions` as smcat text)",
                    )
                actions.append(action)
        return tuple(actions)

    def notes(self, mapping: Mapping) -> tuple[str, ...]:
        notes: list[str] = []
        for key in ("note", "notes"):
            for node in self.lines(mapping.get(key), key):
                text = self.text(node, key)
                if self.one_line(node, text, "a note"):
                    notes.append(js_trim(text))
        return tuple(notes)

    def lines(self, node: Node | None, key: str) -> list[Scalar]:
        """A text or a list of texts."""
        if node is None or (isinstance(node, Scalar) and node.tag == NULL):
            return []
        if isinstance(node, Scalar):
            return [node]
        if isinstance(node, Sequence) and all(isinstance(i, Scalar) for i in node.items):
            return [i for i in node.items if isinstance(i, Scalar)]
        raise self.refuse(f"`{key}` must be a text or a list of texts", node)

    def one_line(self, node: Node, text: str, what: str) -> bool:
        if "\n" in text or "\r" in text or "\u2028" in text or "\u2029" in text:
            self.error(
                "Y003",
                f"{what} spans lines; smcat keeps {what.removeprefix('an ').removeprefix('a ')}s "
                "to one line",
                node.span,
                "write each line as its own item of a list",
            )
            return False
        return True

    def required(self, mapping: Mapping, key: str, what: str) -> Scalar:
        node = mapping.get(key)
        if node is None:
            raise self.refuse(f"a {what} needs `{key}`", mapping, f"add `{key}: ...`")
        if not isinstance(node, Scalar) or node.tag == NULL:
            raise self.refuse(f"`{key}` must be a name", node)
        return node

    def text(self, node: Node, key: str) -> str:
        if not isinstance(node, Scalar):
            raise self.refuse(f"`{key}` must be text", node)
        if node.tag == NULL and node.plain:
            raise self.refuse(
                f"`{key}` is empty", node, "quote the text if you mean the word (`'null'`)"
            )
        # A plain scalar is read as its text whatever YAML's resolver makes of it: `on`, `1`
        # and `yes` are names and events here, as in smcat.
        return node.value

    def optional_text(self, mapping: Mapping, key: str) -> str | None:
        node = mapping.get(key)
        if node is None or (isinstance(node, Scalar) and node.tag == NULL and node.plain):
            return None
        return self.text(node, key)

    def choice(self, node: Node | None, key: str, options: dict[str, _T]) -> _T | None:
        if node is None:
            return None
        value = self.text(node, key)
        if value not in options:
            close = difflib.get_close_matches(value, list(options), n=1)
            self.error(
                "Y002",
                f"`{key}` is `{value}`, not one of {', '.join(options)}",
                node.span,
                f"did you mean `{close[0]}`?" if close else None,
            )
            return None
        return options[value]

    def flag(self, node: Node | None, key: str) -> bool:
        if node is None:
            return False
        if isinstance(node, Scalar) and node.tag == BOOL:
            return bool(node.as_python())
        raise self.refuse(f"`{key}` must be true or false", node)

    def number(self, node: Node, key: str) -> float:
        if isinstance(node, Scalar) and node.tag in (INT, FLOAT):
            value = node.as_python()
            assert isinstance(value, int | float)
            if value >= 0:
                return float(value)
        raise self.refuse(f"`{key}` must be a number from 0 to {MAX_WIDTH}", node)

    def looks(self, mapping: Mapping) -> dict[str, object]:
        """`color` and `class`, in the character sets state-machine-cat accepts."""
        found: dict[str, object] = {}
        for key, field_name, pattern, good in (
            ("color", "color", COLOR_CHARS, '"red" or "#ff0000"'),
            ("class", "css_class", CLASS_CHARS, '"warm important"'),
        ):
            value = self.optional_text(mapping, key)
            if value:
                self.charset(mapping.get(key), value, pattern, key, good)
                found[field_name] = value
        return found

    def charset(
        self, node: Node | None, value: str, pattern: re.Pattern[str], key: str, good: str
    ) -> None:
        assert node is not None
        if not pattern.fullmatch(value):
            self.error(
                "P005" if key == "color" else "Y003",
                f"{key} `{value}` has characters state-machine-cat does not accept",
                node.span,
                f"use a value like {good}",
            )


def _value(node: Node) -> str:
    return node.value if isinstance(node, Scalar) else "?"


#: The checker's hints that show smcat syntax, as YAML chart authors write the same fix.
_HINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"add `initial` and `initial => (.+);` to say so"),
        r"add the state `initial` and the transition `{from: initial, to: \1}` to say so",
    ),
    (
        re.compile(r"write one `(.+) => <first state>;`"),
        r"write one transition `{from: \1, to: <first state>}`",
    ),
    (re.compile(r"guarded by \[else\]"), "with `guard: else`"),
    (re.compile(r"declare it `\[type=final\]`"), "give it `type: final`"),
    (re.compile(r"write `(.+) \[type=regular\]`"), r"give `\1` the key `type: regular`"),
)


def yaml_hints(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """The checker's findings with their hints in the YAML form of the fix."""
    found = []
    for diagnostic in diagnostics:
        hint = diagnostic.hint
        if hint is not None:
            for pattern, replacement in _HINTS:
                hint = pattern.sub(replacement, hint)
        found.append(replace(diagnostic, hint=hint) if hint != diagnostic.hint else diagnostic)
    return found
