"""FileStore: durable instances in a directory, one folder per instance (docs/persistence.md).

    base/resources/<id>/chart.json      the chart (runnable IR) and its hash, written at create
    base/resources/<id>/events.log      the current log segment (JSON Lines, CRC per line)
    base/resources/<id>/events.<n>.log  rotated segments (n: their first sequence number)
    base/resources/<id>/state.json      the snapshot (every N events and on close)
    base/resources/<id>/outbox/<sink>.cursor   the last sequence delivered to a sink
    base/resources/<id>/.lock           the compare-and-write lock (flock: dies with its owner)

The commit is one `os.write` of the framed record on an O_APPEND descriptor and its `fsync`;
that fsync is the acknowledgement. Snapshots and cursors are replaced atomically (temporary
file in the same directory, fsync, `os.replace`, fsync of the directory). POSIX-durable.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import secrets
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from . import logfile
from .logfile import LogCorrupt, Scan
from .store import (
    CREATE,
    MIGRATE,
    AcknowledgedEventsLost,
    ChartMismatch,
    ConcurrencyConflict,
    DurableHandle,
    InstanceExists,
    OneShot,
    Receipt,
    Replay,
    Sink,
    StoredChart,
    StoreError,
    StoreIOError,
    UnknownInstance,
    WallClock,
    apply,
    check_event_id,
    check_resource_id,
    cloud_event,
    durable_snapshot,
    new_event_id,
    replay_until,
    restore_durable,
    retry_conflicts,
    timestamp,
)
from .timers import Clock, FakeClock

STATE_FORMAT = "statewright-state/1"
#: Events between snapshots: the log is the truth, so a snapshot is only a loading shortcut
#: (a snapshot per event measured about 30% of the raw write+fsync rate, bench/store_bench.py).
SNAPSHOT_EVERY = 100
#: Records per log segment before it is rotated (the audit trail stays; loading reads only the
#: snapshot and the current segment).
SEGMENT_RECORDS = 10_000

Migrate = Callable[[dict[str, Any], Mapping[str, Any], Mapping[str, Any]], dict[str, Any]]


# -- small durable file operations -----------------------------------------------------------------


class FileLock:
    """An exclusive OS lock on a file (`flock`; the store is POSIX-only): held only around a
    compare-and-write, released by the kernel if its holder dies, so a SIGKILL never leaves a
    stale lock. Reentrant within a handle; the descriptor stays open between uses."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None
        self._depth = 0

    def __enter__(self) -> FileLock:
        if self._depth == 0:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        self._depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None and self._depth == 0:
            os.close(self._fd)
            self._fd = None


def _write_new(path: Path, data: bytes) -> None:
    """Create `path` (it must not exist), write `data` and fsync it; when that fails, remove
    what was created (a full disk leaves no empty file behind) and raise the OSError."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        path.unlink(missing_ok=True)
        raise


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that a crash leaves the old file or the new one."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        _write_all(fd, data)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        temporary.unlink(missing_ok=True)
        raise
    os.close(fd)
    _fault("before-replace")
    os.replace(temporary, path)
    _fault("before-dir-fsync")
    _fsync_dir(path.parent)


def _with_crc(document: dict[str, Any]) -> bytes:
    body = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    return json.dumps({"crc": f"{zlib.crc32(body):08x}", "state": document}).encode() + b"\n"


def _without_crc(data: bytes) -> dict[str, Any] | None:
    try:
        outer = json.loads(data)
        document = outer["state"]
        body = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
        if outer["crc"] != f"{zlib.crc32(body):08x}":
            return None
        return document if isinstance(document, dict) else None
    except (ValueError, KeyError, TypeError):
        return None


# -- the store ------------------------------------------------------------------------------------


class FileStore(OneShot):
    """Instances as folders under `base_dir/resources/` (see the module docstring).

    Args:
        base_dir: the store's folder (created when missing).
        snapshot_every: events between snapshots (a snapshot is also written on close).
        segment_records: records per log segment before rotation.
        sinks: where notifications of committed transitions go (at least once, in order).
        notify_context: the context keys notifications may carry (others stay private).
        clock: wall-clock time for timestamps and timed events (tests pass a fake).
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
    ) -> None:
        self.base = Path(base_dir)
        self.resources = self.base / "resources"
        self.snapshot_every = max(1, snapshot_every)
        self.segment_records = max(2, segment_records)
        self.sinks = list(sinks)
        self.notify_context = tuple(notify_context)
        self.clock: Clock = clock or WallClock()
        self._pool: Any = None  # the threads that fsync a group commit's files together

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
            if not p.is_symlink() and (p / "chart.json").is_file()  # a link leaves the store
        )

    def create(
        self,
        resource_id: str,
        chart: StoredChart,
        *,
        context: Mapping[str, Any] | None = None,
    ) -> Instance:
        """A new instance: its folder, chart, log (with the creation record) and snapshot."""
        folder = self.folder(resource_id)
        self.resources.mkdir(parents=True, exist_ok=True)
        try:
            folder.mkdir()
        except FileExistsError:
            raise InstanceExists(f"instance {resource_id!r} exists already") from None
        _fsync_dir(self.resources)
        stored = {"chart_id": chart.id, "hash": chart.hash, "document": chart.document}
        if chart.source is not None:
            stored["ir"] = chart.source
        atomic_write(folder / "chart.json", json.dumps(stored).encode())
        salt = secrets.token_hex(8)
        head = logfile.frame(logfile.header(resource_id, chart.hash, 1, salt))
        _write_new(folder / "events.log", head)
        _fsync_dir(folder)
        instance = Instance(self, resource_id, chart, fresh=True)
        instance._create(dict(context or {}))
        return instance

    def open(
        self,
        resource_id: str,
        chart: StoredChart | None = None,
        *,
        migrate: Migrate | None = None,
        actions: Mapping[str, Callable[..., Any]] | None = None,
    ) -> Instance:
        """An existing instance, recovered from its files. Without `chart`, the chart stored at
        creation runs (with `actions` as its hooks). A chart with another hash is refused
        unless `migrate(snapshot, old_document, new_document)` gives the new snapshot."""
        folder = self.folder(resource_id)
        stored = self._stored_chart(folder, resource_id)
        if chart is None:
            chart = StoredChart(stored["document"], actions=actions, chart_id=stored["chart_id"])
        if chart.hash != stored["hash"]:
            if migrate is None:
                raise ChartMismatch(
                    f"instance {resource_id!r} runs chart {stored['hash'][:12]}, not "
                    f"{chart.hash[:12]}: pass migrate= to carry it over, or open it with its "
                    "own chart"
                )
            return self._migrate(resource_id, stored, chart, migrate)
        return Instance(self, resource_id, chart)

    def _stored_chart(self, folder: Path, resource_id: str) -> dict[str, Any]:
        try:
            stored: dict[str, Any] = json.loads((folder / "chart.json").read_bytes())
        except FileNotFoundError:
            raise UnknownInstance(f"no instance {resource_id!r} in {self.base}") from None
        except (OSError, ValueError) as error:
            raise StoreError(f"{folder / 'chart.json'}: unreadable: {error}") from None
        return stored

    def _migrate(
        self, resource_id: str, stored: dict[str, Any], chart: StoredChart, migrate: Migrate
    ) -> Instance:
        old = Instance(self, resource_id, StoredChart(stored["document"]))
        snapshot = migrate(old.snapshot(), stored["document"], chart.document)
        old.close(snapshot=False)
        instance = Instance(self, resource_id, chart, migrating=True)
        instance._migrated(snapshot, stored["hash"])
        return instance

    def chart_source(self, resource_id: str) -> dict[str, Any] | None:
        """The whole IR document an instance was created from (for drawing it), if kept."""
        source = self._stored_chart(self.folder(resource_id), resource_id).get("ir")
        return source if isinstance(source, dict) else None

    def batch(self) -> Batch:
        """A group commit: `with store.batch() as batch: batch.send(instance, event)`. Each
        send is applied and written at once, and the records of every instance in the batch
        are fsynced together when the block ends (in parallel): that is their
        acknowledgement, one fsync per instance for the whole batch. The instances stay locked
        until then."""
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="statewright-fsync")
        return Batch(self._pool)

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
        stored = self._stored_chart(self.folder(resource_id), resource_id)
        return replay_until(self.history(resource_id), Replay(stored), resource_id, seq=seq, at=at)

    # -- checking ---------------------------------------------------------------------------

    def verify(self, resource_id: str) -> list[str]:
        """Problems with an instance's files, as sentences (empty: it is sound). Reads only:
        nothing is repaired. Checks every segment's framing and sequence, the header, the
        snapshot's checksum and that it equals a replay of the log."""
        problems: list[str] = []
        try:
            folder = self.folder(resource_id)
            stored = self._stored_chart(folder, resource_id)
            segments = self.segments(resource_id)
            if not segments:
                return ["no log segment"]
            expected = 1
            records: list[dict[str, Any]] = []
            for segment in segments:
                scanned = logfile.scan(segment)
                if scanned.header is None:
                    problems.append(f"{segment.name}: no valid header")
                    continue
                known = {stored["hash"], *(stored.get("previous") or {})}
                if scanned.header.get("chart_hash") not in known:
                    problems.append(f"{segment.name}: written for another chart")
                if scanned.header["base_seq"] != expected:
                    problems.append(
                        f"{segment.name}: starts at {scanned.header['base_seq']}, "
                        f"{expected} was due"
                    )
                if scanned.torn is not None:
                    problems.append(
                        f"{segment.name}: a torn last record ({len(scanned.torn)} bytes at "
                        f"byte {scanned.good_length}); opening the instance cuts it"
                    )
                records += scanned.records
                expected = scanned.header["base_seq"] + len(scanned.records)
            replay = Replay(stored)
            for record in records:
                replay.apply(record)
            machine = replay.machine
            for leftover in folder.glob(".*.tmp"):
                problems.append(f"{leftover.name}: a leftover temporary file")
            state = _without_crc((folder / "state.json").read_bytes())
            if state is None:
                problems.append("state.json: missing checksum or unreadable")
            else:
                last = records[-1]["seq"] if records else 0
                if state["last_seq"] > last:
                    problems.append(
                        f"state.json records event {state['last_seq']}, the log ends at {last}"
                    )
                elif state["last_seq"] == last and state["machine"]["active"] != machine.active:
                    problems.append("state.json differs from a replay of the log")
        except FileNotFoundError as error:
            problems.append(f"{Path(error.filename).name}: missing")
        except (LogCorrupt, StoreError) as error:
            problems.append(str(error))
        return problems


class Instance(DurableHandle):
    """One durable instance, opened from a FileStore. Use it from one thread; several
    processes (or handles) may write one instance: the log decides who is first."""

    def __init__(
        self,
        store: FileStore,
        resource_id: str,
        chart: StoredChart,
        *,
        fresh: bool = False,
        migrating: bool = False,
    ) -> None:
        self.store = store
        self.resource_id = resource_id
        self.chart = chart
        self.folder = store.folder(resource_id)
        self.log_path = self.folder / "events.log"
        self.lock = FileLock(str(self.folder / ".lock"))
        #: what recovery did when the instance was opened (torn tails cut, snapshot rebuilt)
        self.recovered: list[str] = []
        #: problems that did not stop a commit (a snapshot that could not be written)
        self.warnings: list[str] = []
        self.version = 0
        self.last_seq = 0
        self._snapshot_seq = 0
        self._log_identity: tuple[int, int] = (0, 0)
        self._event_ids: dict[str, int] = {}
        self._base_seq = 1
        self._configuration_after: dict[int, list[str]] = {}
        self._recent: list[dict[str, Any]] = []  # the last records committed (for the sinks)
        self._batch: Batch | None = None  # set while a group commit holds this instance
        self._fd: int | None = None
        self._poisoned = False
        self.machine: Any = None
        if fresh:
            self.machine = chart.new(clock=store.clock)
            self._open_log()
        elif not migrating:
            try:
                with self.lock:
                    self._load()
                    if getattr(self.machine, "rolling_back", False):
                        self.recovered.append("resumed an interrupted rollback")
                        self._compensate()
            except OSError as error:  # a full disk, a read error: the files are as they were
                self.close(snapshot=False)
                raise StoreIOError(
                    f"{self.folder}: cannot open the instance: {error.strerror or error}"
                ) from None
            self._deliver()

    # -- sending ----------------------------------------------------------------------------

    def send(
        self,
        event: str,
        *,
        event_id: str | None = None,
        expected_version: int | None = None,
        **data: Any,
    ) -> Receipt:
        """Process one event and commit it (acknowledged once its record is fsynced).

        An event id already in the log is acknowledged again, not applied twice. With
        `expected_version`, a conflict is raised to the caller; without, a conflict (another
        writer got there first) reloads the instance and applies the event again, with capped
        exponential backoff and jitter."""
        event_id = new_event_id() if event_id is None else check_event_id(event_id)
        if expected_version is not None:
            return self._send_once(event, event_id, data, expected_version)
        # another writer first: reload and apply again, with backoff
        return retry_conflicts(lambda: self._send_once(event, event_id, data, None))

    def _send_once(
        self,
        event: str,
        event_id: str,
        data: Mapping[str, Any],
        expected_version: int | None,
    ) -> Receipt:
        if self._poisoned:
            self._reload()
        with self.lock:
            if self._stale():
                self._catch_up()
                if expected_version is None:
                    raise ConcurrencyConflict(f"{self.resource_id}: another writer committed")
            if expected_version is not None and expected_version != self.version:
                raise ConcurrencyConflict(
                    f"{self.resource_id} is at version {self.version}, not {expected_version}"
                )
            seen = self._find_event(event_id)
            if seen is not None:
                return self._receipt(seen, event, event_id, duplicate=True)
            before = self._configuration_after.get(self.last_seq) or self.machine.configuration
            try:
                record = self._step(event, event_id, data, before)
            except BaseException:
                self._poisoned = True  # a hook failed mid-step: reload before the next use
                raise
            self._commit(record)
            self._compensate()
            if self._batch is None:
                self._maybe_snapshot()
        if self._batch is None:
            self._deliver()
        return self._receipt(record["seq"], event, event_id)

    def _compensate(self) -> None:
        """Sagas: run the compensations a `rollback/` state asked for, newest first, each one
        logged as it completes, so that recovery resumes an interrupted rollback."""
        while getattr(self.machine, "rolling_back", False):
            before = self.machine.configuration
            try:
                action = self.machine.compensate_one()
            except BaseException:
                self._poisoned = True  # the compensation failed: it runs again on reload
                raise
            if action is None:
                return
            self._commit(self._compensation(before, action))

    def _create(self, context: dict[str, Any]) -> None:
        with self.lock:
            self.machine.context.update(context)
            self.machine.start()
            record = {
                "seq": 1,
                "id": new_event_id(),
                "ts": timestamp(self.store.clock.now()),
                "type": CREATE,
                "data": {},
                "version": 1,
                "from": None,
                "to": self.machine.configuration,
                "context": dict(self.machine.context),
            }
            self._commit(record)
            self._compensate()
            self._write_snapshot()
        self._deliver()

    def _commit(self, record: dict[str, Any]) -> None:
        """Append and fsync the record: the acknowledgement. On failure nothing is
        acknowledged and the handle reloads from the files (the event is in doubt: it may be in
        the log, unacknowledged; a retry with its id is applied at most once)."""
        line = logfile.frame(record)
        assert self._fd is not None
        fault = os.environ.get("STATEWRIGHT_FAULT")
        try:
            if fault:
                _fault("before-write")
                if fault == "kill-at:mid-write":
                    _write_all(self._fd, line[: len(line) // 2])  # a record torn by a crash
                    os.kill(os.getpid(), 9)
            _write_all(self._fd, line)
            if fault:
                _fault("after-write")
            if self._batch is None:
                os.fsync(self._fd)
                if fault:
                    _fault("after-fsync")
        except OSError as error:
            self._poisoned = True
            try:  # show what the files hold: the event is in doubt, it may be there
                self._load()
                self._poisoned = False
            except (OSError, StoreError):
                pass  # reloaded before the next use instead
            raise StoreIOError(
                f"{self.log_path}: the event was not committed ({error.strerror or error}); "
                "it is in doubt: send it again with the same event id"
            ) from None
        self.last_seq = record["seq"]
        self.version = record["version"]
        self._event_ids[record["id"]] = record["seq"]
        self._configuration_after[record["seq"]] = record["to"]
        self._configuration_after.pop(record["seq"] - 100, None)  # the recent ones only
        self._recent.append(record)
        del self._recent[:-64]
        stat = os.fstat(self._fd)
        self._log_identity = (stat.st_ino, stat.st_size)

    def _receipt(self, seq: int, event: str, event_id: str, *, duplicate: bool = False) -> Receipt:
        configuration = self._configuration_after.get(seq)
        if configuration is None:
            configuration = self.machine.configuration
        return Receipt(
            self.resource_id, seq, self.version, event, event_id, configuration, duplicate
        )

    # -- snapshots and segments --------------------------------------------------------------

    def _maybe_snapshot(self) -> None:
        if self.last_seq - self._snapshot_seq >= self.store.snapshot_every:
            try:
                self._write_snapshot()
                if self.last_seq - self._base_seq + 1 >= self.store.segment_records:
                    self._rotate()
            except OSError as error:  # the log holds the event: loading replays it
                self.warnings.append(f"snapshot not written: {error}")

    def _write_snapshot(self) -> None:
        _fault("before-snapshot")
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
        atomic_write(self.folder / "state.json", _with_crc(state))
        self._snapshot_seq = self.last_seq

    def _rotate(self) -> None:
        """Close the current segment under its first sequence number and start a new one (the
        snapshot at `last_seq` is on disk, so loading never needs the old segment)."""
        assert self._fd is not None
        os.close(self._fd)
        self._fd = None
        os.replace(self.log_path, self.folder / f"events.{self._base_seq:012d}.log")
        _fsync_dir(self.folder)
        self._new_segment(self.last_seq + 1)

    def _new_segment(self, base_seq: int) -> None:
        head = logfile.frame(
            logfile.header(self.resource_id, self.chart.hash, base_seq, secrets.token_hex(8))
        )
        temporary = self.folder / f".events.log.{secrets.token_hex(4)}.tmp"
        _write_new(temporary, head)
        os.replace(temporary, self.log_path)
        _fsync_dir(self.folder)
        self._base_seq = base_seq
        self._event_ids = {}
        self._open_log()

    def _open_log(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
        self._fd = os.open(self.log_path, os.O_WRONLY | os.O_APPEND)
        stat = os.fstat(self._fd)
        self._log_identity = (stat.st_ino, stat.st_size)

    def _migrated(self, snapshot: dict[str, Any], old_hash: str) -> None:
        """Carry the instance over to a new chart: the old log is closed as a segment, a new one
        starts with an `sw.migrate` record holding the migrated snapshot."""
        with self.lock:
            stored = self.store._stored_chart(self.folder, self.resource_id)
            previous = dict(stored.get("previous") or {})
            previous[old_hash] = stored["document"]
            scanned = logfile.scan(self.log_path)
            if scanned.header is None or scanned.torn is not None:
                raise StoreError(f"{self.log_path}: open the instance once before migrating it")
            self._base_seq = scanned.header["base_seq"]
            last = scanned.records[-1] if scanned.records else None
            self.last_seq = last["seq"] if last else self._base_seq - 1
            self.version = last["version"] if last else 0
            self.machine = self.chart.new(clock=self.store.clock)
            restore_durable(self.machine, snapshot, self.store.clock)
            os.replace(self.log_path, self.folder / f"events.{self._base_seq:012d}.log")
            _fsync_dir(self.folder)
            self._new_segment(self.last_seq + 1)
            document = {**stored, "hash": self.chart.hash, "document": self.chart.document}
            document["previous"] = previous
            document["chain"] = [*(stored.get("chain") or stored.get("previous") or []), old_hash]
            atomic_write(self.folder / "chart.json", json.dumps(document).encode())
            record = {
                "seq": self.last_seq + 1,
                "id": new_event_id(),
                "ts": timestamp(self.store.clock.now()),
                "type": MIGRATE,
                "data": {"from_hash": old_hash, "to_hash": self.chart.hash},
                "version": self.version + 1,
                "from": None,
                "to": self.machine.configuration,
                "snapshot": snapshot,
            }
            self._commit(record)
            self._write_snapshot()
        self._deliver()

    def close(self, *, snapshot: bool = True) -> None:
        """Write a snapshot (when events came since the last) and release the log."""
        if self._fd is None:
            self.lock.close()
            return
        if snapshot and not self._poisoned and self.last_seq > self._snapshot_seq:
            with self.lock:
                if not self._stale():
                    try:
                        self._write_snapshot()
                    except OSError as error:
                        self.warnings.append(f"snapshot not written: {error}")
        os.close(self._fd)
        self._fd = None
        self.lock.close()

    def __enter__(self) -> Instance:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- loading and recovery -----------------------------------------------------------------

    def _stale(self) -> bool:
        try:
            stat = os.stat(self.log_path)
        except FileNotFoundError:
            return True
        return (stat.st_ino, stat.st_size) != self._log_identity

    def _reload(self) -> None:
        self._poisoned = False
        with self.lock:
            self._load()
            if getattr(self.machine, "rolling_back", False):
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
        for leftover in self.folder.glob(".*.tmp"):
            leftover.unlink(missing_ok=True)
            self.recovered.append(f"removed the leftover {leftover.name}")
        if not self.log_path.exists():
            self._recover_rotation()
        state = self._read_state()
        scanned = logfile.scan(self.log_path)
        if scanned.header is None:
            raise LogCorrupt(self.log_path, 1, 0, "no valid header")
        if scanned.header.get("chart_hash") != self.chart.hash or (
            scanned.header.get("instance") != self.resource_id
        ):
            raise LogCorrupt(self.log_path, 1, 0, "the header names another instance or chart")
        self._base_seq = scanned.header["base_seq"]
        last = self._base_seq + len(scanned.records) - 1
        if scanned.torn is not None:
            self._cut_tail(scanned, state)
        if state is not None and state["last_seq"] > last:
            raise AcknowledgedEventsLost(
                f"{self.folder / 'state.json'} records event {state['last_seq']} but "
                f"{self.log_path} ends at {last}: the disk lost acknowledged events"
            )
        clock = FakeClock()
        machine = self.chart.new(clock=clock, replaying=True)
        records = scanned.records
        if state is not None and state["last_seq"] >= self._base_seq - 1:
            clock.time = float(state.get("saved_at", self.store.clock.now()))
            restore_durable(machine, state["machine"], clock)
            replay = [r for r in records if r["seq"] > state["last_seq"]]
            self._snapshot_seq = state["last_seq"]
        else:  # no usable snapshot: replay from the first segment
            if state is None:
                self.recovered.append("state.json was missing or damaged: rebuilt from the log")
            replay = [
                r
                for segment in self.store.segments(self.resource_id)
                for r in (logfile.scan(segment).records if segment != self.log_path else records)
            ]
            self._snapshot_seq = 0
        for record in replay:
            apply(machine, record, clock)
        live = self.chart.new(clock=self.store.clock)
        restore_durable(live, durable_snapshot(machine, clock), self.store.clock)
        self.machine = live
        final = records[-1] if records else None
        self.last_seq = final["seq"] if final else self._base_seq - 1
        self.version = final["version"] if final else (state["version"] if state else 0)
        self._event_ids = {r["id"]: r["seq"] for r in records}
        self._configuration_after = {r["seq"]: r["to"] for r in records[-100:]}
        self._open_log()

    def _read_state(self) -> dict[str, Any] | None:
        try:
            data = (self.folder / "state.json").read_bytes()
        except FileNotFoundError:
            return None
        state = _without_crc(data)
        if state is None or state.get("format") != STATE_FORMAT:
            self.recovered.append("state.json failed its checksum: rebuilt from the log")
            return None
        if state.get("chart_hash") != self.chart.hash:
            self.recovered.append("state.json was for another chart: rebuilt from the log")
            return None
        return state

    def _cut_tail(self, scanned: Scan, state: dict[str, Any] | None) -> None:
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
                self.log_path,
                scanned.header["base_seq"] + len(scanned.records) if scanned.header else 1,
                scanned.good_length,
                (
                    "the last records fail their checks"
                    if complete > 1
                    else "the last record fails its check, and the snapshot says it was committed"
                ),
            )
        keep = self.folder / f"events.log.torn-{int(self.store.clock.now() * 1000)}"
        _write_new(keep, tail)  # on failure the log is not cut: the next open tries again
        fd = os.open(self.log_path, os.O_WRONLY)
        try:
            os.ftruncate(fd, scanned.good_length)
            os.fsync(fd)
        finally:
            os.close(fd)
        _fsync_dir(self.folder)
        self.recovered.append(
            f"cut a torn last record ({len(tail)} bytes at byte {scanned.good_length}; "
            f"kept in {keep.name})"
        )

    def _recover_rotation(self) -> None:
        """A crash between closing a segment and starting the next: start the next."""
        rotated = [p for p in self.store.segments(self.resource_id) if p != self.log_path]
        if not rotated:
            raise StoreError(f"{self.log_path}: missing, and no earlier segment")
        scanned = logfile.scan(rotated[-1])
        if scanned.header is None:
            raise LogCorrupt(rotated[-1], 1, 0, "no valid header")
        last = scanned.header["base_seq"] + len(scanned.records) - 1
        self._new_segment(last + 1)
        self.recovered.append(f"started the segment after {rotated[-1].name}")

    def _find_event(self, event_id: str) -> int | None:
        seq = self._event_ids.get(event_id)
        if seq is not None or self._base_seq == 1:
            return seq
        for segment in self.store.segments(self.resource_id)[:-1]:  # older segments, rarely
            for record in logfile.scan(segment).records:
                if record["id"] == event_id:
                    return int(record["seq"])
        return None

    # -- notifications --------------------------------------------------------------------------

    def _deliver(self) -> None:
        """Send every committed record a sink has not had yet, in order (at least once): the
        log is the outbox, and each sink's cursor file says how far it got."""
        if not self.store.sinks:
            return
        outbox = self.folder / "outbox"
        outbox.mkdir(exist_ok=True)
        source = f"statewright://{self.store.base.name}/{self.chart.id}"
        with FileLock(str(outbox / ".lock")):
            for sink in self.store.sinks:
                cursor_path = outbox / f"{sink.name}.cursor"
                try:
                    cursor = int(cursor_path.read_text() or 0)
                except (FileNotFoundError, ValueError):
                    cursor = 0
                if cursor >= self.last_seq:
                    continue
                recent = self._recent
                if not recent or recent[0]["seq"] > cursor + 1:
                    recent = list(self.store.history(self.resource_id))  # catching up
                for record in recent:
                    if record["seq"] <= cursor:
                        continue
                    try:
                        sink.deliver(
                            cloud_event(
                                record,
                                resource_id=self.resource_id,
                                source=source,
                                before=record.get("from"),
                                context_keys=self.store.notify_context,
                            )
                        )
                    except Exception as error:  # noqa: BLE001 - retried at the next commit
                        self.warnings.append(f"sink {sink.name}: {error}")
                        break
                    cursor = record["seq"]
                    atomic_write(cursor_path, str(cursor).encode())


class Batch:
    """See `FileStore.batch`."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool
        self.instances: list[Instance] = []
        self.receipts: list[Receipt] = []

    def send(
        self, instance: Instance, event: str, *, event_id: str | None = None, **data: Any
    ) -> Receipt:
        """Apply and write one event; it is acknowledged when the batch ends without error."""
        event_id = new_event_id() if event_id is None else check_event_id(event_id)
        if instance._batch is not self:
            if instance._batch is not None:
                raise StoreError(f"{instance.resource_id} is in another batch")
            if instance._poisoned:
                instance._reload()
            instance.lock.__enter__()
            instance._batch = self
            self.instances.append(instance)
        try:
            receipt = instance._send_once(event, event_id, data, None)
        except ConcurrencyConflict:  # caught up under the lock we hold: cannot conflict again
            receipt = instance._send_once(event, event_id, data, None)
        self.receipts.append(receipt)
        return receipt

    def __enter__(self) -> Batch:
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        failed: list[str] = []
        try:
            if kind is None and self.instances:

                def sync(instance: Instance) -> None:
                    try:
                        assert instance._fd is not None
                        os.fsync(instance._fd)
                    except OSError as problem:
                        instance._poisoned = True
                        failed.append(f"{instance.log_path}: {problem.strerror or problem}")

                if len(self.instances) == 1:
                    sync(self.instances[0])
                else:
                    list(self.pool.map(sync, self.instances))
            else:  # the block raised: what it wrote is in doubt
                for instance in self.instances:
                    instance._poisoned = True
        finally:
            for instance in self.instances:
                instance._batch = None
                if not instance._poisoned:
                    try:
                        instance._maybe_snapshot()
                    finally:
                        instance.lock.__exit__()
                else:
                    instance.lock.__exit__()
        if failed:
            raise StoreIOError(
                "the batch was not committed (" + "; ".join(failed) + "); its events are in "
                "doubt: send them again with the same event ids"
            )
        for instance in self.instances:
            instance._deliver()


def _fault(step: str) -> None:
    """Fault injection for the crash tests: `STATEWRIGHT_FAULT=kill-at:<step>` SIGKILLs the
    process at that step of the write protocol (`mid-write` tears the record first);
    `io-error-at:<step>` raises EIO there, `no-space-at:<step>` ENOSPC. Steps: before-write,
    after-write, after-fsync, before-snapshot, before-replace, before-dir-fsync."""
    fault = os.environ.get("STATEWRIGHT_FAULT")
    if not fault:
        return
    kind, _, where = fault.partition(":")
    if where != step:
        return
    if kind == "kill-at":
        os.kill(os.getpid(), 9)
    if kind == "io-error-at":
        raise OSError(errno.EIO, os.strerror(errno.EIO))
    if kind == "no-space-at":
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
