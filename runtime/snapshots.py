"""Snapshots: a machine as JSON-ready data (`statewright-snapshot/1`), and back.

A snapshot holds every active state, history values, the context, pending timers (as seconds
from now: clocks differ between processes), whether the machine runs or is done, its children
(actors), saga compensations, and the joins' arrivals. Restoring runs no action and refuses a
snapshot that names what the chart does not have (`ChartError`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .datamodel import ContentError, Event
from .document import ChartError
from .model import Node
from .session import Session
from .timers import Timer

if TYPE_CHECKING:
    from .running import Engine

FORMAT = "statewright-snapshot/1"


def take(machine: Engine) -> dict[str, Any]:
    """The instance as JSON-ready data."""
    run = machine.run_state
    now = machine.clock.now()
    timers = []
    for pending in sorted(run.timers):
        timer = {"in": max(0.0, pending.due - now), "event": pending.event.name}
        timer["state"] = pending.state
        if pending.state is None:  # a <send>: everything its event carries
            timer.update(
                fields=pending.event.fields(), target=pending.target, sendid=pending.sendid
            )
        timers.append(timer)
    session = machine._session
    found = {
        "format": FORMAT,
        "active": machine.active,
        "history": {name: [s.name for s in kept] for name, kept in run.history.items()},
        "context": dict(machine.context),
        "timers": timers,
        "running": machine.running,
        "done": machine.done,
        "children": {name: child.snapshot() for name, child in machine.children.items()},
        "compensations": list(machine.compensations),
        "rolling_back": machine.rolling_back,
        "arrived": sorted(run.arrived),
    }
    invoked = {
        invokeid: {
            "state": invocation.state,
            "index": machine.model.nodes[invocation.state].scxml_invokes.index(invocation.spec),
            "snapshot": invocation.child.snapshot(),
        }
        for invokeid, invocation in machine._invocations.running.items()
    }
    if invoked:
        found["invoked"] = invoked
    if machine.model.datamodel is not None:
        found["context"] = session.datamodel.export()
        found["session"] = {
            "id": session.sessionid,
            "sends": session.sends,
            "initialised": sorted(session.initialised),
        }
    return found


def put(machine: Engine, snapshot: Mapping[str, Any]) -> None:
    """Put the instance in the state a snapshot recorded (no action runs)."""
    if not isinstance(snapshot, Mapping) or snapshot.get("format") != FORMAT:
        raise ChartError(f"not a {FORMAT} snapshot")
    nodes: dict[str, Node] = machine.model.nodes

    def node(name: Any) -> Node:
        if not isinstance(name, str) or name not in nodes:
            raise ChartError(f"the snapshot names `{name}`, which this chart does not have")
        return nodes[name]

    try:
        active = {node(n) for n in snapshot["active"]}
        history = {h: [node(n) for n in kept] for h, kept in snapshot["history"].items()}
        context = dict(snapshot["context"])
        now = machine.clock.now()
        timers = [_timer(t, i + 1, now, node) for i, t in enumerate(snapshot["timers"])]
        session = snapshot.get("session") or {}
        sessionid, sends = str(session.get("id", "")), int(session.get("sends", 0))
        initialised = {node(n).name for n in session.get("initialised", [])}
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        if isinstance(error, ChartError):
            raise
        raise ChartError(f"a malformed snapshot: {error!r}") from None
    children = snapshot.get("children") or {}
    if not isinstance(children, Mapping) or set(children) - set(machine.machines):
        raise ChartError("the snapshot has children this machine has no factory for")
    flags = {f for n in nodes.values() for f in n.clears}
    arrived = snapshot.get("arrived") or []
    if not isinstance(arrived, list) or not all(isinstance(f, str) and f in flags for f in arrived):
        raise ChartError("the snapshot has join arrivals this chart does not have")
    run = machine.run_state
    run.configuration, run.history, machine.context = active, history, context
    if machine.model.datamodel is not None:
        machine._session = session = Session(machine)
        if sessionid:
            session.sessionid = sessionid
        session.sends, session.initialised = sends, initialised
        model = session.datamodel
        for block in machine.model.scripts:  # functions a script defined are not data
            with contextlib.suppress(ContentError):
                model.script(block.nodes[0]["source"])
        model.load(context)
        for state in active:
            model.activate(state.name, True)
    run.timers, run.timer_sequence = timers, len(timers)
    machine.running, machine.done = bool(snapshot.get("running")), bool(snapshot.get("done"))
    run.announced = machine.done
    machine.compensations = [str(c) for c in snapshot.get("compensations") or []]
    machine.rolling_back = bool(snapshot.get("rolling_back"))
    run.arrived = set(arrived)
    machine._invocations.running.clear()
    for invokeid, kept in (snapshot.get("invoked") or {}).items():
        try:
            spec = node(kept["state"]).scxml_invokes[int(kept["index"])]
        except (KeyError, TypeError, ValueError, IndexError):
            raise ChartError(
                f"the snapshot has an invocation `{invokeid}` this chart does not have"
            ) from None
        machine._invocations.restore(str(invokeid), kept["state"], spec, kept["snapshot"])
    machine.children = {}
    for name, kept in children.items():
        child = machine.machines[name]()
        child.restore(kept)
        machine._adopt(name, child)


def _timer(raw: Mapping[str, Any], sequence: int, now: float, node: Any) -> Timer:
    """A pending timer from a snapshot: a state's `after` (the state it belongs to) or a
    delayed `<send>` (no state; its event's fields and target)."""
    state = None if raw.get("state") is None else node(raw["state"]).name
    fields = raw.get("fields")
    event = Event.from_fields(fields) if isinstance(fields, Mapping) else Event(str(raw["event"]))
    target, sendid = raw.get("target"), raw.get("sendid")
    return Timer(
        now + float(raw["in"]),
        sequence,
        event,
        state,
        str(target) if target else None,
        str(sendid) if sendid else None,
    )
