"""SCXML's ECMAScript datamodel (B.2) in QuickJS, through the `quickjs` package: the optional
extra `statewright[ecmascript]` (docs/scxml.md says why this engine).

The engine is a sandbox (`sandbox.py`): each instance's context runs in a process of its own,
with no I/O (no `std`/`os` module is loaded; nothing of Python is reachable), a time limit per
evaluation the engine enforces and a harder one the parent enforces by ending the process, a
memory limit, and a budget per macrostep (`MACROSTEP_LIMIT` seconds and `EVALUATION_LIMIT`
evaluations across all of them). A document's scripts and expressions are untrusted and run
only there; values cross into Python as JSON, checked for size and depth.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from .. import values
from ..document import ChartError
from . import SCXML_PROCESSOR, SYSTEM, UNSET, ContentError, Event, Host, is_identifier
from .sandbox import HARD_LIMIT, MEMORY_LIMIT, TIME_LIMIT, InProcess, Sandbox

try:
    import quickjs  # type: ignore[import-untyped]  # noqa: F401 - whether the extra is there
except ImportError:  # pragma: no cover - the extra is installed where it is tested
    quickjs = None

__all__ = [
    "HARD_LIMIT",
    "ISOLATION",
    "MEMORY_LIMIT",
    "TIME_LIMIT",
    "EcmascriptDatamodel",
    "available",
]

#: where instances made from now on evaluate: "process" (each instance in a process of its
#: own, ended at `HARD_LIMIT`) or "none", for documents you trust (in this process: much
#: cheaper per evaluation, but only the engine's own limit stops a script; docs/security.md)
ISOLATION = "process"

#: seconds all the evaluations of one macrostep may take together
MACROSTEP_LIMIT = 10.0
#: evaluations one macrostep may make
EVALUATION_LIMIT = 100_000
#: items `<foreach>` may walk
ITEM_LIMIT = 100_000
#: names the sandbox keeps for itself: no `<data>` may take them
_OWN = ("In", "__sw")


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
        if ISOLATION not in ("process", "none"):
            raise ChartError(f"ecmascript.ISOLATION is {ISOLATION!r}: 'process' or 'none'")
        engine = Sandbox if ISOLATION == "process" else InProcess
        self.sandbox: Sandbox | InProcess = engine(values.VALUE_LIMIT)
        #: operations that answer nothing, sent with the next call (one round trip, not many)
        self._pending: list[tuple[str, str]] = []
        self._depth = 0
        self._macrostep()
        location = f"#_scxml_{host.sessionid}"
        io = {SCXML_PROCESSOR: {"location": location}, "scxml": {"location": location}}
        given = {"session": host.sessionid, "name": host.session_name, "io": io}
        self._later(f"__sw.setup({_literal(given)});")

    # -- the engine -----------------------------------------------------------------------------

    def _macrostep(self) -> None:
        #: seconds and evaluations this macrostep has spent (the budget's counts)
        self.spent = 0.0
        self.evaluations = 0

    def _later(self, source: str) -> None:
        self._pending.append(("run", source))

    def _call(self, kind: str, source: str, counted: bool = True) -> Any:
        """Run `source` (after what is pending) within the macrostep's budget; the runtime's
        own reading (`counted=False`: snapshots) is not the document's to spend."""
        if counted and (self.spent >= MACROSTEP_LIMIT or self.evaluations >= EVALUATION_LIMIT):
            raise ContentError(
                f"this macrostep has spent its budget ({self.evaluations} evaluations, "
                f"{self.spent:.1f} s; the limits are {EVALUATION_LIMIT} and "
                f"{MACROSTEP_LIMIT:g} s)"
            )
        operations = [*self._pending, (kind, source)]
        self._pending.clear()
        started = time.monotonic()
        try:
            return self.sandbox.call(operations)
        finally:
            if counted:
                self.evaluations += 1
                self.spent += time.monotonic() - started

    def _run(self, source: str) -> None:
        self._call("run", source)

    def _json(self, source: str, counted: bool = True) -> Any:
        text = self._call("json", f"__sw.json({source})", counted)
        if not isinstance(text, str):
            raise ContentError("the engine gave no JSON text")
        if len(text.encode("utf-8", "surrogatepass")) > values.VALUE_LIMIT:
            raise ContentError(f"a value of over {values.VALUE_LIMIT} bytes")
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            raise ContentError(
                f"the engine gave a value that is not JSON or nests over {values.DEPTH_LIMIT} "
                "levels deep"
            ) from None
        if values.depth(value) > values.DEPTH_LIMIT:
            raise ContentError(f"a value nested over {values.DEPTH_LIMIT} levels deep")
        return value

    def close(self) -> None:
        """End the sandbox's process (it also ends when the datamodel is collected)."""
        self.sandbox.close()

    # -- Datamodel ------------------------------------------------------------------------------

    def evaluate(self, expr: str) -> Any:
        return self._json(f"({_expression(expr)}\n)")

    def condition(self, expr: str) -> bool:
        return self._call("bool", f"!!({_expression(expr)}\n)") is True

    def declare(self, name: str, expr: str | None, value: Any = UNSET) -> None:
        if not is_identifier(name) or name in SYSTEM or name in _OWN:
            raise ContentError(f"`{name}` cannot be a variable")
        if name not in self.declared:
            self.declared.append(name)
        if expr is not None:
            self._run(f"var {name}; {name} = ({_expression(expr)}\n);")
        elif value is not UNSET:
            self._run(f"var {name}; {name} = __sw.value({_literal(value)});")
        else:
            self._run(f"var {name};")

    def assign(self, location: str, expr: str | None, value: Any = UNSET) -> None:
        head = location.strip().split(".")[0].split("[")[0]
        if head in SYSTEM or head in _OWN:
            raise ContentError(f"`{head}` is read-only")
        new = f"({_expression(expr)}\n)" if expr is not None else f"__sw.value({_literal(value)})"
        # strict mode: assigning to an undeclared name throws instead of creating it
        self._run(f'(function () {{ "use strict"; {location} = {new}; }})();')

    def foreach(self, array: str, item: str, index: str | None, body: Callable[[], None]) -> None:
        """`<foreach>`: a shallow copy of the collection (at most `ITEM_LIMIT` items), `item`
        (and `index`) assigned before each pass; both are declared when they are not."""
        for name in (item, index):
            if name is not None and (not is_identifier(name) or name in SYSTEM or name in _OWN):
                raise ContentError(f"`{name}` is not a legal variable name")
        depth = self._depth
        count = self._call("int", f"__sw.collect({depth}, ({array}\n), {ITEM_LIMIT})")
        if not isinstance(count, int) or not 0 <= count <= ITEM_LIMIT:
            raise ContentError("the engine gave no item count")
        self._depth += 1
        try:
            for name in (item, index):
                if name is not None and name not in self.declared:
                    self.declare(name, None)
            for position in range(count):
                self._run(f"{item} = __sw.item({depth}, {position});")
                if index is not None:
                    self._run(f"{index} = {position};")
                body()
        finally:
            self._depth -= 1
            self._later(f"__sw.drop({depth});")

    def activate(self, name: str, active: bool) -> None:
        # the engine keeps its own copy of the configuration for In(): asking Python from
        # inside an evaluation would be a way out of the sandbox
        self._later(f"__sw.activate({json.dumps(name)}, {'true' if active else 'false'});")

    def bind_event(self, event: Event) -> None:
        if event.type == "external":  # a macrostep starts: its budget is whole again
            self._macrostep()
        # a field the event does not have is undefined (SCXML 5.10.1: left blank)
        fields = {k: v for k, v in event.fields().items() if v is not None}
        self._later(f"__sw.bind({_literal(fields)});")

    def script(self, source: str) -> None:
        self._run(source)

    def is_location(self, name: str) -> bool:
        return name in self.declared

    def export(self) -> dict[str, Any]:
        return {name: self._json(name, counted=False) for name in self.declared}

    def load(self, values: Mapping[str, Any]) -> None:
        for name, value in values.items():
            if isinstance(name, str) and is_identifier(name) and name not in SYSTEM:
                if name not in _OWN:
                    self.declare(name, None, value)


def _literal(value: Any) -> str:
    """A JSON value as a JavaScript string literal holding its JSON text (for `JSON.parse`
    inside the sandbox, through the prelude's own copy of it)."""
    return json.dumps(json.dumps(value))


def _expression(expr: str) -> str:
    """An expression as written, without the statement's `;` some documents end it with."""
    return expr.strip().rstrip(";").rstrip()
