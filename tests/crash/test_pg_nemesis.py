"""A Jepsen-style test of PostgresStore: 8 worker processes send events to 20 instances while a
nemesis kills random workers with SIGKILL (and starts new ones) and restarts the server once
with `pg_ctl restart -m immediate` (a crash: no checkpoint). Afterwards: every event a worker
saw acknowledged is in the log exactly once, versions are contiguous, every stored snapshot
equals a replay of its log, and the outbox relay delivers every row."""

from __future__ import annotations

import os
import random
import signal
import time
from typing import Any

import pytest

psycopg = pytest.importorskip("psycopg")

from statewright.runtime.store import CallbackSink  # noqa: E402
from statewright.runtime.store.postgres import PostgresStore  # noqa: E402
from testkit import counting  # noqa: E402

#: heavy: `make test` runs it, `make test-fast` leaves it out
pytestmark = pytest.mark.slow

INSTANCES = 20
WORKERS = 8
#: the nemesis kills a worker this many times, each after the workers acknowledged PROGRESS
#: more events (work is counted, never timed); the server crashes halfway
KILLS = 16
PROGRESS = 10
#: stops a runaway only: workers that acknowledge nothing for this long fail the test
RUNAWAY = 120.0


def _worker(dsn: str, name: str, seed: int, write: int) -> None:
    """Send flips to random instances forever; print `ACK <instance> <id>` once committed.
    An event that fails (the server is restarting) is sent again with the same id."""
    rng = random.Random(seed)
    n = 0
    store = None
    while True:
        try:
            if store is None:
                store = PostgresStore(dsn, pool_size=1)
            instance = f"i{rng.randrange(INSTANCES)}"
            event_id = f"{name}-{n}"
            while True:
                try:
                    with store.open(instance, counting()) as handle:
                        handle.send("flip", event_id=event_id)
                    break
                except Exception:  # noqa: BLE001 - the nemesis: try the same event again
                    time.sleep(0.05)
            os.write(write, f"ACK {instance} {event_id}\n".encode())
            n += 1
        except Exception:  # noqa: BLE001 - the store could not even open: start over
            store = None
            time.sleep(0.1)


def _spawn(dsn: str, name: str, seed: int) -> tuple[int, int]:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read)
            _worker(dsn, name, seed, write)
        finally:
            os._exit(0)
    os.close(write)
    os.set_blocking(read, False)
    return pid, read


def _drain(fd: int) -> bytes:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def test_acknowledged_events_survive_killed_workers_and_a_crashed_server(
    pg_server: Any, pg_dsn: str
) -> None:
    with PostgresStore(pg_dsn) as store:
        for k in range(INSTANCES):
            store.create(f"i{k}", counting()).close()
    rng = random.Random(20261123)
    workers: dict[str, tuple[int, int]] = {}
    acked: list[tuple[str, str]] = []
    generation = 0
    for w in range(WORKERS):
        workers[f"w{w}.0"] = _spawn(pg_dsn, f"w{w}.0", rng.randrange(10**9))

    def collect() -> None:
        for _, fd in workers.values():
            acked.extend(tuple(line.split()[1:3]) for line in _drain(fd).decode().splitlines())

    kills = 0
    restarted = False
    while kills < KILLS:
        target = len(acked) + PROGRESS
        deadline = time.monotonic() + RUNAWAY
        while len(acked) < target:
            collect()
            assert time.monotonic() < deadline, f"no progress after {len(acked)} events"
            time.sleep(rng.uniform(0.01, 0.05))
        name = rng.choice(sorted(workers))
        pid, fd = workers.pop(name)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        acked += [tuple(line.split()[1:3]) for line in _drain(fd).decode().splitlines()]
        os.close(fd)
        kills += 1
        generation += 1
        fresh = f"{name.split('.')[0]}.{generation}"
        workers[fresh] = _spawn(pg_dsn, fresh, rng.randrange(10**9))
        if kills == KILLS // 2:
            pg_server.restart_immediate()
            restarted = True
    for pid, fd in workers.values():
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        acked += [tuple(line.split()[1:3]) for line in _drain(fd).decode().splitlines()]
        os.close(fd)
    assert restarted and kills == KILLS and len(acked) >= KILLS * PROGRESS
    _wait_for_killed_sessions(pg_dsn)

    delivered: list[dict[str, Any]] = []
    with PostgresStore(pg_dsn, sinks=[CallbackSink(delivered.append)]) as store:
        logged: dict[str, list[str]] = {}
        for k in range(INSTANCES):
            records = list(store.history(f"i{k}"))
            logged[f"i{k}"] = [r["id"] for r in records]
            assert [r["version"] for r in records] == list(range(1, len(records) + 1))
            assert store.verify(f"i{k}") == []
        for instance, event_id in acked:
            assert logged[instance].count(event_id) == 1, (instance, event_id)
        store.relay()
        with psycopg.connect(pg_dsn) as conn:
            rows = conn.execute("SELECT count(*) FROM sw_outbox").fetchone()[0]
    assert len(delivered) == rows == sum(len(ids) for ids in logged.values())


def _wait_for_killed_sessions(dsn: str) -> None:
    """Until the server has ended the sessions of the killed workers. A worker killed while
    its commit statement runs leaves a backend that finishes it (unacknowledged, and
    allowed), possibly after the checks below began: its outbox row would then be counted
    but not relayed. The server notices a dead client within a statement; RUNAWAY only stops
    a hang."""
    deadline = time.monotonic() + RUNAWAY
    with psycopg.connect(dsn, autocommit=True) as conn:
        while True:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            ).fetchone()
            if row is not None and row[0] == 0:
                return
            assert time.monotonic() < deadline, f"{row} sessions still open"
            time.sleep(0.05)
