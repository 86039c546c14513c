"""The base of generated machine classes (`statewright compile -T python`).

A generated module holds the chart twice: as transition tables (`runtime.tables`: for each
configuration and event, the arms to try and what each one does) and as its
`statewright-ir/1` document. An instance is a configuration number; an event looks its arms up,
tests their guards, calls the hooks of the first arm that holds and moves to its target, then
follows the eventless arms of the new configuration the same way. Steps the tables leave out
(history, timers, final states, guarded choices across parallel regions, configurations the
exploration did not reach, events outside the chart) go to an interpreter built lazily on the
same document, which is brought to the instance's configuration first; its result is mapped
back to a configuration number when the tables know it. Both paths run the same algorithm
(runtime.interpreter), and tests hold them to the same behaviour step by step.

Hooks are methods: a subclass implements one per action text (the mapping is in
docs/python.md). A subclass that leaves one out is refused when the class statement runs,
unless it is declared with `partial=True` (missing hooks then do nothing).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, ClassVar

from .aio import bridged, resolve
from .datamodel import Event
from .errors import StatewrightError
from .expr import arith, lookup
from .interpreter import MAX_MICROSTEPS, Listener, LivelockError, Machine, guard_failed
from .model import Model, build
from .timers import Clock, SystemClock

# An instance's number (`_c`): a configuration (0, 1, ...) or one of these. While hooks run,
# it is BUSY - c (c: the configuration the step started from), which no table row knows, so an
# event sent by a hook takes the slow path and waits for the step to end.
ON_INTERPRETER = -1
NOT_STARTED = -2
INTERPRETER_BUSY = -3
BUSY = -10

GuardFunction = Callable[[Any, Mapping[str, Any]], bool]
#: (guard or None, hook functions, target configuration, listener record per hook, whether the
#: target has eventless transitions to follow)
ResolvedArm = tuple[
    GuardFunction | None, tuple[Callable[..., Any], ...], int, tuple[Any, ...], bool
]

#: a plain step: (hook functions, target configuration, listener record per hook)
PlainStep = tuple[tuple[Callable[..., Any], ...], int, tuple[Any, ...]]


class MissingHooksError(StatewrightError, TypeError):
    """A subclass of a generated machine does not implement every hook."""


def hook(function: Callable[..., Any]) -> Callable[..., Any]:
    """Marks a generated hook stub: a subclass must override it."""
    function.__statewright_hook__ = True  # type: ignore[attr-defined]
    return function


class CompiledMachine:
    """A running instance of a generated machine class. See the module docstring."""

    __slots__ = ("_c", "_engine", "_listeners", "_context", "_clock")

    # -- filled in by the generated class -------------------------------------------------------
    CHART: ClassVar[Mapping[str, Any]] = {}
    CONFIGURATIONS: ClassVar[tuple[tuple[str, ...], ...]] = ()
    ATOMIC: ClassVar[tuple[tuple[str, ...], ...]] = ()
    #: (action text, hook method name)
    HOOKS: ClassVar[tuple[tuple[str, str], ...]] = ()
    #: guard name (as written in guards) -> guard method name
    GUARD_NAMES: ClassVar[Mapping[str, str]] = {}
    #: (machine name in `invoke/ name`, factory method)
    INVOKES: ClassVar[tuple[tuple[str, str], ...]] = ()
    GUARDS: ClassVar[tuple[GuardFunction, ...]] = ()
    INITIAL: ClassVar[tuple[int, tuple[tuple[int, str], ...], int] | None] = None
    ROWS: ClassVar[Mapping[str, Mapping[int, tuple[Any, ...] | None]]] = {}
    EVENTLESS: ClassVar[Mapping[int, tuple[Any, ...] | None]] = {}
    #: the events with a method, in the order of `_by_event`
    EVENTS: ClassVar[tuple[str, ...]] = ()

    # -- resolved per concrete class ------------------------------------------------------------
    _complete: ClassVar[bool] = True
    _rows: ClassVar[dict[str, dict[int, tuple[ResolvedArm, ...] | None]]] = {}
    _by_event: ClassVar[tuple[dict[int, tuple[ResolvedArm, ...] | None], ...]] = ()
    #: per event: configuration -> (hooks, target), where the only arm is unguarded and has
    #: nothing to follow (a plain step, which the generated event methods and `send` take
    #: inline; generated modules read this shape)
    _steps: ClassVar[tuple[dict[int, tuple[tuple[Callable[..., Any], ...], int]], ...]] = ()
    #: the same by event name with the listener records, for `send(name)`
    _named_steps: ClassVar[dict[str, dict[int, PlainStep]]] = {}
    _eventless: ClassVar[dict[int, tuple[ResolvedArm, ...] | None]] = {}
    _initial: ClassVar[ResolvedArm | None] = None
    _ids: ClassVar[dict[frozenset[str], int]] = {}
    _active_sets: ClassVar[tuple[frozenset[str], ...]] = ()
    _model: ClassVar[Model | None] = None

    def __init_subclass__(cls, *, generated: bool = False, partial: bool = False, **kw: Any):
        super().__init_subclass__(**kw)
        missing = [
            (text, name)
            for text, name in (*cls.HOOKS, *((f"invoke/ {n}", m) for n, m in cls.INVOKES))
            if getattr(getattr(cls, name, None), "__statewright_hook__", False)
        ]
        if missing and not generated and not partial:
            listed = ", ".join(f"{name} (for `{text}`)" for text, name in missing)
            raise MissingHooksError(
                f"{cls.__name__} does not implement the hooks {listed}; implement them, "
                f"or declare `class {cls.__name__}(..., partial=True)` to leave them empty"
            )
        cls._complete = not missing or partial
        cls._resolve()

    @classmethod
    def _resolve(cls) -> None:
        functions = tuple(
            bridged(f) if inspect.iscoroutinefunction(f) else f
            for f in (getattr(cls, name) for _, name in cls.HOOKS)
        )
        for method in cls.GUARD_NAMES.values():
            if inspect.iscoroutinefunction(getattr(cls, method)):
                raise MissingHooksError(f"{cls.__name__}.{method} is a coroutine: guards are plain")
        texts = tuple(text for text, _ in cls.HOOKS)

        def arm(raw: tuple[int, tuple[tuple[int, str], ...], int]) -> ResolvedArm:
            guard, steps, target = raw
            return (
                cls.GUARDS[guard] if guard >= 0 else None,
                tuple(functions[i] for i, _ in steps),
                target,
                tuple({"action": texts[i], "kind": kind} for i, kind in steps),
                target in cls.EVENTLESS,
            )

        waiting = {c: None for c in (ON_INTERPRETER, NOT_STARTED, INTERPRETER_BUSY)}
        waiting.update({BUSY - c: None for c in range(len(cls.CONFIGURATIONS))})
        cls._rows = {
            event: {
                **waiting,
                **{
                    c: None if arms is None else tuple(arm(a) for a in arms)
                    for c, arms in row.items()
                },
            }
            for event, row in cls.ROWS.items()
        }
        unknown: dict[int, tuple[ResolvedArm, ...] | None] = dict(waiting)
        cls._by_event = tuple(cls._rows.get(event, unknown) for event in cls.EVENTS)
        cls._named_steps = {
            event: {
                c: (arms[0][1], arms[0][2], arms[0][3])
                for c, arms in row.items()
                if arms is not None and len(arms) == 1 and arms[0][0] is None and not arms[0][4]
            }
            for event, row in cls._rows.items()
        }
        cls._steps = tuple(
            {
                c: (calls, target)
                for c, (calls, target, _) in cls._named_steps.get(event, {}).items()
            }
            for event in cls.EVENTS
        )
        cls._eventless = {
            c: None if arms is None else tuple(arm(a) for a in arms)
            for c, arms in cls.EVENTLESS.items()
        }
        cls._initial = arm(cls.INITIAL) if cls.INITIAL is not None else None
        cls._ids = {frozenset(c): i for i, c in enumerate(cls.CONFIGURATIONS)}
        cls._active_sets = tuple(frozenset(c) for c in cls.CONFIGURATIONS)

    def __init__(
        self,
        *,
        context: Mapping[str, Any] | None = None,
        clock: Clock | None = None,
        start: bool = True,
    ) -> None:
        if not type(self)._complete:
            missing = [name for _, name in self.HOOKS]
            raise MissingHooksError(
                f"{type(self).__name__} has hooks to implement ({', '.join(missing)}): "
                "subclass it and implement them"
            )
        self._c = NOT_STARTED
        self._engine: Machine | None = None
        self._listeners: list[Listener] | None = None
        self._context: dict[str, Any] | None = dict(context) if context else None
        self._clock = clock
        if start:
            self.start()

    # -- the public surface (as the interpreter's Machine) --------------------------------------

    @property
    def context(self) -> dict[str, Any]:
        """The instance's data, read by guards (created on first use)."""
        if self._context is None:
            self._context = {}
        return self._context

    def start(self) -> None:
        """Enter the initial configuration (the constructor does, unless `start=False`)."""
        if self._c != NOT_STARTED:
            return
        if self._initial is None:
            engine = self._interpreter()
            self._on_engine(engine.start)
            return
        self._take(self._initial, None, {}, initial=True)

    def send(self, event: str, **data: Any) -> None:
        """Process one event to completion (a macrostep)."""
        # the plain step inline, as the generated event methods take it
        try:
            calls, target, records = self._named_steps[event][self._c]
        except KeyError:  # not a plain step here (or not an event of the tables)
            self._fire(event, data)
            return
        if self._listeners is not None:
            self._listened(calls, target, records, event, data)
        elif calls:
            c = self._c
            self._c = BUSY - c  # events the hooks send wait for the step
            try:
                for call in calls:
                    call(self, data)
            except BaseException:
                self._c = c
                raise
            self._c = target
            if self._engine is not None:
                self._flush()
        else:
            self._c = target

    def tick(self) -> None:
        """Fire the timed events that are due (see `Machine.tick`)."""
        engine = self._engine
        if engine is not None and engine._timers:
            self._on_engine(self._sync(engine).tick)

    @property
    def clock(self) -> Clock:
        """The clock timed events are read from (`SystemClock` unless one was given)."""
        if self._clock is None:
            self._clock = SystemClock()
        return self._clock

    @property
    def next_due(self) -> float | None:
        return None if self._engine is None else self._engine.next_due

    @property
    def pending_timers(self) -> list[dict[str, Any]]:
        return [] if self._engine is None else self._engine.pending_timers

    def _current(self) -> int:
        """The configuration number, also while hooks run (negative: not on the tables)."""
        c = self._c
        return BUSY - c if c <= BUSY else c

    @property
    def configuration(self) -> list[str]:
        """The active atomic states, in document order."""
        c = self._current()
        if c >= 0:
            return list(self.ATOMIC[c])
        return [] if self._engine is None else self._engine.configuration

    @property
    def active(self) -> list[str]:
        """Every active state, in document order."""
        c = self._current()
        if c >= 0:
            return list(self.CONFIGURATIONS[c])
        return [] if self._engine is None else self._engine.active

    @property
    def finished(self) -> bool:
        """True once the machine reached a top-level final (or a terminate) state."""
        return self._current() < 0 and self._engine is not None and self._engine.done

    def is_active(self, name: str) -> bool:
        c = self._current()
        if c >= 0:
            return name in self._active_sets[c]
        return self._engine is not None and self._engine.is_active(name)

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
        engine = self._sync(self._interpreter())
        done: list[str | None] = []
        self._on_engine(lambda: done.append(engine.compensate_one()))
        return done[0]

    def on_done(self, callback: Callable[[], None]) -> None:
        """Call `callback()` once the machine finishes (see `Machine.on_done`)."""
        self._interpreter().on_done(callback)

    def add_listener(self, listener: Listener) -> None:
        """Called with `{"action": text, "kind": kind}` for every hook run and
        `{"event": ..., "configuration": [...]}` after every microstep."""
        if self._listeners is None:
            self._listeners = []
        self._listeners.append(listener)
        if self._engine is not None:
            self._engine.add_listener(listener)

    def can(self, event: str, **data: Any) -> bool:
        """Whether `event` (with `data`) would take a transition now; nothing changes."""
        return self._sync(self._interpreter()).can(event, **data)

    @property
    def allowed_events(self) -> list[str]:
        """The chart's events that would take a transition now (see `Machine`)."""
        return self._sync(self._interpreter()).allowed_events

    def __repr__(self) -> str:
        return f"<{type(self).__name__} configuration={self.configuration!r}>"

    def _repr_svg_(self) -> str | None:
        """Jupyter: the chart drawn with the active states lit (`runtime.display`)."""
        from .display import svg

        return svg(self.CHART, self.active)

    def remove_listener(self, listener: Listener) -> None:
        """Stop calling `listener` (added by `add_listener`)."""
        if self._listeners is not None:
            self._listeners.remove(listener)
            if not self._listeners:
                self._listeners = None  # the fast paths test for None
        if self._engine is not None:
            self._engine.remove_listener(listener)

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

    # -- the table path -------------------------------------------------------------------------

    def _listened(
        self,
        calls: tuple[Callable[..., Any], ...],
        target: int,
        records: tuple[Any, ...],
        event: str,
        data: dict[str, Any],
    ) -> None:
        """A plain step with listeners: they hear each hook, then the step."""
        listeners = self._listeners
        assert listeners is not None
        if calls:
            c = self._c
            self._c = BUSY - c
            try:
                for call, record in zip(calls, records, strict=True):
                    call(self, data)
                    for listener in listeners:
                        listener(dict(record))
            except BaseException:
                self._c = c
                raise
        self._c = target
        configuration = list(self.ATOMIC[target])
        for listener in listeners:
            listener({"event": event, "configuration": configuration})
        if self._engine is not None:
            self._flush()

    def _fire(self, event: str, data: dict[str, Any]) -> None:
        row = self._rows.get(event)
        if row is None:
            self._slow(event, data)
        else:
            self._fire_row(row, event, data)

    def _fire_row(
        self, row: Mapping[int, tuple[ResolvedArm, ...] | None], event: str, data: dict[str, Any]
    ) -> None:
        """An event on the tables (the generated event methods inline the common cases)."""
        arms = row.get(self._c, ())  # not started, on the interpreter, or busy: None
        if arms is None:
            self._slow(event, data)
            return
        for arm in arms:
            guard = arm[0]
            if guard is None or guard(self, data):
                self._take(arm, event, data)
                return

    def _take(
        self,
        arm: ResolvedArm,
        event: str | None,
        data: Mapping[str, Any],
        *,
        initial: bool = False,
    ) -> None:
        """Take an arm and follow the eventless arms after it (the rest of the macrostep).
        Listeners hear every hook and every microstep (not the initial entry, as with the
        interpreter). Events the hooks send are taken afterwards."""
        steps = 0
        source = self._c
        while True:
            _, calls, target, records, _ = arm
            listeners = self._listeners
            self._c = BUSY - source if source >= 0 else INTERPRETER_BUSY
            try:
                if listeners is None:
                    for call in calls:
                        call(self, data)
                else:
                    for call, record in zip(calls, records, strict=True):
                        call(self, data)
                        for listener in listeners:
                            listener(dict(record))
            except BaseException:
                self._c = source
                raise
            self._c = source = target
            if listeners is not None and not initial:
                configuration = list(self.ATOMIC[target])
                for listener in listeners:
                    listener({"event": event, "configuration": configuration})
            initial = False
            if target not in self._eventless:
                break
            eventless = self._eventless[target]
            if eventless is None:
                self._on_engine(partial(self._sync(self._interpreter())._resume, data))
                return
            steps += 1
            if steps > MAX_MICROSTEPS:
                raise LivelockError(
                    f"no stable configuration after {MAX_MICROSTEPS} microsteps "
                    f"(active: {', '.join(self.configuration)}): eventless transitions loop"
                )
            for candidate in eventless:
                guard = candidate[0]
                if guard is None or guard(self, data):
                    arm, event = candidate, None
                    break
            else:
                break
        self._flush()

    def _flush(self) -> None:
        """Process the events hooks sent during the step, in order."""
        engine = self._engine
        while engine is not None and engine._external and not self._busy():
            event = engine._external.popleft()
            if event.origin is not None or not isinstance(event.data or {}, Mapping):
                self._on_engine(partial(engine.enqueue, event))  # a <send>: its fields
            else:
                self._fire(event.name, dict(event.data or {}))

    def _busy(self) -> bool:
        return self._c <= BUSY or self._c == INTERPRETER_BUSY

    # -- the interpreter path -------------------------------------------------------------------

    def _slow(self, event: str, data: dict[str, Any]) -> None:
        if self._busy():  # sent by a hook: after the step, as the interpreter does
            self._interpreter()._external.append(Event(event, data or None))
            return
        if self._c == NOT_STARTED:
            self.start()
            self._fire(event, data)
            return
        engine = self._sync(self._interpreter())
        self._on_engine(lambda: engine.send(str(event), **data))

    def _on_engine(self, step: Callable[[], Any]) -> None:
        """Run a step on the interpreter, then take the instance's state back from it."""
        engine = self._engine
        assert engine is not None
        self._c = INTERPRETER_BUSY
        try:
            step()
        finally:
            self._map_back(engine)
        self._flush()

    def _interpreter(self) -> Machine:
        engine = self._engine
        if engine is None:
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
            )
            engine.context = self.context
            engine.deliver = self.send
            for listener in self._listeners or ():
                engine.add_listener(listener)
        return engine

    def _action(self, name: str) -> Callable[[Any, Mapping[str, Any]], Any]:
        method = getattr(self, name)
        return lambda context, data: resolve(method(data))

    def _guard(self, name: str) -> Callable[[Any, Mapping[str, Any]], Any]:
        method = getattr(self, name)
        return lambda context, data: method(data)

    def _sync(self, engine: Machine) -> Machine:
        """Bring the interpreter to the instance's configuration."""
        c = self._current()
        if c >= 0:
            nodes = engine.model.nodes
            engine._configuration = {nodes[name] for name in self.CONFIGURATIONS[c]}
            engine.running, engine.done = True, False
        engine.context = self.context
        return engine

    def _map_back(self, engine: Machine) -> None:
        if engine.running and not engine.done:
            self._c = self._ids.get(frozenset(engine.active), ON_INTERPRETER)
        else:
            self._c = ON_INTERPRETER

    # -- helpers for generated guards -----------------------------------------------------------

    #: arithmetic in guards, bounded as the interpreter bounds it
    _op = staticmethod(arith)

    def _guard_failed(self, guard: str, error: Exception) -> bool:
        """A generated guard raised: false, reported as the interpreter reports it."""
        return guard_failed(self._listeners, guard, error)

    def _read(self, name: str, data: Mapping[str, Any]) -> Any:
        """A name in a guard, as the interpreter reads it (context, then 0)."""
        return lookup(self.context, data)(name)
