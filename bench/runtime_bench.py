#!/usr/bin/env python3
"""The interpreter beside its peers, in one process: events per second on machines A, B, C.

Reuses the machines, the semantic checks and the timing of bench/peers_bench.py
(python-statemachine, transitions, sismic and hand-written baselines), and adds statewright's
generated classes (`compile -T python`) and its interpreter (`statewright.runtime.load`) on the
same three machines, written in smcat. Prints one table with each figure and its ratio to the
hand-written baseline and to python-statemachine, then the memory of an idle machine-A
instance (tracemalloc, 10,000 live instances, as the peers are measured).

Usage: python bench/runtime_bench.py [--quick].
"""

from __future__ import annotations

import importlib.util
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PEERS = HERE  # peers_bench.py: the peers' harness, kept beside this file

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

A_COUNTING = """
off, on;
off => on: toggle / count;
on => off: toggle / count;
"""

C = """
P [type=parallel] {
    r1 { a1, a2, a3; a1 => a2: e1; a2 => a3: e1; a3 => a1: e1; },
    r2 { b1, b2, b3; b1 => b2: e2; b2 => b3: e2; b3 => b1: e2; };
};
"""


def _machine(text: str, counters: dict[str, int] | None = None) -> Any:
    from statewright.compiler import ir_document, parse
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
    return load(json.loads(ir_document.emit(chart)), actions=actions).start()


def _generated(text: str, stem: str) -> Any:
    """The class `compile -T python` writes for the chart, imported from a temporary file."""
    from statewright.compiler import parse
    from statewright.compiler.emit import python

    chart, diagnostics = parse(text)
    assert chart is not None, diagnostics
    path = Path(tempfile.mkdtemp()) / f"{stem}_machine.py"
    path.write_text(python.emit(chart, {"name": stem}), "utf-8")
    spec = importlib.util.spec_from_file_location(f"{stem}_machine", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, python.class_name_for(stem))


def generated_cases(peers: Any) -> tuple[dict[str, Any], Any]:
    toggle, hier, par = _generated(A, "a"), _generated(B, "b"), _generated(C, "c")
    counting = _generated(A_COUNTING, "a_counting")

    class Counting(counting):  # type: ignore[misc, valid-type]
        __slots__ = ("counted",)

        def __init__(self) -> None:
            self.counted = 0
            super().__init__()

        def count(self, data: object) -> None:
            self.counted += 1

    class Hier(hier):  # type: ignore[misc, valid-type]
        __slots__ = ("enters", "exits")

        def __init__(self) -> None:
            self.enters = self.exits = 0
            super().__init__()

        def enter(self, data: object) -> None:
            self.enters += 1

        def leave(self, data: object) -> None:
            self.exits += 1

    def build_a() -> Any:
        machine = toggle()
        fire = machine.toggle

        def run(n: int) -> None:
            for _ in range(n):
                fire()

        return peers.Case(run, lambda: (frozenset(machine.configuration), None, None))

    def build_a_counting() -> Any:
        machine = Counting()
        fire = machine.toggle

        def run(n: int) -> None:
            for _ in range(n):
                fire()

        return peers.Case(run, lambda: (frozenset(machine.configuration), None, None))

    def build_b() -> Any:
        machine = Hier()
        fire = machine.go

        def run(n: int) -> None:
            for _ in range(n):
                fire()

        return peers.Case(
            run, lambda: (frozenset(machine.configuration), machine.enters, machine.exits)
        )

    def build_c() -> Any:
        machine = par()
        e1, e2 = machine.e1, machine.e2

        def run(n: int) -> None:
            for _ in range(n // 2):
                e1()
                e2()

        return peers.Case(run, lambda: (frozenset(machine.configuration), None, None))

    def new_instance() -> Any:
        machine = toggle()
        machine.toggle()
        return machine

    cases = {"A": build_a, "A (a counting hook, as the baseline)": build_a_counting}
    return {**cases, "B": build_b, "C": build_c}, new_instance


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
    memory: list[tuple[str, float]] = []

    def measure(name: str, machines: dict[str, Any], variants: bool = False) -> None:
        for key, build in machines.items():
            machine = key.split(" ")[0]
            if machine not in ("A", "B", "C") or (key != machine and not variants):
                continue  # one variant per library: its default
            peers.check(machine, build, name)
            label = name + key[len(machine) :]
            rows.append((machine, label, peers.bench(build)["median"]))

    baselines = {"A": peers.baseline_method_A, "B": peers.baseline_B, "C": peers.baseline_C}
    measure("hand-written baseline", baselines)
    memory.append(("hand-written baseline", peers.mem_per_instance(peers._new_table_toggle)))
    generated, new_generated = generated_cases(peers)
    measure("statewright generated class", generated, variants=True)
    memory.append(("statewright generated class", peers.mem_per_instance(new_generated)))
    measure("statewright interpreter", cases(peers))
    for label, loader in (
        ("python-statemachine", peers.psm_cases),
        ("transitions", peers.transitions_cases),
        ("sismic", peers.sismic_cases),
    ):
        try:
            machines, factories = loader()
        except ImportError as error:
            print(f"{label} not importable ({error}); its rows are empty")
            continue
        measure(label, machines)
        factory = factories if callable(factories) else next(iter(factories.values()))
        memory.append((label, peers.mem_per_instance(factory)))
    base = {m: r for m, name, r in rows if name == "hand-written baseline"}
    psm_rate = {m: r for m, name, r in rows if name == "python-statemachine"}
    print("| machine | implementation | events/s | / baseline | x python-statemachine |")
    print("|---|---|---:|---:|---:|")
    for machine, name, rate in sorted(rows, key=lambda r: r[0]):
        versus = f"{rate / psm_rate[machine]:.1f}x" if machine in psm_rate else "-"
        ratio = rate / base[machine]
        print(f"| {machine} | {name} | {peers.fmt_rate(rate)} | {ratio:.3f} | {versus} |")
    print("\n| machine A, idle instance | bytes | instances/s |")
    print("|---|---:|---:|")
    for name, figures in memory:
        print(
            f"| {name} | {figures['bytes_per_instance']:.0f} | "
            f"{peers.fmt_rate(figures['instances_per_s'])} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
