"""Log records: what a durable instance keeps of each accepted event (docs/persistence.md).

Part of `statewright.runtime.store`. A record is a `Record` while a store builds it (one
constructor per kind: a step, the creation, a compensation, a migration) and plain JSON once
written (`to_json`: the same keys, in the same order, in a log line and in a database row).
Replay reads the JSON form. Also here: event ids (UUIDv7), timestamps, and the receipt a send
returns.
"""

from __future__ import annotations

import math
import os
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

#: the kinds of records that are not events of the chart
CREATE = "sw.create"
TICK = "sw.tick"
MIGRATE = "sw.migrate"
COMPENSATE = "sw.compensate"


@dataclass(slots=True)
class Record:
    """One accepted event and what it did: sequence number and version (both one more than
    the instance had), its id, time and kind, the event's data, the configuration before and
    after, and the context when the step changed it (always at creation); a migration carries
    the migrated snapshot. Not changed once made (not frozen: one is made per event, and a
    frozen dataclass costs a `object.__setattr__` per field)."""

    seq: int
    id: str
    ts: str
    type: str
    data: Mapping[str, Any]
    version: int
    before: Sequence[str] | None
    to: Sequence[str]
    context: Mapping[str, Any] | None = None
    snapshot: Mapping[str, Any] | None = None
    #: the actions the step did not run for want of a hook (a store told `no_hooks`)
    skipped: Sequence[str] = ()

    @classmethod
    def step(
        cls,
        *,
        seq: int,
        version: int,
        now: float,
        event: str,
        event_id: str,
        data: Mapping[str, Any],
        before: Sequence[str] | None,
        to: Sequence[str],
        context: Mapping[str, Any] | None = None,
        skipped: Sequence[str] = (),
    ) -> Record:
        """An event of the chart (or a tick of its timers) that the machine processed."""
        return cls(
            seq,
            event_id,
            timestamp(now),
            event,
            dict(data),
            version,
            before,
            to,
            context,
            None,
            tuple(skipped),
        )

    @classmethod
    def creation(
        cls,
        *,
        now: float,
        to: Sequence[str],
        context: Mapping[str, Any],
        skipped: Sequence[str] = (),
    ) -> Record:
        """The first record of every instance: the machine started, with its context."""
        return cls(
            1,
            new_event_id(),
            timestamp(now),
            CREATE,
            {},
            1,
            None,
            to,
            dict(context),
            None,
            tuple(skipped),
        )

    @classmethod
    def compensation(
        cls,
        *,
        seq: int,
        version: int,
        now: float,
        action: str,
        before: Sequence[str],
        to: Sequence[str],
    ) -> Record:
        """One compensation a saga ran (its action), logged as it completed."""
        data = {"action": action}
        return cls(seq, new_event_id(), timestamp(now), COMPENSATE, data, version, before, to)

    @classmethod
    def migration(
        cls,
        *,
        seq: int,
        version: int,
        now: float,
        from_hash: str,
        to_hash: str,
        to: Sequence[str],
        snapshot: Mapping[str, Any],
    ) -> Record:
        """The instance carried over to another chart: the snapshot it continues from."""
        data = {"from_hash": from_hash, "to_hash": to_hash}
        return cls(
            seq, new_event_id(), timestamp(now), MIGRATE, data, version, None, to, None, snapshot
        )

    def to_json(self) -> dict[str, Any]:
        """The record as it is written (log line, database row, replay input)."""
        found: dict[str, Any] = {
            "seq": self.seq,
            "id": self.id,
            "ts": self.ts,
            "type": self.type,
            "data": dict(self.data),
            "version": self.version,
            "from": list(self.before) if self.before is not None else None,
            "to": list(self.to),
        }
        if self.context is not None:
            found["context"] = dict(self.context)
        if self.snapshot is not None:
            found["snapshot"] = dict(self.snapshot)
        if self.skipped:
            found["skipped"] = list(self.skipped)
        return found


def uuid7() -> uuid.UUID:
    """A UUID version 7 (RFC 9562): 48 bits of Unix time in milliseconds, a 42-bit counter,
    32 random bits. Ids made in this process sort by creation, also within one millisecond
    and when the clock steps back (RFC 9562, section 6.2, method 1, as Python 3.14's
    `uuid.uuid7`, written out for 3.11)."""
    return uuid.UUID(int=_uuid7_value())


#: the last id's millisecond and counter; a lock makes them one sequence for every thread
_last = [0, 0]
_sequence = threading.Lock()
_COUNTER_MAX = (1 << 42) - 1


def _uuid7_value() -> int:
    milliseconds = time.time_ns() // 1_000_000
    random_bits = int.from_bytes(os.urandom(10), "big")  # a fresh counter's 41, the tail's 32
    with _sequence:
        last, counter = _last
        if milliseconds > last:  # a new millisecond's counter: random, with room to count
            counter = random_bits >> 39
        else:  # the same millisecond, or the clock stepped back: go on from the last id
            milliseconds, counter = last, counter + 1
            if counter > _COUNTER_MAX:  # 2**41 ids in a millisecond: borrow the next one
                milliseconds, counter = last + 1, random_bits >> 39
        _last[0], _last[1] = milliseconds, counter
    return (
        (milliseconds & 0xFFFF_FFFF_FFFF) << 80
        | 7 << 76  # version
        | (counter >> 30) << 64  # rand_a: the counter's top 12 bits
        | 0b10 << 62  # variant
        | (counter & 0x3FFF_FFFF) << 32  # rand_b: the counter's other 30 bits, then random
        | random_bits & 0xFFFF_FFFF
    )


def new_event_id() -> str:
    """A time-ordered UUIDv7 string: the idempotency key of an event (`str(uuid7())`, formatted
    without building the UUID object: one is made per event)."""
    h = f"{_uuid7_value():032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


#: the last whole second `timestamp` formatted, and its text up to the seconds
_second: list[Any] = [None, ""]


def timestamp(seconds: float) -> str:
    """RFC 3339 in UTC with milliseconds (`2026-11-23T10:00:00.123Z`)."""
    fraction, whole_seconds = math.modf(seconds)  # rounded as datetime.fromtimestamp rounds
    microseconds = round(fraction * 1e6)
    if microseconds >= 1_000_000:
        whole_seconds, microseconds = whole_seconds + 1, microseconds - 1_000_000
    elif microseconds < 0:
        whole_seconds, microseconds = whole_seconds - 1, microseconds + 1_000_000
    whole, milliseconds = int(whole_seconds), microseconds // 1000
    if _second[0] != whole:
        moment = datetime.fromtimestamp(whole, tz=UTC)
        _second[:] = [whole, moment.strftime("%Y-%m-%dT%H:%M:%S")]
    return f"{_second[1]}.{milliseconds:03d}Z"


def seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


class WallClock:
    """Durable instances read wall-clock time, so a timer survives a restart (`time.time`)."""

    def now(self) -> float:
        return time.time()


@dataclass(frozen=True)
class Receipt:
    """What a committed (or recognised) event did."""

    resource_id: str
    seq: int
    version: int
    event: str
    event_id: str
    configuration: list[str]
    duplicate: bool = False
    #: whether a transition took the event (an event the chart knows but that the current
    #: configuration ignores is still recorded: it happened); for a duplicate, whether the
    #: first delivery changed the configuration
    handled: bool = True
    #: the work after the commit that failed and is done later (a snapshot not written, a
    #: compensation that raised, a sink that did not take the event), as sentences; the event
    #: is committed all the same
    deferred: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.resource_id,
            "seq": self.seq,
            "version": self.version,
            "event": self.event,
            "event_id": self.event_id,
            "configuration": self.configuration,
            "duplicate": self.duplicate,
            "handled": self.handled,
            **({"deferred": list(self.deferred)} if self.deferred else {}),
        }
