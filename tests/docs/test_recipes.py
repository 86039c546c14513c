"""The framework recipes of docs/python.md run: FastAPI over durable doors
(examples/recipes/fastapi_doors.py) with idempotency keys and errors as statuses; Celery over
durable seat holds (examples/recipes/celery_holds.py), timers woken by Celery and fired once by
the store. (The Django recipe's tests are in examples/recipes/django_doors.)"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import pytest

from testkit import EXAMPLES


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    from fastapi.testclient import TestClient

    monkeypatch.setenv("STATEWRIGHT_STORE", str(tmp_path / "doors"))
    monkeypatch.syspath_prepend(str(EXAMPLES / "recipes"))
    sys.modules.pop("fastapi_doors", None)
    module = importlib.import_module("fastapi_doors")
    with TestClient(module.app) as test_client:
        yield test_client
    module.store.close()
    sys.modules.pop("fastapi_doors", None)


def test_fastapi_sends_events_with_idempotency_keys(client: Any) -> None:
    assert client.put("/doors/front").status_code == 201
    assert client.put("/doors/front").status_code == 409
    first = client.post("/doors/front/events/lock", headers={"Idempotency-Key": "k-1"})
    again = client.post("/doors/front/events/lock", headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 200
    assert first.json()["configuration"] == ["locked"] and not first.json()["duplicate"]
    assert again.json()["duplicate"] and again.json()["version"] == first.json()["version"]
    state = client.get("/doors/front").json()
    assert state["version"] == 2 and state["context"]["beeps"] == 1
    assert state["context"]["bolted"] is True
    wrong = client.post("/doors/front/events/unlock", json={"code": 1})
    assert wrong.status_code == 200 and wrong.json()["handled"] is False
    right = client.post("/doors/front/events/unlock", json={"code": 1234})
    assert right.json()["configuration"] == ["closed"]


def test_fastapi_answers_mistakes_with_a_status_and_a_sentence(client: Any) -> None:
    client.put("/doors/back")
    typo = client.post("/doors/back/events/opne")
    assert typo.status_code == 422 and "did you mean `open`?" in typo.json()["detail"]
    assert client.post("/doors/nowhere/events/open").status_code == 404
    assert client.get("/doors/nowhere").status_code == 404
    assert client.put("/doors/..").status_code in (400, 404)
    long_key = client.post("/doors/back/events/lock", headers={"Idempotency-Key": "k" * 300})
    assert long_key.status_code == 400


DJANGO_SCRIPT = """
import json, sys
import django
from django.conf import settings
settings.configure(
    INSTALLED_APPS=["django_doors"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": sys.argv[1]}},
    USE_TZ=True,
)
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django_doors.models import ChartChanged, Conflict, Door
from statewright.runtime.store import UnknownEvent

out = {}
front = Door.create("front", jammed=0)
out["created"] = front.configuration
out["lock"] = front.send("lock")
stale = Door.objects.get(name="front")
out["unlock"] = front.send("unlock", code=1234)
try:
    stale.send("open")
except Conflict as error:
    out["conflict"] = str(error)
try:
    front.send("opne")
except UnknownEvent as error:
    out["typo"] = str(error)
again = Door.objects.get(name="front")
out["stored"] = [again.configuration, again.version, again.snapshot["context"]]
Door.objects.filter(pk=again.pk).update(chart="0" * 64)
try:
    Door.objects.get(name="front").machine()
except ChartChanged as error:
    out["changed"] = str(error)
print(json.dumps(out))
"""


def test_django_keeps_a_machine_in_a_row_with_a_version(tmp_path: Path) -> None:
    import json
    import os
    import subprocess

    script = tmp_path / "run.py"
    script.write_text(DJANGO_SCRIPT, "utf-8")
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "doors.sqlite3")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(EXAMPLES / "recipes")},
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["created"] == ["closed"] and out["lock"] == ["locked"]
    assert out["unlock"] == ["closed"]
    assert "changed since it was read" in out["conflict"]
    assert "did you mean `open`?" in out["typo"]
    assert out["stored"] == [["closed"], 3, {"jammed": 0, "beeps": 1, "bolted": False}]
    assert "run the data migration" in out["changed"]


# -- Celery --------------------------------------------------------------------------------------


def _celery_recipe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """examples/recipes/celery_holds.py on a store in tmp_path whose clock moves only when told
    (starting at the wall-clock now: due times and Celery's `eta` are wall-clock). The module
    is imported once (Celery keeps its tasks by name) and given each test's store."""
    import time

    from statewright.runtime import FakeClock
    from statewright.runtime.store import FileStore

    monkeypatch.setenv("STATEWRIGHT_STORE", str(tmp_path / "unused"))
    monkeypatch.syspath_prepend(str(EXAMPLES / "recipes"))
    module = importlib.import_module("celery_holds")
    monkeypatch.setattr(
        module, "store", FileStore(tmp_path / "holds", clock=FakeClock(time.time()))
    )
    return module


@pytest.fixture
def holds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The Celery recipe with tasks run in the caller (eager), and the `eta` of every
    `fire_timers` it schedules recorded instead of sent."""
    module = _celery_recipe(tmp_path, monkeypatch)
    module.woken = []
    send = module.fire_timers.apply_async

    def recorded(args: Any = None, kwargs: Any = None, eta: Any = None, **options: Any) -> Any:
        if eta is None:
            return send(args, kwargs, **options)
        module.woken.append(eta.timestamp())
        return None

    monkeypatch.setattr(module.fire_timers, "apply_async", recorded)
    module.app.conf.task_always_eager = True
    module.app.conf.task_eager_propagates = True
    try:
        yield module
    finally:
        module.app.conf.task_always_eager = False
        module.app.conf.task_eager_propagates = False


def test_the_hold_chart_is_deployed_as_its_ir() -> None:
    """hold.ir.json is what `statewright compile hold.smcat -T ir` writes today."""
    import json

    from statewright.compiler import ir_document
    from testkit import chart_of

    recipes = EXAMPLES / "recipes"
    fresh = json.loads(ir_document.emit(chart_of(recipes / "hold.smcat")))
    assert json.loads((recipes / "hold.ir.json").read_text("utf-8")) == fresh


def test_celery_tasks_send_events_once_and_schedule_the_timer(holds: Any) -> None:
    now = holds.store.clock.now()
    created = holds.create_hold.delay("h-1", "ada", "12C").get()
    assert created == {"id": "h-1", "configuration": ["held"], "created": True}
    assert holds.create_hold.delay("h-1", "ada", "12C").get()["created"] is False  # redelivered
    assert holds.woken == [pytest.approx(now + 900, abs=1)]  # woken when the hold runs out
    first = holds.send_event.delay("h-1", "confirm", event_id="pay-77").get()
    again = holds.send_event.delay("h-1", "confirm", event_id="pay-77").get()
    assert first["configuration"] == ["confirmed"] and not first["duplicate"]
    assert again["duplicate"] and again["version"] == first["version"]
    ended = holds.send_event.delay("h-1", "cancel").get()
    assert "finished" in ended["error"]
    assert "no instance" in holds.send_event.delay("h-9", "confirm").get()["error"].lower()
    typo = holds.send_event.delay("h-1", "confrim").get()
    assert "confirm" in typo["error"]  # the closest event is named


def test_celery_fires_a_due_timer_exactly_once(holds: Any) -> None:
    holds.create_hold.delay("h-1", "ada", "12C").get()
    holds.create_hold.delay("h-2", "bob", "14A").get()
    holds.send_event.delay("h-2", "confirm").get()
    assert holds.fire_timers.delay().get()["fired"] == 0  # nothing is due yet
    holds.store.clock.advance(15 * 60)
    fired = holds.fire_timers.delay().get()
    assert fired["fired"] == 1 and fired["instances"] == ["h-1"]
    # the beat's pass, and a redelivered wake-up, find nothing left to fire and write nothing
    with holds.store.open("h-1", holds.CHART) as hold:
        version = hold.version
        assert hold.configuration == ["released"] and hold.context["released"] is True
    assert holds.fire_timers.delay().get()["fired"] == 0
    with holds.store.open("h-1", holds.CHART) as hold:
        assert hold.version == version
    assert [r["type"] for r in holds.store.history("h-1")].count("sw.tick") == 1


def test_celery_runs_the_recipe_through_a_real_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the broker (in memory) and a worker thread: the tasks as a deployment runs
    them, the timer fired by a `fire_timers` message."""
    from celery.contrib.testing.worker import start_worker

    module = _celery_recipe(tmp_path, monkeypatch)
    module.app.conf.task_always_eager = False  # (docs/python.md turns it on)
    with start_worker(module.app, pool="solo", perform_ping_check=False):
        created = module.create_hold.delay("h-1", "ada", "12C").get(timeout=60)
        assert created["configuration"] == ["held"]
        module.store.clock.advance(15 * 60)
        fired = module.fire_timers.delay().get(timeout=60)
        assert fired["fired"] == 1 and fired["instances"] == ["h-1"]
        sent = module.send_event.delay("h-1", "confirm").get(timeout=60)
        assert "finished" in sent["error"]
