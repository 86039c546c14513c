"""Timed events and clocks.

A transition whose event is `after 30s` (`ms`, `s`/`sec`, `min`/`m`, `h`; fractions allowed)
fires that long after its source state was entered, unless the state was left first. The
machine reads time from an injectable clock: `SystemClock` (monotonic) by default, `FakeClock`
in tests, which moves only when told to. A pending timed event (an `after`, a delayed
`<send>`) is a `Timer`, which the scheduling, the session and snapshots share.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, NamedTuple, Protocol

if TYPE_CHECKING:
    from .datamodel import Event

_AFTER = re.compile(r"^after\s+(\d+(?:\.\d+)?)\s*(ms|s|sec|m|min|h)$", re.IGNORECASE)
_UNIT_MS = {"ms": 1, "s": 1000, "sec": 1000, "m": 60_000, "min": 60_000, "h": 3_600_000}


def delay_ms(event: str | None) -> int | None:
    """The delay of a timed event (`after 30s`, `after 500ms`, `after 1.5 min`) in whole
    milliseconds (SCXML engines differ on fractions, so exports use integers), or None."""
    match = _AFTER.match((event or "").strip())
    if match is None:
        return None
    return round(float(match.group(1)) * _UNIT_MS[match.group(2).lower()])


class Clock(Protocol):
    def now(self) -> float:
        """Seconds, from any fixed origin; never goes back."""
        ...


class SystemClock:
    """The machine's clock: `time.monotonic`."""

    def now(self) -> float:
        return time.monotonic()


class FakeClock:
    """A clock for tests: it starts at `start` and moves only with `advance`."""

    def __init__(self, start: float = 0.0) -> None:
        self.time = start

    def now(self) -> float:
        return self.time

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock does not go back")
        self.time += seconds


class Timer(NamedTuple):
    """One pending timed event. Timers sort by when they are due, then by when they were
    scheduled (`seq`, unique in a machine), so the event itself is never compared."""

    #: when it is due, in the clock's time
    due: float
    #: its place in the order timers were scheduled (a snapshot renumbers them in due order)
    seq: int
    event: Event
    #: the state whose `after` it is (cancelled when the state is left); None for a `<send>`
    state: str | None = None
    #: a delayed `<send>`'s target (None: the machine itself)
    target: str | None = None
    #: a delayed `<send>`'s id, which `<cancel>` names
    sendid: str | None = None
