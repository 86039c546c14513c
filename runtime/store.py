"""Durable instances: what every store shares (docs/persistence.md).

A store keeps each instance of a chart as an event log (the source of truth: one record per
accepted event, with the configuration it led to) and a snapshot (a shortcut for loading). This
module holds what does not depend on where the bytes go: the errors, resource ids, the chart a
store runs (`StoredChart`: an IR document with hooks, or a generated class), replay, and the
CloudEvents notifications. `runtime.filestore.FileStore` is the embedded store.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from .errors import StatewrightError
from .interpreter import Machine
from .model import build, chart_hash, runnable_document
from .timers import Clock, FakeClock

T = TypeVar("T")


class StoreError(StatewrightError):
    """A store refused an operation; its message says why and where."""


class ConcurrencyConflict(StoreError):
    """Another writer committed since this handle last read the instance."""


class StoreIOError(StoreError):
    """A write or an fsync failed: the event is not acknowledged, and the handle must reload
    (a failed fsync is never retried: the kernel may have dropped the data)."""


class ChartMismatch(StoreError):
    """The chart given is not the chart the instance was created with (by hash)."""


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


def new_event_id() -> str:
    """A time-ordered UUIDv7 string: the idempotency key of an event."""
    return str(uuid7())


def uuid7() -> uuid.UUID:
    """A UUID version 7 (RFC 9562): 48 bits of Unix time in milliseconds, then 74 random
    bits, so ids sort by creation time (Python 3.14's `uuid.uuid7`, written out for 3.11)."""
    milliseconds = time.time_ns() // 1_000_000
    random_bits = int.from_bytes(os.urandom(10), "big")
    value = (milliseconds & (2**48 - 1)) << 80 | random_bits
    value = (value & ~(0xF << 76)) | (7 << 76)  # version
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # variant 10
    return uuid.UUID(int=value)


def timestamp(seconds: float) -> str:
    """RFC 3339 in UTC with milliseconds (`2026-11-23T10:00:00.123Z`)."""
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


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

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.resource_id,
            "seq": self.seq,
            "version": self.version,
            "event": self.event,
            "event_id": self.event_id,
            "configuration": self.configuration,
            "duplicate": self.duplicate,
        }


class InstanceHandle(Protocol):
    """An open durable instance (FileStore's `Instance`, PostgresStore's `PgInstance`)."""

    resource_id: str
    version: int
    last_seq: int
    recovered: list[str]

    @property
    def configuration(self) -> list[str]: ...

    @property
    def context(self) -> dict[str, Any]: ...

    def send(
        self,
        event: str,
        *,
        event_id: str | None = None,
        expected_version: int | None = None,
        **data: Any,
    ) -> Receipt: ...

    def tick(self) -> Receipt | None: ...

    def snapshot(self) -> dict[str, Any]: ...

    def close(self, *, snapshot: bool = True) -> None: ...


class MachineView:
    """What an instance handle shows of its machine (shared by the stores' handles)."""

    machine: Any
    store: Any

    @property
    def configuration(self) -> list[str]:
        configuration: list[str] = self.machine.configuration
        return configuration

    @property
    def context(self) -> dict[str, Any]:
        context: dict[str, Any] = self.machine.context
        return context

    def snapshot(self) -> dict[str, Any]:
        """The machine's snapshot, timers as absolute times."""
        return durable_snapshot(self.machine, self.store.clock)


class DurableHandle(MachineView):
    """What both stores' instance handles do the same way: run a step and describe it as a
    log record, and fire due timers. Subclasses commit records their own way."""

    resource_id: str
    version: int
    last_seq: int

    def send(self, event: str, **options: Any) -> Receipt:
        raise NotImplementedError  # pragma: no cover - each store commits its own way

    def tick(self) -> Receipt | None:
        """Commit the timed events that are due now, as one `sw.tick` record (replay fires the
        same timers: their due times are absolute and the record carries the time)."""
        due = self.machine.next_due
        if due is None or due > self.store.clock.now():
            return None
        return self.send(TICK)

    def _step(
        self, event: str, event_id: str, data: Mapping[str, Any], before: list[str]
    ) -> dict[str, Any]:
        """Run one event on the machine (hooks run here) and return its log record: the
        configuration before and after, and the context when the step changed it."""
        context = self.machine.context
        context_before = json.dumps(context, default=str) if context else ""
        if event == TICK:
            self.machine.tick()
        else:
            self.machine.send(event, **data)
        record = self._record(event, event_id, dict(data), before)
        context = self.machine.context
        if (json.dumps(context, default=str) if context else "") != context_before:
            record["context"] = dict(context)
        return record

    def _compensation(self, before: list[str], action: str) -> dict[str, Any]:
        """The record of one compensation a saga ran."""
        return self._record(COMPENSATE, new_event_id(), {"action": action}, before)

    def _record(
        self, kind: str, event_id: str, data: dict[str, Any], before: list[str] | None
    ) -> dict[str, Any]:
        return {
            "seq": self.last_seq + 1,
            "id": event_id,
            "ts": timestamp(self.store.clock.now()),
            "type": kind,
            "data": data,
            "version": self.version + 1,
            "from": before,
            "to": self.machine.configuration,
        }


#: how often a send that lost a race is tried again before the conflict is raised
RETRIES = 200


def retry_conflicts(step: Callable[[], T]) -> T:
    """Run `step` (a send: reload, apply again) until it does not lose a race, waiting between
    attempts with capped exponential backoff and full jitter (a random wait up to 2 ms, 4 ms,
    ... at most 200 ms); after `RETRIES` attempts the last `ConcurrencyConflict` is raised."""
    for attempt in range(RETRIES):
        try:
            return step()
        except ConcurrencyConflict:
            if attempt == RETRIES - 1:
                raise
            time.sleep(random.uniform(0, min(0.2, 0.002 * 2**attempt)))
    raise AssertionError("unreachable")  # pragma: no cover


class OneShot:
    """What every store does with its own `open`: one event, durably, then close."""

    def open(self, resource_id: str, chart: StoredChart | None = None) -> Any:
        raise NotImplementedError  # pragma: no cover - each store has its own

    def send(
        self,
        resource_id: str,
        event: str,
        data: Mapping[str, Any] | None = None,
        *,
        event_id: str | None = None,
        chart: StoredChart | None = None,
    ) -> Receipt:
        """Open, send one event durably, close (what `statewright instances send` does)."""
        with self.open(resource_id, chart) as instance:
            receipt: Receipt = instance.send(event, event_id=event_id, **dict(data or {}))
            return receipt


class Store(Protocol):
    """The contract every store keeps (tests/test_store.py runs it against each one)."""

    def ids(self) -> list[str]: ...

    def create(
        self, resource_id: str, chart: StoredChart, *, context: Mapping[str, Any] | None = None
    ) -> Any: ...

    def open(self, resource_id: str, chart: StoredChart | None = None) -> Any: ...

    def send(
        self,
        resource_id: str,
        event: str,
        data: Mapping[str, Any] | None = None,
        *,
        event_id: str | None = None,
        chart: StoredChart | None = None,
    ) -> Receipt: ...

    def history(self, resource_id: str) -> Iterable[dict[str, Any]]: ...

    def state_at(
        self, resource_id: str, *, seq: int | None = None, at: float | str | None = None
    ) -> dict[str, Any]: ...

    def verify(self, resource_id: str) -> list[str]: ...


# -- the chart a store runs -----------------------------------------------------------------------


class StoredChart:
    """A chart as a store runs it: an IR document with hooks by action text, or a generated
    class (its subclass with the hooks). `new(replaying=True)` gives a machine whose hooks do
    nothing, for replaying the log (guards still run: they decide transitions)."""

    def __init__(
        self,
        source: Mapping[str, Any] | type,
        *,
        actions: Mapping[str, Callable[..., Any]] | None = None,
        guards: Mapping[str, Callable[..., Any]] | None = None,
        chart_id: str | None = None,
        keep_source: bool = False,
    ) -> None:
        self.generated: type | None = None
        #: the whole IR document, kept with the instance for drawing it (`instances show -o`):
        #: always for a generated class, for a plain document when `keep_source` is set
        self.source: Mapping[str, Any] | None = None
        if keep_source and not isinstance(source, type):
            self.source = source
        if isinstance(source, type):
            document = next(
                (k.__dict__["CHART"] for k in source.__mro__ if "CHART" in k.__dict__), None
            )
            if document is None:
                raise StoreError(f"{source.__name__} is not a generated machine class")
            self.generated = source
            self.document = runnable_document(document)
            # the class carries its whole IR document: keep it, so the instance can be drawn
            # (`instances show -o`, the studio's inspector) however it was created
            self.source = document
            default_id = source.__name__
        else:
            self.document = runnable_document(source)
            default_id = str(source.get("file") or "chart")
            default_id = Path(default_id).name.split(".")[0] or "chart"
        self.actions = dict(actions or {})
        self.guards = dict(guards or {})
        self.hash = chart_hash(self.document)
        self.id = chart_id or default_id
        self._model = build(self.document)
        self._replay_class: type | None = None
        #: whether the chart has timed events (`after 30s`)
        self.has_timers = any(node.timers for node in self._model.nodes.values())

    def new(self, *, clock: Clock, replaying: bool = False) -> Any:
        """A machine of this chart, not started. Compensations (sagas) are left to the store,
        which runs and logs them one at a time."""
        machine = self._new(clock=clock, replaying=replaying)
        if self._model.has_sagas:
            machine.auto_compensate = False
        return machine

    def _new(self, *, clock: Clock, replaying: bool) -> Any:
        if self.generated is None:
            actions = {} if replaying else self.actions
            return Machine(self._model, actions=actions, guards=self.guards, clock=clock)
        cls = self.generated
        if replaying:
            if self._replay_class is None:
                silent = {name: _nothing for _, name in getattr(cls, "HOOKS", ())}
                self._replay_class = type(f"Replaying{cls.__name__}", (cls,), silent, partial=True)
            cls = self._replay_class
        return cls(clock=clock, start=False)


def _nothing(self: object, data: object) -> None:
    return None


# -- replay ---------------------------------------------------------------------------------------

CREATE = "sw.create"
TICK = "sw.tick"
MIGRATE = "sw.migrate"
COMPENSATE = "sw.compensate"


def apply(machine: Any, record: Mapping[str, Any], clock: FakeClock | None = None) -> None:
    """Apply one log record to a machine whose hooks do nothing (replay), then check that it
    reached the configuration the record says."""
    if clock is not None:
        clock.time = max(clock.time, seconds(record["ts"]))
    kind = record["type"]
    if kind == CREATE:
        machine.context.clear()
        machine.context.update(record.get("context") or {})
        machine.start()
    elif kind == TICK:
        machine.tick()
    elif kind == COMPENSATE:
        machine.compensate_one()
    else:
        machine.send(kind, **(record.get("data") or {}))
    if "context" in record and kind != CREATE:
        machine.context.clear()
        machine.context.update(record["context"])
    if record.get("to") is not None and machine.configuration != record["to"]:
        raise ReplayDivergence(
            f"replaying event {record['seq']} ({kind}) reaches {machine.configuration}, "
            f"but the log says {record['to']}: the chart or its guards changed"
        )


class Replay:
    """Replays an instance's whole log: each segment on the chart it was written for (a
    migration record switches to the new chart)."""

    def __init__(self, stored: Mapping[str, Any], current: StoredChart | None = None) -> None:
        self.current = current or StoredChart(stored["document"], chart_id=stored.get("chart_id"))
        #: the charts the instance ran before, by hash, and their order (oldest first)
        self.previous: Mapping[str, Any] = stored.get("previous") or {}
        chain = list(stored.get("chain") or self.previous)
        self.clock = FakeClock()
        chart = StoredChart(self.previous[chain[0]]) if chain else self.current
        self.machine: Any = chart.new(clock=self.clock, replaying=True)

    def apply(self, record: Mapping[str, Any]) -> None:
        if record["type"] == MIGRATE:
            self.clock.time = max(self.clock.time, seconds(record["ts"]))
            target = str((record.get("data") or {}).get("to_hash"))
            if target in self.previous and target != self.current.hash:
                chart = StoredChart(self.previous[target])
            else:
                chart = self.current
            self.machine = chart.new(clock=self.clock, replaying=True)
            restore_durable(self.machine, record["snapshot"], self.clock)
            return
        apply(self.machine, record, self.clock)


def replay_until(
    records: Iterable[Mapping[str, Any]],
    replay: Replay,
    resource_id: str,
    *,
    seq: int | None = None,
    at: float | str | None = None,
) -> dict[str, Any]:
    """An instance as of sequence number `seq` or time `at` (epoch seconds or RFC 3339), by
    replaying its records from the start: `{"seq", "version", "time", "configuration",
    "context", "snapshot"}`."""
    if isinstance(at, str):
        at = seconds(at)
    last: Mapping[str, Any] | None = None
    for record in records:
        if (seq is not None and record["seq"] > seq) or (
            at is not None and seconds(record["ts"]) > at
        ):
            break
        replay.apply(record)
        last = record
    if last is None:
        raise StoreError(f"instance {resource_id!r} has no event at or before that point")
    machine = replay.machine
    return {
        "seq": last["seq"],
        "version": last["version"],
        "time": last["ts"],
        "configuration": machine.configuration,
        "context": dict(machine.context),
        "snapshot": machine.snapshot(),
    }


def durable_snapshot(machine: Any, clock: Clock) -> dict[str, Any]:
    """The machine's snapshot with timers as absolute times (`at`), which survive restarts."""
    snapshot: dict[str, Any] = machine.snapshot()
    now = clock.now()
    snapshot["timers"] = [
        {"at": now + t["in"], "event": t["event"], "state": t["state"]} for t in snapshot["timers"]
    ]
    return snapshot


def restore_durable(machine: Any, snapshot: Mapping[str, Any], clock: Clock) -> None:
    now = clock.now()
    converted = dict(snapshot)
    converted["timers"] = [
        {"in": max(0.0, float(t["at"]) - now), "event": t["event"], "state": t["state"]}
        for t in snapshot.get("timers", [])
    ]
    machine.restore(converted)


# -- notifications --------------------------------------------------------------------------------


class Sink(Protocol):
    """Where notifications go. `name` keys the delivery cursor (at least once, in order)."""

    name: str

    def deliver(self, event: dict[str, Any]) -> None: ...


def cloud_event(
    record: Mapping[str, Any],
    *,
    resource_id: str,
    source: str,
    before: Sequence[str] | None,
    context_keys: Iterable[str] = (),
) -> dict[str, Any]:
    """A committed transition as a CloudEvents 1.0 structured JSON event."""
    context = record.get("context") or {}
    return {
        "specversion": "1.0",
        "id": record["id"],
        "source": source,
        "type": "statewright.transition",
        "subject": resource_id,
        "time": record["ts"],
        "datacontenttype": "application/json",
        "seq": record["seq"],
        "version": record["version"],
        "data": {
            "event": record["type"],
            "from": list(before) if before is not None else None,
            "to": record.get("to"),
            "context": {k: context[k] for k in context_keys if k in context},
        },
    }


class CallbackSink:
    """Calls a function with each notification."""

    def __init__(self, callback: Callable[[dict[str, Any]], Any], name: str = "callback") -> None:
        self.callback, self.name = callback, name

    def deliver(self, event: dict[str, Any]) -> None:
        self.callback(event)


class JsonlSink:
    """Appends each notification to a JSON Lines file (fsynced): an outbox other programs
    tail. At least once: after a crash a line may appear twice (same `id`)."""

    def __init__(self, path: str | Path, name: str | None = None) -> None:
        self.path = Path(path)
        self.name = name or f"jsonl-{self.path.name}"

    def deliver(self, event: dict[str, Any]) -> None:
        import json
        import os

        line = (json.dumps(event, separators=(",", ":"), ensure_ascii=False) + "\n").encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)


class WebhookSink:
    """POSTs each notification as `application/cloudevents+json` (structured mode). A
    non-2xx answer or a network error stops delivery; it resumes at the next commit or open."""

    def __init__(self, url: str, *, timeout: float = 5.0, name: str | None = None) -> None:
        if not url.startswith(("http://", "https://")):
            raise StoreError(f"a webhook needs an http(s) URL, not {url!r}")
        self.url, self.timeout = url, timeout
        self.name = name or "webhook-" + re.sub(r"[^A-Za-z0-9._-]", "_", url)[:80]

    def deliver(self, event: dict[str, Any]) -> None:
        import json
        import urllib.request

        request = urllib.request.Request(
            self.url,
            data=json.dumps(event).encode(),
            headers={"Content-Type": "application/cloudevents+json; charset=utf-8"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
            if not 200 <= answer.status < 300:
                raise StoreError(f"webhook {self.url} answered {answer.status}")
