"""Declared data: the context a chart reads (names, types, defaults) and the fields of its events.

A chart may declare them (smcat `//@ context` and `//@ event` lines, YAML `context:` and
`events:`, the IR document's `context` and `events` keys; docs/language.md). Then:

- a machine starts with the declared defaults in its context; a context given for a name the
  chart does not declare, or a value of the wrong type, is refused (`DataError`);
- an event whose fields are declared is refused, with nothing changed, when its data lacks a
  required field, has one that is not declared, or a value of the wrong type; on both
  engines and in the stores (before anything is written);
- the checker reports guards that read undeclared names (docs/diagnostics.md).

A chart without declarations keeps working as before, under the evaluation-error rule for
names that are not there (runtime.expr). The types are JSON's, by the names Python users
write: `int`, `float` (an int fits), `str`, `bool`, `list`, `dict`, `any`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from .errors import ChartError, DataError


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


#: the declared types and what fits each
TYPES: dict[str, Callable[[Any], bool]] = {
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": _number,
    "str": lambda v: isinstance(v, str),
    "bool": lambda v: isinstance(v, bool),
    "list": lambda v: isinstance(v, list | tuple),
    "dict": lambda v: isinstance(v, Mapping),
    "any": lambda v: True,
}


class Field(NamedTuple):
    """A field of an event's data."""

    name: str
    type: str
    required: bool = True


class Declared(NamedTuple):
    """A chart's declarations, as the runtime uses them (a named tuple, not a dataclass: a
    generated class imports this module, and dataclasses costs it ~5 ms of import)."""

    #: each declared context name -> its type, and its default value
    types: Mapping[str, str] = MappingProxyType({})
    defaults: Mapping[str, Any] = MappingProxyType({})
    #: each declared event -> its fields
    events: Mapping[str, tuple[Field, ...]] = MappingProxyType({})

    def __bool__(self) -> bool:
        return bool(self.types or self.events)

    def context(self, given: Mapping[str, Any] | None) -> dict[str, Any]:
        """The context a machine starts with: the defaults, then `given` (each name declared,
        each value of its type, when the chart declares its context)."""
        given = dict(given or {})
        if self.types:
            for name, value in given.items():
                if name not in self.types:
                    raise DataError(f"the context: {_unknown(name, self.types, 'a name')}")
                expected = self.types[name]
                if not TYPES[expected](value):
                    raise DataError(f"the context: `{name}` is {expected}, not {_shown(value)}")
        return {**_copies(self.defaults), **given}

    def check(self, event: str, data: Mapping[str, Any]) -> None:
        """Refuse `data` for `event` when the event's fields are declared and it does not
        match them: a missing required field, an undeclared one, a value of another type."""
        fields = self.events.get(event)
        if fields is None:
            return
        known = {f.name: f for f in fields}
        for name, value in data.items():
            declared = known.get(name)
            if declared is None:
                raise DataError(f"`{event}`: {_unknown(name, known, 'a field')}")
            if not TYPES[declared.type](value):
                raise DataError(
                    f"`{event}`: `{name}` is {declared.type}, not {_shown(value)}; nothing changed"
                )
        missing = [f.name for f in fields if f.required and f.name not in data]
        if missing:
            listed = ", ".join(f"`{name}`" for name in missing)
            raise DataError(f"`{event}` needs {listed} in its data; nothing changed")


NOTHING = Declared()


def of_document(document: Mapping[str, Any]) -> Declared:
    """The declarations of a `statewright-ir/1` document (`context`, `events`), checked: a
    `ChartError` names the first part out of place."""
    context = document.get("context") or []
    events = document.get("events") or []
    if not isinstance(context, list) or not isinstance(events, list):
        raise ChartError("$.context and $.events are lists")
    if not context and not events:
        return NOTHING
    types: dict[str, str] = {}
    defaults: dict[str, Any] = {}
    for index, entry in enumerate(context):
        where = f"$.context[{index}]"
        name, kind = _named(entry, where)
        if name in types:
            raise ChartError(f"{where}: `{name}` is declared twice")
        if "default" not in entry:
            raise ChartError(f"{where}: `{name}` has no default")
        if not TYPES[kind](entry["default"]):
            raise ChartError(f"{where}: the default of `{name}` is not {kind}")
        types[name], defaults[name] = kind, entry["default"]
    signatures: dict[str, tuple[Field, ...]] = {}
    for index, entry in enumerate(events):
        where = f"$.events[{index}]"
        if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
            raise ChartError(f"{where}: an event is an object with a `name`")
        fields = []
        for number, raw in enumerate(entry.get("fields") or []):
            name, kind = _named(raw, f"{where}.fields[{number}]")
            required = raw.get("required", True)
            if not isinstance(required, bool):
                raise ChartError(f"{where}.fields[{number}].required: true or false")
            fields.append(Field(name, kind, required))
        signatures[entry["name"]] = tuple(fields)
    return Declared(types, defaults, signatures)


def _named(entry: Any, where: str) -> tuple[str, str]:
    if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
        raise ChartError(f"{where}: expected an object with a `name`")
    kind = entry.get("type", "any")
    if kind not in TYPES:
        raise ChartError(f"{where}.type: one of {', '.join(TYPES)}, not {kind!r}")
    return entry["name"], kind


def _unknown(name: str, known: Mapping[str, Any], what: str) -> str:
    import difflib  # only to word a refusal

    close = difflib.get_close_matches(str(name), [str(k) for k in known], n=1, cutoff=0.6)
    hint = f" (did you mean `{close[0]}`?)" if close else ""
    return f"`{name}` is not {what} the chart declares{hint}; nothing changed"


def _shown(value: Any) -> str:
    text = repr(value)
    return f"{text[:40]}..." if len(text) > 40 else text


def _copies(defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The defaults, with lists and dicts copied: one machine's changes are not another's."""
    if not defaults:
        return {}
    import copy

    return {k: copy.deepcopy(v) if isinstance(v, list | dict) else v for k, v in defaults.items()}
