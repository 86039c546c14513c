"""Replay: an instance's state from its log, and snapshots that survive restarts.

Part of `statewright.runtime.store`. The log is the truth: `apply` runs one record on a machine
whose hooks do nothing and checks it reaches the configuration the record says; `Replay` runs a
whole log across the charts it was written for; `replay_until` gives the instance as of an
event or a time. Records are read in their JSON form (`Record.to_json`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..reserved import reserved
from ..timers import Clock, FakeClock
from .charts import RunningMachine, StoredChart
from .errors import ReplayDivergence, StoreError
from .records import COMPENSATE, CREATE, MIGRATE, TICK, seconds


def apply(
    machine: RunningMachine, record: Mapping[str, Any], clock: FakeClock | None = None
) -> None:
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
    elif reserved(kind):  # committed before such names were refused: applied as they were
        machine._apply(kind, dict(record.get("data") or {}))
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
        self.machine: RunningMachine = chart.new(clock=self.clock, replaying=True)

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


def durable_snapshot(machine: RunningMachine, clock: Clock) -> dict[str, Any]:
    """The machine's snapshot with timers as absolute times (`at`), which survive restarts."""
    snapshot: dict[str, Any] = machine.snapshot()
    now = clock.now()
    snapshot["timers"] = [
        {"at": now + t["in"], "event": t["event"], "state": t["state"]} for t in snapshot["timers"]
    ]
    return snapshot


def restore_durable(machine: RunningMachine, snapshot: Mapping[str, Any], clock: Clock) -> None:
    now = clock.now()
    converted = dict(snapshot)
    converted["timers"] = [
        {"in": max(0.0, float(t["at"]) - now), "event": t["event"], "state": t["state"]}
        for t in snapshot.get("timers", [])
    ]
    machine.restore(converted)


# -- notifications --------------------------------------------------------------------------------
