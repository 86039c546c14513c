"""SCXML's `<invoke>` (6.4): child sessions a state runs while it is active.

The interpreter keeps one `Invocations` per machine. A state entered during a macrostep starts
its invocations when the macrostep ends (if it is still active), in document order; leaving
the state cancels them (no done event). A child is a `Machine` of the invoked document, run in
the same thread on the parent's clock: its `#_parent` sends reach the parent's external queue
(with the invoke id), the parent's `#_<invokeid>` sends reach the child, `autoforward` copies
every external event to the child, `<finalize>` runs before the parent takes an event from the
child, and the child's top-level final state sends `done.invoke.<invokeid>` (with its
`<donedata>`). Only SCXML children are supported (`type` `scxml` or the SCXML processor URIs);
a document the import could not resolve (`srcexpr`, `<content expr>`) is `error.execution`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from .content import Block, execute
from .datamodel import SCXML_TYPES, ContentError, Event
from .model import Model, Node, build, order

if TYPE_CHECKING:
    from .running import Engine

#: the invoke types this runtime runs (SCXML's, with the spelling of the W3C tests)
TYPES = (*SCXML_TYPES, "http://www.w3.org/TR/scxml/", "http://www.w3.org/TR/scxml")


@dataclass
class Invocation:
    state: str
    spec: Mapping[str, Any]
    child: Engine  # a Machine of the invoked document


class Invocations:
    """The invocations of one machine (see the module docstring)."""

    def __init__(self, machine: Engine) -> None:
        self.machine = machine
        self.pending: list[Node] = []
        self.running: dict[str, Invocation] = {}
        self._models: dict[int, Model] = {}

    def entered(self, state: Node) -> None:
        self.pending.append(state)

    def start_pending(self) -> None:
        """Start the invocations of the states entered in this macrostep and still active."""
        states = sorted(set(self.pending), key=order)
        self.pending.clear()
        for state in states:
            if state in self.machine.run_state.configuration:
                for spec in state.scxml_invokes:
                    self._start(state, spec)

    def _start(self, state: Node, spec: Mapping[str, Any]) -> None:
        session = self.machine._session
        model = session.datamodel
        invokeid = spec.get("id") or f"{state.name}.{uuid.uuid4().hex[:12]}"
        try:
            if spec.get("id") is None and spec.get("idlocation") is not None:
                model.assign(spec["idlocation"], None, invokeid)
            kind = spec.get("type")
            if spec.get("typeexpr") is not None:
                kind = model.evaluate(spec["typeexpr"])
            if kind is not None and kind not in TYPES:
                raise ContentError(f"the invoke type `{str(kind)[:80]}` is not supported")
            document = spec.get("document")
            if document is None:
                raise ContentError("the invoked document was not given inline or by `src`")
            values: dict[str, Any] = {}
            for name in spec.get("namelist", []):
                values[name] = model.evaluate(name)
            for param in spec.get("params", []):
                source = param.get("expr") or param.get("location")
                values[param["name"]] = model.evaluate(source)
        except ContentError as error:
            session.error("error.execution", f"<invoke>: {error}")
            return
        child = self.machine._spawn(self._model(document), invokeid)
        child._session.overrides = values
        self.running[invokeid] = Invocation(state.name, spec, child)
        child.start()

    def restore(
        self, invokeid: str, state: str, spec: Mapping[str, Any], snapshot: Mapping[str, Any]
    ) -> None:
        """An invocation a snapshot recorded: its child put back as it was (nothing runs)."""
        child = self.machine._spawn(self._model(spec["document"]), invokeid)
        child.restore(snapshot)
        self.running[invokeid] = Invocation(state, spec, child)

    def _model(self, document: Mapping[str, Any]) -> Model:
        found = self._models.get(id(document))
        if found is None:
            found = self._models[id(document)] = build(document)
        return found

    def exited(self, state: Node) -> None:
        """Cancel the invocations of a state that is left."""
        for invokeid, invocation in list(self.running.items()):
            if invocation.state == state.name:
                self.cancel(invokeid)

    def cancel(self, invokeid: str) -> None:
        invocation = self.running.pop(invokeid, None)
        if invocation is not None:
            child = invocation.child
            child.running, child.done, child.run_state.timers = False, True, []
            child.run_state.announced = True  # cancelled: no done event
            child._invocations.cancel_all()

    def cancel_all(self) -> None:
        for invokeid in list(self.running):
            self.cancel(invokeid)

    def child(self, invokeid: str) -> Engine | None:
        invocation = self.running.get(invokeid)
        return None if invocation is None or invocation.child.done else invocation.child

    def before(self, event: Event) -> None:
        """An external event about to be processed: `<finalize>` of the invocation it came
        from, and a copy to every child that asked for them (`autoforward`)."""
        invocation = self.running.get(event.invokeid or "")
        if invocation is not None and invocation.spec.get("finalize"):
            execute(Block(tuple(invocation.spec["finalize"]), "finalize"), self.machine._session)
        for other in list(self.running.values()):
            if other.spec.get("autoforward") and not other.child.done:
                other.child.enqueue(replace(event))

    def finished(self, invokeid: str | None) -> None:
        """A child reached its top-level final state. It stays listed until its state is left:
        the events it sent before it ended still go through its `<finalize>`."""

    def tick(self) -> bool:
        """Fire the children's due timers; whether any did."""
        fired = False
        now = self.machine.clock.now()
        for invocation in list(self.running.values()):
            due = invocation.child.next_due
            if due is not None and due <= now and not invocation.child.done:
                invocation.child.tick()
                fired = True
        return fired

    def next_due(self) -> float | None:
        return min(
            (d for i in self.running.values() if (d := i.child.next_due) is not None),
            default=None,
        )
