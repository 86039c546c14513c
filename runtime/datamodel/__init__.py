"""Datamodels: where a chart's data lives and how its expressions are evaluated (SCXML 5).

A document names its datamodel (`datamodel` in the IR: docs/ir.md); the interpreter makes one
per instance with `make(language, host)`:

- `null` (`NullDatamodel`): no data; the only condition is `In('state')`;
- `statewright` (`NativeDatamodel`): statewright's guard language (runtime.expr) plus
  assignment, over the machine's `context`; the same bounds as guards;
- `ecmascript` (`runtime.datamodel.ecmascript`): JavaScript in an embedded engine (QuickJS,
  the optional extra `statewright[ecmascript]`), with no I/O and a time and a memory bound per
  evaluation.

Every datamodel raises `ContentError` for what SCXML calls an error in executable content (an
expression that fails, an assignment to a location that does not exist or is read-only); the
interpreter turns it into an `error.execution` event. Values that leave a datamodel (event
data, snapshots) are JSON values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..errors import StatewrightError


@dataclass(frozen=True)
class DatamodelKind:
    """What the compiler and the runtime know of a datamodel, in one row of `DATAMODELS`."""

    name: str
    #: its conditions are written in its own language (ECMAScript; `In()` for `null`), not in
    #: statewright's guard language: the checker and the generated classes leave them to it
    own_conditions: bool


#: the datamodels this runtime knows (a document names one: `datamodel.language` in the IR)
DATAMODELS: dict[str, DatamodelKind] = {
    "null": DatamodelKind("null", own_conditions=True),
    "statewright": DatamodelKind("statewright", own_conditions=False),
    "ecmascript": DatamodelKind("ecmascript", own_conditions=True),
}
#: their names
LANGUAGES = tuple(DATAMODELS)


def own_conditions(language: str | None) -> bool:
    """Whether a document in `language` (None: statewright's) evaluates its own conditions."""
    found = DATAMODELS.get(language or "statewright")
    return found is not None and found.own_conditions


#: SCXML's system variables: readable, never assignable
SYSTEM = ("_event", "_sessionid", "_name", "_ioprocessors", "_x")

#: the Event I/O processor this runtime implements (SCXML C.1), and its short name
SCXML_PROCESSOR = "http://www.w3.org/TR/scxml/#SCXMLEventProcessor"
SCXML_TYPES = (SCXML_PROCESSOR, "scxml")

#: "no value given" (None is JSON's null)
UNSET: Any = type("Unset", (), {"__repr__": lambda self: "UNSET"})()

_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*\Z")


class ContentError(StatewrightError):
    """An error in executable content (SCXML `error.execution`); `sendid` names the `<send>`
    that failed, if one did."""

    def __init__(self, message: str, sendid: str | None = None) -> None:
        super().__init__(message)
        self.sendid = sendid


@dataclass(frozen=True, slots=True)
class Event:
    """An event as SCXML describes it (5.10.1): what `_event` reads."""

    name: str
    data: Any = None
    #: "external", "internal" or "platform"
    type: str = "external"
    sendid: str | None = None
    origin: str | None = None
    origintype: str | None = None
    invokeid: str | None = None

    def fields(self) -> dict[str, Any]:
        """`_event` as JSON: every field, absent ones as None."""
        return {
            "name": self.name,
            "type": self.type,
            "sendid": self.sendid,
            "origin": self.origin,
            "origintype": self.origintype,
            "invokeid": self.invokeid,
            "data": self.data,
        }

    @classmethod
    def from_fields(cls, raw: Mapping[str, Any]) -> Event:
        def text(key: str) -> str | None:
            value = raw.get(key)
            return value if isinstance(value, str) else None

        return cls(
            str(raw["name"]),
            raw.get("data"),
            text("type") or "external",
            text("sendid"),
            text("origin"),
            text("origintype"),
            text("invokeid"),
        )


class Host(Protocol):
    """What a datamodel asks of the machine it belongs to."""

    def is_active(self, name: str) -> bool: ...

    @property
    def sessionid(self) -> str: ...

    @property
    def session_name(self) -> str | None: ...


class Datamodel(Protocol):
    """The datamodel of one running instance."""

    language: str

    def declare(self, name: str, expr: str | None, value: Any = UNSET) -> None:
        """`<data>`: create the variable, from `expr` (evaluated) or `value` (JSON); with
        neither, it exists and holds nothing (undefined)."""

    def evaluate(self, expr: str) -> Any:
        """An expression's value, as JSON."""

    def condition(self, expr: str) -> bool:
        """A condition (`cond`): its value as a boolean."""

    def assign(self, location: str, expr: str | None, value: Any = UNSET) -> None:
        """`<assign>`: the location must exist and be writable."""

    def foreach(self, array: str, item: str, index: str | None, body: Callable[[], None]) -> None:
        """`<foreach>`: over a shallow copy of the collection, `item` (and `index`) set before
        each run of `body`, declared when they are not."""

    def activate(self, name: str, active: bool) -> None:
        """A state entered or left (for a datamodel that keeps its own `In()`)."""

    def bind_event(self, event: Event) -> None:
        """`_event` from now on."""

    def script(self, source: str) -> None:
        """`<script>`."""

    def is_location(self, name: str) -> bool:
        """Whether `name` can be assigned (a declared variable, not a system one)."""

    def export(self) -> dict[str, Any]:
        """The variables as JSON (snapshots)."""

    def load(self, values: Mapping[str, Any]) -> None:
        """Put exported variables back."""


def is_identifier(name: str) -> bool:
    return bool(_IDENTIFIER.match(name))


@dataclass
class NullDatamodel:
    """SCXML B.1: no data; `In('state')` is the only condition."""

    host: Host
    language: str = "null"
    _in: re.Pattern[str] = field(
        default=re.compile(r"\s*In\(\s*'([^']*)'\s*\)\s*\Z|\s*In\(\s*\"([^\"]*)\"\s*\)\s*\Z")
    )

    def declare(self, name: str, expr: str | None, value: Any = UNSET) -> None:
        raise ContentError("the null datamodel holds no data")

    def evaluate(self, expr: str) -> Any:
        raise ContentError("the null datamodel evaluates no expression")

    def condition(self, expr: str) -> bool:
        found = self._in.match(expr)
        if found is None:
            raise ContentError(f"the null datamodel has only In('state') conditions: {expr!r}")
        return self.host.is_active(found.group(1) or found.group(2) or "")

    def assign(self, location: str, expr: str | None, value: Any = UNSET) -> None:
        raise ContentError("the null datamodel holds no data")

    def foreach(self, array: str, item: str, index: str | None, body: Callable[[], None]) -> None:
        raise ContentError("the null datamodel holds no data")

    def activate(self, name: str, active: bool) -> None:
        pass

    def bind_event(self, event: Event) -> None:
        pass

    def script(self, source: str) -> None:
        raise ContentError("the null datamodel runs no script")

    def is_location(self, name: str) -> bool:
        return False

    def export(self) -> dict[str, Any]:
        return {}

    def load(self, values: Mapping[str, Any]) -> None:
        pass


def make(language: str | None, host: Host, context: dict[str, Any]) -> Datamodel:
    """The datamodel a document asks for (None: statewright's, over `context`)."""
    if language == "null":
        return NullDatamodel(host)
    if language == "ecmascript":
        from .ecmascript import EcmascriptDatamodel

        return EcmascriptDatamodel(host)
    from .native import NativeDatamodel

    return NativeDatamodel(host, context)
