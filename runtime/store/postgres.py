"""PostgresStore: the same durable instances in PostgreSQL, shared by processes and hosts.

Part of `statewright.runtime.store`; needs the `postgres` extra (psycopg 3 and psycopg_pool).
The contract is FileStore's (docs/persistence.md); the storage is tables created by versioned
migrations (`statewright db upgrade --store postgresql://...`, or `upgrade(dsn)`):

    sw_instances(id, chart_id, chart_hash, chart, snapshot jsonb, version, last_seq, ...)
    sw_events(instance, seq, event_id, ts, record jsonb)   primary key (instance, seq),
                                                            unique (instance, event_id)
    sw_outbox(id, instance, seq, event jsonb)               one row per committed record
    sw_outbox_cursors(sink, instance, seq)                  how far each sink got
    sw_timers(instance, due, leased_until)                  the next due timer of an instance

One transaction per accepted event (`postgres_instance`): insert the event, insert its outbox
row, and `UPDATE sw_instances ... WHERE id = %s AND version = %s`; no row updated (or the
event's sequence number taken) is a `ConcurrencyConflict`, retried as with files. The commit is
the acknowledgement. Every database error leaving the store is a `StoreError`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from ..errors import MissingHooksError
from ..timers import Clock
from .base import StoreBase
from .charts import StoredChart
from .errors import (
    RECORD_LIMIT,
    ChartMismatch,
    ConcurrencyConflict,
    InstanceExists,
    ReplayDivergence,
    StoreError,
    UnknownInstance,
    check_event_id,
    check_record,
    check_resource_id,
)
from .instance import Migrate
from .pg import clock_skew, has_table, safe_dsn, translating
from .pg_outbox import relay
from .pg_schema import SCHEMA_VERSION
from .postgres_instance import PgBatch, PgInstance
from .records import Receipt, Record, WallClock
from .replay import Replay, durable_snapshot, replay_until, restore_durable
from .sinks import Sink

#: how often a watcher reads the events table even without a notification: a commit whose
#: statement began before the watcher registered may not notify it (at most this late)
WATCH_POLL_SECONDS = 1.0
#: how long a worker that claimed a due timer has to commit it before another may
TIMER_LEASE_SECONDS = 30.0


_log = logging.getLogger("statewright.store")


@translating
class PostgresStore(StoreBase):
    """Instances in PostgreSQL (see the module docstring). Same methods as FileStore."""

    #: `StoreBase.send` opens (translated) and sends (which translates its own statements):
    #: a hook's database error stays the hook's
    _untranslated = ("send",)

    def __init__(
        self,
        dsn: str,
        *,
        sinks: Sequence[Sink] = (),
        notify_context: Sequence[str] = (),
        clock: Clock | None = None,
        pool_size: int = 4,
        strict: bool = True,
        no_hooks: bool = False,
        record_limit: int = RECORD_LIMIT,
    ) -> None:
        self.dsn = dsn
        #: refuse events the chart has no transition for (False: record any event)
        self.strict = strict
        #: bytes one record may take as JSON (event data, a step's context): refused above
        self.record_limit = record_limit
        #: for instances opened without hooks: run the steps whose actions have no hook,
        #: recording them as skipped, instead of refusing them (`StoredChart`)
        self.no_hooks = no_hooks
        self.sinks = list(sinks)
        self.notify_context = tuple(notify_context)
        self.clock: Clock = clock or WallClock()
        try:  # one direct connection first: a wrong address fails at once, not after the
            # pool's wait for a connection
            with psycopg.connect(dsn, connect_timeout=10) as conn:
                row = conn.execute(
                    "SELECT max(version) FROM sw_schema"
                    if has_table(conn, "sw_schema")
                    else "SELECT NULL"
                ).fetchone()
        except psycopg.Error as error:
            text = str(error).strip()
            raise StoreError(
                f"cannot reach {safe_dsn(dsn)}: {text.splitlines()[0] if text else error!r}"
            ) from None
        if row is None or row[0] != SCHEMA_VERSION:
            raise StoreError(
                f"{safe_dsn(dsn)} has schema {row[0] if row else None}, this statewright needs "
                f"{SCHEMA_VERSION}: run `statewright db upgrade --store URL`"
            )
        # autocommit: a statement outside `conn.transaction()` is its own transaction, so that a
        # commit that is one statement (most steps) is one round trip, not BEGIN/it/COMMIT
        self.pool = ConnectionPool(
            dsn,
            min_size=1,
            max_size=pool_size,
            open=True,
            timeout=30,
            kwargs={"autocommit": True},
        )

    def close(self) -> None:
        """Close the connection pool and the sinks' connections (what the remote sinks have
        not had is tried once more first, for at most `Deliverer.close`'s timeout)."""
        self._stop_deliverer()
        self.pool.close()
        for sink in self.sinks:
            getattr(sink, "close", lambda: None)()

    def batch(self) -> PgBatch:
        """A group commit: `with store.batch() as batch: batch.send(instance, event)`. Each
        send runs its step and writes its rows at once, in one transaction for the whole
        block, which commits when the block ends: that is the acknowledgement of every event
        in it (one commit and one WAL flush for all). If the block raises or the commit fails,
        nothing of it is committed, its instances are loaded again, and its events are in
        doubt (send them again with the same ids). The block holds one pooled connection, and
        the rows it updated stay locked until it ends."""
        return PgBatch(self)

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- instances --------------------------------------------------------------------------

    def ids(self) -> list[str]:
        with self.pool.connection() as conn:
            return [r[0] for r in conn.execute("SELECT id FROM sw_instances ORDER BY id")]

    def create(
        self,
        resource_id: str,
        chart: StoredChart,
        *,
        context: Mapping[str, Any] | None = None,
    ) -> PgInstance:
        check_resource_id(resource_id)
        instance = PgInstance(self, resource_id, chart)
        machine = instance.machine
        machine.context.update(chart.declared.context(context))
        skipped = instance._start()
        record = Record.creation(
            now=self.clock.now(), to=machine.configuration, context=machine.context, skipped=skipped
        )
        check_record(record.to_json(), self.record_limit, resource_id, "the new instance")
        stored: dict[str, Any] = {"document": chart.document}
        if chart.source is not None:
            stored["ir"] = chart.source
        try:
            with self.pool.connection() as conn, conn.transaction():
                conn.execute(
                    "INSERT INTO sw_instances (id, chart_id, chart_hash, chart, snapshot, "
                    "version, last_seq) VALUES (%s, %s, %s, %s, %s, 1, 1)",
                    (
                        resource_id,
                        chart.id,
                        chart.hash,
                        Jsonb(stored),
                        Jsonb(durable_snapshot(machine, self.clock)),
                    ),
                )
                instance._insert(conn, record.to_json())
                if instance._timed:
                    instance._schedule(conn)
        except psycopg.errors.UniqueViolation:
            raise InstanceExists(f"instance {resource_id!r} exists already") from None
        instance.version = instance.last_seq = 1
        instance._compensate()
        instance._deliver()
        return instance

    def open(
        self,
        resource_id: str,
        chart: StoredChart | None = None,
        *,
        migrate: Migrate | None = None,
    ) -> PgInstance:
        """An instance, loaded from its row. A chart with another hash is refused unless
        `migrate(snapshot, old_document, new_document)` gives the new snapshot (as FileStore)."""
        check_resource_id(resource_id)
        row = self.row(resource_id)
        if chart is None:
            chart = StoredChart(
                row["chart"]["document"], chart_id=row["chart_id"], no_hooks=self.no_hooks
            )
        if chart.hash != row["chart_hash"]:
            if migrate is None:
                raise ChartMismatch(
                    f"instance {resource_id!r} runs chart {row['chart_hash'][:12]}, not "
                    f"{chart.hash[:12]}: pass migrate= to carry it over"
                )
            self._migrate(resource_id, row, chart, migrate)
            row = self.row(resource_id)
        instance = PgInstance(self, resource_id, chart)
        instance._load(row)
        if instance.machine.rolling_back:
            instance.recovered.append("resumed an interrupted rollback")
            instance._compensate()
        instance._deliver()
        return instance

    def _migrate(
        self, resource_id: str, row: Mapping[str, Any], chart: StoredChart, migrate: Migrate
    ) -> None:
        """Carry an instance over to a new chart: an `sw.migrate` event holds the migrated
        snapshot, and the row records the old chart under `previous`."""
        old = PgInstance(self, resource_id, StoredChart(row["chart"]["document"]))
        old._load(row)
        snapshot = migrate(old.snapshot(), row["chart"]["document"], chart.document)
        moved = PgInstance(self, resource_id, chart)
        restore_durable(moved.machine, snapshot, self.clock)
        moved.version, moved.last_seq = int(row["version"]), int(row["last_seq"])
        stored = dict(row["chart"])
        stored["previous"] = {
            **(stored.get("previous") or {}),
            row["chart_hash"]: stored["document"],
        }
        stored["chain"] = [
            *(stored.get("chain") or row["chart"].get("previous") or []),
            row["chart_hash"],
        ]
        stored["document"] = chart.document
        record = moved._migration(row["chart_hash"], snapshot)
        with self.pool.connection() as conn, conn.transaction():
            updated = conn.execute(
                "UPDATE sw_instances SET chart = %s, chart_hash = %s WHERE id = %s AND "
                "version = %s",
                (Jsonb(stored), chart.hash, resource_id, moved.version),
            ).rowcount
            if updated != 1:
                raise ConcurrencyConflict(f"{resource_id}: another writer committed")
        if not moved._commit(record):
            raise StoreError(f"{resource_id}: the migration was not committed")

    def chart_source(self, resource_id: str) -> dict[str, Any] | None:
        """The whole IR document an instance was created from (for drawing it), if kept."""
        source = self.row(resource_id)["chart"].get("ir")
        return source if isinstance(source, dict) else None

    def import_instance(
        self,
        resource_id: str,
        stored: Mapping[str, Any],
        records: Sequence[Mapping[str, Any]],
    ) -> None:
        """Bring an instance from another store: its chart (`chart.json`'s content) and its
        whole log, in one transaction; the snapshot is a replay of that log. Its history is
        not notified again (the outbox gets no rows for it)."""
        check_resource_id(resource_id)
        replay = Replay({**stored, "chart_id": stored.get("chart_id")})
        for record in records:
            replay.apply(record)
        last = records[-1] if records else None
        if last is None:
            raise StoreError(f"instance {resource_id!r} has an empty log")
        for record in records:  # ids an older store took that this one cannot index
            try:
                check_event_id(record.get("id"))
            except StoreError as error:
                where = f"instance {resource_id!r}, event {record.get('seq')}"
                raise StoreError(f"{where}: {error}") from None
        chart = {k: v for k, v in stored.items() if k in ("document", "ir", "previous", "chain")}
        try:
            with self.pool.connection() as conn, conn.transaction():
                conn.execute(
                    "INSERT INTO sw_instances (id, chart_id, chart_hash, chart, snapshot, "
                    "version, last_seq) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    (
                        resource_id,
                        stored.get("chart_id") or "chart",
                        stored["hash"],
                        Jsonb(chart),
                        Jsonb(durable_snapshot(replay.machine, replay.clock)),
                        last["version"],
                        last["seq"],
                    ),
                )
                with conn.cursor() as cursor:
                    cursor.executemany(
                        "INSERT INTO sw_events (instance, seq, event_id, ts, record) "
                        "VALUES (%s, %s, %s, %s, %s)",
                        [
                            (resource_id, r["seq"], r["id"], r["ts"], Jsonb(dict(r)))
                            for r in records
                        ],
                    )
                conn.execute(
                    "INSERT INTO sw_outbox_cursors (sink, instance, seq) "
                    "SELECT '*imported', %s, %s",
                    (resource_id, last["seq"]),
                )
        except psycopg.errors.UniqueViolation:
            raise InstanceExists(f"instance {resource_id!r} exists already") from None

    def row(self, resource_id: str, conn: psycopg.Connection[Any] | None = None) -> dict[str, Any]:
        """The instance's row (on `conn` when given: inside the caller's transaction)."""
        if conn is None:
            with self.pool.connection() as own:
                return self.row(resource_id, own)
        row = conn.execute(
            "SELECT chart_id, chart_hash, chart, snapshot, version, last_seq, updated_at "
            "FROM sw_instances WHERE id = %s",
            (resource_id,),
        ).fetchone()
        if row is None:
            raise UnknownInstance(f"no instance {resource_id!r} in {safe_dsn(self.dsn)}")
        keys = ("chart_id", "chart_hash", "chart", "snapshot", "version", "last_seq", "updated_at")
        return dict(zip(keys, row, strict=True))

    # -- reading ----------------------------------------------------------------------------

    def history(self, resource_id: str, after: int = 0) -> Iterator[dict[str, Any]]:
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT record FROM sw_events WHERE instance = %s AND seq > %s ORDER BY seq",
                (resource_id, after),
            ).fetchall()
        for (record,) in rows:
            yield record

    def state_at(
        self, resource_id: str, *, seq: int | None = None, at: float | str | None = None
    ) -> dict[str, Any]:
        row = self.row(resource_id)
        replay = Replay({**row["chart"], "chart_id": row["chart_id"]})
        return replay_until(self.history(resource_id), replay, resource_id, seq=seq, at=at)

    def verify(self, resource_id: str, *, notes: list[str] | None = None) -> list[str]:
        """Problems with an instance, as sentences: sequence numbers and versions contiguous
        from 1, and the stored snapshot equal to a replay of the events. (`notes`: what an
        open would repair; the database leaves nothing to repair, so none.)"""
        problems: list[str] = []
        try:
            row = self.row(resource_id)
            records = list(self.history(resource_id))
            seqs = [r["seq"] for r in records]
            if seqs != list(range(1, len(seqs) + 1)):
                problems.append("event sequence numbers are not contiguous from 1")
            if [r["version"] for r in records] != seqs:
                problems.append("versions do not follow the sequence numbers")
            if row["last_seq"] != len(records) or row["version"] != len(records):
                problems.append(
                    f"the instance row says version {row['version']}, the log has "
                    f"{len(records)} events"
                )
            replay = Replay({**row["chart"], "chart_id": row["chart_id"]})
            for record in records:
                replay.apply(record)
            machine = replay.machine
            if row["snapshot"]["active"] != machine.active:
                problems.append("the stored snapshot differs from a replay of the events")
            if row["snapshot"]["context"] != machine.context:
                problems.append("the stored context differs from a replay of the events")
        except (StoreError, ReplayDivergence) as error:
            problems.append(str(error))
        return problems

    # -- notifications ----------------------------------------------------------------------

    def relay(self, resource_id: str | None = None, *, remote: bool | None = None) -> int:
        """Deliver outbox rows each sink has not had, in order per instance (at least once);
        returns how many deliveries were made. Runs after each commit (the local sinks; the
        remote ones from a background thread: `deliverer`) and when asked (all of them;
        `remote` True or False: those only)."""
        return relay(self, resource_id, remote)[0]

    def _deliver_remote(self, resource_id: str, dead_letter: bool) -> bool:
        """The background delivery of one instance's outbox rows to the remote sinks (a row
        they refuse waits in the outbox: no dead letters here)."""
        return not relay(self, resource_id, True)[1]

    def next_due(self) -> float | None:
        """The earliest due time of any instance's timer, None when none has one."""
        with self.pool.connection() as conn:
            row = conn.execute("SELECT extract(epoch FROM min(due)) FROM sw_timers").fetchone()
        return float(row[0]) if row and row[0] is not None else None

    def fire_due(
        self,
        charts: Sequence[StoredChart] = (),
        *,
        limit: int = 1000,
        stop: Callable[[], bool] = lambda: False,
        refused: list[tuple[str, str]] | None = None,
        full: bool = True,
    ) -> list[Receipt]:
        """Commit the timed events that are due, for any instance: each due instance is claimed
        with `FOR UPDATE SKIP LOCKED` and a lease, so concurrent workers share the work and an
        instance whose worker died is claimed again when its lease ends. An instance whose
        chart is in `charts` (matched by hash) runs with that chart's hooks; others with none.
        Returns the receipts of the ticks committed by this call. A tick whose actions have no
        hook is refused (`StoredChart`): with a `refused` list, (instance, reason) goes there
        and the instance waits for its lease to end; without, it raises (`full`: unused)."""
        by_hash = {chart.hash: chart for chart in charts}
        receipts: list[Receipt] = []
        skew = clock_skew(self.pool, self.clock) if isinstance(self.clock, WallClock) else None
        if skew is not None:
            if refused is None:
                raise skew
            refused.append(("*", str(skew)))
            return receipts
        while len(receipts) < limit and not stop():
            now = self.clock.now()
            with self.pool.connection() as conn, conn.transaction():
                row = conn.execute(
                    "UPDATE sw_timers SET leased_until = to_timestamp(%s) WHERE instance = ("
                    " SELECT instance FROM sw_timers WHERE due <= to_timestamp(%s)"
                    " AND (leased_until IS NULL OR leased_until < to_timestamp(%s))"
                    " ORDER BY due FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING instance",
                    (now + TIMER_LEASE_SECONDS, now, now),
                ).fetchone()
            if row is None:
                return receipts
            stored = self.row(row[0])
            chart = by_hash.get(stored["chart_hash"]) or StoredChart(
                stored["chart"]["document"], chart_id=stored["chart_id"], no_hooks=self.no_hooks
            )
            try:
                with self.open(row[0], chart) as instance:
                    receipt = instance.tick()
                    if receipt is None:  # fired meanwhile by another worker: refresh its row
                        with self.pool.connection() as conn, conn.transaction():
                            instance._schedule(conn)
                    else:
                        receipts.append(receipt)
            except (MissingHooksError, StoreError) as error:
                # refused (no hook, a clock behind the instance's last record, damage); the
                # instance waits for its lease to end, the others go on
                if refused is None:
                    raise
                refused.append((row[0], str(error)))
        return receipts

    def watch(
        self, resource_id: str, after: int = 0, *, timeout: float | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every committed record of an instance after `after`, in order, as it is committed.
        The watcher registers in `sw_watchers` (commits notify only while someone watches:
        NOTIFY serialises the commits of every writer), LISTENs, and reads the events table at
        each wake-up and at least every `WATCH_POLL_SECONDS`, so nothing is missed. Stops after
        `timeout` seconds without a new record (None: never)."""
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            pid = conn.info.backend_pid
            conn.execute(  # rows of watchers whose session is gone
                "DELETE FROM sw_watchers WHERE pid NOT IN (SELECT pid FROM pg_stat_activity)"
            )
            conn.execute(
                "INSERT INTO sw_watchers (pid) VALUES (%s) ON CONFLICT (pid) DO NOTHING", (pid,)
            )
            try:
                conn.execute("LISTEN sw_events")
                quiet = 0.0
                while True:
                    fresh = list(self.history(resource_id, after))
                    for record in fresh:
                        after = record["seq"]
                        yield record
                    if fresh:
                        quiet = 0.0
                        continue
                    if timeout is not None and quiet >= timeout:
                        return
                    wait = WATCH_POLL_SECONDS
                    if timeout is not None:
                        wait = min(wait, timeout - quiet)
                    started = time.monotonic()
                    for _ in conn.notifies(timeout=wait, stop_after=1):
                        pass
                    quiet += time.monotonic() - started
            finally:
                conn.execute("DELETE FROM sw_watchers WHERE pid = %s", (pid,))
