"""Emit `-T ir`: the chart as a `statewright-ir/1` JSON document.

Stage 3 (emitter): Chart -> str. This is the complete, versioned form of the IR that the runtime
loads without the compiler; `docs/ir.schema.json` is its published schema. Every key is always
present (null or empty when unset), so readers need no defaults. It imports nothing from the
parser.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ...runtime.document import FORMAT as FORMAT
from ..ir import Action, Chart, Region, Span, State, Transition


def emit(chart: Chart, options: Mapping[str, Any] | None = None) -> str:
    return json.dumps(to_document(chart), indent=2, ensure_ascii=False) + "\n"


def to_document(chart: Chart) -> dict[str, Any]:
    document = {"format": FORMAT, "file": chart.file, "machine": _region(chart.region)}
    if chart.datamodel is not None:  # the SCXML keys are there only when set
        document["datamodel"] = json.loads(chart.datamodel)
    return document


def _region(region: Region) -> dict[str, Any]:
    return {
        "states": [_state(s) for s in region.states],
        "transitions": [_transition(t) for t in region.transitions],
    }


def _state(state: State) -> dict[str, Any]:
    found = {
        "name": state.name,
        "kind": state.kind.value,
        "kind_explicit": state.kind_explicit,
        "declared": state.declared,
        "label": state.label,
        "color": state.color,
        "class": state.css_class,
        "active": state.active,
        "actions": [_action(a) for a in state.actions],
        "notes": list(state.notes),
        "machine": _region(state.region) if state.region is not None else None,
        "span": _span(state.span),
    }
    if state.data is not None:
        found["data"] = json.loads(state.data)
    if state.donedata is not None:
        found["donedata"] = json.loads(state.donedata)
    return found


def _action(action: Action) -> dict[str, Any]:
    found: dict[str, Any] = {"kind": action.kind.value, "body": action.body}
    if action.content is not None:
        found["content"] = json.loads(action.content)
    return found


def _transition(transition: Transition) -> dict[str, Any]:
    found = {
        "id": transition.id,
        "source": transition.source,
        "target": transition.target,
        "label": transition.label,
        "event": transition.event,
        "guard": transition.guard,
        "action": transition.action,
        "kind": transition.kind.value if transition.kind is not None else None,
        "color": transition.color,
        "class": transition.css_class,
        "width": transition.width,
        "notes": list(transition.notes),
        "span": _span(transition.span),
    }
    if transition.content is not None:
        found["content"] = json.loads(transition.content)
    return found


def _span(span: Span) -> list[int]:
    return [span.line, span.column, span.end_line, span.end_column]
