#!/usr/bin/env python3
"""The interpreter beside its peers, in one process: events per second on machines A, B, C.

Reuses the machines, the semantic checks and the timing of ../shared/bench/peers_bench.py
(python-statemachine, transitions, sismic, Automat and hand-written baselines), and adds
statewright's interpreter (`statewright.runtime.load`) on the same three machines, written in
smcat. Prints one table with each figure and its ratio to the hand-written baseline.

Usage: python bench/runtime_bench.py [--quick]. Needs ../shared (skips with a message if absent).
The generated classes (issue 6) will join the table when `-T python` lands.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PEERS = HERE.parent.parent / "shared" / "bench"

A = """
off, on;
off => on: toggle;
on => off: toggle;
"""

B = """
A: entry/ enter
    exit/ leave {
    A1: entry/ enter
        exit/ leave {
        a1a: entry/ enter
            exit/ leave,
        a1b: entry/ enter
            exit/ leave;
    };
},
B: entry/ enter
    exit/ leave {
    B1: entry/ enter
        exit/ leave {
        b1a: entry/ enter
            exit/ leave,
        b1b: entry/ enter
            exit/ leave;
    };
};
A => B: go;
B => A: go;
"""

C = """
P [type=parallel] {
    r1 { a1, a2, a3; a1 => a2: e1; a2 => a3: e1; a3 => a1: e1; },
    r2 { b1, b2, b3; b1 => b2: e2; b2 => b3: e2; b3 => b1: e2; };
};
"""


def _machine(text: str, counters: dict[str, int] | None = None) -> Any:
    from statewright.compiler.emit import ir_json
    from statewright.compiler.parse import parse
    from statewright.runtime import load

    chart, diagnostics = parse(text)
    assert chart is not None, diagnostics
    actions = {}
    if counters is not None:

        def enter(context: object, data: object) -> None:
            counters["enters"] += 1

        def leave(context: object, data: object) -> None:
            counters["exits"] += 1

        actions = {"enter": enter, "leave": leave}
    return load(json.loads(ir_json.emit(chart)), actions=actions).start()


def cases(peers: Any) -> dict[str, Any]:
    def build_a() -> Any:
        machine = _machine(A)
        send = machine.send

        def run(n: int) -> None:
            for _ in range(n):
                send("toggle")

        return peers.Case(run, lambda: (frozenset(machine.configuration), None, None))

    def build_b() -> Any:
        counters = {"enters": 0, "exits": 0}
        machine = _machine(B, counters)
        send = machine.send

        def run(n: int) -> None:
            for _ in range(n):
                send("go")

        return peers.Case(
            run,
            lambda: (frozenset(machine.configuration), counters["enters"], counters["exits"]),
        )

    def build_c() -> Any:
        machine = _machine(C)
        send = machine.send

        def run(n: int) -> None:
            for _ in range(n // 2):
                send("e1")
                send("e2")

        return peers.Case(run, lambda: (frozenset(machine.configuration), None, None))

    return {"A": build_a, "B": build_b, "C": build_c}


def main() -> int:
    if not (PEERS / "peers_bench.py").is_file():
        print(f"runtime_bench: {PEERS}/peers_bench.py is absent; nothing to compare with")
        return 0
    sys.path.insert(0, str(PEERS))
    import peers_bench as peers  # noqa: PLC0415 - found at run time

    rows: list[tuple[str, str, float]] = []
    baselines = {"A": peers.baseline_method_A, "B": peers.baseline_B, "C": peers.baseline_C}
    for machine, build in baselines.items():
        peers.check(machine, build, "baseline")
        rows.append((machine, "hand-written baseline", peers.bench(build)["median"]))
    for machine, build in cases(peers).items():
        peers.check(machine, build, "statewright")
        rows.append((machine, "statewright interpreter", peers.bench(build)["median"]))
    try:
        psm, _ = peers.psm_cases()
        for key, build in psm.items():
            machine = key.split(" ")[0]
            peers.check(machine, build, "python-statemachine")
            rows.append((machine, "python-statemachine", peers.bench(build)["median"]))
    except ImportError as error:
        print(f"python-statemachine not importable ({error}); its column is empty")
    base = {m: r for m, name, r in rows if name == "hand-written baseline"}
    psm_rate = {m: r for m, name, r in rows if name == "python-statemachine"}
    print("| machine | implementation | events/s | / baseline | x python-statemachine |")
    print("|---|---|---:|---:|---:|")
    for machine, name, rate in sorted(rows, key=lambda r: r[0]):
        versus = f"{rate / psm_rate[machine]:.1f}x" if machine in psm_rate else "-"
        ratio = rate / base[machine]
        print(f"| {machine} | {name} | {peers.fmt_rate(rate)} | {ratio:.4f} | {versus} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
