"""SCXML's ECMAScript datamodel (B.2) in QuickJS, through the `quickjs` package: the optional
extra `statewright[ecmascript]` (docs/scxml.md says why this engine).

The engine is a sandbox: a QuickJS context has no I/O (no `std`/`os` module is loaded, nothing
of Python is reachable but the one `In()` callable), each evaluation stops after
`TIME_LIMIT` seconds and the context after `MEMORY_LIMIT` bytes. A document's scripts and
expressions are untrusted and run only there. Values cross into Python as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from ..document import ChartError
from . import SCXML_PROCESSOR, SYSTEM, UNSET, ContentError, Event, Host, is_identifier

try:
    import quickjs  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - the extra is installed where it is tested
    quickjs = None

#: seconds one evaluation (an expression, a script) may run
TIME_LIMIT = 2.0
#: bytes one instance's JavaScript heap may hold
MEMORY_LIMIT = 64 * 1024 * 1024
#: bytes of JavaScript stack
STACK_LIMIT = 1024 * 1024

_PRELUDE = """
var __sw = {event: undefined, session: null, name: null, io: null, items: [], active: {}};
(function () {
  function readOnly(name, key) {
    Object.defineProperty(globalThis, name, {
      get: function () { return __sw[key]; },
      set: function () { throw new TypeError(name + ' is read-only'); },
      enumerable: false, configurable: false
    });
  }
  readOnly('_event', 'event');
  readOnly('_sessionid', 'session');
  readOnly('_name', 'name');
  readOnly('_ioprocessors', 'io');
})();
function In(id) { return __sw.active[String(id)] === true; }
function __sw_event(f) {
  return {name: f.name, type: f.type, sendid: f.sendid, origin: f.origin,
          origintype: f.origintype, invokeid: f.invokeid, data: f.data};
}
function __sw_json(value) {
  var text = JSON.stringify(value);
  return text === undefined ? 'null' : text;
}
"""


def available() -> bool:
    """Whether the ecmascript extra is installed."""
    return quickjs is not None


class EcmascriptDatamodel:
    language = "ecmascript"

    def __init__(self, host: Host) -> None:
        if quickjs is None:
            raise ChartError(
                "this chart uses the ecmascript datamodel: install statewright[ecmascript] "
                "(pip install 'statewright-runtime[ecmascript]')"
            )
        self.host = host
        self.declared: list[str] = []
        context = quickjs.Context()
        context.set_memory_limit(MEMORY_LIMIT)
        context.set_time_limit(TIME_LIMIT)
        context.set_max_stack_size(STACK_LIMIT)
        context.eval(_PRELUDE)
        self.context = context
        location = f"#_scxml_{host.sessionid}"
        io = {SCXML_PROCESSOR: {"location": location}, "scxml": {"location": location}}
        self._run(
            f"__sw.session = {json.dumps(host.sessionid)}; "
            f"__sw.name = {json.dumps(host.session_name)}; __sw.io = {json.dumps(io)};"
        )

    # -- the engine -----------------------------------------------------------------------------

    def _run(self, source: str) -> Any:
        try:
            return self.context.eval(source)
        except Exception as error:  # noqa: BLE001 - JavaScript errors, limits, syntax errors
            message = str(error).strip().splitlines()[0] if str(error).strip() else ""
            raise ContentError(f"{type(error).__name__}: {message or 'out of memory'}") from None

    def _json(self, source: str) -> Any:
        text = self._run(f"__sw_json({source})")
        return json.loads(text) if isinstance(text, str) else None

    # -- Datamodel ------------------------------------------------------------------------------

    def evaluate(self, expr: str) -> Any:
        return self._json(f"({_expression(expr)}\n)")

    def condition(self, expr: str) -> bool:
        return bool(self._run(f"!!({_expression(expr)}\n)"))

    def declare(self, name: str, expr: str | None, value: Any = UNSET) -> None:
        if not is_identifier(name) or name in SYSTEM:
            raise ContentError(f"`{name}` cannot be a variable")
        if name not in self.declared:
            self.declared.append(name)
        self._run(f"var {name};")
        if expr is not None:
            self._run(f"{name} = ({_expression(expr)}\n);")
        elif value is not UNSET:
            self._run(f"{name} = JSON.parse({json.dumps(json.dumps(value))});")

    def assign(self, location: str, expr: str | None, value: Any = UNSET) -> None:
        head = location.strip().split(".")[0].split("[")[0]
        if head in SYSTEM:
            raise ContentError(f"`{head}` is read-only")
        new = (
            f"({_expression(expr)}\n)"
            if expr is not None
            else f"JSON.parse({json.dumps(json.dumps(value))})"
        )
        # strict mode: assigning to an undeclared name throws instead of creating it
        self._run(f'(function () {{ "use strict"; {location} = {new}; }})();')

    def foreach(self, array: str, item: str, index: str | None, body: Callable[[], None]) -> None:
        """`<foreach>`: a shallow copy of the collection, `item` (and `index`) assigned before
        each pass; both are declared when they are not."""
        for name in (item, index):
            if name is not None and (not is_identifier(name) or name in SYSTEM):
                raise ContentError(f"`{name}` is not a legal variable name")
        depth = int(self._run("__sw.items.length"))
        key = f"__sw.items[{depth}]"
        self._run(
            f"{key} = (function (a) {{ if (a === null || typeof a !== 'object') "
            f"throw new TypeError('not a collection'); return Array.prototype.slice.call(a); "
            f"}})({array}\n);"
        )
        try:
            count = int(self._run(f"{key}.length"))
            for name in (item, index):
                if name is not None and name not in self.declared:
                    self.declare(name, None)
            for position in range(count):
                self._run(f"{item} = {key}[{position}];")
                if index is not None:
                    self._run(f"{index} = {position};")
                body()
        finally:
            self._run("__sw.items.pop();")

    def activate(self, name: str, active: bool) -> None:
        # QuickJS cannot call into Python under a time limit: the engine keeps its own copy
        # of the configuration for In()
        key = json.dumps(name)
        self._run(f"__sw.active[{key}] = true;" if active else f"delete __sw.active[{key}];")

    def bind_event(self, event: Event) -> None:
        # a field the event does not have is undefined (SCXML 5.10.1: left blank)
        fields = {k: v for k, v in event.fields().items() if v is not None}
        self._run(f"__sw.event = __sw_event(JSON.parse({json.dumps(json.dumps(fields))}));")

    def script(self, source: str) -> None:
        self._run(source)

    def is_location(self, name: str) -> bool:
        return name in self.declared

    def export(self) -> dict[str, Any]:
        return {name: self._json(name) for name in self.declared}

    def load(self, values: Mapping[str, Any]) -> None:
        for name, value in values.items():
            if isinstance(name, str) and is_identifier(name) and name not in SYSTEM:
                self.declare(name, None, value)


def _expression(expr: str) -> str:
    """An expression as written, without the statement's `;` some documents end it with."""
    return expr.strip().rstrip(";").rstrip()
