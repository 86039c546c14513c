"""statewright.runtime.store: durable instances (docs/persistence.md).

A store keeps each instance of a chart as an event log (the source of truth: one record per
accepted event, with the configuration it led to) and a snapshot (a shortcut for loading):

    from statewright.runtime.store import FileStore, StoredChart
    store = FileStore("doors")
    with store.create("front", StoredChart(document)) as door:
        door.send("lock")

The modules, one concern each: `errors` (what a store refuses), `records` (log records, event
ids, receipts), `charts` (the chart a store runs, and `RunningMachine`, what it calls on a
machine), `replay`, `sinks` (notifications), `instance` (what every instance handle does the
same way: steps, retries, compensations, migrations), `disk` and `logfile` (durable files and
the log's framing), `files` and `file_instance` (FileStore), `postgres`, `postgres_instance`
and `pg` (PostgresStore: the `postgres` extra, imported when first used). `open_store` takes a
folder or a `postgresql://` URL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .base import Store
from .charts import RunningMachine, StoredChart
from .errors import (
    RECORD_LIMIT,
    AcknowledgedEventsLost,
    BadEventId,
    BadResourceId,
    ChartMismatch,
    ConcurrencyConflict,
    InstanceExists,
    InstanceFinished,
    RecordTooLarge,
    ReplayDivergence,
    StoreError,
    StoreIOError,
    UnknownEvent,
    UnknownInstance,
    check_event_id,
    check_resource_id,
)
from .file_batch import Batch
from .file_instance import FileInstance
from .files import FileStore
from .instance import DurableInstance, Migrate
from .logfile import LogCorrupt
from .records import COMPENSATE, CREATE, MIGRATE, TICK, Receipt, Record, WallClock, new_event_id
from .replay import Replay, apply, durable_snapshot, replay_until, restore_durable
from .sinks import CallbackSink, JsonlSink, Sink, cloud_event
from .webhooks import (
    WebhookSink,
    new_webhook_secret,
    sign,
    sign_webhook,
    verify_signature,
    verify_webhook,
)
from .worker import Pass, Worker

if TYPE_CHECKING:
    from .pg_schema import SCHEMA_VERSION, upgrade
    from .postgres import PostgresStore

__all__ = [
    "SCHEMA_VERSION",
    "AcknowledgedEventsLost",
    "BadEventId",
    "RecordTooLarge",
    "RECORD_LIMIT",
    "BadResourceId",
    "Batch",
    "COMPENSATE",
    "CREATE",
    "CallbackSink",
    "ChartMismatch",
    "ConcurrencyConflict",
    "DurableInstance",
    "FileInstance",
    "FileStore",
    "InstanceExists",
    "JsonlSink",
    "LogCorrupt",
    "MIGRATE",
    "Migrate",
    "PostgresStore",
    "Receipt",
    "Record",
    "Replay",
    "ReplayDivergence",
    "RunningMachine",
    "Sink",
    "Store",
    "InstanceFinished",
    "StoreError",
    "StoreIOError",
    "UnknownEvent",
    "StoredChart",
    "TICK",
    "UnknownInstance",
    "WallClock",
    "WebhookSink",
    "apply",
    "check_event_id",
    "check_resource_id",
    "cloud_event",
    "durable_snapshot",
    "new_event_id",
    "open_store",
    "replay_until",
    "restore_durable",
    "upgrade",
    "new_webhook_secret",
    "sign",
    "sign_webhook",
    "verify_signature",
    "verify_webhook",
    "Worker",
    "Pass",
]


def open_store(
    location: str, sinks: Sequence[Sink] = (), *, strict: bool = True, no_hooks: bool = False
) -> Store:
    """The store at `location`: a folder (FileStore) or a `postgresql://` URL (PostgresStore,
    which needs the `postgres` extra: a StoreError says so when psycopg is missing). With
    `strict` (the default) an event the chart has no transition for is refused; with
    `no_hooks`, instances opened without hooks run steps whose actions have none (skipped,
    and recorded as skipped) instead of refusing them."""
    if location.startswith(("postgresql://", "postgres://")):
        try:
            from .postgres import PostgresStore
        except ImportError:
            raise StoreError(
                "PostgreSQL stores need psycopg: pip install 'statewright-runtime[postgres]'"
            ) from None
        return PostgresStore(location, sinks=sinks, strict=strict, no_hooks=no_hooks)
    return FileStore(location, sinks=sinks, strict=strict, no_hooks=no_hooks)


def __getattr__(name: str) -> Any:
    # PostgresStore needs psycopg, an extra: imported only when asked for
    if name == "PostgresStore":
        from .postgres import PostgresStore

        return PostgresStore
    if name in ("upgrade", "SCHEMA_VERSION"):
        from . import pg_schema

        return getattr(pg_schema, name)
    raise AttributeError(name)
