#!/usr/bin/env python3
"""FileStore against the disk's own limit, in one process (docs/persistence.md).

- raw: `os.write` + `os.fsync` of the same bytes our records take, on an O_APPEND file in the
  same folder: the physical limit of a durable append here;
- FileStore, one instance, fsync per event (the default snapshot cadence, and a snapshot per
  event for comparison);
- FileStore, 8 instances written by 8 threads at once, beside 8 threads of raw write+fsync;
- group commit (`FileStore.batch()`): 10 events of one instance per fsync, and one event on
  each of 8 instances per batch, their fsyncs in parallel;
- recovery: opening an instance whose log holds 100,000 events, without a snapshot (a full
  replay) and with one.

- PostgreSQL (a throwaway server is started): 1, 4 and 16 writer processes on distinct
  instances and on one hot instance (with the share of commits retried after a conflict),
  beside the same transaction (INSERT event, INSERT outbox, UPDATE ... WHERE version)
  written with psycopg alone: the limit.

Usage: python bench/store_bench.py [--quick] [--dir DIR] [--no-pg]. Prints a table with ratios.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
QUICK = "--quick" in sys.argv
EVENTS = 400 if QUICK else 3000
REPLAY = 20_000 if QUICK else 100_000
TOGGLE = "off, on;\noff => on: flip;\non => off: flip;\n"


def _chart() -> Any:
    from statewright.compiler import ir_document, parse
    from statewright.runtime.store import StoredChart

    chart, _ = parse(TOGGLE)
    assert chart is not None
    return StoredChart(json.loads(ir_document.emit(chart)), chart_id="toggle")


def _record_bytes() -> bytes:
    from statewright.runtime.store.logfile import frame

    return frame(
        {
            "seq": 12345,
            "id": "01a207ea-b10d-7f6b-b1cd-cc696e889e6d",
            "ts": "2026-11-23T10:00:00.000Z",
            "type": "flip",
            "data": {},
            "version": 12345,
            "from": ["off"],
            "to": ["on"],
        }
    )


def raw(folder: Path, n: int, gap_us: float = 0.0) -> float:
    """write+fsync of one record's bytes in a loop; `gap_us` of CPU work between them shows
    how much any per-event work costs beside an fsync on this machine."""
    line = _record_bytes()
    path = folder / f"raw-{threading.get_ident()}.log"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    start = time.perf_counter()
    for _ in range(n):
        if gap_us:
            until = time.perf_counter() + gap_us / 1e6
            while time.perf_counter() < until:
                pass
        os.write(fd, line)
        os.fsync(fd)
    elapsed = time.perf_counter() - start
    os.close(fd)
    path.unlink()
    return n / elapsed


def store_one(folder: Path, n: int, snapshot_every: int, name: str = "one") -> float:
    from statewright.runtime.store import FileStore

    store = FileStore(folder, snapshot_every=snapshot_every)
    with store.create(name, _chart()) as instance:
        instance.send("flip")  # warm
        start = time.perf_counter()
        for _ in range(n):
            instance.send("flip")
        elapsed = time.perf_counter() - start
    return n / elapsed


def group(folder: Path, n: int, instances: int, per_batch: int) -> float:
    """Group commit: batches of `per_batch` events over `instances` instances, one fsync per
    instance per batch (in parallel)."""
    from statewright.runtime.store import FileStore

    store = FileStore(folder)
    handles = [store.create(f"g{instances}-{k}", _chart()) for k in range(instances)]
    batches = max(1, n // per_batch)
    start = time.perf_counter()
    for _ in range(batches):
        with store.batch() as batch:
            for k in range(per_batch):
                batch.send(handles[k % instances], "flip")
    elapsed = time.perf_counter() - start
    for handle in handles:
        handle.close()
    return batches * per_batch / elapsed


def threads(target: Any, count: int) -> float:
    workers = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - start
    return count * (EVENTS // 2) / elapsed


def recovery(folder: Path, n: int) -> tuple[float, float]:
    """Seconds to open an instance with `n` logged events: replaying all of them, and from a
    snapshot at the end."""
    from statewright.runtime.store import FileStore
    from statewright.runtime.store.logfile import frame

    store = FileStore(folder, snapshot_every=10**9, segment_records=10**9)
    store.create("big", _chart()).close()
    log = folder / "resources" / "big" / "events.log"
    lines = []
    state = ["off"]
    for seq in range(2, n + 2):
        after = ["on"] if state == ["off"] else ["off"]
        lines.append(
            frame(
                {
                    "seq": seq,
                    "id": f"e{seq}",
                    "ts": "2026-11-23T10:00:00.000Z",
                    "type": "flip",
                    "data": {},
                    "version": seq,
                    "from": state,
                    "to": after,
                }
            )
        )
        state = after
    with open(log, "ab") as handle:
        handle.write(b"".join(lines))
    (folder / "resources" / "big" / "state.json").unlink()
    start = time.perf_counter()
    instance = store.open("big", _chart())
    full = time.perf_counter() - start
    assert instance.last_seq == n + 1 and instance.configuration == state
    instance._write_snapshot()
    instance.close()
    start = time.perf_counter()
    store.open("big", _chart()).close(snapshot=False)
    snapshot = time.perf_counter() - start
    return full, snapshot


# -- PostgreSQL ---------------------------------------------------------------------------------


def _pg_writer(dsn: str, names: list[str], n: int, queue: Any) -> None:
    from statewright.runtime.store.postgres import PostgresStore

    with PostgresStore(dsn, pool_size=1) as store:
        instances = [store.open(name, _chart()) for name in names]
        start = time.perf_counter()
        for k in range(n):
            instances[k % len(instances)].send("flip")
        queue.put((n, time.perf_counter() - start, sum(i.conflicts for i in instances)))


def _pg_batch_writer(dsn: str, names: list[str], n: int, queue: Any) -> None:
    """Group commit: batches of 10 events, one transaction each."""
    from statewright.runtime.store.postgres import PostgresStore

    with PostgresStore(dsn, pool_size=1) as store:
        instances = [store.open(name, _chart()) for name in names]
        start = time.perf_counter()
        for k in range(0, n, 10):
            with store.batch() as batch:
                for j in range(10):
                    batch.send(instances[(k + j) % len(instances)], "flip")
        queue.put((n - n % 10, time.perf_counter() - start, 0))


def _pg_raw_writer(dsn: str, name: str, n: int, queue: Any) -> None:
    """The same transaction without statewright: insert an event and an outbox row, update the
    instance's row where the version matches."""
    import psycopg
    from psycopg.types.json import Jsonb

    record = json.loads(_record_bytes().decode())
    with psycopg.connect(dsn) as conn:
        version = conn.execute(
            "SELECT version FROM sw_instances WHERE id = %s", (name,)
        ).fetchone()[0]
        start = time.perf_counter()
        for _ in range(n):
            with conn.transaction():
                seq = version + 1
                conn.execute(
                    "INSERT INTO sw_events (instance, seq, event_id, ts, record) "
                    "VALUES (%s, %s, %s, now(), %s)",
                    (name, seq, f"raw-{name}-{seq}", Jsonb(record)),
                )
                conn.execute(
                    "INSERT INTO sw_outbox (instance, seq, event) VALUES (%s, %s, %s)",
                    (name, seq, Jsonb(record)),
                )
                conn.execute(
                    "UPDATE sw_instances SET snapshot = %s, version = %s, last_seq = %s "
                    "WHERE id = %s AND version = %s",
                    (Jsonb({"active": ["on"]}), seq, seq, name, version),
                )
                version = seq
        queue.put((n, time.perf_counter() - start, 0))


def postgres_rows(
    n: int, writers: tuple[int, ...] = (1, 4, 16), hot: bool = True
) -> list[tuple[str, float, float | None]]:
    """Events/s with 1, 4 and 16 writer processes, on distinct instances and (`hot`) on one
    hot instance, beside the raw transaction; needs PostgreSQL (a server is started here)."""
    import multiprocessing

    sys.path.insert(0, str(HERE.parent / "tests"))
    import pgserver  # noqa: PLC0415 - the tests' throwaway server
    from statewright.runtime.store import PostgresStore, upgrade

    if pgserver.binaries() is None:
        print("PostgreSQL is not installed: no PostgreSQL rows")
        return []
    server = pgserver.Server().start()
    rows: list[tuple[str, float, float | None]] = []
    context = multiprocessing.get_context("fork")
    try:
        upgrade(server.dsn)
        with PostgresStore(server.dsn) as store:
            for k in range(16):
                for prefix in ("w", "r"):
                    store.create(f"{prefix}{k}", _chart()).close()
            store.create("hot", _chart()).close()

        def run(target: Any, args_for: Any, writers: int) -> tuple[float, int]:
            queue = context.Queue()
            each = max(20, n // writers)
            processes = [
                context.Process(target=target, args=(*args_for(k), each, queue))
                for k in range(writers)
            ]
            for process in processes:
                process.start()
            results = [queue.get(timeout=600) for _ in processes]
            for process in processes:
                process.join()
            events = sum(r[0] for r in results)
            return events / max(r[1] for r in results), sum(r[2] for r in results)

        for count in writers:
            limit, _ = run(_pg_raw_writer, lambda k: (server.dsn, f"r{k}"), count)
            rows.append(
                (f"PostgreSQL raw transaction, {count} writer(s), distinct rows", limit, 1.0)
            )
            ours, _ = run(_pg_writer, lambda k: (server.dsn, [f"w{k}"]), count)
            rows.append(
                (f"PostgresStore, {count} writer(s), distinct instances", ours, ours / limit)
            )
            grouped, _ = run(_pg_batch_writer, lambda k: (server.dsn, [f"w{k}"]), count)
            rows.append(
                (f"PostgresStore, {count} writer(s), group commit of 10", grouped, grouped / limit)
            )
            if not hot:
                continue
            rate_hot, conflicts = run(_pg_writer, lambda k: (server.dsn, ["hot"]), count)
            share = conflicts / max(1, (max(20, n // count) * count))
            rows.append(
                (
                    f"PostgresStore, {count} writer(s), one hot instance "
                    f"({share:.0%} conflicts retried)",
                    rate_hot,
                    rate_hot / limit,
                )
            )
    finally:
        server.stop()
    return rows


def main() -> int:
    base = Path(sys.argv[sys.argv.index("--dir") + 1]) if "--dir" in sys.argv else None
    folder = Path(tempfile.mkdtemp(prefix="store-bench-", dir=base))
    try:
        rows: list[tuple[str, float, float | None]] = []
        limit = raw(folder, EVENTS)
        rows.append(("raw write+fsync, one file", limit, 1.0))
        for gap in (25, 50):
            slowed = raw(folder, EVENTS, gap)
            rows.append((f"raw, with {gap} us of CPU work between", slowed, slowed / limit))
        one = store_one(folder, EVENTS, 100)
        rows.append(("FileStore, one instance, snapshot every 100", one, one / limit))
        each = store_one(folder, EVENTS // 4, 1, "each")
        rows.append(("FileStore, one instance, snapshot every event", each, each / limit))
        raw8 = threads(lambda i: raw(folder, EVENTS // 2), 8)
        rows.append(("raw write+fsync, 8 files, 8 threads", raw8, 1.0))
        many = threads(lambda i: store_one(folder, EVENTS // 2, 100, f"m{i}"), 8)
        rows.append(("FileStore, 8 instances, 8 threads", many, many / raw8))
        batched = group(folder, EVENTS, 1, 10)
        rows.append(("FileStore, one instance, group commit of 10", batched, batched / limit))
        spread = group(folder, EVENTS, 8, 8)
        rows.append(("FileStore, 8 instances, group commit of 8", spread, spread / raw8))
        if "--no-pg" not in sys.argv:
            rows += postgres_rows(EVENTS // 3)
        full, snapshot = recovery(folder, REPLAY)
        print(f"# store_bench  python {sys.version.split()[0]}  folder {folder}")
        print("| what | events/s | / raw |")
        print("|---|---:|---:|")
        for name, rate, ratio in rows:
            print(f"| {name} | {rate:,.0f} | {ratio:.2f} |")
        print(f"\n| recovery of {REPLAY:,} events | seconds |\n|---|---:|")
        print(f"| no snapshot: replay of the whole log | {full:.2f} |")
        print(f"| snapshot at the end | {snapshot:.3f} |")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
