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
from ..ir import Chart, Region, Span, State, Transition


def emit(chart: Chart, options: Mapping[str, Any] | None = None) -> str:
    return json.dumps(to_document(chart), indent=2, ensure_ascii=False) + "\n"


def to_document(chart: Chart) -> dict[str, Any]:
    return {"format": FORMAT, "file": chart.file, "machine": _region(chart.region)}


def _region(region: Region) -> dict[str, Any]:
    return {
        "states": [_state(s) for s in region.states],
        "transitions": [_transition(t) for t in region.transitions],
    }


def _state(state: State) -> dict[str, Any]:
    return {
        "name": state.name,
        "kind": state.kind.value,
        "kind_explicit": state.kind_explicit,
        "declared": state.declared,
        "label": state.label,
        "color": state.color,
        "class": state.css_class,
        "active": state.active,
        "actions": [{"kind": a.kind.value, "body": a.body} for a in state.actions],
        "notes": list(state.notes),
        "machine": _region(state.region) if state.region is not None else None,
        "span": _span(state.span),
    }


def _transition(transition: Transition) -> dict[str, Any]:
    return {
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


def _span(span: Span) -> list[int]:
    return [span.line, span.column, span.end_line, span.end_column]
