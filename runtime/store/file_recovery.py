"""How a FileStore instance is read back when it is opened: the rules of docs/persistence.md.

Leftover temporary files go; a torn last record is cut and kept aside (`events.log.torn-*`); a
crash between two segments starts the next; `state.json` is used when it is whole, for this
chart and not ahead of the log (ahead: `AcknowledgedEventsLost`), else the instance is rebuilt
from every segment, which must follow one another with no gap. Anything else wrong is a
`LogCorrupt` or a `StoreError`, never repaired in silence. `recover` returns what it read as a
`Recovered` record and says what it did in `notes`; the instance (`file_instance`) takes it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..timers import Clock, FakeClock
from . import file_log, fsio, logfile
from .charts import StoredChart
from .disk import fsync_dir, without_crc, write_new
from .errors import AcknowledgedEventsLost, StoreError
from .logfile import LogCorrupt, Scan
from .replay import apply, durable_snapshot, restore_durable

#: the format of `state.json`, the snapshot beside the log
STATE_FORMAT = "statewright-state/1"


class Home(Protocol):
    """What recovery reads of the store (`files.FileStore`)."""

    clock: Clock
    snapshot_every: int

    def segments(self, resource_id: str) -> list[Path]: ...


@dataclass
class Recovered:
    """An instance as its files hold it."""

    #: the running machine, on the store's clock
    machine: Any
    #: the first sequence number of the current segment
    base_seq: int
    #: the sequence number the snapshot used was taken at (0: none)
    snapshot_seq: int
    last_seq: int
    version: int
    last_time: str | None
    #: the current segment's event ids -> their sequence numbers
    event_ids: dict[str, int]
    #: the configuration after each of the last 100 records, by sequence number
    configuration_after: dict[int, list[str]]
    #: what recovery did (torn tails cut, a snapshot rebuilt), for the instance's `recovered`
    notes: list[str] = field(default_factory=list)


def recover(
    home: Home,
    resource_id: str,
    chart: StoredChart,
    folder: Path,
    start_segment: Callable[[int], None],
) -> Recovered:
    """Read instance `resource_id` of `home` back from `folder` (see the module docstring);
    `start_segment(base_seq)` starts a segment when a crash left none after a rotation."""
    notes: list[str] = []
    log_path = folder / "events.log"
    file_log.settle(log_path)  # a tail a failed fsync left here is cut first
    for leftover in folder.glob(".*.tmp"):
        fsio.unlink_if_there(leftover)
        notes.append(f"removed the leftover {leftover.name}")
    if not log_path.exists():
        _recover_rotation(home, resource_id, log_path, start_segment, notes)
    state = _read_state(folder, chart, notes)
    scanned = logfile.scan(log_path)
    if scanned.header is None:
        raise LogCorrupt(log_path, 1, 0, "no valid header")
    if scanned.header.get("chart_hash") != chart.hash or (
        scanned.header.get("instance") != resource_id
    ):
        raise LogCorrupt(log_path, 1, 0, "the header names another instance or chart")
    base_seq: int = scanned.header["base_seq"]
    last = base_seq + len(scanned.records) - 1
    if scanned.torn is not None:
        _cut_tail(folder, log_path, scanned, state, home.clock.now(), notes)
    if state is not None and state["last_seq"] > last:
        raise AcknowledgedEventsLost(
            f"{folder / 'state.json'} records event {state['last_seq']} but "
            f"{log_path} ends at {last}: the disk lost acknowledged events"
        )
    clock = FakeClock()
    machine = chart.new(clock=clock, replaying=True)
    records = scanned.records
    if state is not None and state["last_seq"] >= base_seq - 1:
        clock.time = float(state.get("saved_at", home.clock.now()))
        restore_durable(machine, state["machine"], clock)
        replay = [r for r in records if r["seq"] > state["last_seq"]]
        snapshot_seq = state["last_seq"]
    else:  # no usable snapshot: replay from the first segment
        if state is None and (base_seq > 1 or len(records) > home.snapshot_every):
            # (a young instance has no snapshot until its first close: not a recovery)
            notes.append("state.json was missing or damaged: rebuilt from the log")
        replay = _all_records(home, resource_id, log_path, base_seq, records)
        snapshot_seq = 0
    for record in replay:
        apply(machine, record, clock)
    live = chart.new(clock=home.clock)
    restore_durable(live, durable_snapshot(machine, clock), home.clock)
    final = records[-1] if records else None
    return Recovered(
        machine=live,
        base_seq=base_seq,
        snapshot_seq=snapshot_seq,
        last_seq=final["seq"] if final else base_seq - 1,
        version=final["version"] if final else (state["version"] if state else 0),
        last_time=final["ts"] if final else None,
        event_ids={r["id"]: r["seq"] for r in records},
        configuration_after={r["seq"]: r["to"] for r in records[-100:]},
        notes=notes,
    )


def _all_records(
    home: Home, resource_id: str, log_path: Path, base_seq: int, current: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Every record from the first segment on (the current one's as scanned): LogCorrupt
    when a segment is missing or does not follow the one before (a gap, never replayed
    over in silence)."""
    records: list[dict[str, Any]] = []
    expected = 1
    for segment in home.segments(resource_id):
        if segment == log_path:
            base, found = base_seq, current
        else:
            scanned = logfile.scan(segment)
            if scanned.header is None:
                raise LogCorrupt(segment, 1, 0, "no valid header")
            base, found = scanned.header["base_seq"], scanned.records
        if base != expected:
            raise LogCorrupt(
                segment,
                1,
                0,
                f"starts at event {base} but the segments before it end at {expected - 1}: "
                "a segment is missing (restore it from a backup)",
            )
        records += found
        expected = base + len(found)
    return records


def _read_state(folder: Path, chart: StoredChart, notes: list[str]) -> dict[str, Any] | None:
    """`state.json` when it is whole and for this chart, else None (and a note)."""
    try:
        data = (folder / "state.json").read_bytes()
    except FileNotFoundError:
        return None
    state = without_crc(data)
    if state is None or state.get("format") != STATE_FORMAT:
        notes.append("state.json failed its checksum: rebuilt from the log")
        return None
    if state.get("chart_hash") != chart.hash:
        notes.append("state.json was for another chart: rebuilt from the log")
        return None
    return state


def _cut_tail(
    folder: Path,
    log_path: Path,
    scanned: Scan,
    state: dict[str, Any] | None,
    now: float,
    notes: list[str],
) -> None:
    """Cut the record in flight: a partial line and NUL bytes always; one complete line
    that fails its check only when no snapshot says it was committed (it cannot be told
    from media corruption otherwise); more than one bad line never."""
    tail = scanned.torn or b""
    complete = tail.rstrip(b"\0").count(b"\n")
    claimed = (
        state is not None
        and scanned.torn_seq is not None
        and (state["last_seq"] >= scanned.torn_seq)
    )
    if complete > 1 or (complete == 1 and claimed):
        raise LogCorrupt(
            log_path,
            scanned.header["base_seq"] + len(scanned.records) if scanned.header else 1,
            scanned.good_length,
            (
                "the last records fail their checks"
                if complete > 1
                else "the last record fails its check, and the snapshot says it was committed"
            ),
        )
    keep = folder / f"events.log.torn-{int(now * 1000)}"
    write_new(keep, tail)  # on failure the log is not cut: the next open tries again
    files = fsio.FILES
    fd = files.open(log_path, os.O_WRONLY)
    try:
        files.ftruncate(fd, scanned.good_length)
        files.fsync(fd)
    finally:
        files.close(fd)
    fsync_dir(folder)
    notes.append(
        f"cut a torn last record ({len(tail)} bytes at byte {scanned.good_length}; "
        f"kept in {keep.name})"
    )


def _recover_rotation(
    home: Home,
    resource_id: str,
    log_path: Path,
    start_segment: Callable[[int], None],
    notes: list[str],
) -> None:
    """A crash between closing a segment and starting the next: start the next."""
    rotated = [p for p in home.segments(resource_id) if p != log_path]
    if not rotated:
        raise StoreError(f"{log_path}: missing, and no earlier segment")
    scanned = logfile.scan(rotated[-1])
    if scanned.header is None:
        raise LogCorrupt(rotated[-1], 1, 0, "no valid header")
    last = scanned.header["base_seq"] + len(scanned.records) - 1
    start_segment(last + 1)
    notes.append(f"started the segment after {rotated[-1].name}")
