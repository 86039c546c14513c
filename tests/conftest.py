"""Fixtures every folder's tests use: `--update-golden`, a real PostgreSQL server and a fresh
database on it, and `make`, the stores' factory (FileStore, then PostgresStore: the same tests
on both). Shared helpers that are not fixtures are in testkit.py; each folder's own fixtures are
in its conftest.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from statewright.runtime.store import FileStore


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite statewright's own golden outputs (review the diff like code)",
    )


@pytest.fixture(scope="session")
def pg_server() -> Any:
    """A real PostgreSQL server for the session (tests/pgserver.py), or a skip with the reason."""
    import pgserver

    if pgserver.binaries() is None:
        pytest.skip("PostgreSQL is not installed: apt-get install postgresql")
    server = pgserver.Server().start()
    yield server
    server.stop()


@pytest.fixture
def pg_dsn(pg_server: Any) -> str:
    """A fresh database on the session's server, migrated to the current schema."""
    import uuid

    import psycopg

    from statewright.runtime.store import upgrade

    name = "sw_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg_server.dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")  # a generated name, not input
    dsn = pg_server.dsn.rsplit("/", 1)[0] + "/" + name
    upgrade(dsn)
    return dsn


@pytest.fixture(params=["file", "postgres"])
def make(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """A store factory for the contract tests: FileStore, then PostgresStore on a real server
    (the same tests, unchanged)."""
    opened: list[Any] = []
    if request.param == "file":

        def factory(**options: Any) -> Any:
            return FileStore(tmp_path / "store", **options)

        factory.location = ("file", str(tmp_path / "store"))  # type: ignore[attr-defined]
    else:
        from statewright.runtime.store.postgres import PostgresStore

        dsn = request.getfixturevalue("pg_dsn")

        def factory(**options: Any) -> Any:
            options.pop("snapshot_every", None)  # a row holds the snapshot, always current
            store = PostgresStore(dsn, **options)
            opened.append(store)
            return store

        factory.location = ("postgres", dsn)  # type: ignore[attr-defined]
    yield factory
    for store in opened:
        store.close()
