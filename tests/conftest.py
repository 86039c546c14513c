"""Shared fixtures: the golden corpus and `--update-golden`."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from statewright.compiler import parse
from statewright.compiler.ir import Chart

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
EXAMPLES = ROOT / "examples"
NODE_DIR = (
    ROOT / "tests" / "node"
)  # the npm references the tests compare with (make test installs them)
#: how to get what a skipped test needs, for skip reasons
INSTALL_NODE = "make node-references (npm ci in tests/node; needs nodejs and npm)"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite statewright's own golden outputs (review the diff like code)",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


GoldenCompare = Callable[[str, Path], None]


@pytest.fixture
def golden(update_golden: bool) -> GoldenCompare:
    """`golden(actual, path)`: assert that `actual` is the text of the golden file at `path`
    (byte for byte); with `--update-golden`, write it there first. A missing file, or the
    first line that differs, is named in the failure."""

    def compare(actual: str, path: Path) -> None:
        if update_golden:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, "utf-8")
        assert path.exists(), f"{path.relative_to(ROOT)} is missing: run pytest --update-golden"
        expected = path.read_text("utf-8")
        if actual != expected:
            ours, theirs = actual.splitlines(), expected.splitlines()
            line = next(
                (i for i, (a, b) in enumerate(zip(ours, theirs, strict=False)) if a != b),
                min(len(ours), len(theirs)),
            )
            shown = (
                ours[line] if line < len(ours) else "<end>",
                theirs[line] if line < len(theirs) else "<end>",
            )
            raise AssertionError(
                f"{path.relative_to(ROOT)} differs at line {line + 1}:\n"
                f"  got:      {shown[0]!r}\n  expected: {shown[1]!r}\n"
                "(review the change; pytest --update-golden rewrites the golden files)"
            )

    return compare


def golden_cases() -> list[Path]:
    return sorted(GOLDEN.glob("*.smcat"))


def chart_of(path: Path) -> Chart:
    """The chart of a file that must parse."""
    chart, diagnostics = parse(path.read_text("utf-8"), path.name)
    assert chart is not None, diagnostics
    return chart


def run_node(script: Path, payload: Any, tmp_path: Path) -> Any:
    """Run an ES module from tests/parity/ in NODE_DIR (where its packages resolve), with the
    JSON payload in a file named by its first argument; return the JSON it prints on its last
    line, after `RESULTS ` (a chart under test may write to stdout through console.log)."""
    batch = tmp_path / f"{script.stem}-input.json"
    batch.write_text(json.dumps(payload), "utf-8")
    result = subprocess.run(
        ["node", "--input-type=module", "-e", script.read_text("utf-8"), str(batch)],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    marker = "\nRESULTS "
    assert marker in result.stdout, result.stdout[-2000:]
    return json.loads(result.stdout.rsplit(marker, 1)[1])


def generated_module(chart: Chart, path: Path) -> ModuleType:
    """Generate `-T python` for the chart at `path`, import it, and give the module
    `machine_class` (the generated class) and `partial_class()` (a subclass with every hook
    left empty, for driving the chart without writing hooks)."""
    from statewright.compiler.emit import python
    from statewright.runtime.compiled import CompiledMachine

    path.write_text(python.emit(chart, {"name": path.stem.removesuffix("_machine")}), "utf-8")
    name = f"sw_generated_{path.stem}_{abs(hash(path))}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    machine_class = next(
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, CompiledMachine)
        and value.__module__ == name
    )
    module.machine_class = machine_class  # type: ignore[attr-defined]
    module.partial_class = lambda: type(  # type: ignore[attr-defined]
        machine_class.__name__ + "Partial", (machine_class,), {}, partial=True
    )
    return module


@pytest.fixture(scope="session")
def pg_server() -> Any:
    """A real PostgreSQL server for the session (tests/pgserver.py), or a skip with the reason."""
    import pgserver

    if pgserver.binaries() is None:
        pytest.skip("PostgreSQL is not installed: apt-get install postgresql")
    server = pgserver.Server().start()
    yield server
    server.stop()


@pytest.fixture
def pg_dsn(pg_server: Any) -> str:
    """A fresh database on the session's server, migrated to the current schema."""
    import uuid

    import psycopg

    from statewright.runtime.store.postgres import upgrade

    name = "sw_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg_server.dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")  # a generated name, not input
    dsn = pg_server.dsn.rsplit("/", 1)[0] + "/" + name
    upgrade(dsn)
    return dsn
