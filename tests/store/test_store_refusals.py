"""Mistakes refused with nothing written, on both stores: an event the chart does not know (a
typo: "did you mean"), a name statewright keeps, an event for a finished instance; and what a
receipt says about an event the chart knows but the current state ignores (recorded, with
`handled: false`). The command line says the same, exit 1, no traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from statewright.runtime.store import InstanceFinished, StoredChart, UnknownEvent
from testkit import EXAMPLES, document, records_of, sw

DOOR = "closed, opened, gone [type=final];\nclosed => opened: open;\nopened => closed: close;\n"
DOOR += "closed => gone: demolish;\n"


def test_an_unknown_event_is_refused_with_a_suggestion_and_nothing_written(
    make: Any,  # noqa: F811
) -> None:
    store = make()
    chart = StoredChart(document(DOOR))
    store.create("door-1", chart)
    with store.open("door-1", chart) as door:
        version = door.version
        with pytest.raises(UnknownEvent) as refused:
            door.send("opne")
        assert refused.value.suggestion == "open" and "did you mean `open`?" in str(refused.value)
        assert "nothing was written" in str(refused.value)
        with pytest.raises(UnknownEvent, match="raised by statewright itself only"):
            door.send("sw.create")
        assert door.version == version
    assert [r["type"] for r in records_of(store, "door-1")] == ["sw.create"]
    # a store made with strict=False records any event (a chart that takes anything)
    loose = make(strict=False)
    receipt = loose.send("door-1", "opne")
    assert receipt.handled is False and receipt.version == version + 1
    assert [r["type"] for r in records_of(loose, "door-1")] == ["sw.create", "opne"]
    with pytest.raises(UnknownEvent):  # reserved names stay refused
        loose.send("door-1", "sw.tick.extra")


ORDER = """
processing [type=parallel] {
  payment { paying, paid [type=final]; paying => paid: pay; },
  shipping { packing, shipped [type=final]; packing => shipped: ship; };
},
complete [type=final];
processing => complete: done.state.processing;
"""


@pytest.mark.parametrize(
    "event", ["done.state.processing", "done.invoke.payment", "error.execution", "sw.after.1"]
)
def test_names_only_the_engine_raises_are_refused_and_nothing_written(
    make: Any, event: str  # noqa: F811
) -> None:
    store = make(strict=False)  # refused even where any other event is recorded
    chart = StoredChart(document(ORDER))
    store.create("order-1", chart)
    with pytest.raises(UnknownEvent, match="never sent from outside; nothing was written"):
        store.send("order-1", event, chart=chart)
    assert [r["type"] for r in records_of(store, "order-1")] == ["sw.create"]
    # the engine raises it itself once both regions are done
    store.send("order-1", "pay", chart=chart)
    receipt = store.send("order-1", "ship", chart=chart)
    assert receipt.configuration == ["complete"]


def test_a_known_event_the_state_ignores_is_recorded_as_not_handled(
    make: Any,  # noqa: F811
) -> None:
    store = make()
    chart = StoredChart(document(DOOR))
    store.create("door-2", chart)
    ignored = store.send("door-2", "close", chart=chart)  # closed takes no `close`
    assert ignored.handled is False and ignored.configuration == ["closed"]
    taken = store.send("door-2", "open", chart=chart)
    assert taken.handled is True and taken.configuration == ["opened"]
    assert json.loads(json.dumps(taken.to_dict()))["handled"] is True
    # a duplicate says what its first delivery did
    again = store.send("door-2", "close", chart=chart, event_id="k-1")
    repeat = store.send("door-2", "close", chart=chart, event_id="k-1")
    assert again.handled and repeat.duplicate and repeat.handled
    assert [r["type"] for r in records_of(store, "door-2")] == [
        "sw.create",
        "close",
        "open",
        "close",
    ]


def test_a_finished_instance_refuses_events_and_says_when(make: Any) -> None:  # noqa: F811
    store = make()
    chart = StoredChart(document(DOOR))
    store.create("door-3", chart)
    store.send("door-3", "demolish", chart=chart, event_id="last")
    before = records_of(store, "door-3")
    with pytest.raises(InstanceFinished) as refused:
        store.send("door-3", "open", chart=chart)
    message = str(refused.value)
    assert "finished at " + before[-1]["ts"][:16] in message or "finished at" in message
    assert "`gone`" in message and "nothing was written" in message
    # the retry of the event that finished it is still acknowledged (a duplicate)
    assert store.send("door-3", "demolish", chart=chart, event_id="last").duplicate
    assert records_of(store, "door-3") == before


def test_the_command_line_refuses_mistakes_with_exit_1(tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    door = EXAMPLES / "door.smcat"
    assert sw("instances", "create", str(door), "--store", store, cwd=tmp_path).returncode == 0
    typo = sw("instances", "send", "door", "opne", "--store", store, cwd=tmp_path)
    assert typo.returncode == 1 and "did you mean `open`?" in typo.stderr
    assert "Traceback" not in typo.stderr
    history = sw("instances", "history", "door", "--store", store, cwd=tmp_path)
    assert "opne" not in history.stdout
    loose = sw(
        "instances", "send", "door", "opne", "--allow-unknown", "--store", store, cwd=tmp_path
    )
    assert loose.returncode == 0, loose.stderr
    assert json.loads(loose.stdout)["handled"] is False


def test_without_posix_locks_the_file_store_is_refused_and_the_rest_imports(
    tmp_path: Path,
) -> None:
    """On a platform without `fcntl` (Windows), `statewright.runtime.store` and PostgresStore
    still import; a FileStore is refused when it is made, saying what to use instead."""
    import subprocess
    import sys

    script = (
        "import sys; sys.modules['fcntl'] = None\n"
        "from statewright.runtime.store import FileStore, StoreError\n"
        "from statewright.runtime.store.postgres import PostgresStore\n"
        "try:\n"
        f"    FileStore({str(tmp_path / 'store')!r})\n"
        "except StoreError as error:\n"
        "    print(error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "FileStore needs POSIX file locks (fcntl)" in done.stdout
    assert "use PostgresStore" in done.stdout
    assert not (tmp_path / "store").exists()
