"""Snapshots: a machine as JSON-ready data (`statewright-snapshot/1`), and back.

A snapshot holds every active state, history values, the context, pending timers (as seconds
from now: clocks differ between processes), whether the machine runs or is done, its children
(actors), saga compensations, and the joins' arrivals. Restoring runs no action and refuses a
snapshot that names what the chart does not have (`ChartError`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .document import ChartError
from .model import Node

#: the interpreter's `Machine` (typed loosely: the interpreter imports this module)
Machine = Any

FORMAT = "statewright-snapshot/1"


def take(machine: Machine) -> dict[str, Any]:
    """The instance as JSON-ready data."""
    now = machine.clock.now()
    return {
        "format": FORMAT,
        "active": machine.active,
        "history": {name: [s.name for s in kept] for name, kept in machine._history.items()},
        "context": dict(machine.context),
        "timers": [
            {"in": max(0.0, due - now), "event": event, "state": state}
            for due, _, event, state in sorted(machine._timers)
        ],
        "running": machine.running,
        "done": machine.done,
        "children": {name: child.snapshot() for name, child in machine.children.items()},
        "compensations": list(machine.compensations),
        "rolling_back": machine.rolling_back,
        "arrived": sorted(machine._arrived),
    }


def put(machine: Machine, snapshot: Mapping[str, Any]) -> None:
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
        timers = [
            (now + float(t["in"]), i + 1, str(t["event"]), node(t["state"]).name)
            for i, t in enumerate(snapshot["timers"])
        ]
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
    machine._configuration, machine._history, machine.context = active, history, context
    machine._timers, machine._timer_sequence = timers, len(timers)
    machine.running, machine.done = bool(snapshot.get("running")), bool(snapshot.get("done"))
    machine._announced = machine.done
    machine.compensations = [str(c) for c in snapshot.get("compensations") or []]
    machine.rolling_back = bool(snapshot.get("rolling_back"))
    machine._arrived = set(arrived)
    machine.children = {}
    for name, kept in children.items():
        child = machine.machines[name]()
        child.restore(kept)
        machine._adopt(name, child)
