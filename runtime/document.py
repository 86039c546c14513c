"""The `statewright-ir/1` document as the runtime reads it: checked before anything is built.

Stage: the runtime's input. An IR document may come from a file nobody checked, a store, or a
program: `validate` walks it once, without recursion, and raises one `ChartError` naming the
JSON path of the first problem (`$.machine.states[2].kind: ...`) instead of a KeyError,
TypeError or RecursionError from deep inside the model builder. It checks what running reads
(`runtime.runnable.runnable_document`: names, kinds, actions, nested machines, transitions) and
the bounds every document must keep (docs/security.md):

- composite states nest at most `MAX_NESTING` levels (as smcat text, P004);
- a document holds at most `MAX_ITEMS` states, transitions and actions in all;
- every transition's source and target name a state of the document.

It imports nothing but the standard library.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import ChartError as ChartError

FORMAT = "statewright-ir/1"
MAX_NESTING = 100
MAX_ITEMS = 1_000_000
#: the largest IR file `runtime.load` reads (a document is JSON text)
MAX_BYTES = 64 * 1024 * 1024

STATE_KINDS = frozenset(
    {
        "regular",
        "initial",
        "final",
        "terminate",
        "parallel",
        "history",
        "deephistory",
        "choice",
        "forkjoin",
        "fork",
        "join",
        "junction",
    }
)
ACTION_KINDS = frozenset({"entry", "exit", "activity"})
TRANSITION_KINDS = frozenset({"external", "internal"})


def validate(document: Any) -> None:
    """Raise `ChartError` at the first part of `document` that is not a runnable
    `statewright-ir/1` document (the compact form generated classes keep is accepted: keys
    whose value would be empty or null may be left out)."""
    if not isinstance(document, Mapping) or document.get("format") != FORMAT:
        raise ChartError(f"not a {FORMAT} document (`format` must be {FORMAT!r})")
    names: set[str] = set()
    references: list[tuple[str, str, str]] = []  # (path, key, state name)
    items = 0
    pending: list[tuple[Any, str, int]] = [
        (_key(document, "machine", "$", Mapping), "$.machine", 0)
    ]
    while pending:
        machine, path, depth = pending.pop()
        if depth > MAX_NESTING:
            raise ChartError(
                f"{_brief_path(path)}: composite states nest more than {MAX_NESTING} levels"
            )
        states = _optional(machine, "states", path, list) or []
        transitions = _optional(machine, "transitions", path, list) or []
        items += len(states) + len(transitions)
        if items > MAX_ITEMS:
            raise ChartError(f"{path}: more than {MAX_ITEMS:,} states and transitions")
        for index, state in enumerate(states):
            where = f"{path}.states[{index}]"
            if not isinstance(state, Mapping):
                raise ChartError(f"{where}: a state must be an object")
            names.add(_key(state, "name", where, str))
            if _key(state, "kind", where, str) not in STATE_KINDS:
                raise ChartError(f"{where}.kind: unknown kind {_brief(state['kind'])}")
            for number, action in enumerate(_optional(state, "actions", where, list) or []):
                place = f"{where}.actions[{number}]"
                if not isinstance(action, Mapping):
                    raise ChartError(f"{place}: an action must be an object")
                if _key(action, "kind", place, str) not in ACTION_KINDS:
                    raise ChartError(f"{place}.kind: unknown kind {_brief(action['kind'])}")
                _key(action, "body", place, str)
            items += len(state.get("actions") or ())
            inner = _optional(state, "machine", where, Mapping)
            if inner is not None:
                pending.append((inner, f"{where}.machine", depth + 1))
        for index, transition in enumerate(transitions):
            where = f"{path}.transitions[{index}]"
            if not isinstance(transition, Mapping):
                raise ChartError(f"{where}: a transition must be an object")
            identifier = _key(transition, "id", where, int)
            if isinstance(identifier, bool):
                raise ChartError(f"{where}.id: must be a number, not {identifier!r}")
            for key in ("source", "target"):
                references.append((where, key, _key(transition, key, where, str)))
            for key in ("event", "guard", "action"):
                _optional(transition, key, where, str)
            kind = _optional(transition, "kind", where, str)
            if kind is not None and kind not in TRANSITION_KINDS:
                raise ChartError(f"{where}.kind: unknown kind {_brief(kind)}")
    for where, key, name in references:
        if name not in names:
            raise ChartError(f"{where}.{key}: {_brief(name)} names no state of the document")


def _key(obj: Mapping[str, Any], key: str, path: str, kind: type) -> Any:
    if key not in obj:
        raise ChartError(f"{path}: missing `{key}`")
    value = obj[key]
    if not isinstance(value, kind):
        raise ChartError(f"{path}.{key}: expected {_NAMES[kind]}, found {_shown(value)}")
    return value


def _optional(obj: Mapping[str, Any], key: str, path: str, kind: type) -> Any:
    value = obj.get(key)
    if value is not None and not isinstance(value, kind):
        raise ChartError(f"{path}.{key}: expected {_NAMES[kind]}, found {_shown(value)}")
    return value


_NAMES: dict[type, str] = {
    str: "a string",
    int: "a number",
    list: "a list",
    Mapping: "an object",
}


def _shown(value: Any) -> str:
    """A value for a message: its JSON type, never its (untrusted, maybe huge) text."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def _brief(text: str) -> str:
    """A string from the document for a message: quoted, escaped, at most 60 characters."""
    shown = repr(text[:60])
    return shown + "..." if len(text) > 60 else shown


def _brief_path(path: str) -> str:
    return path if len(path) <= 160 else f"{path[:70]}...{path[-70:]}"


def read_document(path: Path) -> Any:
    """The JSON value of an IR file, or `ChartError` (too large, not UTF-8 JSON, nested
    deeper than the JSON reader goes) naming the file."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as error:
        raise ChartError(f"{path}: cannot read the chart: {error.strerror}") from None
    return parse_document(data, str(path))


def parse_document(data: bytes, name: str) -> Any:
    """The JSON value of an IR document's bytes, or `ChartError` naming `name`: larger than
    `MAX_BYTES`, not UTF-8 JSON, or nested deeper than the JSON reader goes."""
    if len(data) > MAX_BYTES:
        raise ChartError(f"{name}: cannot read the chart: larger than {MAX_BYTES:,} bytes")
    try:
        return json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as error:
        reason = "nested too deep" if isinstance(error, RecursionError) else str(error)
        raise ChartError(f"{name}: cannot read the chart: not JSON: {reason}") from None
