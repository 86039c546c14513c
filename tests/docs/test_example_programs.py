"""Every example's program runs: it persists its instances in a store, and the store they
leave behind verifies, lists and draws from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from testkit import EXAMPLES

PROGRAMS = sorted(EXAMPLES.glob("*_app.py"))
SW = [sys.executable, "-m", "statewright", "instances"]


def test_every_example_chart_has_a_program() -> None:
    charts = {p.name.split(".")[0] for p in EXAMPLES.glob("*.smcat")} | {
        p.stem for p in EXAMPLES.glob("*.yaml") if p.name != "statewright.yaml"
    }
    assert charts - {"door"} == {p.name.removesuffix("_app.py") for p in PROGRAMS}


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.stem)
def test_example_program_runs_and_persists(program: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = subprocess.run(
        [sys.executable, str(program), str(store)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"store: {store}" in result.stdout
    listed = subprocess.run(
        [*SW, "list", "--store", str(store)], capture_output=True, text=True, check=True
    )
    instances = [json.loads(line) for line in listed.stdout.splitlines()]
    assert instances and all(i["version"] >= 1 for i in instances)
    verified = subprocess.run([*SW, "verify", "--store", str(store)], capture_output=True)
    assert verified.returncode == 0, verified.stdout
