"""Generated cases for the documentation tools' chart paths and for PostgreSQL (docs/security.md,
"Chart files" and "Stores"; issue 33, item 9): a path given to the Sphinx directive is read
only when it resolves inside the documentation's folder, whatever it is made of; and text from
outside (event names and ids, chart ids, context, data) reaches PostgreSQL only as parameters,
so it is stored and read back exactly, or refused with nothing written."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from testkit import EXAMPLES

# -- the Sphinx directive ----------------------------------------------------------------------

_PIECES = ["..", ".", "sub", "secret.smcat", "door.smcat", "link.smcat", "out", "source", "%2e%2e"]


@st.composite
def _paths(draw: st.DrawFn) -> str:
    pieces = draw(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=5))
    lead = draw(st.sampled_from(["", "/", "./"]))
    return lead + "/".join(pieces)


def _inside(source: Path, given: str) -> bool:
    """Where Sphinx resolves a directive's path (from the root document: its folder, and `/`
    means the source folder), followed through links, by the standard library."""
    target = os.path.realpath(os.path.join(source, given.lstrip("/")))
    return os.path.commonpath([target, os.path.realpath(source)]) == os.path.realpath(source)


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz: apt-get install graphviz")
@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(_paths(), min_size=4, max_size=4, unique=True))
def test_the_sphinx_directive_reads_a_chart_only_inside_the_docs(
    tmp_path_factory: pytest.TempPathFactory, paths: list[str]
) -> None:
    root = tmp_path_factory.mktemp("docs")
    source = root / "source"
    (source / "sub").mkdir(parents=True)
    (root / "secret.smcat").write_text("secret_state => b: go;\n", "utf-8")
    (root / "out").mkdir()
    (root / "out" / "secret.smcat").write_text("secret_state => b: go;\n", "utf-8")
    for folder in (source, source / "sub"):
        shutil.copy(EXAMPLES / "door.smcat", folder / "door.smcat")
        (folder / "link.smcat").symlink_to(root / "secret.smcat")
    (source / "out").symlink_to(root / "out", target_is_directory=True)
    (source / "conf.py").write_text(
        'extensions = ["statewright.compiler.tools.docs.sphinx"]\nproject = "doors"\n', "utf-8"
    )
    body = "".join(f".. statewright:: {path}\n\n" for path in paths)
    (source / "index.rst").write_text(f"Doors\n=====\n\n{body}", "utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-q", str(source), str(root / "html")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Traceback" not in done.stderr, done.stderr
    page = root / "html" / "index.html"
    assert not page.exists() or "secret_state" not in page.read_text("utf-8")
    for path in paths:
        refused = f"statewright: {path}: outside the documentation's folder" in done.stderr
        assert refused == (not _inside(source, path)), (path, done.stderr)


# -- PostgreSQL --------------------------------------------------------------------------------

#: SQL, format strings, quoting of every kind, control and invisible characters, NUL
_HOSTILE = st.text(
    st.sampled_from(list("'\";-$%(){}\\/*\x00\x01\n\r\t\u2028\u202e🚪é ") + ["a", "b"]),
    min_size=1,
    max_size=24,
)


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    chart_id=_HOSTILE,
    events=st.lists(st.tuples(_HOSTILE, _HOSTILE, _HOSTILE), min_size=1, max_size=4),
    note=_HOSTILE,
)
def test_postgresql_keeps_any_text_as_data_or_refuses_it_whole(
    pg_dsn: str, chart_id: str, events: list[tuple[str, str, str]], note: str
) -> None:
    """Each event (name, id, a data value) is stored and read back as it was, or (PostgreSQL
    text holds no NUL) refused with a StoreError and nothing written; the tables stay."""
    from statewright.runtime.store import StoredChart, StoreError
    from statewright.runtime.store.postgres import PostgresStore
    from testkit import assert_tables_remain, counting

    base = counting()
    chart = StoredChart(base.document, actions=base.actions, chart_id=chart_id)
    store = PostgresStore(pg_dsn, strict=False)
    name = f"h{uuid.uuid4().hex[:12]}"
    try:
        try:
            instance = store.create(name, chart, context={"note": note})
        except StoreError:
            assert "\x00" in chart_id + note
            assert name not in store.ids()
            return
        kept: list[tuple[str, str, Any]] = []
        for event, event_id, value in events:
            version = instance.version
            try:
                instance.send(event, event_id=event_id, payload=value)
            except StoreError:
                assert "\x00" in event + event_id + value
                assert store.open(name, chart).version == version
                instance = store.open(name, chart)
                continue
            if event_id not in [k[1] for k in kept]:
                kept.append((event, event_id, value))
        records = list(store.history(name))[1:]
        assert [(r["type"], r["id"], r["data"]["payload"]) for r in records] == kept
        assert store.open(name, chart).context["note"] == note
        assert_tables_remain(pg_dsn)
    finally:
        store.close()
