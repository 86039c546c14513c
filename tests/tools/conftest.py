"""The tools tests' fixtures: a folder of charts with a store beside it, and a studio serving it
on a free port (the studio's tests and its page's use them)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from statewright.compiler.tools.studio.app import Studio
from statewright.compiler.tools.studio.server import serve
from testkit import EXAMPLES


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    charts = tmp_path / "charts"
    charts.mkdir()
    for name in ("door.smcat", "player.smcat", "order.yaml"):
        shutil.copy(EXAMPLES / name, charts)
    (tmp_path / "secret.txt").write_text("not for the studio", "utf-8")
    (charts / "statewright.yaml").write_text("charts: ['*.smcat']\n", "utf-8")  # not a chart
    (charts / ".venv" / "lib").mkdir(parents=True)  # never walked
    (charts / ".venv" / "lib" / "vendored.smcat").write_text("a;\n", "utf-8")
    store = tmp_path / "store"
    sw = [sys.executable, "-m", "statewright", "instances"]
    subprocess.run(
        [*sw, "create", str(charts / "door.smcat"), "--store", str(store)],
        check=True,
        capture_output=True,
    )
    for event in ("open", "close", "lock"):
        subprocess.run(
            [*sw, "send", "door", event, "--store", str(store), "--no-hooks"],
            check=True,
            capture_output=True,
        )
    return tmp_path


@pytest.fixture
def server(folder: Path) -> Iterator[tuple[str, int]]:
    urls: list[str] = []
    studio = Studio((folder / "charts").resolve(), None, str(folder / "store"))
    httpd = serve(studio, "127.0.0.1", 0, urls.append)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield urls[0], httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()
        studio.close()
