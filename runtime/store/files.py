"""FileStore: durable instances in a folder, one folder per instance (docs/persistence.md).

Part of `statewright.runtime.store`. The folder's layout:

    base/resources/<id>/chart.json      the chart (runnable IR) and its hash, written at create
    base/resources/<id>/events.log      the current log segment (JSON Lines, CRC per line)
    base/resources/<id>/events.<n>.log  rotated segments (n: their first sequence number)
    base/resources/<id>/state.json      the snapshot (every N events and on close)
    base/resources/<id>/outbox/<sink>.cursor   the last sequence delivered to a sink
    base/resources/<id>/.lock           the compare-and-write lock (flock: dies with its owner)
    base/resources/<id>/due             the next timer's due time, a hint for workers

This module is the store: its folders, creating and opening instances, reading and checking
their logs, group commit. One instance's log, recovery and snapshots are `file_instance`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from ..errors import MissingHooksError
from ..timers import Clock
from . import fsio, logfile
from .base import StoreBase
from .charts import StoredChart
from .disk import atomic_write, locked, posix_locks
from .due_index import LOOK, DueIndex, entry, read_hint
from .errors import (
    CLOCK_TOLERANCE,
    RECORD_LIMIT,
    ChartMismatch,
    ClockSkew,
    StoreError,
    StoreIOError,
    UnknownInstance,
    check_resource_id,
)
from .file_batch import Batch
from .file_create import Item, create_many, create_one
from .file_instance import FileInstance, migrated_chart
from .file_outbox import deliver, deliver_remote
from .file_verify import check
from .instance import Migrate
from .records import Receipt, WallClock
from .replay import Replay, replay_until
from .sinks import Sink

#: Events between snapshots: the log is the truth, so a snapshot is only a loading shortcut
#: (a snapshot per event measured about 30% of the raw write+fsync rate, bench/store_bench.py).
SNAPSHOT_EVERY = 100
#: A `due` hint further ahead than this (seconds; ten years) is not trusted: the worker opens
#: the instance to look (a timer that long is still fired, at the cost of that look per pass).
HINT_HORIZON = 10 * 365 * 86400.0


#: Records per log segment before it is rotated (the audit trail stays; loading reads only the
#: snapshot and the current segment).
SEGMENT_RECORDS = 10_000


class FileStore(StoreBase):
    """Instances as folders under `base_dir/resources/` (see the module docstring).

    Args:
        base_dir: the store's folder (created when missing).
        snapshot_every: events between snapshots (a snapshot is also written on close).
        segment_records: records per log segment before rotation.
        sinks: where notifications of committed transitions go (at least once, in order).
        notify_context: the context keys notifications may carry (others stay private).
        clock: wall-clock time for timestamps and timed events (tests pass a fake).
        strict: refuse events the chart has no transition for.
        no_hooks: run steps whose actions have no hook, recording them as skipped.
        record_limit: bytes one record may take as JSON (event data and the context a step
            made); a send over it is refused before anything is written (`RecordTooLarge`).
    """

    def __init__(
        self,
        base_dir: str | Path,
        *,
        snapshot_every: int = SNAPSHOT_EVERY,
        segment_records: int = SEGMENT_RECORDS,
        sinks: Sequence[Sink] = (),
        notify_context: Iterable[str] = (),
        clock: Clock | None = None,
        strict: bool = True,
        no_hooks: bool = False,
        record_limit: int = RECORD_LIMIT,
    ) -> None:
        posix_locks()  # on a platform without them: refused now, not at the first write
        self.base = Path(base_dir)
        #: refuse events the chart has no transition for (False: record any event)
        self.strict = strict
        #: bytes one record may take as JSON (event data, a step's context): refused above
        self.record_limit = record_limit
        #: for instances opened without hooks: run the steps whose actions have no hook,
        #: recording them as skipped, instead of refusing them (`StoredChart`)
        self.no_hooks = no_hooks
        self.resources = self.base / "resources"
        self.snapshot_every = max(1, snapshot_every)
        self.segment_records = max(2, segment_records)
        self.sinks = list(sinks)
        self.notify_context = tuple(notify_context)
        self.clock: Clock = clock or WallClock()
        self._pool: Any = None  # the threads that fsync a group commit's files together
        #: every instance's next due time, in one folder's names (`due_index`)
        self.due_index = DueIndex(self.base)

    def close(self) -> None:
        """Release what the store holds open (the threads of group commits, the sinks'
        connections); what the remote sinks have not had is tried once more first (for at
        most `Deliverer.close`'s timeout: the relay delivers the rest)."""
        self._stop_deliverer()
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        for sink in self.sinks:
            getattr(sink, "close", lambda: None)()

    def __enter__(self) -> FileStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- instances --------------------------------------------------------------------------

    def folder(self, resource_id: str) -> Path:
        folder = self.resources / check_resource_id(resource_id)
        base = os.path.realpath(self.resources)
        if os.path.dirname(os.path.realpath(folder)) != base:
            raise StoreError(f"instance folder {folder} leaves the store (a symlink?)")
        return folder

    def ids(self) -> list[str]:
        """Every instance id, sorted."""
        if not self.resources.is_dir():
            return []
        return sorted(
            p.name
            for p in self.resources.iterdir()
            if not p.name.startswith(".")  # an instance being created
            and not p.is_symlink()  # a link would leave the store
            # an instance whose chart.json is gone is still listed (open and verify say so)
            and ((p / "chart.json").is_file() or (p / "events.log").exists())
        )

    def create(
        self,
        resource_id: str,
        chart: StoredChart,
        *,
        context: Mapping[str, Any] | None = None,
    ) -> FileInstance:
        """A new instance: its folder, chart and log (with the creation record). The folder
        is made whole under a hidden name and renamed into place, so a crash leaves the
        instance created or not there at all (never a folder that cannot be opened, whose id
        could not be created again): `file_create`."""
        return create_one(self, resource_id, chart, context)

    def create_many(self, items: Sequence[Item]) -> list[FileInstance]:
        """Several new instances, `(id, chart)` or `(id, chart, context)` each, made as
        `create` makes one but with their waits shared: every file's fsync at once (in the
        store's threads), then every folder's, and one fsync of `resources/` acknowledges them
        all. Every id and context is checked before anything is made; a failure raises
        `StoreIOError` naming those made but not acknowledged (creating one again then raises
        `InstanceExists`)."""
        return create_many(self, items, self._threads().map)

    def open(
        self,
        resource_id: str,
        chart: StoredChart | None = None,
        *,
        migrate: Migrate | None = None,
        actions: Mapping[str, Callable[..., Any]] | None = None,
    ) -> FileInstance:
        """An existing instance, recovered from its files. Without `chart`, the chart stored at
        creation runs (with `actions` as its hooks). A chart with another hash is refused
        unless `migrate(snapshot, old_document, new_document)` gives the new snapshot."""
        try:
            return self._open(resource_id, chart, migrate, actions)
        except OSError as error:
            raise StoreIOError(
                f"{error.filename or self.folder(resource_id)}: opening {resource_id!r} failed "
                f"({error.strerror or error}); its files are as they were: open it again"
            ) from None

    def _open(
        self,
        resource_id: str,
        chart: StoredChart | None,
        migrate: Migrate | None,
        actions: Mapping[str, Callable[..., Any]] | None,
    ) -> FileInstance:
        folder = self.folder(resource_id)
        stored = self.stored_chart(folder, resource_id)
        finished = False
        logged = self._log_chart(folder)
        if logged is not None and logged != stored["hash"]:  # a migration cut short
            if chart is None or chart.hash != logged:
                raise StoreError(
                    f"instance {resource_id!r} was being carried over to chart {logged[:12]} "
                    "when it stopped: open it with that chart to finish"
                )
            stored, finished = migrated_chart(stored, chart, stored["hash"]), True
            atomic_write(folder / "chart.json", json.dumps(stored).encode())
        if chart is None:
            chart = StoredChart(
                stored["document"],
                actions=actions,
                chart_id=stored["chart_id"],
                no_hooks=self.no_hooks,
            )
        if chart.hash != stored["hash"]:
            if migrate is None:
                raise ChartMismatch(
                    f"instance {resource_id!r} runs chart {stored['hash'][:12]}, not "
                    f"{chart.hash[:12]}: pass migrate= to carry it over, or open it with its "
                    "own chart"
                )
            return self._migrate(resource_id, stored, chart, migrate)
        instance = FileInstance(self, resource_id, chart)
        if finished:
            instance.recovered.append("finished an interrupted migration (chart.json)")
        return instance

    def _log_chart(self, folder: Path) -> str | None:
        """The chart hash the instance's current log was started for (None: no readable
        log; recovery deals with that)."""
        try:
            head = logfile.read_header(folder / "events.log")
        except OSError:
            return None
        found = head.get("chart_hash") if head else None
        return found if isinstance(found, str) else None

    def stored_chart(self, folder: Path, resource_id: str) -> dict[str, Any]:
        """An instance's `chart.json` (its chart, hash and source): UnknownInstance when the
        instance does not exist."""
        try:
            stored: dict[str, Any] = json.loads((folder / "chart.json").read_bytes())
        except FileNotFoundError:
            if (folder / "events.log").exists():
                raise StoreError(
                    f"{folder / 'chart.json'}: missing, though the instance's log is there: "
                    "its chart is lost (restore chart.json from a backup); nothing was read"
                ) from None
            raise UnknownInstance(f"no instance {resource_id!r} in {self.base}") from None
        except (OSError, ValueError) as error:
            raise StoreError(f"{folder / 'chart.json'}: unreadable: {error}") from None
        return stored

    def _migrate(
        self, resource_id: str, stored: dict[str, Any], chart: StoredChart, migrate: Migrate
    ) -> FileInstance:
        old = FileInstance(self, resource_id, StoredChart(stored["document"]))
        snapshot = migrate(old.snapshot(), stored["document"], chart.document)
        old.close(snapshot=False)
        instance = FileInstance(self, resource_id, chart, migrating=True)
        instance._migrated(snapshot, stored["hash"])
        return instance

    # -- timers --------------------------------------------------------------------------------

    def hinted_due(self) -> dict[str, float | None]:
        """Each instance's next due time as its `due` hint says (None: `none`, no timer). A
        hint that does not say that or a time (missing, empty as an unsynced rename can leave
        it after a power cut, not a finite number, or more than `HINT_HORIZON` seconds ahead)
        means "look": the instance is due now, and a worker opens it (which writes the hint
        again)."""
        found: dict[str, float | None] = {}
        horizon = self.clock.now() + HINT_HORIZON
        for resource_id in self.ids():
            try:
                folder = self.folder(resource_id)
            except StoreError:  # a link out of the store: looked at, and refused, by open
                found[resource_id] = LOOK
                continue
            found[resource_id] = read_hint(folder / "due", horizon)
        return found

    def next_due(self) -> float | None:
        """The earliest due time of any instance (by the due index), None when none has a
        timer."""
        times = [due for entries in self.due_index.entries().values() for due in entries]
        return min(times) if times else None

    def fire_due(
        self,
        charts: Sequence[StoredChart] = (),
        *,
        limit: int = 1000,
        stop: Callable[[], bool] = lambda: False,
        refused: list[tuple[str, str]] | None = None,
        full: bool = True,
    ) -> list[Receipt]:
        """Commit the timed events that are due, for any instance, as PostgresStore's
        `fire_due` does: each instance whose hint says it is due is opened (its lock makes
        several workers take turns) and ticked. With `full`, every instance's own hint is
        read (and the due index made whole again); without, the due index alone says which
        are due (one folder listing: what a `Worker` does between its full passes). A timer
        another worker fired meanwhile is not fired again, and nothing is written for it. An
        instance whose chart is in `charts` (matched by hash) runs with that chart's hooks;
        others with none. `stop` is asked between instances (a worker asked to stop finishes
        the one in flight).
        A tick whose actions have no hook is refused (`StoredChart`): with a `refused` list,
        (instance, reason) goes there and the others go on; without, it raises."""
        by_hash = {chart.hash: chart for chart in charts}
        receipts: list[Receipt] = []
        now = self.clock.now()
        skew = self._clock_skew(now)
        indexed = self.due_index.entries()
        if full:
            hinted = self.hinted_due()
            for resource_id, when in hinted.items():  # a lost entry is made again
                listed = {entry(due, resource_id) for due in indexed.get(resource_id, ())}
                if when and entry(when, resource_id) not in listed:
                    self._reindex(resource_id, indexed.get(resource_id, []))
            candidates = {rid: when for rid, when in hinted.items() if when is not None}
        else:
            candidates = {rid: min(times) for rid, times in indexed.items()}
        due = sorted((when, rid) for rid, when in candidates.items() if when <= now)
        for _, resource_id in due:
            if len(receipts) >= limit or stop():
                break
            try:
                if skew is not None:
                    raise skew
                stored = self.stored_chart(self.folder(resource_id), resource_id)
                chart = by_hash.get(stored["hash"]) or StoredChart(
                    stored["document"], chart_id=stored["chart_id"], no_hooks=self.no_hooks
                )
                with self.open(resource_id, chart) as instance:
                    receipt = instance.tick()
                self._reindex(resource_id, indexed.get(resource_id, []))  # its stale entries
            except UnknownInstance:
                self.due_index.settle(resource_id, indexed.get(resource_id, []), None)
                continue  # removed meanwhile
            except (MissingHooksError, StoreError) as error:
                # refused (no hook, a clock that disagrees, damage): the others go on
                if refused is None:
                    raise
                refused.append((resource_id, str(error)))
                continue
            if receipt is not None:
                receipts.append(receipt)
        return receipts

    def _reindex(self, resource_id: str, listed: list[float]) -> None:
        """Make the due index say what the instance's own hint says (`listed`: its entries as
        a listing found them), under the instance's lock: the hint and its entry change
        together there, so no other handle moves them meanwhile. A hint that says "look" is
        left for the instance's next open."""
        folder = self.folder(resource_id)
        if not (folder / "chart.json").is_file():
            return
        with locked(str(folder / ".lock")):
            current = read_hint(folder / "due")
            if current != LOOK:
                self.due_index.settle(resource_id, listed, current)

    def _clock_skew(self, now: float) -> ClockSkew | None:
        """With the wall clock: how this process's time compares with the file system's (the
        modification time of a file written now: on a network file system, the server's).
        More than `CLOCK_TOLERANCE` apart is a `ClockSkew` (no timer fires); a test's fake
        clock is not compared."""
        if not isinstance(self.clock, WallClock) or not self.resources.is_dir():
            return None
        probe = self.resources / ".clock"
        try:
            fd = fsio.FILES.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                os.utime(fd)  # now, as the file system keeps time
                written = os.fstat(fd).st_mtime
            finally:
                fsio.FILES.close(fd)
        except OSError:
            return None  # cannot tell: the instances' own records are still compared
        if abs(written - now) <= CLOCK_TOLERANCE:
            return None
        return ClockSkew(
            f"this process's clock is {now - written:+.1f} s off the file system's time "
            f"({self.resources}): no timer fired (fix the clock: NTP)"
        )

    def relay(self) -> int:
        """Deliver to the sinks what they have not had, for every instance (an instance's
        records also go to the local sinks right after each commit and when it is opened,
        and to the remote ones from a background thread); how many deliveries were made."""
        delivered = 0
        if self.sinks:
            for resource_id in self.ids():
                with self.open(resource_id) as instance:
                    delivered += instance.delivered + deliver(instance, remote=True)
        return delivered

    def _deliver_remote(self, resource_id: str, dead_letter: bool) -> bool:
        """The background delivery of one instance (read-only but for the outbox): its
        current segment's records are what the cursors are compared with."""
        folder = self.folder(resource_id)
        stored = self.stored_chart(folder, resource_id)
        records = logfile.scan(folder / "events.log").records
        outboxed = SimpleNamespace(
            store=self,
            folder=folder,
            chart=SimpleNamespace(id=stored["chart_id"]),
            resource_id=resource_id,
            last_seq=records[-1]["seq"] if records else 0,
            _recent=records,
        )
        return deliver_remote(outboxed, dead_letter)

    def chart_source(self, resource_id: str) -> dict[str, Any] | None:
        """The whole IR document an instance was created from (for drawing it), if kept."""
        source = self.stored_chart(self.folder(resource_id), resource_id).get("ir")
        return source if isinstance(source, dict) else None

    def batch(self) -> Batch:
        """A group commit: `with store.batch() as batch: batch.send(instance, event)`. Each
        send is applied and written at once, and the records of every instance in the batch
        are fsynced together when the block ends (in parallel): that is their
        acknowledgement, one fsync per instance for the whole batch. The instances stay locked
        until then."""
        return Batch(self._threads())

    def _threads(self) -> Any:
        """The threads that fsync a group's files together (made at the first group)."""
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="statewright-fsync")
        return self._pool

    # -- reading the log --------------------------------------------------------------------

    def segments(self, resource_id: str) -> list[Path]:
        """The log segments of an instance, oldest first (the current one last)."""
        folder = self.folder(resource_id)
        rotated = sorted(folder.glob("events.*.log"), key=lambda p: int(p.name.split(".")[1]))
        current = folder / "events.log"
        return rotated + ([current] if current.exists() else [])

    def history(self, resource_id: str) -> Iterator[dict[str, Any]]:
        """Every record of an instance, oldest first (reads all segments; raises LogCorrupt)."""
        for segment in self.segments(resource_id):
            yield from logfile.scan(segment).records

    def state_at(
        self,
        resource_id: str,
        *,
        seq: int | None = None,
        at: float | str | None = None,
    ) -> dict[str, Any]:
        """The instance as of sequence number `seq` or time `at` (epoch seconds or RFC 3339),
        by replaying its log from the start: `{"seq", "version", "configuration", "context",
        "snapshot"}`."""
        stored = self.stored_chart(self.folder(resource_id), resource_id)
        return replay_until(self.history(resource_id), Replay(stored), resource_id, seq=seq, at=at)

    # -- checking ---------------------------------------------------------------------------

    def verify(self, resource_id: str, *, notes: list[str] | None = None) -> list[str]:
        """Problems with an instance's files, as sentences (empty: it is sound). Reads only:
        nothing is repaired. Checks every segment's framing and sequence, the header, the
        snapshot's checksum and that it equals a replay of the log. What the next open
        repairs by the recovery rules (a torn last record of the current segment, as a crash
        in mid-write leaves it; a leftover temporary file) is not a problem: it goes to
        `notes` when given."""
        return check(self, resource_id, notes)
