"""The framework recipes of docs/python.md run: FastAPI over durable doors
(examples/recipes/fastapi_doors.py) with idempotency keys and errors as statuses."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import EXAMPLES


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
