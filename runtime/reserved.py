"""The event names the engine raises itself, and the refusal of them from outside.

SCXML raises `done.state.<id>` when a compound or parallel state completes, `done.invoke.<id>`
when an invoked child finishes and `error.*` when executable content fails; statewright adds
`sw.*` (its timers and store records). Sending one of them by hand would make a chart believe
what did not happen (`done.state.processing` with neither payment nor shipping done), so every
way in from outside (`send`, `instances send`, `simulate`, the studio) refuses them, generated
classes have no method for them, and `allowed_events` leaves them out. The engine raises them
through its queues, never through `send`; replay applies them from a log through the
engines' `_apply`, as they were committed.
"""

from __future__ import annotations

from .errors import ReservedEvent

#: the prefixes of the names only the engine raises (an event named exactly `error` or
#: `done` is the chart's own)
PREFIXES = ("done.state.", "done.invoke.", "error.", "sw.")


def reserved(event: str) -> bool:
    """Whether `event` is a name only the engine raises."""
    return event.startswith(PREFIXES)


def refusal(event: str, where: str = "", outcome: str = "nothing changed") -> ReservedEvent:
    """The error for `event` sent from outside (`where` names the instance, if any;
    `outcome` says what did not happen)."""
    prefix = next(p for p in PREFIXES if event.startswith(p))
    by = "statewright itself" if prefix == "sw." else "the engine"
    return ReservedEvent(
        f"{where}{': ' if where else ''}`{event}` is raised by {by} only (events starting "
        f"with `{prefix}`), never sent from outside; {outcome}",
        event,
    )
