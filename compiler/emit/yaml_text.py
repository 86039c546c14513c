"""Emit `-T yaml`: a chart as a YAML chart file (docs/yaml.md).

Stage 3 (emitter): Chart -> str. Reading the output back (`read/yaml_chart.py`) gives the same IR,
spans aside: states only named in transitions stay out of `states`, a transition's label is written
as `event`, `guard` and `action` when that is how smcat would split it and as `label` otherwise,
and a state's activities are written as `entry`, `exit` and `activities` when each kind is one run
in that order, else as smcat lines in `actions`. It imports no reader."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from itertools import groupby
from typing import Any

import yaml

from ..ir import Action, ActionKind, Chart, Region, State, Transition
from ..notation import activity_line, compose_label
from .smcat_json import js_number

HEADER = "# A statewright chart (docs/yaml.md); JSON Schema: docs/chart.schema.json\n"

_KEY = {ActionKind.ENTRY: "entry", ActionKind.EXIT: "exit", ActionKind.ACTIVITY: "activities"}


def emit(chart: Chart, options: Mapping[str, Any] | None = None) -> str:
    document = {**_declarations(chart), **_machine(chart.region)}
    if not document:
        return HEADER + "states: []\n"
    body = yaml.dump(
        document,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
    return HEADER + body


class _Dumper(yaml.SafeDumper):
    """Indent the items of a list under their key, and write a short list of short texts on
    one line (`entry: [reserve stock, book courier]`), as people write YAML by hand."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> Any:
        return super().increase_indent(flow, False)


class _Short(list[str]):
    """A list of texts written in flow style."""


def _short_list(dumper: yaml.SafeDumper, items: _Short) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=True)


_Dumper.add_representer(_Short, _short_list)

#: a list of texts goes on one line when the texts are plain words this long in all
_FLOW_LIMIT = 60
_PLAIN = re.compile(r"[A-Za-z_][\w .\-/]*[\w.]|[A-Za-z_]")


def _texts(items: list[str]) -> list[str]:
    """`items` as a one-line list when every item is a short plain text (YAML would otherwise
    quote or fold it), else as a block list."""
    flat = all(_PLAIN.fullmatch(item) and ", " not in item for item in items)
    if flat and sum(len(item) + 2 for item in items) <= _FLOW_LIMIT:
        return _Short(items)
    return items


def _declarations(chart: Chart) -> dict[str, object]:
    """`context:` and `events:` (the reader: read/yaml_declarations.py)."""
    found: dict[str, object] = {}
    if chart.context:
        found["context"] = {
            v.name: {"type": v.type, "default": json.loads(v.default)} for v in chart.context
        }
    if chart.signatures:
        found["events"] = {
            s.event: {
                f.name: f.type if f.required else {"type": f.type, "required": False}
                for f in s.fields
            }
            or None
            for s in chart.signatures
        }
    return found


def _machine(machine: Region) -> dict[str, object]:
    document: dict[str, object] = {}
    states = [_state(s) for s in machine.states if s.declared]
    if states:
        document["states"] = states
    if machine.transitions:
        document["transitions"] = [_transition(t) for t in machine.transitions]
    return document


def _state(state: State) -> dict[str, object]:
    item: dict[str, object] = {"name": state.name}
    item.update(_notes(state.notes))
    if state.kind_explicit:
        item["type"] = state.kind.value
    if state.label:
        item["label"] = state.label
    if state.color:
        item["color"] = state.color
    if state.css_class:
        item["class"] = state.css_class
    if state.active:
        item["active"] = True
    item.update(_actions(state.actions))
    if state.region is not None:
        inner = _machine(state.region)
        item.update(inner if inner else {"states": []})
    return item


def _actions(actions: tuple[Action, ...]) -> dict[str, object]:
    runs = [(kind, [a.body for a in group]) for kind, group in groupby(actions, lambda a: a.kind)]
    kinds = [kind for kind, _ in runs]
    in_order = sorted(kinds, key=list(_KEY).index) == kinds and len(set(kinds)) == len(kinds)
    if not in_order:
        return {"actions": [activity_line(a) for a in actions]}
    return {_KEY[kind]: bodies[0] if len(bodies) == 1 else _texts(bodies) for kind, bodies in runs}


def _transition(transition: Transition) -> dict[str, object]:
    item: dict[str, object] = {}
    item.update(_notes(transition.notes))
    item["from"] = transition.source
    item["to"] = transition.target
    if transition.label is not None:
        if transition.label == compose_label(transition) and transition.label:
            if transition.event:
                item["event"] = transition.event
            if transition.guard is not None:
                item["guard"] = transition.guard
            if transition.action is not None:
                item["action"] = transition.action
        else:
            item["label"] = transition.label
    if transition.kind is not None:
        item["type"] = transition.kind.value
    if transition.color:
        item["color"] = transition.color
    if transition.css_class:
        item["class"] = transition.css_class
    if transition.width:
        item["width"] = js_number(transition.width)
    return item


def _notes(notes: tuple[str, ...]) -> dict[str, object]:
    if not notes:
        return {}
    return {"note": notes[0]} if len(notes) == 1 else {"notes": _texts(list(notes))}
