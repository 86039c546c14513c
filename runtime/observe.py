"""What happened, as one typed event: `Transition`, the same from the interpreter, generated
classes and stores (docs/operations.md).

A `Transition` is one step: the event, the active states before and after, the hooks that
ran, and, in a store, the instance and the version it committed (the eventless steps that
follow an event are transitions of their own, with `event` None). `watch(machine, callback)`
delivers them for a machine (either engine: it listens to the records every machine gives its
listeners); a store delivers them to `store.observe(callback)` once the event is committed,
with the instance id, version and time. `runtime/otel.py` turns them into OpenTelemetry
spans.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Transition:
    """One step of a machine: an event taken (or, with `event` None, an eventless step).

    Attributes:
        instance: the store's resource id (None for a machine outside a store).
        event: the event's name (None: the eventless steps of a start).
        source: the active atomic states before.
        target: the active atomic states after.
        actions: the hooks that ran, in order (their action texts).
        version: the instance's version after the commit (None outside a store).
        time: the clock's time of the step, in seconds since the epoch.
        data: the event's data (what a tracer reads a `traceparent` from).
    """

    instance: str | None
    event: str | None
    source: tuple[str, ...]
    target: tuple[str, ...]
    actions: tuple[str, ...]
    version: int | None
    time: float
    data: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "instance": self.instance,
            "event": self.event,
            "source": list(self.source),
            "target": list(self.target),
            "actions": list(self.actions),
            "version": self.version,
            "time": self.time,
        }


Observer = Callable[[Transition], object]


class _Listened(Protocol):
    @property
    def configuration(self) -> list[str]: ...

    def add_listener(self, listener: Callable[[dict[str, Any]], Any]) -> None: ...

    def remove_listener(self, listener: Callable[[dict[str, Any]], Any]) -> None: ...


class Recorder:
    """A machine listener that turns its records into `Transition`s: the hooks of a step, then
    the step's record (`{"event", "configuration"}`) completes it. Every microstep is one
    transition; the eventless steps that follow an event have `event` None."""

    def __init__(
        self,
        start: list[str],
        deliver: Observer,
        clock: Callable[[], float],
        *,
        instance: str | None = None,
    ) -> None:
        self.configuration = tuple(start)
        self.deliver, self.clock, self.instance = deliver, clock, instance
        self.version: int | None = None
        self.data: Mapping[str, Any] = {}
        self._actions: list[str] = []

    def __call__(self, record: dict[str, Any]) -> None:
        if "action" in record:
            self._actions.append(str(record["action"]))
            return
        if "configuration" not in record:
            return  # a log line, a guard that failed
        target = tuple(record["configuration"])
        event = record.get("event")
        self.deliver(
            Transition(
                self.instance,
                event,
                self.configuration,
                target,
                tuple(self._actions),
                self.version,
                self.clock(),
                self.data if event is not None else {},
            )
        )
        self._actions.clear()
        self.configuration = target


def watch(machine: _Listened, observer: Observer, *, clock: Any = None) -> Callable[[], None]:
    """Call `observer` with a `Transition` for every step `machine` takes (interpreter or
    generated class), as it completes; returns `stop()`, which stops the calls. A store's
    instances are observed with `store.observe(observer)` (with their id and version)."""
    import time

    now = clock.now if clock is not None else time.time
    recorder = Recorder(machine.configuration, observer, now)
    machine.add_listener(recorder)
    return lambda: machine.remove_listener(recorder)
