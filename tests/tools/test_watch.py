"""`statewright watch`: a build at once, then one per saved change, only what changed."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from test_build import _sample

SW = [sys.executable, "-m", "statewright"]


def _lines(stream: object, into: queue.Queue[str]) -> None:
    for line in iter(stream.readline, ""):  # type: ignore[attr-defined]
        into.put(line)


def _wait_for(lines: queue.Queue[str], seen: list[str], text: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not any(text in line for line in seen):
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"{text!r} not seen in {seen}"
        try:
            seen.append(lines.get(timeout=remaining))
        except queue.Empty:
            continue


def test_watch_rebuilds_what_changed(tmp_path: Path) -> None:
    project = _sample(tmp_path, svg=False)
    process = subprocess.Popen(
        [*SW, "watch", "--jobs", "1"],
        cwd=project,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        # Ctrl-C as a terminal gives it, whatever the test runner was started with (a shell
        # starts background jobs with SIGINT ignored, and a child inherits that)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_lines, args=(process.stderr, lines), daemon=True).start()
    seen: list[str] = []
    try:
        _wait_for(lines, seen, "watch: watching")
        assert any("12 outputs: 12 written" in line for line in seen)
        seen.clear()
        time.sleep(0.5)
        door = project / "charts" / "door.smcat"
        door.write_text(door.read_text("utf-8").replace("lock / beep", "lock / beep twice"))
        _wait_for(lines, seen, "outputs: 4 written")
        assert any("watch: changed charts/door.smcat" in line for line in seen)
        written = [line for line in seen if line.startswith("written: ")]
        assert len(written) == 4 and all("door" in line for line in written)
        assert "beep twice" in (project / "generated" / "door_machine.py").read_text("utf-8")
        # the build's own outputs (generated/yaml/door.yaml is a chart file too) do not
        # set off another build
        time.sleep(1.5)
        while not lines.empty():
            seen.append(lines.get())
        assert sum("watch: changed" in line for line in seen) == 1, seen
        # a broken save is reported, and watching goes on
        seen.clear()
        door.write_text("a => ;\n")
        _wait_for(lines, seen, "error[P002]")
        assert process.poll() is None
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
