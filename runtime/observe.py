"""What happened, as one typed event: `Transition`, the same from the interpreter, generated
classes and stores (docs/operations.md).

A `Transition` is one step: the event, the active states before and after, the hooks that
ran, and, in a store, the instance and the version it committed (the eventless steps that
follow an event are transitions of their own, with `event` None). `watch(machine, callback)`
delivers them for a machine (either engine: it listens to the records every machine gives its
listeners); a store delivers them to `store.observe(callback)` once the event is committed,
with the instance id, version and time. `runtime/otel.py` turns them into OpenTelemetry
spans.

An observer may also wrap each sent event's steps (`Scoped`: `begin` before the step runs,
`end` with its transitions once it is done, or failed): `otel.tracing()` does, so that its
span is current while the hooks run and their own spans nest under it. A store calls `begin`
before the step and `end` after the commit; `watch` calls them as the machine begins and ends
each macrostep.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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
        chart: the chart's id in a store (`StoredChart.id`), else its name, when it has one.
    """

    instance: str | None
    event: str | None
    source: tuple[str, ...]
    target: tuple[str, ...]
    actions: tuple[str, ...]
    version: int | None
    time: float
    data: Mapping[str, Any] = field(default_factory=dict)
    chart: str | None = None

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


class Scoped(Protocol):
    """An observer that wraps each sent event's steps (besides being called, outside them,
    with each `Transition`, as the eventless steps of a start)."""

    def __call__(self, transition: Transition) -> object: ...

    def begin(self, event: str, data: Mapping[str, Any], instance: str | None) -> Any:
        """The event's steps begin; what `end` gets back (a span, say)."""

    def end(
        self, handle: Any, transitions: Sequence[Transition], error: BaseException | None
    ) -> None:
        """They ended: the transitions they made (after the commit, in a store), or the error
        that stopped them (no transition is committed then)."""


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
        chart: str | None = None,
    ) -> None:
        self.configuration = tuple(start)
        self.deliver, self.clock, self.instance = deliver, clock, instance
        self.chart = chart
        self.version: int | None = None
        self.data: Mapping[str, Any] = {}
        self._actions: list[str] = []
        #: the macrosteps begun and not yet ended (hooks may send events: one inside another),
        #: each with the observer's handle and its transitions so far
        self._frames: list[tuple[Mapping[str, Any], Any, list[Transition]]] = []
        self._scoped = hasattr(deliver, "begin")

    def begin(self, event: str, data: Mapping[str, Any]) -> None:
        """A macrostep for `event` begins (`runtime.scopes`): its transitions carry `data`."""
        handle = None
        if self._scoped:
            handle = self.deliver.begin(event, data, self.instance)  # type: ignore[attr-defined]
        self._frames.append((data, handle, []))

    def end(self, event: str, error: BaseException | None) -> None:
        """The macrostep ended: a scoped observer gets its transitions, or the error."""
        if not self._frames:
            return
        _, handle, transitions = self._frames.pop()
        if self._scoped:
            self.deliver.end(handle, transitions, error)  # type: ignore[attr-defined]

    def __call__(self, record: dict[str, Any]) -> None:
        if "action" in record:
            self._actions.append(str(record["action"]))
            return
        if "configuration" not in record:
            return  # a log line, a guard that failed
        target = tuple(record["configuration"])
        event = record.get("event")
        data = self._frames[-1][0] if self._frames else self.data
        transition = Transition(
            self.instance,
            event,
            self.configuration,
            target,
            tuple(self._actions),
            self.version,
            self.clock(),
            data if event is not None else {},
            self.chart,
        )
        if self._scoped and self._frames:
            self._frames[-1][2].append(transition)  # told at the end of the macrostep
        else:
            self.deliver(transition)
        self._actions.clear()
        self.configuration = target


def watch(machine: _Listened, observer: Observer, *, clock: Any = None) -> Callable[[], None]:
    """Call `observer` with a `Transition` for every step `machine` takes (interpreter or
    generated class), as it completes; returns `stop()`, which stops the calls. A store's
    instances are observed with `store.observe(observer)` (with their id and version)."""
    import time

    now = clock.now if clock is not None else time.time
    model = getattr(machine, "model", None)  # the interpreter's; a generated class has CHART
    name = getattr(model, "name", None) or getattr(machine, "CHART", {}).get("name")
    recorder = Recorder(machine.configuration, observer, now, chart=name or None)
    machine.add_listener(recorder)
    return lambda: machine.remove_listener(recorder)
