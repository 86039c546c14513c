#!/usr/bin/env python3
"""The file store at scale, each figure beside its yardstick from the same run (issue 32).

- create: `FileStore.create` per second, and `create_many` in groups of 32, beside raw durable
  file creation on the same disk (open O_CREAT|O_EXCL, write the same bytes as the instance's
  chart and log, fsync the file, fsync its folder), one after another;
- a worker pass that finds nothing due over N instances (default 100,000; `--quick` 10,000):
  `Worker.run_once()` between full passes (the due index) beside a full pass (every
  instance's own hint, what every pass did before) and beside listing the resources folder;
- the first send with an event id on a fresh handle of an instance of E events (default
  1,000,000; `--quick` 100,000): beside opening the instance alone (what any send pays), and
  beside reading every closed segment (what a lookup did before).

Usage: python bench/store_scale.py [--quick] [--dir DIR] [--only create|worker|send]. Prints a
table with ratios.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
QUICK = "--quick" in sys.argv
CREATES = 100 if QUICK else 300
INSTANCES = 10_000 if QUICK else 100_000
EVENTS = 100_000 if QUICK else 1_000_000
TIMED = "waiting, done;\nwaiting => done: after 1h;\n"
TOGGLE = "off, on;\noff => on: flip;\non => off: flip;\n"


def _chart(text: str) -> Any:
    from statewright.compiler import ir_document, parse
    from statewright.runtime.store import StoredChart

    chart, _ = parse(text)
    assert chart is not None
    return StoredChart(json.loads(ir_document.emit(chart)), chart_id="bench")


def creates(folder: Path) -> tuple[float, float, float]:
    """(FileStore.create per second, create_many in groups of 32 per second, raw durable
    creations per second)."""
    from statewright.runtime.store import FileStore

    store = FileStore(folder / "creates")
    chart = _chart(TOGGLE)
    started = time.perf_counter()
    for n in range(CREATES):
        store.create(f"c{n}", chart).close(snapshot=False)
    ours = CREATES / (time.perf_counter() - started)
    started = time.perf_counter()
    for group in range(0, CREATES, 32):
        for made in store.create_many([(f"g{n}", chart) for n in range(group, group + 32)]):
            made.close(snapshot=False)
    grouped = (CREATES // 32 * 32 + (32 if CREATES % 32 else 0)) / (time.perf_counter() - started)
    store.close()
    sample = store.folder("c0")
    size = sum(p.stat().st_size for p in sample.iterdir() if p.is_file())
    raw_folder = folder / "raw-creates"
    raw_folder.mkdir()
    data = b"x" * size
    started = time.perf_counter()
    for n in range(CREATES):
        fd = os.open(raw_folder / f"r{n}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, data)
        os.fsync(fd)
        os.close(fd)
        dir_fd = os.open(raw_folder, os.O_RDONLY | os.O_DIRECTORY)
        os.fsync(dir_fd)
        os.close(dir_fd)
    raw = CREATES / (time.perf_counter() - started)
    return ours, grouped, raw


def _many_instances(base: Path, count: int) -> None:
    """`count` instances with a timer an hour away, made by copying one instance's folder
    (creating 100,000 through the store would take most of an hour of fsyncs) and indexing
    each as the store would."""
    from statewright.runtime.store import FileStore
    from statewright.runtime.store.due_index import DueIndex

    store = FileStore(base)
    store.create("seed", _chart(TIMED)).close()
    seed = store.folder("seed")
    due = float((seed / "due").read_text())
    index = DueIndex(base)
    for n in range(count - 1):
        target = base / "resources" / f"i{n:06d}"
        shutil.copytree(seed, target)
        header = (target / "events.log").read_bytes()
        (target / "events.log").write_bytes(header.replace(b'"seed"', f'"i{n:06d}"'.encode()))
        index.add(f"i{n:06d}", due)


def worker_pass(folder: Path) -> tuple[float, float, float]:
    """Seconds of (a pass on the due index, a full pass, listing the resources folder)."""
    from statewright.runtime.store import FileStore, Worker

    base = folder / "many"
    _many_instances(base, INSTANCES)
    store = FileStore(base)
    started = time.perf_counter()
    store.fire_due(full=True)
    full = time.perf_counter() - started
    worker = Worker(store)
    worker._full_at = time.monotonic()  # the full pass is done: the next ones use the index
    started = time.perf_counter()
    done = worker.run_once()
    indexed = time.perf_counter() - started
    assert done.fired == 0 and done.next_due is not None
    started = time.perf_counter()
    os.listdir(base / "resources")
    listing = time.perf_counter() - started
    return indexed, full, listing


def first_send(folder: Path) -> tuple[float, float, float]:
    """Seconds of (open + send with an old event id, open alone, reading every closed
    segment's records)."""
    from statewright.runtime.store import FileStore, logfile

    store = FileStore(folder / "big")
    chart = _chart(TOGGLE)
    with store.create("big", chart) as instance:
        sent = 0
        while sent < EVENTS:
            with store.batch() as batch:
                for _ in range(min(1000, EVENTS - sent)):
                    batch.send(instance, "flip", event_id=f"e{sent}")
                    sent += 1
    started = time.perf_counter()
    with store.open("big", chart):
        pass
    opened = time.perf_counter() - started
    started = time.perf_counter()
    with store.open("big", chart) as instance:
        assert instance.send("flip", event_id="e5").duplicate
    lookup = time.perf_counter() - started
    started = time.perf_counter()
    for segment in store.segments("big")[:-1]:
        logfile.scan(segment)
    scan_all = time.perf_counter() - started
    return lookup, opened, scan_all


def _row(what: str, figure: float, yardstick: float | None = None) -> None:
    """One line of the table: the figure, and beside it its yardstick and the ratio."""
    if yardstick is None:
        print(f"| {what} | {figure:,.3f} | | |")
    else:
        print(f"| {what} | {figure:,.3f} | {yardstick:,.3f} | {figure / yardstick:.3f} |")


def main() -> int:
    sys.path.insert(0, str(HERE))
    base = Path(sys.argv[sys.argv.index("--dir") + 1]) if "--dir" in sys.argv else None
    folder = Path(tempfile.mkdtemp(prefix="store-scale-", dir=base))
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    try:
        print(f"# store_scale  python {sys.version.split()[0]}  folder {folder}")
        print("| what | figure | yardstick | ratio |")
        print("|---|---:|---:|---:|")
        if only in (None, "create"):
            ours, grouped, raw = creates(folder)
            _row("create, per second (raw: create, write, fsync file and folder)", ours, raw)
            _row("create_many, groups of 32, per second (the same raw)", grouped, raw)
        if only in (None, "worker"):
            indexed, full, listing = worker_pass(folder)
            what = f"worker pass, nothing due, {INSTANCES:,} instances, s (yardstick: full pass)"
            _row(what, indexed, full)
            _row("listing the resources folder, s", listing)
        if only in (None, "send"):
            lookup, opened, scan_all = first_send(folder)
            what = f"first send with an old event id, {EVENTS:,} events, s (yardstick: open alone)"
            _row(what, lookup, opened)
            _row("reading every closed segment (the lookup before), s", scan_all)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
