"""The base of generated machine classes (`statewright compile -T python`).

A generated module holds the chart twice: as transition tables (`runtime.tables`: for each
configuration and event, the arms to try and what each one does) and as its
`statewright-ir/1` document. An instance is a configuration number; an event looks its arms up,
tests their guards, calls the hooks of the first arm that holds and moves to its target, then
follows the eventless arms of the new configuration the same way. Steps the tables leave out
(history, timers, final states, guarded choices across parallel regions, configurations the
exploration did not reach, events outside the chart) go to an interpreter built lazily on the
same document, which is brought to the instance's configuration first; its result is mapped
back to a configuration number when the tables know it (`runtime.handoff`). Both paths run
the same algorithm (runtime.interpreter), and tests hold them to the same behaviour step by
step.

Hooks are methods: a subclass implements one per action text (the mapping is in
docs/python.md). A subclass that leaves one out is refused when the class statement runs,
unless it is declared with `partial=True` (missing hooks then do nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from .declared import NOTHING, Declared
from .display import Pictured
from .errors import MAX_MICROSTEPS, LivelockError
from .expr import arith, lookup
from .handoff import Handoff
from .introspect import guard_failed
from .outcome import MAX_OUTCOMES
from .outcome import Outcome as Outcome
from .reserved import PREFIXES, refusal
from .resolved import BUSY as BUSY
from .resolved import (
    INTERPRETER_BUSY,
    NOT_STARTED,
    TABLES,
    PlainStep,
    ResolvedArm,
    resolve_tables,
)
from .resolved import GuardFunction as GuardFunction
from .resolved import MissingHooksError as MissingHooksError
from .resolved import OutdatedModuleError as OutdatedModuleError
from .scopes import Listeners, scope
from .timers import Clock, SystemClock

if TYPE_CHECKING:
    from .model import Model
    from .running import Engine, Listener

T = TypeVar("T")


def hook(function: Callable[..., Any]) -> Callable[..., Any]:
    """Marks a generated hook stub: a subclass must override it."""
    function.__statewright_hook__ = True  # type: ignore[attr-defined]
    return function


class CompiledMachine(Handoff, Pictured):
    """A running instance of a generated machine class. See the module docstring."""

    __slots__ = ()  # the instance's fields are `Handoff`'s slots

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
    #: the shape of the tables the module was generated with (see `TABLES`)
    FORMAT: ClassVar[int] = 1

    # -- resolved per concrete class ------------------------------------------------------------
    _all_hooks: ClassVar[bool] = True
    _rows: ClassVar[dict[str, dict[int, tuple[ResolvedArm, ...] | None]]] = {}
    _by_event: ClassVar[tuple[dict[int, tuple[ResolvedArm, ...] | None], ...]] = ()
    #: per event: configuration -> (hooks, target, outcome), where the only arm is unguarded
    #: and has nothing to follow (a plain step, which the generated event methods and `send`
    #: take inline; generated modules read this shape, `TABLES`)
    _steps: ClassVar[
        tuple[dict[int, tuple[tuple[Callable[..., Any], ...], int, Outcome]], ...]
    ] = ()
    #: the same by event name with the listener records, for `send(name)`
    _named_steps: ClassVar[dict[str, dict[int, PlainStep]]] = {}
    _eventless: ClassVar[dict[int, tuple[ResolvedArm, ...] | None]] = {}
    _initial: ClassVar[ResolvedArm | None] = None
    _ids: ClassVar[dict[frozenset[str], int]] = {}
    _active_sets: ClassVar[tuple[frozenset[str], ...]] = ()
    _model: ClassVar[Model | None] = None
    #: the context and event fields the chart declares (runtime.declared)
    _declared: ClassVar[Declared] = NOTHING
    #: the outcomes of sends off the plain steps: (event, configuration, handled) -> outcome
    _outcomes: ClassVar[dict[tuple[str, int, bool | None], Outcome]] = {}

    def __init_subclass__(cls, *, generated: bool = False, partial: bool = False, **kw: Any):
        super().__init_subclass__(**kw)
        if cls.FORMAT != TABLES and cls.CHART:
            raise OutdatedModuleError(
                f"{cls.__name__} was generated by a statewright whose tables this runtime "
                f"(format {TABLES}) does not read (format {cls.FORMAT}): generate it again "
                "(`statewright compile -T python`, or `statewright build`)"
            )
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
        cls._all_hooks = not missing or partial
        resolve_tables(cls)

    def __init__(
        self,
        *,
        context: Mapping[str, Any] | None = None,
        clock: Clock | None = None,
        start: bool = True,
    ) -> None:
        if not type(self)._all_hooks:
            missing = [name for _, name in self.HOOKS]
            raise MissingHooksError(
                f"{type(self).__name__} has hooks to implement ({', '.join(missing)}): "
                "subclass it and implement them"
            )
        self._c = NOT_STARTED
        self._engine: Engine | None = None
        self._listeners: Listeners | None = None
        declared = type(self)._declared
        if declared:
            self._context: dict[str, Any] | None = declared.context(context)
        else:
            self._context = dict(context) if context else None
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

    def _declared_context(self) -> dict[str, Any]:
        """`context`, for a generated class that types it (its chart declares it)."""
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

    def send(self, event: str, **data: Any) -> Outcome:
        """Process one event to completion (a macrostep) and say what it did
        (`runtime.outcome`)."""
        # the plain step inline, as the generated event methods take it
        try:
            calls, target, records, outcome = self._named_steps[event][self._c]
        except KeyError:  # not a plain step here (or not an event of the tables)
            if event.startswith(PREFIXES):  # never a plain step (`resolve_tables`)
                raise refusal(event) from None
            if self._declared.events:  # nor an event with declared fields
                self._declared.check(event, data)
            return self._fire(event, data)
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
                return self._outcome(event, True)
        else:
            self._c = target
        return outcome

    @property
    def clock(self) -> Clock:
        """The clock timed events are read from (`SystemClock` unless one was given)."""
        if self._clock is None:
            self._clock = SystemClock()
        return self._clock

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

    def add_listener(self, listener: Listener) -> None:
        """Called with `{"action": text, "kind": kind}` for every hook run and
        `{"event": ..., "configuration": [...]}` after every microstep."""
        if self._listeners is None:
            self._listeners = Listeners()
        self._listeners.add(listener)
        if self._engine is not None:
            self._engine.add_listener(listener)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} configuration={self.configuration!r}>"

    def _drawing(self) -> tuple[Mapping[str, Any], list[str]]:
        """What a notebook draws (`runtime.display`): the chart, the active states lit."""
        return self.CHART, self.active

    def remove_listener(self, listener: Listener) -> None:
        """Stop calling `listener` (added by `add_listener`)."""
        if self._listeners is not None:
            self._listeners.discard(listener)
            if not self._listeners:
                self._listeners = None  # the fast paths test for None
        if self._engine is not None:
            self._engine.remove_listener(listener)

    # -- the table path -------------------------------------------------------------------------

    def _listened(
        self,
        calls: tuple[Callable[..., Any], ...],
        target: int,
        records: tuple[Any, ...],
        event: str,
        data: dict[str, Any],
    ) -> None:
        """A plain step with listeners: they hear each hook, then the step (and those that
        wrap a macrostep, its beginning and end: `runtime.scopes`)."""
        listeners = self._listeners
        assert listeners is not None
        with scope(listeners.scoped, event, data):
            if calls:
                c = self._c
                self._c = BUSY - c
                try:
                    self._run_hooks(calls, records, data, listeners)
                except BaseException:
                    self._c = c
                    raise
            self._c = target
            self._heard_step(event, target, listeners)
        if self._engine is not None:
            self._flush()

    def _apply(self, event: str, data: dict[str, Any]) -> Outcome:
        """`send` without the refusal of reserved names (replay applies a log with it)."""
        return self._fire(event, data)

    def _fire(self, event: str, data: dict[str, Any]) -> Outcome:
        row = self._rows.get(event)
        if row is None:
            return self._slow(event, data)
        return self._fire_row(row, event, data)

    def _fire_row(
        self, row: Mapping[int, tuple[ResolvedArm, ...] | None], event: str, data: dict[str, Any]
    ) -> Outcome:
        """An event on the tables (the generated event methods inline the common cases)."""
        arms = row.get(self._c, ())  # not started, on the interpreter, or busy: None
        if arms is None:
            return self._slow(event, data)
        if self._listeners is not None:  # those that wrap a macrostep hear it (runtime.scopes)
            with scope(self._listeners.scoped, event, data):
                return self._fire_arms(arms, event, data)
        return self._fire_arms(arms, event, data)

    def _fire_arms(
        self, arms: tuple[ResolvedArm, ...], event: str, data: dict[str, Any]
    ) -> Outcome:
        """Take the first arm whose guard holds (none: the event changes nothing)."""
        for arm in arms:
            guard = arm[0]
            if guard is None or guard(self, data):
                self._take(arm, event, data)
                return self._outcome(event, True)
        return self._outcome(event, False)

    def _run_hooks(
        self,
        calls: tuple[Callable[..., Any], ...],
        records: tuple[Any, ...],
        data: Mapping[str, Any],
        listeners: Listeners | None,
    ) -> None:
        """A step's hooks, in order, each heard by the listeners (when there are any)."""
        if listeners is None:
            for call in calls:
                call(self, data)
            return
        for call, record in zip(calls, records, strict=True):
            call(self, data)
            for listener in listeners:
                listener(dict(record))

    def _heard_step(self, event: str | None, target: int, listeners: Listeners) -> None:
        """The listeners hear a completed microstep: its event and the configuration it left."""
        configuration = list(self.ATOMIC[target])
        for listener in listeners:
            listener({"event": event, "configuration": configuration})

    def _outcome(self, event: str, handled: bool | None) -> Outcome:
        """What a send did, now (shared per class for the tables' configurations)."""
        c = self._current()
        if c < 0:
            return Outcome(event, handled, tuple(self.configuration), self.finished)
        key = (event, c, handled)
        cache = self._outcomes
        found = cache.get(key)
        if found is None:
            if len(cache) >= MAX_OUTCOMES:
                cache.clear()
            found = cache[key] = Outcome(event, handled, self.ATOMIC[c])
        return found

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
                self._run_hooks(calls, records, data, listeners)
            except BaseException:
                self._c = source
                raise
            self._c = source = target
            if listeners is not None and not initial:
                self._heard_step(event, target, listeners)
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

    # -- helpers for generated guards -----------------------------------------------------------

    #: arithmetic in guards, bounded as the interpreter bounds it
    _op = staticmethod(arith)

    def _guard_failed(self, guard: str, error: Exception) -> bool:
        """A generated guard raised: false, reported as the interpreter reports it."""
        return guard_failed(self._listeners, guard, error)

    def _read(self, name: str, data: Mapping[str, Any]) -> Any:
        """A name in a guard, as the interpreter reads it (context, then 0)."""
        return lookup(self.context, data)(name)
