"""The SCXML side of one running machine: its session id, its datamodel, and what executable
content asks of it (`runtime.content.Runner`): raising internal events, dispatching `<send>`
to a queue, a timer, the parent or a child, cancelling delayed sends, logging.

The interpreter makes one `Session` per machine; a chart without a datamodel never notices it
(statewright's own datamodel over `context` stands in until something asks for one).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .content import Send, execute
from .datamodel import SCXML_PROCESSOR, ContentError, Datamodel, Event, make
from .model import order

if TYPE_CHECKING:
    from .running import Engine

_log = logging.getLogger("statewright.runtime")

#: the longest delay a `<send>` may ask for (a year): timers are kept in memory and snapshots
MAX_DELAY = 365 * 24 * 3600.0


class Session:
    """One machine's SCXML session (see the module docstring)."""

    def __init__(self, machine: Engine) -> None:
        self.machine = machine
        self.sessionid = uuid.uuid4().hex
        self._datamodel: Datamodel | None = None
        self.sends = 0
        #: states whose `<data>` has been initialised (late binding initialises on entry)
        self.initialised: set[str] = set()
        #: an invoked session's values from its parent's `namelist` and `<param>`s, which
        #: replace the `<data>` of the same name
        self.overrides: dict[str, Any] = {}

    # -- Host -----------------------------------------------------------------------------------

    @property
    def session_name(self) -> str | None:
        name: str | None = self.machine.model.name
        return name

    def is_active(self, name: str) -> bool:
        result: bool = self.machine.is_active(name)
        return result

    @property
    def datamodel(self) -> Datamodel:
        if self._datamodel is None:
            self._datamodel = make(self.machine.model.datamodel, self, self.machine.context)
        return self._datamodel

    @property
    def origin(self) -> str:
        return f"#_scxml_{self.sessionid}"

    # -- Runner ---------------------------------------------------------------------------------

    def raise_internal(self, event: Event) -> None:
        self.machine.run_state.internal.append(event)

    def error(self, name: str, message: str, sendid: str | None = None) -> None:
        """Raise `error.execution` or `error.communication` (SCXML 5.10.2)."""
        _log.info("%s: %s", name, message)
        self.machine._notify({"error": name, "message": message[:500]})  # listeners hear it
        self.raise_internal(Event(name, {"message": message[:500]}, type="platform", sendid=sendid))

    def fresh_sendid(self) -> str:
        self.sends += 1
        return f"{self.sessionid[:8]}.send.{self.sends}"

    def log(self, label: str | None, value: Any) -> None:
        _log.info("log %s: %r", label or "", value)
        self.machine._notify({"log": label or "", "value": value})

    def dispatch(self, send: Send) -> None:
        if send.delay > MAX_DELAY:
            raise ContentError(f"a delay over {MAX_DELAY:.0f} s")
        event = replace(send.event, origin=self.origin, origintype=SCXML_PROCESSOR)
        target = send.target
        if target == "#_internal":
            self.raise_internal(replace(event, type="internal"))
            return
        if target is not None and target not in (self.origin, "#_parent"):
            if not target.startswith("#_"):
                raise ContentError(f"the send target `{target[:80]}` is not supported")
            if self.machine._invocations.child(target[2:]) is None:
                self.error("error.communication", f"no session `{target[:80]}`", send.sendid)
                return
        if target == "#_parent":
            parent = self.machine.parent
            if parent is None:
                self.error("error.communication", "this session has no parent", send.sendid)
                return
        # Even without a delay, an event for an external queue is a timer due now: it comes
        # after the call that sent it returns (`tick()` delivers it), as SCION delivers it.
        # Without a delay it is in the receiver's queue at once (a session that then ends
        # does not take it along); with one, the sender keeps it (`<cancel>` may stop it).
        receiver = self._receiver(target) if send.delay == 0 else None
        if receiver is not None:
            if target == "#_parent":
                event = replace(event, invokeid=self.machine.invokeid)
            receiver._schedule(event, 0.0, None)
        else:
            self.machine._schedule(event, send.delay, None, target, send.sendid)

    def _receiver(self, target: str | None) -> Any:
        """The machine that a `<send>` to `target` reaches (the parent or a child), or None
        for this machine itself."""
        if target == "#_parent":
            return self.machine.parent
        if target is not None and target != self.origin:
            return self.machine._invocations.child(target[2:])
        return None

    def deliver(self, event: Event, target: str | None) -> None:
        """An event whose time has come, to its queue."""
        if target == "#_parent":
            parent = self.machine.parent
            if parent is not None:
                parent.enqueue(replace(event, invokeid=self.machine.invokeid))
            return
        if target is not None and target != self.origin:
            child = self.machine._invocations.child(target[2:])
            if child is None:
                self.error("error.communication", f"no session `{target[:80]}`", event.sendid)
            else:
                child.enqueue(event)
            return
        self.machine.run_state.external.append(event)

    def cancel(self, sendid: str) -> None:
        run = self.machine.run_state
        run.timers = [t for t in run.timers if t.sendid != sendid]

    # -- data ------------------------------------------------------------------------------------

    def initialise(self) -> None:
        """SCXML's datamodel at start: the document's `<data>` (and with early binding every
        state's), then its top-level `<script>`s."""
        model = self.machine.model
        self.declare(model.data)
        if model.binding != "late":
            for node in sorted(model.nodes.values(), key=order):
                if node.data:
                    self.declare(node.data)
                    self.initialised.add(node.name)
        for block in model.scripts:
            execute(block, self)

    def declare(self, declarations: list[Mapping[str, Any]]) -> None:
        """`<data>` elements, in order; one that fails is declared empty and raises
        `error.execution` (SCXML 5.3)."""
        model = self.datamodel
        for data in declarations:
            try:
                if data.get("expr") is not None:
                    model.declare(data["id"], None)
                    model.declare(data["id"], data["expr"])
                elif "value" in data:
                    model.declare(data["id"], None, data["value"])
                else:
                    model.declare(data["id"], None)
            except ContentError as error:
                self.error("error.execution", f"<data id={data['id']!r}>: {error}")
            if data["id"] in self.overrides and model.is_location(data["id"]):
                model.assign(data["id"], None, self.overrides[data["id"]])

    def donedata(self, spec: Mapping[str, Any]) -> Any:
        """The data of a done event, from a final state's `<donedata>` (None: nothing)."""
        model = self.datamodel
        content = spec.get("content")
        try:
            if isinstance(content, Mapping):
                if content.get("expr") is not None:
                    return model.evaluate(content["expr"])
                return content.get("value")
            found: dict[str, Any] = {}
            for param in spec.get("params", []):
                source = param.get("expr") or param.get("location")
                found[param["name"]] = model.evaluate(source)
            return found or None
        except ContentError as error:
            self.error("error.execution", f"<donedata>: {error}")
            return None
