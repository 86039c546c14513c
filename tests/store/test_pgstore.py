"""What only the PostgreSQL store has: schema migrations, the outbox relay, LISTEN/NOTIFY
watchers in other processes, and the command line on a `postgresql://` store. The store
contract itself runs against both stores in tests/store/test_store.py."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from testkit import EXAMPLES, assert_tables_remain, counting, sw

psycopg = pytest.importorskip("psycopg")

from statewright.runtime.store import (  # noqa: E402  # noqa: E402
    SCHEMA_VERSION,
    CallbackSink,
    PostgresStore,
    StoreError,
    upgrade,
)


def test_a_database_without_the_schema_is_refused_until_upgraded(pg_server: Any) -> None:
    name = "sw_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg_server.dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    dsn = pg_server.dsn.rsplit("/", 1)[0] + "/" + name
    with pytest.raises(StoreError, match="db upgrade"):
        PostgresStore(dsn)
    assert upgrade(dsn) == list(range(1, SCHEMA_VERSION + 1))
    assert upgrade(dsn) == []  # idempotent
    PostgresStore(dsn).close()
    with pytest.raises(StoreError, match="cannot reach"):
        PostgresStore("postgresql://nobody:secret@127.0.0.1:1/none")


def test_the_outbox_relays_every_commit_in_order_at_least_once(pg_dsn: str) -> None:
    seen: list[dict[str, Any]] = []
    failing = {"on": True}

    def flaky(event: dict[str, Any]) -> None:
        if failing["on"] and event["seq"] == 3:
            raise ConnectionError("the consumer is down")
        seen.append(event)

    with PostgresStore(pg_dsn, sinks=[CallbackSink(flaky)], notify_context=["owner"]) as store:
        with store.create("t", counting(), context={"owner": "ann", "pin": 1234}) as instance:
            for _ in range(4):
                instance.send("flip")
        assert [e["seq"] for e in seen] == [1, 2]  # stopped at 3, in order
        failing["on"] = False
        assert store.relay() == 3
    assert [e["seq"] for e in seen] == [1, 2, 3, 4, 5]
    assert seen[-1]["type"] == "statewright.transition" and seen[-1]["subject"] == "t"
    assert "pin" not in json.dumps(seen)


def _watch(dsn: str, queue: Any) -> None:
    with PostgresStore(dsn) as store:
        records = [r["seq"] for r in store.watch("w", timeout=3)]
        queue.put(records)
        return None


def _sender(dsn: str, count: int) -> None:
    with PostgresStore(dsn) as store, store.open("w", counting()) as instance:
        for _ in range(count):
            instance.send("flip")


def test_watchers_in_other_processes_see_every_commit_in_order(pg_dsn: str) -> None:
    with PostgresStore(pg_dsn) as store:
        store.create("w", counting()).close()
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    watchers = [context.Process(target=_watch, args=(pg_dsn, queue)) for _ in range(2)]
    for watcher in watchers:
        watcher.start()
    senders = [context.Process(target=_sender, args=(pg_dsn, 50)) for _ in range(3)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(60)
        assert sender.exitcode == 0
    results = [queue.get(timeout=60) for _ in watchers]
    for watcher in watchers:
        watcher.join(60)
    for seqs in results:
        assert seqs == list(range(1, 152))


def test_the_command_line_uses_a_postgresql_store(pg_dsn: str, tmp_path: Path) -> None:
    def sw(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "statewright", *args],
            capture_output=True,
            text=True,
            check=False,
        )

    assert json.loads(sw("db", "upgrade", "--store", pg_dsn).stdout)["applied"] == []
    created = sw("instances", "create", str(EXAMPLES / "door.smcat"), "--store", pg_dsn)
    assert created.returncode == 0, created.stderr
    sent = sw(
        "instances", "send", "door", "lock", "--event-id", "k", "--store", pg_dsn, "--no-hooks"
    )
    assert json.loads(sent.stdout)["configuration"] == ["locked"]
    again = sw(
        "instances", "send", "door", "lock", "--event-id", "k", "--store", pg_dsn, "--no-hooks"
    )
    assert json.loads(again.stdout)["duplicate"] is True
    assert sw("instances", "verify", "--store", pg_dsn).returncode == 0
    shown = sw("instances", "show", "door", "-o", str(tmp_path / "door.dot"), "--store", pg_dsn)
    assert shown.returncode == 0, shown.stderr
    assert "locked" in (tmp_path / "door.dot").read_text()
    history = sw("instances", "history", "door", "--store", pg_dsn)
    assert len(history.stdout.splitlines()) == 2
    refused = sw("instances", "list", "--store", "postgresql://x@127.0.0.1:1/none")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "cannot reach" in refused.stderr


def test_file_instances_migrate_into_postgresql(pg_dsn: str, tmp_path: Path) -> None:
    from statewright.runtime.store import FileStore

    files = FileStore(tmp_path / "files")
    with files.create("a", counting(), context={"owner": "ann"}) as instance:
        for _ in range(5):
            instance.send("flip", event_id=f"a{_}")
    files.create("b", counting()).close()
    moved = sw("instances", "migrate", "--from", str(tmp_path / "files"), "--to", pg_dsn)
    assert moved.returncode == 0, moved.stderr
    assert [json.loads(line)["ok"] for line in moved.stdout.splitlines()] == [True, True]
    with PostgresStore(pg_dsn) as store:
        assert store.ids() == ["a", "b"]
        assert [r["id"] for r in store.history("a")][1:] == [f"a{n}" for n in range(5)]
        with store.open("a", counting()) as instance:
            assert instance.configuration == ["on"] and instance.context["count"] == 5
            assert instance.send("flip", event_id="a4").duplicate  # ids came along
            assert instance.send("flip").version == 7
    again = sw("instances", "migrate", "--from", str(tmp_path / "files"), "--to", pg_dsn, "a")
    assert again.returncode == 1 and "exists already" in again.stdout


TIMED = "idle, busy, done;\nidle => busy: go;\nbusy => done: after 10s / finish;\n"


def test_timed_events_are_rows_any_live_worker_fires_once(pg_dsn: str) -> None:
    import threading

    from statewright.runtime import FakeClock
    from statewright.runtime.store import StoredChart
    from testkit import document

    finished: list[str] = []
    lock = threading.Lock()

    def finish(context: Any, data: Any) -> None:
        with lock:
            finished.append("x")

    clock = FakeClock(1_800_000_000.0)
    chart = StoredChart(document(TIMED), actions={"finish": finish})
    with PostgresStore(pg_dsn, clock=clock) as store:
        for k in range(20):
            with store.create(f"job{k}", chart) as instance:
                instance.send("go")
        assert store.fire_due() == []  # nothing due yet
    clock.advance(11)
    # a restart: new store objects, two workers at once; the hooks run in the one that fires
    workers = [PostgresStore(pg_dsn, clock=clock) for _ in range(2)]
    fired: list[list[Any]] = [[], []]
    threads = [
        threading.Thread(target=lambda k=k: fired[k].extend(workers[k].fire_due([chart])))
        for k in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for worker in workers:
        worker.close()
    assert sum(len(f) for f in fired) == 20  # each instance fired once, by one of them
    assert len(finished) == 20
    with PostgresStore(pg_dsn, clock=clock) as store:
        assert {tuple(store.state_at(f"job{k}")["configuration"]) for k in range(20)} == {("done",)}
        assert store.fire_due() == []
        with psycopg.connect(pg_dsn) as conn:
            assert conn.execute("SELECT count(*) FROM sw_timers").fetchone()[0] == 0


def test_commits_notify_only_while_someone_watches(pg_dsn: str) -> None:
    """NOTIFY serialises every writer's commit: a commit notifies only while a watcher is
    registered in sw_watchers, and a watcher leaves no row behind."""
    with PostgresStore(pg_dsn) as store, psycopg.connect(pg_dsn, autocommit=True) as listener:
        listener.execute("LISTEN sw_events")
        instance = store.create("n", counting())
        instance.send("flip")
        assert list(listener.notifies(timeout=0.3, stop_after=1)) == []
        watching = store.watch("n", timeout=5)
        assert [r["seq"] for r in (next(watching), next(watching))] == [1, 2]
        with psycopg.connect(pg_dsn, autocommit=True) as probe:
            assert probe.execute("SELECT count(*) FROM sw_watchers").fetchone() == (1,)
        instance.send("flip")
        (note,) = list(listener.notifies(timeout=5, stop_after=1))
        assert note.payload == "n:3"
        assert next(watching)["seq"] == 3
        watching.close()
        with psycopg.connect(pg_dsn, autocommit=True) as probe:
            assert probe.execute("SELECT count(*) FROM sw_watchers").fetchone() == (0,)
            probe.execute("INSERT INTO sw_watchers (pid) VALUES (2147483000)")  # a dead one
        assert [r["seq"] for r in store.watch("n", timeout=0.2)] == [1, 2, 3]
        with psycopg.connect(pg_dsn, autocommit=True) as probe:
            assert probe.execute("SELECT count(*) FROM sw_watchers").fetchone() == (0,)


def test_a_killed_backend_is_retried_by_send_and_applied_once(pg_dsn: str) -> None:
    """The backends of the store's pool are terminated (what a server restart or a failover
    does): `send` (inherited from `DurableInstance`) tries again with the event's id on a new
    connection, and the event is applied once; with no retries left it raises StoreIOError,
    never a psycopg error."""
    from statewright.runtime.store import StoreIOError

    def kill_all() -> None:
        with psycopg.connect(pg_dsn, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )

    store = PostgresStore(pg_dsn, pool_size=1)
    try:
        store.create("k", counting())
        instance = store.open("k", counting())
        kill_all()
        receipt = instance.send("flip", event_id="after-kill")
        assert receipt.seq == 2 and not receipt.duplicate
        assert [record["id"] for record in store.history("k")].count("after-kill") == 1
        instance.transient_retries = 0
        kill_all()
        with pytest.raises(StoreIOError, match="nothing was acknowledged"):
            instance.send("flip", event_id="unlucky")
        assert instance.send("flip", event_id="unlucky").seq == 3  # sent again: once
        assert [record["id"] for record in store.history("k")].count("unlucky") == 1
    finally:
        store.close()


def test_a_batch_whose_backend_is_killed_at_each_step_commits_all_or_nothing(
    pg_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch's backend is terminated before each statement of `batch()` in turn, and
    before its COMMIT: the block raises a StoreError (never a psycopg error), nothing of it
    is half committed, and the same events sent again with their ids are each applied once."""
    from statewright.runtime.store import StoreIOError

    store = PostgresStore(pg_dsn)
    admin = psycopg.connect(pg_dsn, autocommit=True)
    real_execute = psycopg.Connection.execute
    armed = {"count": 0, "kill_at": 0}

    def execute(self: Any, *args: Any, **kwargs: Any) -> Any:
        if self is not admin and armed["kill_at"]:
            armed["count"] += 1
            if armed["count"] == armed["kill_at"]:
                admin.execute("SELECT pg_terminate_backend(%s, 5000)", (self.info.backend_pid,))
        return real_execute(self, *args, **kwargs)

    monkeypatch.setattr(psycopg.Connection, "execute", execute)
    ids = ["one", "two", "three"]

    def batch(name: str, kill_before_commit: bool = False) -> list[Any]:
        handle = store.open(name, counting())
        with store.batch() as group:
            for event_id in ids:
                group.send(handle, "flip", event_id=event_id)
            if kill_before_commit:
                admin.execute(
                    "SELECT pg_terminate_backend(%s, 5000)", (group.conn.info.backend_pid,)
                )
        return group.receipts

    try:
        store.create("count", counting())
        armed["kill_at"] = 10**9  # counting only
        batch("count")
        statements, armed["kill_at"] = armed["count"], 0
        assert statements >= len(ids)
        for step in range(1, statements + 2):
            name = f"b{step}"
            store.create(name, counting())
            armed["count"], armed["kill_at"] = 0, step if step <= statements else 0
            with pytest.raises(StoreError) as raised:
                batch(name, kill_before_commit=step > statements)
            assert not isinstance(raised.value.__cause__, psycopg.Error)
            armed["kill_at"] = 0
            committed = [r["id"] for r in store.history(name)][1:]
            assert committed in ([], ids), (step, committed)  # all or nothing
            receipts = batch(name)  # the retry, same ids
            assert [r.seq for r in receipts] == [2, 3, 4]
            assert [r["id"] for r in store.history(name)][1:] == ids
            assert store.verify(name) == []
        assert issubclass(StoreIOError, StoreError)
    finally:
        admin.close()
        store.close()


def test_a_hook_that_raises_a_database_error_is_the_hooks_not_retried(pg_dsn: str) -> None:
    """Only the store's own statements are translated and retried: a hook of the user's that
    raises a psycopg error (its own database went away) runs once, and its error reaches the
    caller as it was; nothing is written."""
    calls: list[int] = []

    def failing(context: dict[str, Any], data: Any) -> None:
        calls.append(1)
        raise psycopg.OperationalError("the hook's own database is gone")

    chart = counting()
    failing_chart = type(chart)(chart.document, actions={"count": failing}, chart_id="toggle")
    store = PostgresStore(pg_dsn)
    try:
        store.create("h", chart)
        instance = store.open("h", failing_chart)
        with pytest.raises(psycopg.OperationalError, match="hook's own"):
            instance.send("flip", event_id="once")
        assert calls == [1]
        assert [r["id"] for r in store.history("h")][1:] == []
    finally:
        store.close()


HOSTILE = [
    "'; DROP TABLE sw_events; --",
    '"; DELETE FROM sw_instances; --',
    "$$ SELECT pg_sleep(10) $$",
    "%s %(x)s {0}",
    "\\x00\\\\'",
    "🚪\u2028\n\r",
]


def test_hostile_names_and_data_are_parameters_never_sql(pg_dsn: str) -> None:
    """Event names, chart ids, event ids, context and data from outside reach PostgreSQL only as
    parameters (issue 33, item 9): each is stored and read back as it was, and every table is
    still there; a hostile instance id is refused before anything is written."""
    from statewright.runtime.store import BadResourceId, StoredChart

    chart = counting()
    hostile_chart = StoredChart(chart.document, actions=chart.actions, chart_id=HOSTILE[0])
    store = PostgresStore(pg_dsn, strict=False)
    try:
        for bad in ("../x", "a b", HOSTILE[0], ""):
            with pytest.raises(BadResourceId):
                store.create(bad, hostile_chart)
        instance = store.create("h", hostile_chart, context={"note": HOSTILE[1]})
        for n, text in enumerate(HOSTILE):
            instance.send(text, event_id=f"{text}-{n}", payload=text, **{"k" + str(n): text})
        records = list(store.history("h"))[1:]
        assert [r["type"] for r in records] == HOSTILE
        assert [r["id"] for r in records] == [f"{t}-{n}" for n, t in enumerate(HOSTILE)]
        assert [r["data"]["payload"] for r in records] == HOSTILE
        reopened = store.open("h", hostile_chart)
        assert reopened.context["note"] == HOSTILE[1] and reopened.version == len(HOSTILE) + 1
        assert store.verify("h") == []
        assert_tables_remain(pg_dsn)
    finally:
        store.close()
