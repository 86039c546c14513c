"""The runtime's exceptions: every one derives from `StatewrightError`."""

from __future__ import annotations


class StatewrightError(Exception):
    """Root of every exception the runtime raises."""


#: A macrostep that takes more microsteps than this is an eventless loop (`LivelockError`).
MAX_MICROSTEPS = 10_000


class LivelockError(StatewrightError):
    """Eventless transitions keep firing: the macrostep never ends (`MAX_MICROSTEPS`)."""


class ChartError(StatewrightError, ValueError):
    """A document the runtime cannot run (its message says where)."""


class ReservedEvent(StatewrightError, ValueError):
    """An event name only the engine raises (`done.state.*`, `done.invoke.*`, `error.*`,
    `sw.*`), sent from outside: refused, nothing changes."""

    def __init__(self, message: str, event: str) -> None:
        super().__init__(message)
        self.event = event


class MissingHooksError(StatewrightError, TypeError):
    """Actions of the chart with no hook to run them: a subclass of a generated machine that
    does not implement every hook, or a machine given hooks for only some of its actions
    (`partial=True` runs without them)."""


class UnknownHookError(StatewrightError, ValueError):
    """A hook given for an action or guard the chart does not have (a misspelling, usually)."""


class DataError(StatewrightError, ValueError):
    """Data that does not match what the chart declares (a context value, or an event's
    field: runtime.declared): refused, nothing changes."""
