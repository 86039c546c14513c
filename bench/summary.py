#!/usr/bin/env python3
"""The speed of what users call, each beside its yardstick, from one run (issue 20).

Every row is measured in this process or its children, in this run, on this machine, and
printed with its ratio against the yardstick measured in the same run:

- `send(name)` on a generated class against a hand-written dict table's `send(event)` (and
  against the generated event methods), on machines A (toggle), B (three-level nesting, an
  event on the outermost composites) and C (two regions); with a listener attached too;
- start-up: `statewright --version`, `statewright check` of a 7-line chart and importing its
  generated module against `python -c pass`, as whole processes (median of 21);
- parsing: `statewright compile -T json` against `smcat -T json` on the same generated charts
  (bench/parse_bench.py), whole processes, best of 3;
- durable writes: FileStore, one instance, an fsync per event, against raw write+fsync of the
  same bytes; PostgresStore with 16 writers against the same transaction written with psycopg
  alone; replay of 1,000,000 logged events (seconds);
- the interpreter against XState 5 on Node (bench/xstate_bench.mjs), machines A, B, C.

    python bench/summary.py [--quick] [--full] [--no-pg] [--no-node] [--only PART ...]

`--quick` measures briefly (noisier); `--full` adds the 1M-line parse; `--only` runs the named
parts (send_by_name, start_up, parsing, durable, interpreter_against_xstate). Ratios are "ours /
yardstick" for rates (higher is better) and "ours / yardstick" for times (lower is better),
as each row's goal says.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NODE_DIR = ROOT / "tests" / "node"
QUICK = "--quick" in sys.argv
sys.path.insert(0, str(HERE))

import peers_bench as peers  # noqa: E402 - bench/ on the path
import runtime_bench  # noqa: E402

#: (section, what, ours, yardstick, unit, ratio, goal)
Row = tuple[str, str, float, float, str, float, str]
ROWS: list[Row] = []


def row(section: str, what: str, ours: float, yardstick: float, unit: str, goal: str) -> None:
    ROWS.append((section, what, ours, yardstick, unit, ours / yardstick, goal))
    print(f"  {section}: {what}: {ours:,.4g} against {yardstick:,.4g} {unit}", file=sys.stderr)


def _rate(build: Callable[[], Any]) -> float:
    return float(peers.bench(build)["median"])


def _rate_of(run: Callable[[int], None]) -> float:
    """Events per second of `run(n)` (peers_bench's calibration and median)."""
    return _rate(lambda: peers.Case(run, lambda: (frozenset(), None, None)))


def _loop(send: Callable[[str], Any], events: list[str]) -> Any:
    def run(n: int) -> None:
        for _ in range(n // len(events)):
            for event in events:
                send(event)

    return run


def send_by_name(folder: Path) -> None:
    toggle = runtime_bench._generated(runtime_bench.A, "a")
    hier = runtime_bench._generated(runtime_bench.B, "b")
    par = runtime_bench._generated(runtime_bench.C, "c")

    class Hier(hier):  # type: ignore[misc, valid-type]
        __slots__ = ()

        def enter(self, data: object) -> None:
            pass

        def leave(self, data: object) -> None:
            pass

    hands = {"A": peers._TableToggle, "B": peers._FlatB, "C": peers._FlatC}
    for machine, cls, events in (
        ("A", toggle, ["toggle"]),
        ("B", Hier, ["go"]),
        ("C", par, ["e1", "e2"]),
    ):
        hand = hands[machine]()
        quiet, methods, listened = cls(), cls(), cls()
        listened.add_listener(lambda record: None)
        bound = [getattr(methods, e) for e in events]

        def method_run(n: int, bound: list[Any] = bound) -> None:
            for _ in range(n // len(bound)):
                for fire in bound:
                    fire()

        hand_rate = _rate_of(_loop(hand.send, events))
        send_rate = _rate_of(_loop(quiet.send, events))
        method_rate = _rate_of(method_run)
        listened_rate = _rate_of(_loop(listened.send, events))
        section = "1 send(name)"
        row(
            section,
            f"{machine}: send(name) / hand table send",
            send_rate,
            hand_rate,
            "ev/s",
            ">= 0.8",
        )
        row(
            section,
            f"{machine}: send(name) / event method",
            send_rate,
            method_rate,
            "ev/s",
            ">= 0.9",
        )
        row(
            section,
            f"{machine}: send(name) with a listener / hand table send",
            listened_rate,
            hand_rate,
            "ev/s",
            ">= 0.5",
        )


def _process_time(command: list[str], runs: int = 21) -> float:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as users run it: with cached bytecode
    subprocess.run(command, capture_output=True, env=env, check=False)  # warm the caches
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, env=env, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


CHART_7 = """initial, idle, busy, done;
initial => idle;
idle => busy: start;
busy => idle: stop;
busy => done: finish [ok];
idle => done: cancel;
done => idle: reset;
"""


def start_up(folder: Path) -> None:
    python = sys.executable
    ours = shutil.which("statewright", path=str(Path(python).parent)) or "statewright"
    chart = folder / "seven.smcat"
    chart.write_text(CHART_7, "utf-8")
    runs = 9 if QUICK else 21
    base = _process_time([python, "-c", "pass"], runs)
    section = "2 start-up"
    row(
        section,
        "statewright --version / python -c pass",
        _process_time([ours, "--version"], runs),
        base,
        "s",
        "<= 2",
    )
    row(
        section,
        "statewright check (7 lines) / python -c pass",
        _process_time([ours, "check", str(chart)], runs),
        base,
        "s",
        "<= 3",
    )
    generated = folder / "seven_machine.py"
    subprocess.run(
        [ours, "compile", str(chart), "-T", "python", "-o", str(generated)],
        check=True,
        capture_output=True,
    )
    row(
        section,
        "import a generated module / python -c pass",
        _process_time(
            [
                python,
                "-c",
                f"import sys; sys.path.insert(0, {str(folder)!r}); " "import seven_machine",
            ],
            runs,
        ),
        base,
        "s",
        "<= 2",
    )


def parsing(folder: Path) -> None:
    import parse_bench

    smcat = parse_bench.find_smcat(None)
    if smcat is None:
        print("smcat not found: no parsing rows", file=sys.stderr)
        return
    ours = shutil.which("statewright", path=str(Path(sys.executable).parent)) or "statewright"
    sizes = [1_000, 10_000, 100_000] + ([1_000_000] if "--full" in sys.argv else [])
    parse_bench.OUT.mkdir(exist_ok=True)
    for size in sizes:
        path = parse_bench.OUT / f"chart-{size}.smcat"
        text = parse_bench.generate(size)
        path.write_text(text, encoding="utf-8")
        repeat = 1 if size >= 1_000_000 else 3
        mine, ok = parse_bench.best_time([ours, "compile", str(path), "-T", "json"], repeat)
        theirs, ok2 = parse_bench.best_time(
            [smcat, "-T", "json", str(path), "-o", os.devnull], repeat
        )
        lines = text.count("\n")
        goal = "< 0.25" if size >= 100_000 else "< 1"
        if ok and ok2:
            row(
                "3 parsing",
                f"compile -T json / smcat -T json, {lines:,} lines",
                mine,
                theirs,
                "s",
                goal,
            )


def durable(folder: Path) -> None:
    import store_bench

    events = 400 if QUICK else 3000
    limit = store_bench.raw(folder, events)
    one = store_bench.store_one(folder, events, 100)
    row(
        "4 durable",
        "FileStore, one instance, fsync per event / raw write+fsync",
        one,
        limit,
        "ev/s",
        ">= 0.8",
    )
    if "--no-pg" not in sys.argv:
        raw_rate = 0.0
        for name, rate, _ in store_bench.postgres_rows(events // 3, writers=(16,), hot=False):
            if "raw" in name:
                raw_rate = rate
            else:
                row("4 durable", f"{name} / raw transaction", rate, raw_rate, "ev/s", ">= 0.7")
    replayed = 100_000 if QUICK else 1_000_000
    full, _ = store_bench.recovery(folder, replayed)
    row("4 durable", f"replay of {replayed:,} events / 10 s", full, 10.0, "s", "< 1")


def interpreter_against_xstate(folder: Path) -> None:
    if shutil.which("node") is None or not (NODE_DIR / "node_modules" / "xstate").is_dir():
        print("node or xstate (tests/node) missing: no XState rows", file=sys.stderr)
        return
    out = folder / "xstate.json"
    subprocess.run(
        ["node", "--expose-gc", str(HERE / "xstate_bench.mjs"), "--json", str(out)],
        cwd=NODE_DIR,
        check=True,
        capture_output=True,
    )
    theirs = {
        r["machine"]: r["median"]
        for r in json.loads(out.read_text())["rates"]
        if r["impl"].startswith("XState")
    }
    for machine, build in runtime_bench.cases(peers).items():
        peers.check(machine, build, "statewright interpreter")
        row(
            "5 interpreter",
            f"{machine}: interpreter / XState 5",
            _rate(build),
            theirs[machine],
            "ev/s",
            "> 1",
        )


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="sw-summary-"))
    try:
        parts = (send_by_name, start_up, parsing, durable, interpreter_against_xstate)
        if "--only" in sys.argv:
            chosen = set(sys.argv[sys.argv.index("--only") + 1 :])
            unknown = chosen - {part.__name__ for part in parts}
            if unknown:
                print(f"no such part: {', '.join(sorted(unknown))}", file=sys.stderr)
                return 2
            parts = tuple(part for part in parts if part.__name__ in chosen)
        for part in parts:
            print(f"measuring: {part.__name__}", file=sys.stderr)
            part(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"# statewright speed summary  python {sys.version.split()[0]}  quick={QUICK}")
    print("| part | what | ours | yardstick | unit | ratio | goal |")
    print("|---|---|---:|---:|---|---:|---|")
    for section, what, ours, yardstick, unit, ratio, goal in ROWS:
        figures = f"{ours:,.4g} | {yardstick:,.4g} | {unit} | {ratio:.2f}"
        print(f"| {section} | {what} | {figures} | {goal} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
