"""`statewright worker` and `store.Worker`: due timers fire exactly once with several workers
(file store and PostgreSQL), SIGTERM stops a worker with every instance verified, a new timer
wakes a sleeping worker (webhooks: test_webhooks.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from statewright.runtime.store import FileStore, StoredChart, Worker
from testkit import document

TIMED = "waiting, done;\nwaiting => done: after 0.2s;\n"
SW = [sys.executable, "-m", "statewright", "worker"]


def _timed_instances(store: Any, count: int, prefix: str = "job") -> list[str]:
    chart = StoredChart(document(TIMED))
    ids = [f"{prefix}-{n}" for n in range(count)]
    for resource_id in ids:
        store.create(resource_id, chart).close()
    return ids


def _ticks(store: Any, resource_id: str) -> int:
    return sum(1 for record in store.history(resource_id) if record["type"] == "sw.tick")


def _wait_until_due(store: Any) -> None:
    """Until every timer is due: each was set 0.2 s after its instance was created, and all
    were created before this is called."""
    assert store.next_due() is not None
    time.sleep(0.25)


@pytest.mark.parametrize("kind", ["file", "postgres"])
def test_two_workers_fire_fifty_due_timers_exactly_once(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if kind == "file":
        location = str(tmp_path / "store")
        store: Any = FileStore(location)
    else:
        from statewright.runtime.store.postgres import PostgresStore

        location = request.getfixturevalue("pg_dsn")
        store = PostgresStore(location)
    try:
        ids = _timed_instances(store, 50)
        _wait_until_due(store)
        workers = [
            subprocess.Popen(
                [*SW, "--store", location, "--once"], stdout=subprocess.PIPE, text=True
            )
            for _ in range(2)
        ]
        outputs = [worker.communicate(timeout=300)[0] for worker in workers]
        assert [worker.returncode for worker in workers] == [0, 0]
        passes = [json.loads(line) for out in outputs for line in out.splitlines()]
        assert sum(p["fired"] for p in passes) == 50
        fired = sorted(i for p in passes for i in p["instances"])
        assert fired == sorted(ids)  # each instance by one worker
        for resource_id in ids:
            assert _ticks(store, resource_id) == 1
            assert store.state_at(resource_id)["configuration"] == ["done"]
            assert store.verify(resource_id) == []
        assert store.next_due() is None
    finally:
        store.close()


def test_sigterm_stops_the_worker_after_the_step_in_flight(tmp_path: Path) -> None:
    location = str(tmp_path / "store")
    store = FileStore(location)
    ids = _timed_instances(store, 120)
    _wait_until_due(store)
    worker = subprocess.Popen(
        [*SW, "--store", location], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    time.sleep(0.5)  # the worker is starting or mid-pass: either way it stops cleanly
    worker.send_signal(signal.SIGTERM)
    out, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err
    assert "Traceback" not in err
    for resource_id in ids:
        assert store.verify(resource_id) == []
        assert _ticks(store, resource_id) <= 1
    # what one worker left, another finishes
    Worker(store).run_once()
    assert all(_ticks(store, resource_id) == 1 for resource_id in ids)


def _a_sleeping_worker_fires_a_new_timer(
    folder: Path, prefix: str, made: Callable[[], object] = lambda: None
) -> None:
    """A worker (max_idle 60 s) makes its first pass and sleeps; a timed instance is made
    (then `made()`); the worker must fire its timer, long before max_idle."""
    store = FileStore(folder)
    stop = threading.Event()
    passes: list[Any] = []
    thread = threading.Thread(
        target=Worker(store, max_idle=60).run, args=(stop, passes.append), daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + 30  # only stops a runaway
        while not passes and time.monotonic() < deadline:
            time.sleep(0.02)
        (resource_id,) = _timed_instances(store, 1, prefix)
        made()
        while not any(p.fired for p in passes) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert [p.instances for p in passes if p.fired] == [(resource_id,)]
    finally:
        stop.set()
        made()
        thread.join(timeout=10)
    assert not thread.is_alive()


def test_a_new_timer_wakes_a_sleeping_worker(tmp_path: Path) -> None:
    """The worker sleeps up to --max-idle (here 60 s) without a timer; a new instance's timer
    (its `due` hint) wakes it, and the timer fires soon after it is due."""
    _a_sleeping_worker_fires_a_new_timer(tmp_path / "store", "late")


def test_the_worker_command_refuses_bad_options(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_SECRET"}
    done = subprocess.run(
        [*SW, "--store", str(tmp_path), "--once", "--webhook-secret-env", "NO_SECRET"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 2 and "NO_SECRET" in done.stderr
    done = subprocess.run(
        [*SW, "--store", str(tmp_path), "--once", "--max-idle", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr


def test_a_timer_made_before_the_watch_is_armed_still_wakes_the_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race a loaded machine showed: the first pass finds nothing, a timer is made, and
    only then does the file watch start (here held back until the timer exists). The worker
    makes one more pass once the watch is armed, instead of sleeping `max_idle` past it."""
    watchfiles = pytest.importorskip("watchfiles")
    made = threading.Event()
    real = watchfiles.watch

    def late(*args: Any, **kwargs: Any) -> Any:
        made.wait(30)  # armed only after the timer exists: no file event for it
        yield from real(*args, **kwargs)

    monkeypatch.setattr(watchfiles, "watch", late)
    _a_sleeping_worker_fires_a_new_timer(tmp_path / "store", "early", made.set)
