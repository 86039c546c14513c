"""The PostgreSQL store's outbox relay: the rows of `sw_outbox` each sink has not had.

Part of `statewright.runtime.store` (the `postgres` extra). A sink's cursor per instance is a
row of `sw_outbox_cursors`, updated after each delivery (at least once, in order per instance).
"""

from __future__ import annotations

import logging
from typing import Any

from .deliverer import is_remote

_log = logging.getLogger("statewright.store")


def relay(store: Any, resource_id: str | None, remote: bool | None) -> tuple[int, bool]:
    """`PostgresStore.relay`: (deliveries made, whether a sink failed)."""
    delivered = 0
    sinks = [s for s in store.sinks if remote is None or is_remote(s) == remote]
    any_failed = False
    for sink in sinks:
        with store.pool.connection() as conn:
            rows = conn.execute(
                "SELECT o.instance, o.seq, o.event FROM sw_outbox o "
                "LEFT JOIN sw_outbox_cursors c ON c.sink = %s AND c.instance = o.instance "
                "WHERE o.seq > coalesce(c.seq, 0) AND (%s::text IS NULL OR o.instance = %s) "
                "ORDER BY o.instance, o.seq",
                (sink.name, resource_id, resource_id),
            ).fetchall()
            failed: set[str] = set()
            for instance, seq, event in rows:
                if instance in failed:
                    continue
                try:
                    sink.deliver(event)
                except Exception as error:  # noqa: BLE001 - retried at the next relay
                    _log.warning(
                        "%s: sink %s did not take event %s (retried later): %s",
                        instance,
                        sink.name,
                        seq,
                        error,
                    )
                    failed.add(instance)
                    continue
                conn.execute(
                    "INSERT INTO sw_outbox_cursors (sink, instance, seq) VALUES (%s, %s, %s) "
                    "ON CONFLICT (sink, instance) DO UPDATE SET seq = excluded.seq",
                    (sink.name, instance, seq),
                )
                conn.commit()
                delivered += 1
            any_failed = any_failed or bool(failed)
    return delivered, any_failed
