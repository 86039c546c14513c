"""The interpreter path of a generated class (`runtime.compiled`): what its tables leave to an
interpreter, and what it asks one.

A generated class runs the steps its tables hold itself. For the rest (history, timers, final
states, guarded choices across parallel regions, configurations the exploration did not
reach, events outside the chart) and for what only an interpreter keeps (timers, actors,
sagas, snapshots, the questions `can` and `allowed_events`), it builds a `Machine` of the same
document on first need, brings it to the instance's configuration, runs the step on it and
maps the result back to a configuration number. `Handoff` is that half of `CompiledMachine`,
mixed into it; it speaks to the interpreter only through `runtime.running.Engine`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from .awaiting import resolve
from .outcome import Outcome
from .resolved import BUSY, INTERPRETER_BUSY, NOT_STARTED, ON_INTERPRETER

if TYPE_CHECKING:
    from .model import Model
    from .running import Engine
    from .scopes import Listeners
    from .timers import Clock

T = TypeVar("T")


class Handoff:
    """The interpreter half of a generated class (see the module docstring)."""

    #: a generated instance's fields, all of them: its configuration number (negative: on the
    #: interpreter, not started, or busy), its interpreter (built on first need), listeners,
    #: context and clock (both made on first use)
    __slots__ = ("_c", "_engine", "_listeners", "_context", "_clock")

    _c: int
    _engine: Engine | None
    _listeners: Listeners | None
    _context: dict[str, Any] | None
    _clock: Clock | None

    # what it uses of the class (`CompiledMachine`, the generated module)
    _model: ClassVar[Model | None]
    CHART: ClassVar[Mapping[str, Any]]
    CONFIGURATIONS: ClassVar[tuple[tuple[str, ...], ...]]
    HOOKS: ClassVar[tuple[tuple[str, str], ...]]
    GUARD_NAMES: ClassVar[Mapping[str, str]]
    INVOKES: ClassVar[tuple[tuple[str, str], ...]]
    _ids: ClassVar[dict[frozenset[str], int]]

    if TYPE_CHECKING:  # defined by `CompiledMachine`

        @property
        def context(self) -> dict[str, Any]: ...

        @property
        def clock(self) -> Clock: ...

        def start(self) -> None: ...

        def _current(self) -> int: ...

        def _fire(self, event: str, data: dict[str, Any]) -> Outcome: ...

        def _outcome(self, event: str, handled: bool | None) -> Outcome: ...

        def _apply(self, event: str, data: dict[str, Any]) -> Outcome: ...

    # -- what only an interpreter keeps ---------------------------------------------------------

    def tick(self) -> None:
        """Fire the timed events that are due (see `Machine.tick`)."""
        engine = self._engine
        if engine is not None and engine.run_state.timers:
            self._on_engine(self._sync(engine).tick)

    @property
    def next_due(self) -> float | None:
        return None if self._engine is None else self._engine.next_due

    @property
    def pending_timers(self) -> list[dict[str, Any]]:
        return [] if self._engine is None else self._engine.pending_timers

    @property
    def children(self) -> dict[str, Any]:
        """The running child machines (actors), by the name their state invokes."""
        return {} if self._engine is None else self._engine.children

    @property
    def compensations(self) -> list[str]:
        """Sagas: the compensations recorded so far (see `Machine.compensations`)."""
        return [] if self._engine is None else self._engine.compensations

    @property
    def rolling_back(self) -> bool:
        return self._engine is not None and self._engine.rolling_back

    @property
    def auto_compensate(self) -> bool:
        return self._interpreter().auto_compensate

    @auto_compensate.setter
    def auto_compensate(self, value: bool) -> None:
        self._interpreter().auto_compensate = value

    def compensate_one(self) -> str | None:
        """Run the newest compensation left (see `Machine.compensate_one`)."""
        return self._on_engine(self._sync(self._interpreter()).compensate_one)

    def on_done(self, callback: Callable[[], None]) -> None:
        """Call `callback()` once the machine finishes (see `Machine.on_done`)."""
        self._interpreter().on_done(callback)

    def can(self, event: str, **data: Any) -> bool:
        """Whether `event` (with `data`) would take a transition now; nothing changes."""
        return self._sync(self._interpreter()).can(event, **data)

    @property
    def allowed_events(self) -> list[str]:
        """The chart's events that would take a transition now (see `Machine`)."""
        return self._sync(self._interpreter()).allowed_events

    def snapshot(self) -> dict[str, Any]:
        """The instance as JSON-ready data (the interpreter's `statewright-snapshot/1`)."""
        return self._sync(self._interpreter()).snapshot()

    def restore(self, snapshot: Mapping[str, Any]) -> None:
        """Put the instance in the state a snapshot recorded (no hook runs)."""
        engine = self._interpreter()
        engine.restore(snapshot)
        self._context = engine.context
        self._map_back(engine)
        if self._c == ON_INTERPRETER and not engine.running and not engine.done:
            self._c = NOT_STARTED

    # -- the steps the tables leave out ---------------------------------------------------------

    def _flush(self) -> None:
        """Process the events hooks sent during the step, in order."""
        engine = self._engine
        while engine is not None and engine.run_state.external and not self._busy():
            event = engine.run_state.external.popleft()
            if event.origin is not None or not isinstance(event.data or {}, Mapping):
                self._on_engine(partial(engine.enqueue, event))  # a <send>: its fields
            else:
                self._fire(event.name, dict(event.data or {}))

    def _busy(self) -> bool:
        return self._c <= BUSY or self._c == INTERPRETER_BUSY

    def _slow(self, event: str, data: dict[str, Any]) -> Outcome:
        if self._busy():  # sent by a hook: after the step, as the interpreter does
            from .datamodel import Event

            self._interpreter().run_state.external.append(Event(event, data or None))
            return Outcome(event, None, ())
        if self._c == NOT_STARTED:
            self.start()
            return self._fire(event, data)
        engine = self._sync(self._interpreter())
        sent = self._on_engine(lambda: engine._apply(str(event), data))
        return self._outcome(event, sent.handled)

    def _on_engine(self, step: Callable[[], T]) -> T:
        """Run a step on the interpreter, then take the instance's state back from it; what
        the step returned."""
        engine = self._engine
        assert engine is not None
        self._c = INTERPRETER_BUSY
        try:
            result = step()
        finally:
            self._map_back(engine)
        self._flush()
        return result

    def _interpreter(self) -> Engine:
        engine = self._engine
        if engine is None:
            # on first need: a class whose steps are all on its tables never loads them
            from .interpreter import Machine
            from .model import build

            cls = type(self)
            model = cls._model
            if model is None:
                model = cls._model = build(self.CHART)
            engine = self._engine = Machine(
                model,
                actions={text: self._action(name) for text, name in self.HOOKS},
                guards={text: self._guard(name) for text, name in self.GUARD_NAMES.items()},
                clock=self.clock,
                machines={name: getattr(self, method) for name, method in self.INVOKES},
                partial=True,  # the class itself refuses hooks left out (`__init_subclass__`)
            )
            engine.context = self.context
            engine.deliver = lambda event: self._apply(event, {})
            for listener in self._listeners or ():
                engine.add_listener(listener)
        return engine

    def _action(self, name: str) -> Callable[[Any, Mapping[str, Any]], Any]:
        method = getattr(self, name)
        return lambda context, data: resolve(method(data))

    def _guard(self, name: str) -> Callable[[Any, Mapping[str, Any]], Any]:
        method = getattr(self, name)
        return lambda context, data: method(data)

    def _sync(self, engine: Engine) -> Engine:
        """Bring the interpreter to the instance's configuration."""
        c = self._current()
        if c >= 0:
            nodes = engine.model.nodes
            engine.run_state.configuration = {nodes[name] for name in self.CONFIGURATIONS[c]}
            engine.running, engine.done = True, False
        engine.context = self.context
        return engine

    def _map_back(self, engine: Engine) -> None:
        if engine.running and not engine.done:
            self._c = self._ids.get(frozenset(engine.active), ON_INTERPRETER)
        else:
            self._c = ON_INTERPRETER
