"""What one `send` did: `Outcome(event, handled, configuration, done)`.

The interpreter's `Machine.send`, a generated class's `send` and its event methods, and
`AsyncMachine.send` all return one. Outcomes are immutable and shared: a send that does what an
earlier one did returns the same object, from a cache (generated classes build theirs with
their tables; the interpreter keeps one per chart, bounded as its plans are), so asking costs
the fast paths nothing but a lookup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .running import Engine

#: the interpreter's outcomes kept per chart (a full cache is emptied, as plans are)
MAX_OUTCOMES = 4096


class Outcome:
    """What one `send` did.

    Attributes:
        event: the event sent.
        handled: True when it took a transition (a targetless one counts), False when none
            was enabled (or the machine had finished), None when it was queued behind the
            step that is running (a hook sent it) and has not been processed yet.
        configuration: the active atomic states when `send` returned, in document order
            (after everything that send processed: eventless transitions, and events the
            hooks sent); empty for a queued send (the running step has not settled).
        done: whether the machine has finished.
    """

    __slots__ = ("event", "handled", "configuration", "done")

    event: str
    handled: bool | None
    configuration: tuple[str, ...]
    done: bool

    def __init__(
        self, event: str, handled: bool | None, configuration: tuple[str, ...], done: bool = False
    ) -> None:
        put = object.__setattr__
        put(self, "event", event)
        put(self, "handled", handled)
        put(self, "configuration", tuple(configuration))
        put(self, "done", done)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"an Outcome is read-only: cannot set {name}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"an Outcome is read-only: cannot delete {name}")

    def _fields(self) -> tuple[Any, ...]:
        return (self.event, self.handled, self.configuration, self.done)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Outcome):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return (
            f"Outcome(event={self.event!r}, handled={self.handled!r}, "
            f"configuration={self.configuration!r}, done={self.done!r})"
        )

    def __bool__(self) -> bool:
        raise TypeError(
            "an Outcome is neither true nor false: ask `.handled` (True, False, or None "
            "while queued)"
        )


def of_interpreter(machine: Engine, event: str, handled: bool | None) -> Outcome:
    """The outcome of a send on the interpreter `machine`, now: shared by every instance of
    the chart for the events it knows (an unknown event's is built each time)."""
    model = machine.model
    done = machine.done
    if handled is None:  # queued behind a running step: nowhere settled to report yet
        return Outcome(event, None, (), done)
    if event not in model.known_events:
        return Outcome(event, handled, tuple(machine.configuration), done)
    # the configuration the last macrostep settled in (`RunState.settled`), unless the
    # machine finished (it settles no more)
    run = machine.run_state
    active = frozenset(run.configuration) if done else run.settled
    key = (active, event, handled, done)
    cache = model.outcomes
    found: Outcome | None = cache.get(key)
    if found is None:
        if len(cache) >= MAX_OUTCOMES:
            cache.clear()
        found = cache[key] = Outcome(event, handled, tuple(machine.configuration), done)
    return found
