"""The PostgreSQL store's schema: its tables, created and changed by versioned migrations that
are never edited once released, and `upgrade`, which applies the ones a database lacks
(`statewright db upgrade --store postgresql://...`). PostgresStore refuses a database whose
schema is not `SCHEMA_VERSION`. Needs the `postgres` extra."""

from __future__ import annotations

import psycopg

#: (version, SQL): applied in order, each in its own transaction, never edited once released.
MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        CREATE TABLE sw_instances (
            id text PRIMARY KEY,
            chart_id text NOT NULL,
            chart_hash text NOT NULL,
            chart jsonb NOT NULL,
            snapshot jsonb NOT NULL,
            version bigint NOT NULL,
            last_seq bigint NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE sw_events (
            instance text NOT NULL REFERENCES sw_instances (id) ON DELETE CASCADE,
            seq bigint NOT NULL,
            event_id text NOT NULL,
            ts timestamptz NOT NULL,
            record jsonb NOT NULL,
            PRIMARY KEY (instance, seq),
            UNIQUE (instance, event_id)
        );
        CREATE TABLE sw_outbox (
            id bigserial PRIMARY KEY,
            instance text NOT NULL,
            seq bigint NOT NULL,
            event jsonb NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (instance, seq)
        );
        CREATE TABLE sw_outbox_cursors (
            sink text NOT NULL,
            instance text NOT NULL,
            seq bigint NOT NULL,
            PRIMARY KEY (sink, instance)
        );
        """,
    ),
]
MIGRATIONS.append(
    (
        2,
        """
        CREATE TABLE sw_timers (
            instance text PRIMARY KEY REFERENCES sw_instances (id) ON DELETE CASCADE,
            due timestamptz NOT NULL,
            leased_until timestamptz
        );
        CREATE INDEX sw_timers_due ON sw_timers (due);
        """,
    )
)
MIGRATIONS.append(
    (
        3,
        """
        CREATE TABLE sw_watchers (
            pid integer PRIMARY KEY,
            since timestamptz NOT NULL DEFAULT now()
        );
        """,
    )
)
SCHEMA_VERSION = MIGRATIONS[-1][0]
#: the advisory lock that serialises `upgrade` runs
_LOCK_KEY = 0x5717E7


def upgrade(dsn: str) -> list[int]:
    """Apply the migrations a database lacks; returns the versions applied (none: current)."""
    applied: list[int] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS sw_schema (version integer PRIMARY KEY, "
                "applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {row[0] for row in conn.execute("SELECT version FROM sw_schema")}
            for version, sql in MIGRATIONS:
                if version in done:
                    continue
                with conn.transaction():
                    conn.execute(sql)
                    conn.execute("INSERT INTO sw_schema (version) VALUES (%s)", (version,))
                applied.append(version)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))
    return applied
