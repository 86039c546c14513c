"""The running state of a machine, declared, and the interface its collaborators use.

`RunState` is everything the SCXML algorithm changes while a machine runs, between steps and
within one: the configuration, the history values, the queues, the timers, the event being
processed. The interpreter's procedures change it; snapshots save and restore it; the session
(executable content) and the invocations (SCXML `<invoke>`) queue events and timers on it.

`Engine` names what those collaborators, and the generated-class base (`runtime.compiled`),
may use of a machine beyond its public API. Members with a leading underscore are the
engine's own: applications do not call them, but every use inside the runtime goes through
this protocol, so a type checker sees each one.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

from .scopes import Listener as Listener  # what hears a machine (`add_listener`)

if TYPE_CHECKING:
    from .datamodel import Event
    from .invocations import Invocations
    from .model import Model, Node, Step
    from .outcome import Outcome
    from .session import Session
    from .timers import Clock, Timer


#: the data of an event that carries none (read-only: hooks may not change it)
NO_DATA: Mapping[str, Any] = MappingProxyType({})


@dataclass(slots=True, eq=False)
class RunState:
    """What a running machine holds (one per machine, changed in place)."""

    #: the active states: the atomic ones and all their ancestors
    configuration: set[Node] = field(default_factory=set)
    #: the history values: each history pseudo-state's kept states, by its name
    history: dict[str, list[Node]] = field(default_factory=dict)
    #: joins: the flags of the legs that have arrived, each while its source is active
    arrived: set[str] = field(default_factory=set)
    #: events the machine raised for itself (`done.state.*`, `error.*`, `<raise>`)
    internal: deque[Event] = field(default_factory=deque)
    #: events sent to the machine, waiting for the running macrostep to end
    external: deque[Event] = field(default_factory=deque)
    #: the pending timed events (a state's `after`, a delayed `<send>`)
    timers: list[Timer] = field(default_factory=list)
    #: the last timer's sequence number (timers due at once fire in scheduling order)
    timer_sequence: int = 0
    #: the data of the event being processed, for guards and hooks
    event_data: Mapping[str, Any] = field(default_factory=dict)
    #: the active states when the last macrostep settled (`runtime.outcome` reads it)
    settled: frozenset[Node] = frozenset()
    #: whether a macrostep runs (events sent meanwhile are queued)
    stepping: bool = False
    #: whether the machine has announced that it finished (its done callbacks ran)
    announced: bool = False
    #: the data of an invoked session's done event (its final state's `<donedata>`)
    done_data: Any = None


class Engine(Protocol):
    """What the runtime's own modules use of a machine (the interpreter's `Machine`)."""

    model: Model
    clock: Clock
    context: dict[str, Any]
    running: bool
    done: bool
    machines: dict[str, Callable[[], Any]]
    children: dict[str, Any]
    compensations: list[str]
    rolling_back: bool
    auto_compensate: bool
    deliver: Callable[[str], object]
    parent: Any
    invokeid: str | None
    run_state: RunState
    _session: Session
    _invocations: Invocations
    #: whether the datamodel keeps its own copy of the configuration (ECMAScript's `In()`)
    _mirror: bool

    @property
    def active(self) -> list[str]: ...

    @property
    def configuration(self) -> list[str]: ...

    def is_active(self, name: str) -> bool: ...

    def start(self) -> Any: ...

    def tick(self) -> Any: ...

    @property
    def next_due(self) -> float | None: ...

    def enqueue(self, event: Event) -> None: ...

    def on_done(self, callback: Callable[[], None]) -> None: ...

    def compensate_one(self) -> str | None: ...

    def snapshot(self) -> dict[str, Any]: ...

    def restore(self, snapshot: Mapping[str, Any]) -> Any: ...

    def can(self, event: str, **data: Any) -> bool: ...

    @property
    def allowed_events(self) -> list[str]: ...

    @property
    def pending_timers(self) -> list[dict[str, Any]]: ...

    def add_listener(self, listener: Callable[[dict[str, Any]], None]) -> None: ...

    def remove_listener(self, listener: Callable[[dict[str, Any]], None]) -> None: ...

    def _apply(self, event: str, data: dict[str, Any]) -> Outcome:
        """`send` without the refusal of reserved names (replay, a child's completion)."""
        ...

    def _resume(self, data: Mapping[str, Any]) -> None:
        """Finish a macrostep a generated class began on its tables."""
        ...

    def _select(self, event: str | None) -> list[Any]:
        """The transitions `event` enables now (guards evaluated), nothing changed."""
        ...

    def _perform(self, steps: list[Step], kind: str, where: Any) -> None:
        """Run actions (hooks, executable content); listeners hear each."""
        ...

    def _notify(self, record: dict[str, Any]) -> None:
        """Tell the listeners."""
        ...

    def _schedule(
        self,
        event: Event,
        delay: float,
        state: str | None,
        target: str | None = None,
        sendid: str | None = None,
    ) -> None:
        """A timed event, due `delay` seconds from now."""
        ...

    def _spawn(self, model: Model, invokeid: str) -> Engine:
        """A machine for an invoked SCXML document, this one its parent (not started)."""
        ...

    def _adopt(self, name: str, child: Any) -> Any:
        """Keep a child machine (an actor) and hear when it finishes."""
        ...
