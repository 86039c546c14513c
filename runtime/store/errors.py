"""The stores' errors, and the identifiers every store checks before it writes anything.

Part of `statewright.runtime.store`. Every error a store raises is a `StoreError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .. import values
from ..errors import StatewrightError


class StoreError(StatewrightError):
    """A store refused an operation; its message says why and where."""


class ConcurrencyConflict(StoreError):
    """Another writer committed since this handle last read the instance."""


class StoreIOError(StoreError):
    """A write or an fsync failed: the event is not acknowledged, and the handle must reload
    (a failed fsync is never retried: the kernel may have dropped the data)."""


#: seconds a clock may be off the store's (its last record, the file system's or the
#: database server's time) before a worker refuses to fire timers (`ClockSkew`)
CLOCK_TOLERANCE = 5.0


class ClockSkew(StoreError):
    """This process's clock disagrees with the store's (its last record, or the file system or
    database server's time) by more than the tolerance: no timer is fired by it."""


class ChartMismatch(StoreError):
    """The chart given is not the chart the instance was created with (by hash)."""


class UnknownEvent(StoreError, ValueError):
    """An event the instance's chart has no transition for (a typo, usually): refused before
    anything is written. Stores made with `strict=False` accept any event."""

    def __init__(self, message: str, event: str, suggestion: str | None) -> None:
        super().__init__(message)
        self.event, self.suggestion = event, suggestion


class InstanceFinished(StoreError):
    """The instance reached a top-level final state: it takes no more events."""


class UnknownInstance(StoreError, KeyError):
    """No instance with that id."""

    def __str__(self) -> str:
        return str(self.args[0])


class InstanceExists(StoreError):
    """An instance with that id exists already."""


class BadResourceId(StoreError, ValueError):
    """A resource id that could name something outside the store."""


class AcknowledgedEventsLost(StoreError):
    """The snapshot records events the log no longer has: the disk lost acknowledged data."""


class ReplayDivergence(StoreError):
    """Replaying the log does not reach the configuration a record says it reached."""


class BadEventId(StoreError, ValueError):
    """An event id no store can keep (empty, not text, or too long to index)."""


class RecordTooLarge(StoreError, ValueError):
    """A record over the store's `record_limit` (event data, or the context a step made):
    refused before anything is written."""


#: bytes of one record as JSON (its event data, the context it changed, the rest): what a
#: store accepts unless it is made with another `record_limit`
RECORD_LIMIT = 1024 * 1024


def check_record(record: Mapping[str, Any], limit: int, where: str, what: str) -> None:
    """Refuse `record` (as `to_json` gives it) when it is over `limit` bytes as JSON."""
    found = values.size(record, limit)
    if found > limit:
        raise RecordTooLarge(
            f"{where}: {what} is over {limit:,} bytes as JSON; the store's record limit is "
            f"{limit:,} bytes (`record_limit`); nothing was written"
        )


#: the longest event id, in characters. PostgreSQL's unique index on (instance, event_id)
#: holds at most 2,704 bytes an entry; 256 characters (1 KiB in UTF-8 at worst) keep well
#: inside it, and every store refuses longer ids alike, before anything is written.
MAX_EVENT_ID = 256


def check_event_id(event_id: object) -> str:
    """An event id (the idempotency key) is 1 to `MAX_EVENT_ID` characters of text."""
    if not isinstance(event_id, str) or not 0 < len(event_id) <= MAX_EVENT_ID:
        shown = f"{len(event_id)} characters" if isinstance(event_id, str) else repr(event_id)
        raise BadEventId(
            f"an event id must be 1 to {MAX_EVENT_ID} characters of text, not {shown[:80]}"
        )
    return event_id


_RESOURCE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def check_resource_id(resource_id: object) -> str:
    """A resource id is 1-128 characters of letters, digits, `.`, `_`, `-`, starting with a
    letter or digit: never a path, never `.` or `..`."""
    if not isinstance(resource_id, str) or not _RESOURCE_ID.fullmatch(resource_id):
        raise BadResourceId(
            f"resource id {resource_id!r} is not allowed: use 1-128 letters, digits, `.`, `_` "
            "or `-`, starting with a letter or a digit"
        )
    return resource_id
