"""`statewright-ir/1` documents, read and written in one place (docs/ir.md): the complete,
versioned form of the IR that the runtime loads without the compiler. `docs/ir.schema.json` is
its published schema.

- `to_document(chart)` writes a chart as a document: every key is always present (null or
  empty when unset), so readers need no defaults; `emit` is `-T ir` (the document as JSON).
- `from_document(document)` builds the chart back from a document already parsed (a store's
  kept source, a generated class's `CHART`), checking the format tag and the shape as it reads
  and naming the path of an offending value (`IRFormatError`); `read(data, name)` is the
  reader's interface for `.ir.json` files (bytes in, the chart and diagnostics out, R001 for a
  document it cannot use).

It imports nothing from lark, and no reader or emitter.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..runtime.compiling import (
    FORMAT,
    ChartError,
    of_document,
    parse_document,
    validate,
    validate_scxml,
)
from .diagnostics import Diagnostic, Severity
from .errors import IRFormatError as IRFormatError
from .ir import (
    Action,
    ActionKind,
    Chart,
    Field,
    Region,
    Signature,
    Span,
    State,
    StateKind,
    Transition,
    TransitionKind,
    Variable,
)


def read(data: bytes, name: str) -> tuple[Chart | None, list[Diagnostic]]:
    """An IR file's bytes -> the chart, or None and R001 saying why it cannot be used (not
    JSON, too large, not `statewright-ir/1`, or a value out of place: its JSON path). The
    chart's spans point into the source the document was compiled from (its `file`)."""
    span = Span(name, 1, 1, 1, 2)
    try:
        return from_document(parse_document(data, name)), []
    except ChartError as error:  # not JSON: point at the place the JSON reader stopped
        message, span = str(error), _json_error_at(data, name) or span
    except IRFormatError as error:
        message = str(error)
    hint = "write it with `statewright compile CHART -T ir` (docs/ir.md)"
    message = message.removeprefix(f"{name}: ")
    return None, [Diagnostic("R001", Severity.ERROR, message, span, hint)]


def _json_error_at(data: bytes, name: str) -> Span | None:
    """Where the JSON reader stops in `data` (only asked after it failed)."""
    try:
        json.loads(data.decode("utf-8", "replace"))
    except json.JSONDecodeError as error:
        return Span(name, error.lineno, error.colno, error.lineno, error.colno + 1)
    except (ValueError, RecursionError):
        return None
    return None


def from_document(document: Any, *, compact: bool = False) -> Chart:
    """Build a chart from a parsed `statewright-ir/1` JSON document.

    With `compact`, keys left out are given their default values first: the form a generated
    class keeps in its `CHART` (only what is not a default), which a store keeps for drawing.
    """
    if compact:
        document = complete(document)
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise IRFormatError(f"not a {FORMAT} document (its `format` must be {FORMAT!r})")
    try:
        validate(document)  # the runtime's check first: bounded nesting and size, references
        validate_scxml(document)
    except ChartError as error:
        raise IRFormatError(str(error)) from None
    _known(document, _DOCUMENT_KEYS, "$")
    file = _get(document, "file", str, "$")
    region = _machine(_get(document, "machine", dict, "$"), file, "$.machine")
    context, signatures = _declarations(document)
    return Chart(
        region,
        file,
        datamodel=_json_text(document.get("datamodel")),
        context=context,
        signatures=signatures,
    )


def _declarations(document: dict[str, Any]) -> tuple[tuple[Variable, ...], tuple[Signature, ...]]:
    """The declared context and event fields, checked as the runtime checks them."""
    try:
        of_document(document)
    except ChartError as error:
        raise IRFormatError(str(error)) from None
    context = tuple(
        Variable(v["name"], v.get("type", "any"), json.dumps(v["default"], ensure_ascii=False))
        for v in document.get("context") or []
    )
    signatures = tuple(
        Signature(
            e["name"],
            tuple(
                Field(f["name"], f.get("type", "any"), f.get("required", True))
                for f in e.get("fields") or []
            ),
        )
        for e in document.get("events") or []
    )
    return context, signatures


_STATE_DEFAULTS: dict[str, Any] = {
    "kind": "regular",
    "kind_explicit": False,
    "declared": True,
    "label": None,
    "color": None,
    "class": None,
    "active": False,
    "actions": [],
    "notes": [],
    "machine": None,
    "span": [0, 0, 0, 0],
}
_TRANSITION_DEFAULTS: dict[str, Any] = {
    "label": None,
    "event": None,
    "guard": None,
    "action": None,
    "kind": None,
    "color": None,
    "class": None,
    "width": None,
    "notes": [],
    "span": [0, 0, 0, 0],
}


def complete(document: Any) -> Any:
    """A compact IR document with every key its full form has (a copy; the input is kept)."""
    if not isinstance(document, dict):
        return document

    def machine(value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        states = [
            (
                {**_STATE_DEFAULTS, **s, "machine": machine(s.get("machine"))}
                if isinstance(s, dict)
                else s
            )
            for s in value.get("states", [])
        ]
        transitions = [
            {**_TRANSITION_DEFAULTS, **t} if isinstance(t, dict) else t
            for t in value.get("transitions", [])
        ]
        return {"states": states, "transitions": transitions}

    return {"file": "<generated>", **document, "machine": machine(document.get("machine"))}


def _get(obj: dict[str, Any], key: str, kind: type | tuple[type, ...], path: str) -> Any:
    if key not in obj:
        raise IRFormatError(f"{path}: missing `{key}`")
    value = obj[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise IRFormatError(f"{path}.{key}: unexpected value {value!r}")
    return value


def _opt(obj: dict[str, Any], key: str, path: str) -> str | None:
    return _get(obj, key, (str, type(None)), path)  # type: ignore[no-any-return]


def _span(value: Any, file: str, path: str) -> Span:
    if not (isinstance(value, list) and len(value) == 4 and all(isinstance(v, int) for v in value)):
        raise IRFormatError(f"{path}.span: expected [line, column, end_line, end_column]")
    return Span(file, *value)


#: the keys each object of a document may have: a key the reader does not know would be
#: dropped, so it is refused (a hand edit, or a document of another version)
_DOCUMENT_KEYS = frozenset({"format", "file", "machine", "datamodel", "context", "events"})
_REGION_KEYS = frozenset({"states", "transitions"})
_STATE_KEYS = frozenset({"name", *_STATE_DEFAULTS, "data", "donedata", "invoke"})
_ACTION_KEYS = frozenset({"kind", "body", "content"})
_TRANSITION_KEYS = frozenset({"id", "source", "target", *_TRANSITION_DEFAULTS, "content"})


def _known(obj: dict[str, Any], keys: frozenset[str], path: str) -> None:
    unknown = sorted(str(key) for key in obj if key not in keys)
    if unknown:
        raise IRFormatError(
            f"{path}: unknown key `{unknown[0]}` (a {FORMAT} document has no place for it)"
        )


def _machine(obj: dict[str, Any], file: str, path: str) -> Region:
    _known(obj, _REGION_KEYS, path)
    states = tuple(
        _state(s, file, f"{path}.states[{i}]")
        for i, s in enumerate(_get(obj, "states", list, path))
    )
    transitions = tuple(
        _transition(t, file, f"{path}.transitions[{i}]")
        for i, t in enumerate(_get(obj, "transitions", list, path))
    )
    return Region(states, transitions)


def _enum(enum_type: Any, value: Any, path: str) -> Any:
    try:
        return enum_type(value)
    except ValueError:
        raise IRFormatError(f"{path}: unknown value {value!r}") from None


def _state(obj: Any, file: str, path: str) -> State:
    if not isinstance(obj, dict):
        raise IRFormatError(f"{path}: expected an object")
    _known(obj, _STATE_KEYS, path)
    inner = _get(obj, "machine", (dict, type(None)), path)
    actions = []
    for i, action in enumerate(_get(obj, "actions", list, path)):
        if not isinstance(action, dict):
            raise IRFormatError(f"{path}.actions[{i}]: expected an object")
        _known(action, _ACTION_KEYS, f"{path}.actions[{i}]")
        actions.append(
            Action(
                _enum(ActionKind, action.get("kind"), f"{path}.actions[{i}].kind"),
                _get(action, "body", str, f"{path}.actions[{i}]"),
                _json_text(action.get("content")),
            )
        )
    return State(
        name=_get(obj, "name", str, path),
        kind=_enum(StateKind, obj.get("kind"), f"{path}.kind"),
        kind_explicit=_get(obj, "kind_explicit", bool, path),
        declared=_get(obj, "declared", bool, path),
        label=_opt(obj, "label", path),
        color=_opt(obj, "color", path),
        css_class=_opt(obj, "class", path),
        active=_get(obj, "active", bool, path),
        actions=tuple(actions),
        notes=tuple(_strings(obj, "notes", path)),
        region=_machine(inner, file, f"{path}.machine") if inner is not None else None,
        span=_span(obj.get("span"), file, path),
        data=_json_text(obj.get("data")),
        donedata=_json_text(obj.get("donedata")),
        invoke=_json_text(obj.get("invoke")),
    )


def _strings(obj: dict[str, Any], key: str, path: str) -> list[str]:
    values = _get(obj, key, list, path)
    if not all(isinstance(v, str) for v in values):
        raise IRFormatError(f"{path}.{key}: expected a list of strings")
    return values  # type: ignore[no-any-return]


def _transition(obj: Any, file: str, path: str) -> Transition:
    if not isinstance(obj, dict):
        raise IRFormatError(f"{path}: expected an object")
    _known(obj, _TRANSITION_KEYS, path)
    kind = obj.get("kind")
    width = _get(obj, "width", (int, float, type(None)), path)
    return Transition(
        id=_get(obj, "id", int, path),
        source=_get(obj, "source", str, path),
        target=_get(obj, "target", str, path),
        label=_opt(obj, "label", path),
        event=_opt(obj, "event", path),
        guard=_opt(obj, "guard", path),
        action=_opt(obj, "action", path),
        kind=_enum(TransitionKind, kind, f"{path}.kind") if kind is not None else None,
        color=_opt(obj, "color", path),
        css_class=_opt(obj, "class", path),
        width=float(width) if width is not None else None,
        notes=tuple(_strings(obj, "notes", path)),
        span=_span(obj.get("span"), file, path),
        content=_json_text(obj.get("content")),
    )


def _json_text(value: Any) -> str | None:
    """An SCXML part of the document (validated) as the IR keeps it: canonical JSON text."""
    return None if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False)


# -- writing ---------------------------------------------------------------------------------


def emit(chart: Chart, options: Mapping[str, Any] | None = None) -> str:
    """`-T ir`: the chart's document as JSON."""
    return json.dumps(to_document(chart), indent=2, ensure_ascii=False) + "\n"


def to_document(chart: Chart) -> dict[str, Any]:
    """The chart as a `statewright-ir/1` document."""
    document: dict[str, Any] = {
        "format": FORMAT,
        "file": chart.file,
        "machine": _region_document(chart.region),
    }
    if chart.datamodel is not None:  # the SCXML keys are there only when set
        document["datamodel"] = json.loads(chart.datamodel)
    if chart.context:  # as are the declarations
        document["context"] = [
            {"name": v.name, "type": v.type, "default": json.loads(v.default)}
            for v in chart.context
        ]
    if chart.signatures:
        document["events"] = [
            {
                "name": s.event,
                "fields": [
                    {"name": f.name, "type": f.type, "required": f.required} for f in s.fields
                ],
            }
            for s in chart.signatures
        ]
    return document


def _region_document(region: Region) -> dict[str, Any]:
    return {
        "states": [_state_document(s) for s in region.states],
        "transitions": [_transition_document(t) for t in region.transitions],
    }


def _state_document(state: State) -> dict[str, Any]:
    found = {
        "name": state.name,
        "kind": state.kind.value,
        "kind_explicit": state.kind_explicit,
        "declared": state.declared,
        "label": state.label,
        "color": state.color,
        "class": state.css_class,
        "active": state.active,
        "actions": [_action_document(a) for a in state.actions],
        "notes": list(state.notes),
        "machine": _region_document(state.region) if state.region is not None else None,
        "span": _span_document(state.span),
    }
    if state.data is not None:
        found["data"] = json.loads(state.data)
    if state.donedata is not None:
        found["donedata"] = json.loads(state.donedata)
    if state.invoke is not None:
        found["invoke"] = json.loads(state.invoke)
    return found


def _action_document(action: Action) -> dict[str, Any]:
    found: dict[str, Any] = {"kind": action.kind.value, "body": action.body}
    if action.content is not None:
        found["content"] = json.loads(action.content)
    return found


def _transition_document(transition: Transition) -> dict[str, Any]:
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
        "span": _span_document(transition.span),
    }
    if transition.content is not None:
        found["content"] = json.loads(transition.content)
    return found


def _span_document(span: Span) -> list[int]:
    return [span.line, span.column, span.end_line, span.end_column]
