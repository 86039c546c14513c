"""One instance in PostgreSQL: a step is one transaction (docs/persistence.md).

Part of `statewright.runtime.store` (the store itself is `postgres`). `_commit` writes the
record, its outbox row, the instance's row and the watchers' wake-up in one statement of one
transaction; the instance's version in the `UPDATE ... WHERE version = %s` decides who was
first.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Protocol

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from ..timers import Clock
from .charts import StoredChart
from .errors import ConcurrencyConflict, StoreError, check_event_id
from .instance import DurableInstance, retry_conflicts
from .pg import DATABASE_ERRORS, conflict_or_raise, database_name, translated, translating
from .records import Receipt, Record, new_event_id
from .replay import durable_snapshot, restore_durable
from .sinks import Sink, cloud_event


class PgHome(Protocol):
    """What a `PgInstance` reads of the store that opened it (`postgres.PostgresStore`)."""

    clock: Clock
    dsn: str
    pool: ConnectionPool
    sinks: list[Sink]
    notify_context: tuple[str, ...]

    def row(
        self, resource_id: str, conn: psycopg.Connection[Any] | None = None
    ) -> dict[str, Any]: ...

    def relay(self, resource_id: str | None = None, *, remote: bool | None = None) -> int: ...

    @property
    def remote_sinks(self) -> bool: ...

    def wake(self, resource_id: str) -> None: ...


@translating
class PgInstance(DurableInstance):
    """One durable instance in PostgreSQL (the `FileInstance` surface)."""

    store: PgHome
    #: they run hooks, and translate the store's own statements themselves (`_database`)
    _untranslated = ("send", "tick")
    #: a lost connection or a server restarting is tried again (with the event's id: a
    #: commit whose answer was lost is found, not applied twice)
    transient_retries = 3

    def __init__(self, store: PgHome, resource_id: str, chart: StoredChart) -> None:
        self.store = store
        self.resource_id = resource_id
        self.chart = chart
        self.machine = chart.new(clock=store.clock)  # replaced by the loaded state
        self.version = 0
        self.last_seq = 0
        self.recovered: list[str] = []
        #: how many commits lost a race and were retried (the bench reports the rate)
        self.conflicts = 0
        self._timed = chart.has_timers
        #: the group commit this instance is in (its connection and open transaction)
        self._batch: PgBatch | None = None
        #: a step ran that was not committed: read the instance again before the next one
        self._reload_first = False

    def close(self, *, snapshot: bool = True) -> None:
        """Nothing to release: every commit already updated the instance's row."""

    def __enter__(self) -> PgInstance:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _connection(self) -> Any:
        """The connection to write with: the batch's (inside its transaction) or the pool's."""
        if self._batch is not None:
            return contextlib.nullcontext(self._batch.conn)
        return self.store.pool.connection()

    def _load(self, row: Mapping[str, Any] | None = None) -> None:
        if row is None:
            batch = self._batch
            # in a batch: as the batch's transaction sees it (its own writes included)
            row = self.store.row(self.resource_id, batch.conn if batch is not None else None)
        machine = self.chart.new(clock=self.store.clock)
        restore_durable(machine, row["snapshot"], self.store.clock)
        self.machine = machine
        self.version, self.last_seq = int(row["version"]), int(row["last_seq"])
        updated = row.get("updated_at")
        self.last_time = updated.isoformat() if isinstance(updated, datetime) else None

    # -- the log interface (`DurableInstance._send_once` drives it) ---------------------------

    @contextmanager
    def _writing(self) -> Iterator[None]:
        if self._reload_first:  # a step ran that was not committed: start from the rows
            with _database():
                self._load()
            self._reload_first = False
        yield

    def _interrupted(self) -> None:
        self._reload_first = True  # a hook failed mid-step: the machine is not the database's

    def _find(self, event: str, event_id: str) -> Receipt | None:
        with _database():
            seen = self._committed(event_id)
        return None if seen is None else self._duplicate(seen, event, event_id)

    def _refresh(self) -> None:
        with _database():
            self._load()

    def _after_release(self) -> None:
        self._deliver()

    def _schedule(self, conn: psycopg.Connection[Any]) -> None:
        """Keep the instance's row in sw_timers at its next due time (none: no row), so that
        any worker can fire it, after a restart too."""
        due = self.machine.next_due
        if due is None:
            conn.execute("DELETE FROM sw_timers WHERE instance = %s", (self.resource_id,))
        else:
            conn.execute(
                "INSERT INTO sw_timers (instance, due) VALUES (%s, to_timestamp(%s)) "
                "ON CONFLICT (instance) DO UPDATE SET due = excluded.due, leased_until = NULL",
                (self.resource_id, due),
            )

    def _committed(self, event_id: str) -> dict[str, Any] | None:
        with self._connection() as conn:
            row = conn.execute(
                "SELECT record FROM sw_events WHERE instance = %s AND event_id = %s",
                (self.resource_id, event_id),
            ).fetchone()
        return None if row is None else dict(row[0])

    def _duplicate(self, record: Mapping[str, Any], event: str, event_id: str) -> Receipt:
        # what the first delivery did, as far as the log says
        handled = record.get("from") is None or list(record["from"]) != list(record["to"])
        return Receipt(
            self.resource_id,
            record["seq"],
            self.version,
            event,
            event_id,
            record["to"],
            True,
            handled,
        )

    def _commit(self, committed: Record) -> bool:
        """The record, its outbox row, the instance's row and the watchers' wake-up in one
        statement of one transaction. False: the event id was committed already (nothing
        written); ConcurrencyConflict: another writer moved the instance first; a lost
        connection is a StoreIOError (only the store's own statements are translated: an
        error a hook raises, even a psycopg one, stays the hook's)."""
        with _database():
            return self._commit_row(committed)

    def _commit_row(self, committed: Record) -> bool:
        record = committed.to_json()
        event = cloud_event(
            record,
            resource_id=self.resource_id,
            source=f"statewright://{database_name(self.store.dsn)}/{self.chart.id}",
            before=record.get("from"),
            context_keys=self.store.notify_context,
        )
        try:
            # one statement is one transaction (autocommit); a timed chart also keeps its
            # sw_timers row, in the same transaction
            with self._connection() as conn, self._transaction(conn):
                row = conn.execute(
                    _COMMIT,
                    {
                        "instance": self.resource_id,
                        "seq": record["seq"],
                        "id": record["id"],
                        "ts": record["ts"],
                        "record": Jsonb(record),
                        "event": Jsonb(event),
                        "snapshot": Jsonb(durable_snapshot(self.machine, self.store.clock)),
                        "version": record["version"],
                        "previous": self.version,
                        "note": f"{self.resource_id}:{record['seq']}",
                    },
                ).fetchone()
                assert row is not None
                inserted, advanced = row
                if inserted and not advanced:
                    raise ConcurrencyConflict(f"{self.resource_id}: another writer committed")
                if inserted and self._timed:
                    self._schedule(conn)
        except ConcurrencyConflict:
            self._lost_race()
            raise
        except psycopg.Error as error:
            try:
                conflict_or_raise(error)
            except ConcurrencyConflict:
                self._lost_race()
                raise
            if self._batch is not None:
                raise  # the batch's transaction is lost: the batch reloads its instances
            self._reload_first = True  # the step is not committed: loaded again at the next use
            with contextlib.suppress(psycopg.Error):
                self._load()
                self._reload_first = False
            raise
        if inserted:
            self.version, self.last_seq = record["version"], record["seq"]
            self.last_time = record["ts"]
        return bool(inserted)

    def _lost_race(self) -> None:
        """Another writer moved the instance first: the step ran on a stale machine, so start
        again from the database (in a batch, as its transaction sees it)."""
        self.conflicts += 1
        self._load()

    def _transaction(self, conn: psycopg.Connection[Any]) -> Any:
        """A transaction (a savepoint in a batch, so that a conflict undoes one send only)
        when the commit is more than one statement or shares the batch's transaction."""
        if self._timed or self._batch is not None:
            return conn.transaction()
        return contextlib.nullcontext()

    def _insert(self, conn: psycopg.Connection[Any], record: Mapping[str, Any]) -> None:
        """The event, its outbox row and the wake-up of watchers, in the caller's transaction."""
        conn.execute(
            "INSERT INTO sw_events (instance, seq, event_id, ts, record) "
            "VALUES (%s, %s, %s, %s, %s)",
            (self.resource_id, record["seq"], record["id"], record["ts"], Jsonb(record)),
        )
        source = f"statewright://{database_name(self.store.dsn)}/{self.chart.id}"
        event = cloud_event(
            record,
            resource_id=self.resource_id,
            source=source,
            before=record.get("from"),
            context_keys=self.store.notify_context,
        )
        conn.execute(
            "INSERT INTO sw_outbox (instance, seq, event) VALUES (%s, %s, %s)",
            (self.resource_id, record["seq"], Jsonb(event)),
        )
        conn.execute(
            "SELECT pg_notify('sw_events', %s) WHERE EXISTS (SELECT 1 FROM sw_watchers)",
            (f"{self.resource_id}:{record['seq']}",),
        )

    def _deliver(self) -> None:
        if self.store.sinks and self._batch is None:  # a batch relays once it is committed
            if self.store.remote_sinks:  # never in the send path (`deliverer`)
                self.store.wake(self.resource_id)
            self.store.relay(self.resource_id, remote=False)


@contextmanager
def _database() -> Iterator[None]:
    """The store's own statements: a database error is a StoreError (a lost connection, a
    server going away: StoreIOError, nothing acknowledged)."""
    try:
        yield
    except DATABASE_ERRORS as error:
        raise translated(error) from None


class PgBatch:
    """See `PostgresStore.batch`: the sends of the block in one transaction, committed when
    the block ends (one commit, one WAL flush, for all of them)."""

    def __init__(self, store: PgHome) -> None:
        self.store = store
        self.instances: list[PgInstance] = []
        self.receipts: list[Receipt] = []
        self.conn: psycopg.Connection[Any] | None = None
        self._pooled: Any = None
        self._transaction: Any = None

    def __enter__(self) -> PgBatch:
        self._pooled = self.store.pool.connection()
        self.conn = self._pooled.__enter__()
        self._transaction = self.conn.transaction()
        self._transaction.__enter__()
        return self

    def send(
        self, instance: PgInstance, event: str, *, event_id: str | None = None, **data: Any
    ) -> Receipt:
        """Apply and write one event; it is acknowledged when the batch ends without error.
        A conflict with another writer undoes this send only, reloads the instance and
        applies the event again."""
        if self.conn is None:
            raise StoreError("a batch sends inside its `with` block only")
        if instance._batch is not self:
            if instance._batch is not None:
                raise StoreError(f"{instance.resource_id} is in another batch")
            instance._batch = self
            self.instances.append(instance)
        given = event_id is not None
        event_id = new_event_id() if event_id is None else check_event_id(event_id)
        receipt = retry_conflicts(lambda: instance._send_once(event, event_id, data, None, given))
        self.receipts.append(receipt)
        return receipt

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        failure: BaseException | None = None
        try:
            self._transaction.__exit__(kind, error, trace)  # commit, or roll back on error
        except psycopg.Error as problem:
            failure = problem
        finally:
            try:
                self._pooled.__exit__(None, None, None)
            finally:
                self.conn = None
                for instance in self.instances:
                    instance._batch = None
        if kind is not None or failure is not None:
            for instance in self.instances:  # nothing of the block is committed
                try:
                    instance._load()
                except (psycopg.Error, StoreError):
                    pass  # loaded again at its next use
        if failure is not None:
            raise StoreError(
                f"the batch was not committed ({failure}); its events are in doubt: send them "
                "again with the same event ids"
            ) from None
        if kind is None and self.store.sinks:
            if self.store.remote_sinks:
                for instance in self.instances:
                    self.store.wake(instance.resource_id)
            self.store.relay(remote=False)


_COMMIT = """
WITH e AS (
    INSERT INTO sw_events (instance, seq, event_id, ts, record)
    VALUES (%(instance)s, %(seq)s, %(id)s, %(ts)s, %(record)s)
    ON CONFLICT (instance, event_id) DO NOTHING
    RETURNING seq
), o AS (
    INSERT INTO sw_outbox (instance, seq, event)
    SELECT %(instance)s, seq, %(event)s FROM e
    RETURNING seq
), u AS (
    UPDATE sw_instances
    SET snapshot = %(snapshot)s, version = %(version)s, last_seq = %(seq)s, updated_at = now()
    WHERE id = %(instance)s AND version = %(previous)s AND EXISTS (SELECT 1 FROM e)
    RETURNING 1
), n AS (
    SELECT pg_notify('sw_events', %(note)s) FROM u WHERE EXISTS (SELECT 1 FROM sw_watchers)
)
SELECT (SELECT count(*) FROM e), (SELECT count(*) FROM u) + 0 * (SELECT count(*) FROM n)
"""
