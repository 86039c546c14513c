"""One instance of a FileStore: its log, snapshots and segments (its recovery when opened is
`file_recovery`).

Part of `statewright.runtime.store` (the store itself is `files`). The commit is one `os.write`
of the framed record on an O_APPEND descriptor and its `fsync`; that fsync is the
acknowledgement. Snapshots and cursors are replaced atomically (`disk.atomic_write`).
Recovery follows the rules of `logfile` (docs/persistence.md): a torn tail is cut and kept
aside, anything else wrong is reported, never repaired in silence.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from ..memory import gc_paused
from ..timers import Clock
from . import fsio, logfile, segment_ids
from .charts import StoredChart
from .disk import (
    FileLock,
    atomic_write,
    fsync_dir,
    with_crc,
    write_new,
)
from .due_index import LOOK, DueIndex, read_hint
from .errors import StoreError, StoreIOError, check_record
from .file_log import FileLog
from .file_outbox import deliver
from .file_recovery import STATE_FORMAT, recover
from .fsio import checkpoint, write_all
from .instance import DurableInstance
from .records import Receipt, Record
from .replay import durable_snapshot, restore_durable
from .segment_ids import OlderIds
from .sinks import Sink

_log = logging.getLogger("statewright.store")


class FileHome(Protocol):
    """What a `FileInstance` reads of the store that opened it (`files.FileStore`)."""

    base: Path
    clock: Clock
    snapshot_every: int
    segment_records: int
    sinks: list[Sink]
    notify_context: tuple[str, ...]

    def folder(self, resource_id: str) -> Path: ...

    def segments(self, resource_id: str) -> list[Path]: ...

    @property
    def due_index(self) -> DueIndex: ...

    def history(self, resource_id: str) -> Iterator[dict[str, Any]]: ...

    def stored_chart(self, folder: Path, resource_id: str) -> dict[str, Any]: ...

    @property
    def remote_sinks(self) -> bool: ...

    def wake(self, resource_id: str) -> None: ...


class FileInstance(DurableInstance):
    """One durable instance, opened from a FileStore. Use it from one thread; several
    processes (or handles) may write one instance: the log decides who is first."""

    store: FileHome

    def __init__(
        self,
        store: FileHome,
        resource_id: str,
        chart: StoredChart,
        *,
        fresh: bool = False,
        migrating: bool = False,
        folder: Path | None = None,
    ) -> None:
        self.store = store
        self.resource_id = resource_id
        self.chart = chart
        #: a fresh instance is made in a folder of its own first (`FileStore.create`)
        self.folder = store.folder(resource_id) if folder is None else folder
        self.log_path = self.folder / "events.log"
        self.lock = FileLock(str(self.folder / ".lock"))
        #: what recovery did when the instance was opened (torn tails cut, snapshot rebuilt)
        self.recovered: list[str] = []
        self.version = 0
        self.last_seq = 0
        self._snapshot_seq = 0
        #: the current segment's descriptor (`file_log`: its one owner)
        self.log = FileLog(self.log_path, resource_id)
        self._event_ids: dict[str, int] = {}
        #: the ids of the closed segments (`segment_ids`: read once a lookup needs them)
        self._older = OlderIds()
        self._base_seq = 1
        self._configuration_after: dict[int, list[str]] = {}
        self._recent: list[dict[str, Any]] = []  # the last records committed (for the sinks)
        #: the `file_batch.Batch` holding this instance while a group commit runs
        self._batch: object | None = None
        #: a hook failed mid-step, or a write did: reload from the files before the next use
        self._poisoned = False
        #: the deliveries to sinks made when this handle opened the instance (catching up)
        self.delivered = 0
        #: the next due time last written to the `due` hint (NaN: not written by this handle)
        self._hinted: float | None = float("nan")
        self.machine = chart.new(clock=store.clock)  # replaced by the loaded state
        if not fresh and not migrating:  # (a fresh instance's log is written by `_create`)
            try:
                with self.lock:
                    self._load()
                    if self.machine.rolling_back:
                        self.recovered.append("resumed an interrupted rollback")
                        self._compensate()
                    self._hint_due()
            except OSError as error:  # a full disk, a read error: the files are as they were
                self.close(snapshot=False)
                raise StoreIOError(
                    f"{self.folder}: cannot open the instance: {error.strerror or error}"
                ) from None
            except BaseException:  # refused (damage, a chart that differs): nothing kept open
                self.close(snapshot=False)
                raise
            self.delivered = self._deliver()

    # -- the log interface (`DurableInstance._send_once` drives it) ---------------------------

    @contextmanager
    def _writing(self) -> Iterator[None]:
        if self._poisoned or not self.log.is_open:
            self._reload()
        with self.lock:
            if self.log.stale():
                self._catch_up()  # another writer appended: the step runs on its state
            yield

    def _find(self, event: str, event_id: str) -> Receipt | None:
        seen = self._find_event(event_id)
        return None if seen is None else self._receipt(seen, event, event_id, duplicate=True)

    def _before(self) -> list[str]:
        return self._configuration_after.get(self.last_seq) or self.machine.configuration

    def _settle(self) -> None:
        if self._batch is None:  # a group commit snapshots when it ends
            self._maybe_snapshot()

    def _after_release(self) -> None:
        if self._batch is None:
            self._deliver()

    def _interrupted(self) -> None:
        self._poisoned = True  # reload from the files before the next use

    def _create(self, context: dict[str, Any], salt: str, *, sync: bool = True) -> None:
        """Start the machine (its initial entry actions run here) and write the log whole: its
        header and the creation record in one write and one fsync (`file_create` makes the
        instance in a hidden folder, and renames it into place once this is durable; it
        fsyncs a group's logs together, `sync=False`). No lock: the hidden folder is this
        handle's alone until it is renamed into place."""
        self.machine.context.update(self.chart.declared.context(context))
        skipped = self._start()
        self._hinted = float("nan")
        record = Record.creation(
            now=self.store.clock.now(),
            to=self.machine.configuration,
            context=self.machine.context,
            skipped=skipped,
        ).to_json()
        check_record(record, self.record_limit, self.resource_id, "the new instance")
        head = logfile.header(self.resource_id, self.chart.hash, 1, salt)
        self.log.create(logfile.frame(head) + logfile.frame(record), sync=sync)
        self._committed(record)
        self._compensate()

    def _moved(self, folder: Path) -> None:
        """The instance's folder was renamed into place (`FileStore.create`): the descriptors
        stay (same files), the paths follow."""
        self.folder = folder
        self.log_path = self.log.path = folder / "events.log"
        self.lock.path = str(folder / ".lock")

    def _commit(self, committed: Record) -> bool:
        """Append and fsync the record: the acknowledgement (in a group commit, the fsync is
        the batch's). On failure nothing is acknowledged: the log cut back what it wrote, or
        refuses until it can (`file_log`), and the handle reloads from the files."""
        record = committed.to_json()
        try:
            self.log.append(logfile.frame(record), sync=self._batch is None)
        except StoreIOError:
            self._poisoned = True
            if self._batch is None:  # the log holds only what is durable now: show it
                try:
                    self._reload()
                except StoreError:
                    pass  # poisoned: reloaded before the next use
            raise
        self._committed(record)
        return True

    def _committed(self, record: dict[str, Any]) -> None:
        """What the handle keeps of a record on disk in its log."""
        self.last_seq = record["seq"]
        self.version = record["version"]
        self.last_time = record["ts"]
        self._event_ids[record["id"]] = record["seq"]
        self._configuration_after[record["seq"]] = record["to"]
        self._configuration_after.pop(record["seq"] - 100, None)  # the recent ones only
        self._recent.append(record)
        del self._recent[:-64]
        self._hint_due()

    def _hint_due(self) -> None:
        """Keep `due` (the instance's next timer, for workers: `FileStore.fire_due` opens only
        the instances whose timers are due) when it changed. A hint, not a record: written by
        rename without fsync; a lost or stale hint makes a worker open the instance and look
        (`FileStore.hinted_due`). The store's due index follows (`due_index`)."""
        due = self.machine.next_due
        if due == self._hinted:
            return
        # the hint on disk, not this handle's memory, names the index entry to replace: both
        # change under the instance's lock, and another handle may have moved them since
        old = read_hint(self.folder / "due")
        old = None if old == LOOK else old  # (no entry is named after a hint that says look)
        temporary = self.folder / f".due.{os.getpid()}.tmp"
        files = fsio.FILES
        try:
            fd = files.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                write_all(fd, b"none" if due is None else repr(float(due)).encode("ascii"))
            finally:
                files.close(fd)
            files.replace(temporary, self.folder / "due")
            self._hinted = due
        except OSError:
            pass  # a worker without the hint opens the instance to see
        self.store.due_index.move(self.resource_id, old, due)

    def _receipt(
        self,
        seq: int,
        event: str,
        event_id: str,
        *,
        duplicate: bool = False,
        handled: bool | None = None,
    ) -> Receipt:
        configuration = self._configuration_after.get(seq)
        if configuration is None:
            configuration = self.machine.configuration
        if handled is None:  # a duplicate: what the first delivery did, as the log says
            handled = configuration != self._configuration_after.get(seq - 1)
        return Receipt(
            self.resource_id, seq, self.version, event, event_id, configuration, duplicate, handled
        )

    # -- snapshots and segments --------------------------------------------------------------

    def _maybe_snapshot(self) -> None:
        if self.last_seq - self._snapshot_seq >= self.store.snapshot_every:
            try:
                self._write_snapshot()
                if self.last_seq - self._base_seq + 1 >= self.store.segment_records:
                    self._rotate()
            except (OSError, StoreError) as error:  # the log holds the event: loading replays it
                if not self.log.is_open:  # a rotation cut short: the next use recovers it
                    self._poisoned = True
                _log.warning("%s: snapshot not written: %s", self.resource_id, error)

    def _write_snapshot(self) -> None:
        checkpoint("before-snapshot")
        state = {
            "format": STATE_FORMAT,
            "instance": self.resource_id,
            "chart_id": self.chart.id,
            "chart_hash": self.chart.hash,
            "version": self.version,
            "last_seq": self.last_seq,
            "saved_at": self.store.clock.now(),
            "machine": durable_snapshot(self.machine, self.store.clock),
        }
        atomic_write(self.folder / "state.json", with_crc(state))
        self._snapshot_seq = self.last_seq

    def _rotate(self) -> None:
        """Close the current segment under its first sequence number and start a new one (the
        snapshot at `last_seq` is on disk, so loading never needs the old segment)."""
        self.log.close()
        closed = self.folder / f"events.{self._base_seq:012d}.log"
        fsio.FILES.replace(self.log_path, closed)
        fsync_dir(self.folder)
        segment_ids.write(closed)
        self._new_segment(self.last_seq + 1)

    def _new_segment(self, base_seq: int) -> None:
        head = logfile.frame(
            logfile.header(self.resource_id, self.chart.hash, base_seq, secrets.token_hex(8))
        )
        temporary = self.folder / f".events.log.{secrets.token_hex(4)}.tmp"
        write_new(temporary, head)
        fsio.FILES.replace(temporary, self.log_path)
        fsync_dir(self.folder)
        self._base_seq = base_seq
        self._event_ids = {}
        self._open_log()

    def _open_log(self) -> None:
        self.log.open()  # the old descriptor is forgotten and closed first

    def _migrated(self, snapshot: dict[str, Any], old_hash: str) -> None:
        """Carry the instance over to a new chart: the old log is closed as a segment, a new one
        starts with an `sw.migrate` record holding the migrated snapshot."""
        with self.lock:
            stored = self.store.stored_chart(self.folder, self.resource_id)
            scanned = logfile.scan(self.log_path)
            if scanned.header is None or scanned.torn is not None:
                raise StoreError(f"{self.log_path}: open the instance once before migrating it")
            self._base_seq = scanned.header["base_seq"]
            last = scanned.records[-1] if scanned.records else None
            self.last_seq = last["seq"] if last else self._base_seq - 1
            self.version = last["version"] if last else 0
            self.last_time = last["ts"] if last else None
            self.machine = self.chart.new(clock=self.store.clock)
            restore_durable(self.machine, snapshot, self.store.clock)
            # The new segment is written whole, with its `sw.migrate` record, before it takes
            # the log's name: a crash leaves the old log (the migration did not happen) or the
            # new one (it did; `FileStore.open` then finishes chart.json), never a new log
            # without the migrated snapshot.
            migration = self._migration(old_hash, snapshot)
            salt = secrets.token_hex(8)
            head = logfile.header(self.resource_id, self.chart.hash, self.last_seq + 1, salt)
            temporary = self.folder / f".events.log.{secrets.token_hex(4)}.tmp"
            write_new(temporary, logfile.frame(head) + logfile.frame(migration.to_json()))
            closed = self.folder / f"events.{self._base_seq:012d}.log"
            fsio.FILES.replace(self.log_path, closed)
            fsync_dir(self.folder)  # the old log is a segment before the new one is the log
            fsio.FILES.replace(temporary, self.log_path)
            fsync_dir(self.folder)  # committed
            document = migrated_chart(stored, self.chart, old_hash)
            atomic_write(self.folder / "chart.json", json.dumps(document).encode())
            segment_ids.write(closed)
            self._base_seq, self._event_ids = self.last_seq + 1, {}
            self._open_log()
            self._committed(migration.to_json())
            self._write_snapshot()
        self._deliver()

    def close(self, *, snapshot: bool = True) -> None:
        """Write a snapshot (when events came since the last) and release the log."""
        if not self.log.is_open:
            self.lock.close()
            return
        if snapshot and not self._poisoned and self.last_seq > self._snapshot_seq:
            with self.lock:
                if not self.log.stale():
                    try:
                        self._write_snapshot()
                    except OSError as error:
                        _log.warning("%s: snapshot not written: %s", self.resource_id, error)
        self.log.close()
        self.lock.close()

    def __enter__(self) -> FileInstance:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- loading and recovery -----------------------------------------------------------------

    def _reload(self) -> None:
        """Read the instance again from what is on disk (never from this handle's memory),
        after a failure poisoned it."""
        self.log.close()
        with self.lock:
            try:
                self._load()
            except OSError as error:
                raise StoreIOError(
                    f"{self.folder}: cannot reopen the instance: {error.strerror or error}"
                ) from None
            self._poisoned = False
            if self.machine.rolling_back:
                self.recovered.append("resumed an interrupted rollback")
                self._compensate()

    def _catch_up(self) -> None:
        """Another writer appended (or rotated): read what is new and replay it."""
        try:
            self._load()
        except OSError as error:
            raise StoreIOError(f"{self.log_path}: cannot read: {error}") from None

    def _load(self) -> None:
        """Recover the instance from its files (the rules of docs/persistence.md)."""
        with gc_paused():  # a replay builds many acyclic records
            self._recover()

    def _recover(self) -> None:
        found = recover(self.store, self.resource_id, self.chart, self.folder, self._new_segment)
        self.recovered += found.notes
        self.machine = found.machine
        self._base_seq, self._snapshot_seq = found.base_seq, found.snapshot_seq
        self.last_seq, self.version, self.last_time = found.last_seq, found.version, found.last_time
        self._event_ids = found.event_ids
        self._configuration_after = found.configuration_after
        self._open_log()

    def _find_event(self, event_id: str) -> int | None:
        """The sequence number of a committed event id, or None: the current segment's ids are
        in memory, the closed segments' in the files kept beside them (`segment_ids`)."""
        seq = self._event_ids.get(event_id)
        if seq is not None or self._base_seq == 1:
            return seq
        return self._older.find(event_id, self.store.segments(self.resource_id)[:-1])

    # -- notifications --------------------------------------------------------------------------

    def _deliver(self) -> int:
        """Send the local sinks what they have not had (`file_outbox.deliver`), and wake the
        store's background delivery for the remote ones (never in the send path); how many
        deliveries were made here."""
        if not self.store.sinks:
            return 0
        if self.store.remote_sinks:
            self.store.wake(self.resource_id)
        return deliver(self)


def migrated_chart(stored: Mapping[str, Any], chart: StoredChart, old_hash: str) -> dict[str, Any]:
    """chart.json after a migration from `old_hash` to `chart`: the old document kept under
    `previous` (older segments replay with it), the chain of hashes extended."""
    previous = dict(stored.get("previous") or {})
    previous[old_hash] = stored["document"]
    document = {**stored, "hash": chart.hash, "document": chart.document, "previous": previous}
    document["chain"] = [*(stored.get("chain") or stored.get("previous") or []), old_hash]
    return document
