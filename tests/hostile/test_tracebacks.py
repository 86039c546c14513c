"""Inputs that used to end in a traceback end in a diagnostic or a clean error
(docs/security.md)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from bounded import assert_handled, cli, python
from testkit import EXAMPLES

TRANSITION = "states: [a, b]\ntransitions:\n  - from: a\n    to: b\n    width: {width}\n"


@pytest.mark.parametrize(
    "width", ["9" * 400, "0x" + "f" * 400, "9" * 5000, "-" + "9" * 5000, "1e400", ".inf"]
)
def test_a_yaml_width_of_any_size_is_a_diagnostic(tmp_path: Path, width: str) -> None:
    (tmp_path / "wide.yaml").write_text(TRANSITION.format(width=width), "utf-8")
    result = cli(["check", "--format", "json", "wide.yaml"], tmp_path)
    assert_handled(result, 1)
    assert {d["code"] for d in json.loads(result.stdout)} & {"P006", "Y002"}
    shown = cli(["check", "wide.yaml"], tmp_path)
    assert_handled(shown, 1)
    assert max(len(line) for line in shown.stdout.splitlines()) < 500  # a long value, cut


PROJECTS = {
    "yaml-huge-integer": ("statewright.yaml", "charts: ['*.smcat']\nstrict: {huge}\n{outputs}"),
    "toml-huge-integer": (
        "pyproject.toml",
        "[tool.statewright]\ncharts = ['*.smcat']\nstrict = {huge}\n"
        "[[tool.statewright.outputs]]\nformat = 'json'\n",
    ),
    "yaml-990-deep": (
        "statewright.yaml",
        "charts: ['*.smcat']\nexclude: " + "[" * 990 + "]" * 990 + "\n{outputs}",
    ),
    "toml-990-deep": (
        "pyproject.toml",
        "[tool.statewright]\ncharts = ['*.smcat']\nexclude = "
        + "[" * 990
        + "]" * 990
        + "\n[[tool.statewright.outputs]]\nformat = 'json'\n",
    ),
    "filename-format-width": (
        "statewright.yaml",
        "charts: ['*.smcat']\noutputs:\n  - format: json\n"
        "    filename: '{{stem}}{{ext:>1500000000}}'\n",
    ),
    "filename-attribute": (
        "statewright.yaml",
        "charts: ['*.smcat']\noutputs:\n  - format: json\n"
        "    filename: '{{stem.__class__}}{{ext}}'\n",
    ),
}


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_a_hostile_project_file_is_one_diagnostic(tmp_path: Path, name: str) -> None:
    file, text = PROJECTS[name]
    shutil.copy(EXAMPLES / "door.smcat", tmp_path)
    content = text.format(huge="9" * 5000, outputs="outputs:\n  - format: json\n")
    (tmp_path / file).write_text(content, "utf-8")
    for command in (["build"], ["build", "--check"]):
        assert_handled(cli(command, tmp_path), 2, says="error[B001]")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["door.smcat", file])


# -- stores ---------------------------------------------------------------------------------------


def _store(tmp_path: Path) -> Path:
    shutil.copy(EXAMPLES / "door.smcat", tmp_path)
    assert_handled(cli(["instances", "create", "door.smcat", "--store", "s"], tmp_path), 0)
    return tmp_path / "s"


def test_an_event_id_longer_than_a_store_can_index_is_refused(tmp_path: Path) -> None:
    _store(tmp_path)
    sent = cli(
        ["instances", "send", "door", "open", "--store", "s", "--event-id", "x" * 300], tmp_path
    )
    assert_handled(sent, 1, says="an event id must be 1 to 256 characters")
    log = (tmp_path / "s" / "resources" / "door" / "events.log").read_text("utf-8")
    assert "xxxx" not in log and len(log.splitlines()) == 2  # header and creation only


def test_a_full_disk_leaves_no_file_behind_and_says_so(tmp_path: Path) -> None:
    store = _store(tmp_path)
    log = store / "resources" / "door" / "events.log"
    with log.open("ab") as handle:
        handle.write(b'{"seq": 2, "torn')  # a record cut by a crash: recovery keeps it aside
    before = sorted(p.name for p in log.parent.iterdir())
    for _ in range(3):
        opened = cli(["instances", "show", "door", "--store", "s"], tmp_path, disk_full=True)
        assert_handled(opened, 1, says="cannot open the instance")
        assert sorted(p.name for p in log.parent.iterdir()) == before
    shown = cli(["instances", "show", "door", "--store", "s"], tmp_path)
    assert_handled(shown, 0)
    assert "cut a torn last record" in json.loads(shown.stdout)["recovered"][0]


def test_a_full_disk_on_send_is_a_store_error(tmp_path: Path) -> None:
    _store(tmp_path)
    sent = cli(["instances", "send", "door", "open", "--store", "s"], tmp_path, disk_full=True)
    assert_handled(sent, 1)
    assert_handled(cli(["instances", "verify", "--store", "s"], tmp_path), 0)


def test_listing_goes_past_a_linked_or_broken_instance(tmp_path: Path) -> None:
    store = _store(tmp_path)
    assert_handled(
        cli(["instances", "create", "door.smcat", "--store", "s", "--id", "two"], tmp_path), 0
    )
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(store / "resources" / "door", elsewhere)
    (store / "resources" / "alias").symlink_to(elsewhere, target_is_directory=True)
    (store / "resources" / "two" / "chart.json").write_text("{", "utf-8")
    listed = cli(["instances", "list", "--store", "s"], tmp_path)
    assert_handled(listed, 1)
    lines = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["door", "two"]  # the link is not an instance
    assert "problem" in lines[1] and "problem" not in lines[0]


def test_migrating_an_id_postgresql_cannot_index_is_reported(tmp_path: Path, pg_dsn: str) -> None:
    """An instance written before ids were bounded, with a 40 KB event id: the migration to
    PostgreSQL reports it for that instance and goes on."""
    _store(tmp_path)
    code = (
        "import statewright.runtime.store.instance as handles\n"
        "from statewright.runtime.store import FileStore\n"
        "handles.check_event_id = lambda event_id: event_id  # as before the bound\n"
        "store = FileStore('s')\n"
        "with store.open('door') as door:\n"
        "    door.send('open', event_id='x' * 40_000)\n"
    )
    assert_handled(python(code, tmp_path), 0)
    assert_handled(
        cli(["instances", "create", "door.smcat", "--store", "s", "--id", "ok"], tmp_path), 0
    )
    moved = cli(["instances", "migrate", "--from", "s", "--to", pg_dsn], tmp_path)
    assert_handled(moved, 1)
    outcome = {line["id"]: line for line in map(json.loads, moved.stdout.splitlines())}
    assert outcome["ok"]["ok"] is True
    assert outcome["door"]["ok"] is False and "256 characters" in outcome["door"]["problem"]


def test_a_lost_database_connection_is_a_store_error(pg_dsn: str, pg_server: Any) -> None:
    import psycopg

    from statewright.runtime.store import StoreError
    from statewright.runtime.store.postgres import PostgresStore

    with PostgresStore(pg_dsn, pool_size=2) as store:
        assert store.ids() == []
        with psycopg.connect(pg_server.dsn, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (pg_dsn.rsplit("/", 1)[1],),
            )
        outcomes = []
        for _ in range(4):  # the pool hands out the killed connections, then new ones
            try:
                outcomes.append(store.ids())
            except StoreError as error:
                assert not isinstance(error, psycopg.Error)
                outcomes.append(str(error))
        assert any(isinstance(o, str) and o.startswith("PostgreSQL:") for o in outcomes)
        assert outcomes[-1] == []  # and it recovers
