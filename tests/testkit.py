"""What the tests share that is not a fixture: the project's folders, the golden corpus, charts
and generated classes, the node references, the stores' small charts, the CLI and the studio's
client. Every folder's tests import it (`from testkit import ...`); fixtures live in the
conftest.py of the folder whose tests use them (the root's: the PostgreSQL server and the
stores' factory, used all over)."""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from statewright.compiler import ir_document, parse
from statewright.compiler.ir import Chart
from statewright.runtime.store import FileStore, StoredChart

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
EXAMPLES = ROOT / "examples"
NODE_DIR = (
    ROOT / "tests" / "node"
)  # the npm references the tests compare with (make test installs them)
#: how to get what a skipped test needs, for skip reasons
INSTALL_NODE = "make node-references (npm ci in tests/node; needs nodejs and npm)"

#: `golden(actual, path)`, the compiler tests' fixture (tests/compiler/conftest.py)
GoldenCompare = Callable[[str, Path], None]


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


# -- the stores ---------------------------------------------------------------------------------

TOGGLE = "off, on;\noff => on: flip / count;\non => off: flip / count;\n"
TIMED = "idle, busy, done;\nidle => busy: go;\nbusy => done: after 10s / finish;\n"


def store_at(location: tuple[str, str]) -> Any:
    """The store at a `make` factory's `location` (another process opens it so)."""
    kind, where = location
    if kind == "file":
        return FileStore(where)
    from statewright.runtime.store.postgres import PostgresStore

    return PostgresStore(where)


def document(text: str) -> dict[str, Any]:
    """The IR document of smcat text that must parse."""
    chart, diagnostics = parse(text)
    assert chart is not None, diagnostics
    return ir_document.to_document(chart)


def counting(text: str = TOGGLE) -> StoredChart:
    """A stored chart whose `count` action counts in the context."""

    def count(context: dict[str, Any], data: Any) -> None:
        context["count"] = context.get("count", 0) + 1

    return StoredChart(document(text), actions={"count": count}, chart_id="toggle")


def until(condition: Any, limit: float = 30.0) -> None:
    """Wait for `condition` (a background thread's work); the limit only stops a runaway."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "still waiting after the limit"
        time.sleep(0.01)


def assert_tables_remain(dsn: str) -> None:
    """Every table of the store's schema is still there (no text from outside dropped one)."""
    import psycopg  # the postgres extra

    with psycopg.connect(dsn) as conn:
        tables = {
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
        }
    assert {"sw_events", "sw_instances", "sw_outbox", "sw_timers"} <= tables


# -- the command line and the studio --------------------------------------------------------

#: the command line, run as a user runs it
SW = [sys.executable, "-m", "statewright"]


def sw(*args: str, cwd: Path | None = None, stdin: str | None = None, **env: str) -> Any:
    environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    environment.update(env)
    return subprocess.run(
        [*SW, *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )


def call_studio(
    port: int,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    sent = {"X-Statewright-Studio": "1", "Content-Type": "application/json"}
    sent.update(headers or {})
    data = json.dumps(body).encode() if body is not None else None
    connection.request(method, path, body=data, headers=sent)
    response = connection.getresponse()
    raw = response.read()
    connection.close()
    try:
        return response.status, json.loads(raw)
    except ValueError:
        return response.status, raw.decode()


def records_of(store: Any, resource_id: str) -> list[dict[str, Any]]:
    """An instance's log records, oldest first."""
    return list(store.history(resource_id))
