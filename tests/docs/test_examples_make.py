"""`make diagrams` in examples/ renders every example and rebuilds only what changed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from testkit import EXAMPLES

pytestmark = pytest.mark.skipif(
    shutil.which("dot") is None or shutil.which("make") is None,
    reason="needs Graphviz and make: apt-get install graphviz make",
)


def _make(folder: Path) -> str:
    sw = Path(sys.executable).parent / "statewright"
    result = subprocess.run(
        ["make", "-C", str(folder), "diagrams", f"SW={sw}"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return result.stdout


def test_make_diagrams_rebuilds_only_what_changed(tmp_path: Path) -> None:
    folder = tmp_path / "examples"
    folder.mkdir()
    shutil.copy(EXAMPLES / "Makefile", folder)
    for chart in sorted(EXAMPLES.glob("*.smcat")):
        shutil.copy(chart, folder)
    first = _make(folder)
    outputs = sorted(p.name for p in (folder / "out").iterdir())
    stems = sorted(p.stem for p in EXAMPLES.glob("*.smcat"))
    assert outputs == sorted([f"{s}.png" for s in stems] + [f"{s}.svg" for s in stems])
    assert first.count("statewright") >= 2 * len(stems) - 1
    assert "compile" not in _make(folder)
    door = folder / "door.smcat"
    later = door.stat().st_mtime + 5
    os.utime(door, (later, later))
    rebuilt = _make(folder)
    assert rebuilt.count(" compile ") == 2 and "door.smcat" in rebuilt
