"""What a machine answers without changing: would an event be taken (`can`), which events
would (`allowed_events`), its `repr`; and how a guard that raised is reported (it counts as
false). The interpreter's `Machine` delegates here; generated classes ask their interpreter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

from .reserved import reserved

if TYPE_CHECKING:
    from .running import Engine


def can(machine: Engine, event: str, data: Mapping[str, Any]) -> bool:
    """Whether `event` with `data` would take a transition now: the transitions are selected
    as for a step (guards evaluated), and nothing else happens. A name only the engine raises
    (`runtime.reserved`) cannot be sent: False."""
    if not machine.running or machine.done or reserved(event):
        return False
    run = machine.run_state
    saved = run.event_data
    run.event_data = data
    try:
        return bool(machine._select(event))
    finally:
        run.event_data = saved


def allowed_events(machine: Engine) -> list[str]:
    """The chart's events that would take a transition now (guards evaluated without event
    data), in the chart's order; timed events fire by the clock and the names only the engine
    raises (`done.state.*`, ...) come from it, so neither is listed."""
    return [e for e in machine.model.events if not reserved(e) and machine.can(e)]


def describe(machine: Engine) -> str:
    """`<Machine door running configuration=['closed']>`."""
    file = str(machine.model.document.get("file") or "")
    stem = file.replace("\\", "/").rsplit("/", 1)[-1].split(".")[0]
    name = machine.model.name or stem or "chart"
    state = "running" if machine.running else ("done" if machine.done else "not started")
    return f"<Machine {name} {state} configuration={machine.configuration!r}>"


class Answers:
    """The questions above as the interpreter's `Machine` is asked them (mixed into it)."""

    __slots__ = ()

    def can(self, event: str, **data: Any) -> bool:
        """Whether `event` (with `data`) would take a transition now; nothing changes."""
        return can(cast("Engine", self), event, data)

    @property
    def allowed_events(self) -> list[str]:
        """The chart's events a transition would take now (guards without event data)."""
        return allowed_events(cast("Engine", self))

    def __repr__(self) -> str:
        return describe(cast("Engine", self))


def guard_failed(
    listeners: Iterable[Callable[[dict[str, Any]], Any]] | None, guard: str, error: Exception
) -> bool:
    """Report a guard that raised while it was evaluated (to the listeners, as
    `{"guard": text, "error": ...}`, and to the `statewright.runtime` logger); it counts as
    false, and the step goes on."""
    message = f"{type(error).__name__}: {error}"
    import logging  # on the first failure: a guard that holds never loads it

    log = logging.getLogger("statewright.runtime")
    log.warning("the guard [%s] failed and counts as false: %s", guard, message)
    for listener in listeners or ():
        listener({"guard": guard, "error": message})
    return False
