#!/usr/bin/env python3
"""Peer benchmark: events dispatched per second for Python state-machine libraries.

(The project's shared yardstick, kept here unchanged so statewright's figures sit beside the
peers' in one run: bench/runtime_bench.py imports it; bench/xstate_bench.mjs is its XState
counterpart.)

Runs, in ONE process, three machines on every library that is importable:

  A  flat toggle   - 2 states (off/on), one event ``toggle`` flipping them.
  B  hierarchical  - 3-level nesting A>A1>{a1a,a1b} and B>B1>{b1a,b1b}; event ``go`` is
                     declared on the outermost ancestors (A->B, B->A), so every event exits
                     3 states (leaf, middle, top) and enters 3 (top, middle, initial leaf).
                     Every state has entry/exit actions that increment counters.
  C  parallel      - one parallel state with 2 orthogonal regions, 3 states each;
                     ``e1`` cycles region 1 (a1->a2->a3->a1), ``e2`` cycles region 2;
                     the harness alternates e1, e2.

Plus hand-written pure-Python baselines ("physical limit" for CPython): a dict lookup table
``state = table[state][event]`` with a counter action (machine A), and hand-compiled
flattened tables for B and C (precomputed exit/entry action tuples).

Timing: time.perf_counter; calibrate N so one repeat lasts ~TARGET_S (calibration runs plus
one full-size warm-up run, then re-calibrate); report the median events/s of REPEATS repeats
(each repeat on the same warm instance, gc.collect() before each repeat, gc left enabled
while timing).  Every case is checked for correct semantics (active leaf states and
entry/exit counter deltas) before it is timed.

Dispatch API used (each library's documented idiom, library defaults otherwise):
  python-statemachine  sm.send("toggle")            (StateChart)
  transitions          model.toggle()               (Machine / HierarchicalMachine)
  sismic               it.queue("toggle"); it.execute_once()   (PythonEvaluator, SimulatedClock)
  Automat              machine.toggle()             (TypeMachineBuilder / MethodicalMachine)

Memory: tracemalloc, net bytes allocated while creating 10,000 machine-A instances (each
created and sent one event, so lazily built per-instance structures are included) that are
kept alive, divided by 10,000 (class/definition objects are built before measuring).
"instances/s" times the same create+1-event loop without tracemalloc.

This script installs nothing.  Missing libraries are reported and skipped.
Usage:  python peers_bench.py [--quick] [--json out.json]
"""
from __future__ import annotations

import gc
import importlib.metadata as md
import json
import platform
import statistics
import sys
import time
import tracemalloc
from typing import Callable

REPEATS = 5
TARGET_S = 0.25
MEM_N = 10_000

if "--quick" in sys.argv:
    REPEATS, TARGET_S, MEM_N = 3, 0.05, 2_000

LEAVES_B = {"a1a", "a1b", "b1a", "b1b"}


def version(dist: str) -> str:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return "not installed"


# ---------------------------------------------------------------------------
# Case protocol: build() -> object with .run(n) (dispatch n events) and .snap()
# returning (frozenset(active leaves), enters, exits).  enters/exits are None
# where the machine has no counting actions (A, C).
# ---------------------------------------------------------------------------

class Case:
    def __init__(self, run: Callable[[int], None], snap: Callable[[], tuple]):
        self.run = run
        self.snap = snap


# ----------------------------- baselines -----------------------------------

def baseline_inline_A() -> Case:
    """Ceiling: the dispatch loop itself, no method call: state = table[state][event]."""
    table = {"off": {"toggle": "on"}, "on": {"toggle": "off"}}
    st = {"state": "off", "count": 0}

    def run(n: int) -> None:
        state = st["state"]
        count = st["count"]
        t = table
        for _ in range(n):
            state = t[state]["toggle"]
            count += 1          # the "counter action", inlined
        st["state"] = state
        st["count"] = count

    return Case(run, lambda: (frozenset([st["state"]]), None, None))


class _TableToggle:
    """What a code generator could emit for A: one send() method + table + action call."""
    __slots__ = ("state", "count")

    def __init__(self) -> None:
        self.state = "off"
        self.count = 0

    def _count(self) -> None:
        self.count += 1

    _T = {"off": {"toggle": ("on", _count)}, "on": {"toggle": ("off", _count)}}

    def send(self, event: str) -> None:
        target, action = self._T[self.state][event]
        action(self)
        self.state = target


def baseline_method_A() -> Case:
    m = _TableToggle()
    send = m.send

    def run(n: int) -> None:
        for _ in range(n):
            send("toggle")

    return Case(run, lambda: (frozenset([m.state]), None, None))


def _new_table_toggle() -> _TableToggle:
    m = _TableToggle()
    m.send("toggle")
    return m


class _FlatB:
    """Hand-compiled B: leaf -> event -> (exit actions, entry actions, new leaf)."""
    __slots__ = ("leaf", "enters", "exits")

    def __init__(self) -> None:
        self.leaf = "a1a"
        self.enters = 3   # initial entry of A, A1, a1a
        self.exits = 0

    def _en(self) -> None:
        self.enters += 1

    def _ex(self) -> None:
        self.exits += 1

    _T = {
        "a1a": {"go": ((_ex, _ex, _ex), (_en, _en, _en), "b1a")},
        "a1b": {"go": ((_ex, _ex, _ex), (_en, _en, _en), "b1a")},
        "b1a": {"go": ((_ex, _ex, _ex), (_en, _en, _en), "a1a")},
        "b1b": {"go": ((_ex, _ex, _ex), (_en, _en, _en), "a1a")},
    }

    def send(self, event: str) -> None:
        exits, entries, target = self._T[self.leaf][event]
        for f in exits:
            f(self)
        for f in entries:
            f(self)
        self.leaf = target


def baseline_B() -> Case:
    m = _FlatB()
    send = m.send

    def run(n: int) -> None:
        for _ in range(n):
            send("go")

    return Case(run, lambda: (frozenset([m.leaf]), m.enters, m.exits))


class _FlatC:
    """Hand-compiled C: event -> (region index, region table)."""
    __slots__ = ("cfg",)
    _R1 = {"a1": "a2", "a2": "a3", "a3": "a1"}
    _R2 = {"b1": "b2", "b2": "b3", "b3": "b1"}
    _ROUTE = {"e1": (0, _R1), "e2": (1, _R2)}

    def __init__(self) -> None:
        self.cfg = ["a1", "b1"]

    def send(self, event: str) -> None:
        r, tbl = self._ROUTE[event]
        cfg = self.cfg
        cfg[r] = tbl[cfg[r]]


def baseline_C() -> Case:
    m = _FlatC()
    send = m.send

    def run(n: int) -> None:
        for _ in range(n // 2):
            send("e1")
            send("e2")

    return Case(run, lambda: (frozenset(m.cfg), None, None))


# ------------------------- python-statemachine -----------------------------

def psm_defs():
    from statemachine import State, StateChart

    class Toggle(StateChart):
        off = State(initial=True)
        on = State()
        toggle = off.to(on) | on.to(off)

    class Hier(StateChart):
        class A(State.Compound, enter="inc_enter", exit="inc_exit"):
            class A1(State.Compound, enter="inc_enter", exit="inc_exit"):
                a1a = State(initial=True, enter="inc_enter", exit="inc_exit")
                a1b = State(enter="inc_enter", exit="inc_exit")
                flip_a = a1a.to(a1b) | a1b.to(a1a)

        class B(State.Compound, enter="inc_enter", exit="inc_exit"):
            class B1(State.Compound, enter="inc_enter", exit="inc_exit"):
                b1a = State(initial=True, enter="inc_enter", exit="inc_exit")
                b1b = State(enter="inc_enter", exit="inc_exit")
                flip_b = b1a.to(b1b) | b1b.to(b1a)

        go = A.to(B) | B.to(A)

        def __init__(self, *a, **k):
            self.enters = 0
            self.exits = 0
            super().__init__(*a, **k)

        def inc_enter(self):
            self.enters += 1

        def inc_exit(self):
            self.exits += 1

    class Par(StateChart):
        class P(State.Parallel):
            class r1(State.Compound):
                a1 = State(initial=True)
                a2 = State()
                a3 = State()
                e1 = a1.to(a2) | a2.to(a3) | a3.to(a1)

            class r2(State.Compound):
                b1 = State(initial=True)
                b2 = State()
                b3 = State()
                e2 = b1.to(b2) | b2.to(b3) | b3.to(b1)

    return Toggle, Hier, Par


def _psm_leaves(sm) -> frozenset:
    return frozenset(s.id for s in sm.configuration if s.is_atomic)


def psm_cases():
    Toggle, Hier, Par = psm_defs()

    def A():
        sm = Toggle()
        send = sm.send

        def run(n):
            for _ in range(n):
                send("toggle")
        return Case(run, lambda: (_psm_leaves(sm), None, None))

    def B():
        sm = Hier()
        send = sm.send

        def run(n):
            for _ in range(n):
                send("go")
        return Case(run, lambda: (_psm_leaves(sm), sm.enters, sm.exits))

    def C():
        sm = Par()
        send = sm.send

        def run(n):
            for _ in range(n // 2):
                send("e1")
                send("e2")
        return Case(run, lambda: (_psm_leaves(sm), None, None))

    def new_instance():
        sm = Toggle()
        sm.send("toggle")
        return sm

    return {"A": A, "B": B, "C": C}, new_instance


# ------------------------------ transitions --------------------------------

A_STATES = ["off", "on"]
A_TRANS = [["toggle", "off", "on"], ["toggle", "on", "off"]]


class _TrModelB:
    def __init__(self):
        self.enters = 0
        self.exits = 0

    def inc_enter(self):
        self.enters += 1

    def inc_exit(self):
        self.exits += 1


def _tr_b_states():
    cb = {"on_enter": "inc_enter", "on_exit": "inc_exit"}

    def leaf(name):
        return {"name": name, **cb}

    return [
        {"name": "A", **cb, "initial": "A1", "children": [
            {"name": "A1", **cb, "initial": "a1a",
             "children": [leaf("a1a"), leaf("a1b")],
             "transitions": [["flip_a", "a1a", "a1b"], ["flip_a", "a1b", "a1a"]]}]},
        {"name": "B", **cb, "initial": "B1", "children": [
            {"name": "B1", **cb, "initial": "b1a",
             "children": [leaf("b1a"), leaf("b1b")],
             "transitions": [["flip_b", "b1a", "b1b"], ["flip_b", "b1b", "b1a"]]}]},
    ]


def _tr_c_states():
    return [{"name": "P", "parallel": [
        {"name": "r1", "initial": "a1", "children": ["a1", "a2", "a3"],
         "transitions": [["e1", "a1", "a2"], ["e1", "a2", "a3"], ["e1", "a3", "a1"]]},
        {"name": "r2", "initial": "b1", "children": ["b1", "b2", "b3"],
         "transitions": [["e2", "b1", "b2"], ["e2", "b2", "b3"], ["e2", "b3", "b1"]]},
    ]}]


def _tr_leaves(state) -> frozenset:
    def flat(x):
        if isinstance(x, (list, tuple)):
            for y in x:
                yield from flat(y)
        else:
            yield str(x).split("_")[-1]
    return frozenset(flat(state))


def transitions_cases():
    from transitions import Machine
    from transitions.extensions import HierarchicalMachine

    class M:
        pass

    def A():
        m = M()
        Machine(model=m, states=A_STATES, transitions=A_TRANS, initial="off")
        toggle = m.toggle

        def run(n):
            for _ in range(n):
                toggle()
        return Case(run, lambda: (_tr_leaves(m.state), None, None))

    def A_hsm():
        m = M()
        HierarchicalMachine(model=m, states=A_STATES, transitions=A_TRANS, initial="off")
        toggle = m.toggle

        def run(n):
            for _ in range(n):
                toggle()
        return Case(run, lambda: (_tr_leaves(m.state), None, None))

    def B():
        m = _TrModelB()
        HierarchicalMachine(model=m, states=_tr_b_states(),
                            transitions=[["go", "A", "B"], ["go", "B", "A"]], initial="A")
        go = m.go

        def run(n):
            for _ in range(n):
                go()
        return Case(run, lambda: (_tr_leaves(m.state), m.enters, m.exits))

    def C():
        m = M()
        HierarchicalMachine(model=m, states=_tr_c_states(), initial="P")
        e1, e2 = m.e1, m.e2

        def run(n):
            for _ in range(n // 2):
                e1()
                e2()
        return Case(run, lambda: (_tr_leaves(m.state), None, None))

    def new_own_machine():
        m = M()
        Machine(model=m, states=A_STATES, transitions=A_TRANS, initial="off")
        m.toggle()
        return m

    shared = Machine(model=None, states=A_STATES, transitions=A_TRANS, initial="off")

    def new_shared_model():
        m = M()
        shared.add_model(m)
        m.toggle()
        return m

    return ({"A": A, "A (HierarchicalMachine)": A_hsm, "B": B, "C": C},
            {"one Machine per instance": new_own_machine,
             "shared Machine, add_model()": new_shared_model})


# -------------------------------- sismic -----------------------------------

SISMIC_A = """
statechart:
  name: toggle
  root state:
    name: root
    initial: off
    states:
      - name: off
        transitions:
          - target: on
            event: toggle
      - name: on
        transitions:
          - target: off
            event: toggle
"""


def _sismic_state(name, initial=None, children=(), transitions=()):
    lines = [f"- name: {name}",
             "  on entry: enters += 1",
             "  on exit: exits += 1"]
    if initial:
        lines.append(f"  initial: {initial}")
    if transitions:
        lines.append("  transitions:")
        for ev, tgt in transitions:
            lines += [f"    - target: {tgt}", f"      event: {ev}"]
    if children:
        lines.append("  states:")
        for c in children:
            lines += ["    " + ln for ln in c]
    return lines


def _sismic_b_yaml():
    a1 = _sismic_state("A1", "a1a", [
        _sismic_state("a1a", transitions=[("flip_a", "a1b")]),
        _sismic_state("a1b", transitions=[("flip_a", "a1a")])])
    a = _sismic_state("A", "A1", [a1], transitions=[("go", "B")])
    b1 = _sismic_state("B1", "b1a", [
        _sismic_state("b1a", transitions=[("flip_b", "b1b")]),
        _sismic_state("b1b", transitions=[("flip_b", "b1a")])])
    b = _sismic_state("B", "B1", [b1], transitions=[("go", "A")])
    body = "\n".join("      " + ln for ln in a + b)
    return ("statechart:\n  name: hier\n  preamble: |\n    enters = 0\n    exits = 0\n"
            "  root state:\n    name: root\n    initial: A\n    states:\n" + body + "\n")


SISMIC_C = """
statechart:
  name: par
  root state:
    name: root
    initial: P
    states:
      - name: P
        parallel states:
          - name: r1
            initial: a1
            states:
              - name: a1
                transitions: [{target: a2, event: e1}]
              - name: a2
                transitions: [{target: a3, event: e1}]
              - name: a3
                transitions: [{target: a1, event: e1}]
          - name: r2
            initial: b1
            states:
              - name: b1
                transitions: [{target: b2, event: e2}]
              - name: b2
                transitions: [{target: b3, event: e2}]
              - name: b3
                transitions: [{target: b1, event: e2}]
"""


def sismic_cases():
    from sismic.interpreter import Interpreter
    from sismic.io import import_from_yaml

    sc_a = import_from_yaml(SISMIC_A)
    sc_b = import_from_yaml(_sismic_b_yaml())
    sc_c = import_from_yaml(SISMIC_C)
    leaves_a = {"off", "on"}
    leaves_c = {"a1", "a2", "a3", "b1", "b2", "b3"}

    def make(sc, events, leaves, counters):
        it = Interpreter(sc)
        it.execute()  # initial stabilisation
        q, ex = it.queue, it.execute_once

        if len(events) == 1:
            ev = events[0]

            def run(n):
                for _ in range(n):
                    q(ev)
                    ex()
        else:
            e1, e2 = events

            def run(n):
                for _ in range(n // 2):
                    q(e1)
                    ex()
                    q(e2)
                    ex()

        def snap():
            leaf = frozenset(s for s in it.configuration if s in leaves)
            if counters:
                return leaf, it.context["enters"], it.context["exits"]
            return leaf, None, None
        return Case(run, snap)

    def new_instance():
        it = Interpreter(sc_a)
        it.execute()
        it.queue("toggle")
        it.execute_once()
        return it

    return ({"A": lambda: make(sc_a, ["toggle"], leaves_a, False),
             "B": lambda: make(sc_b, ["go"], LEAVES_B, True),
             "C": lambda: make(sc_c, ["e1", "e2"], leaves_c, False)},
            new_instance)


# -------------------------------- Automat ----------------------------------

def automat_cases():
    from typing import Protocol

    from automat import MethodicalMachine, TypeMachineBuilder

    class Inputs(Protocol):
        def toggle(self) -> None: ...

    class Core:
        __slots__ = ()

    b = TypeMachineBuilder(Inputs, Core)
    off = b.state("off")
    on = b.state("on")
    off.upon(Inputs.toggle).to(on).returns(None)
    on.upon(Inputs.toggle).to(off).returns(None)
    TypedToggle = b.build()

    class MethToggle:
        _m = MethodicalMachine()

        @_m.state(initial=True, serialized="off")
        def off(self):
            "off"

        @_m.state(serialized="on")
        def on(self):
            "on"

        @_m.input()
        def toggle(self):
            "toggle"

        off.upon(toggle, enter=on, outputs=[])
        on.upon(toggle, enter=off, outputs=[])

        @_m.serializer()
        def save(self, state):
            return state

    def new_typed():
        m = TypedToggle(Core())
        m.toggle()
        return m

    def new_meth():
        m = MethToggle()
        m.toggle()   # also materialises the lazily created per-instance transitioner
        return m

    def A_typed():
        m = TypedToggle(Core())
        toggle = m.toggle

        def run(n):
            for _ in range(n):
                toggle()
        # state introspection for the correctness check only (private attribute)
        return Case(run, lambda: (frozenset([m.__automat_transitioner__._state.name]), None, None))

    def A_meth():
        m = MethToggle()
        toggle = m.toggle

        def run(n):
            for _ in range(n):
                toggle()
        return Case(run, lambda: (frozenset([m.save()]), None, None))

    return ({"A (TypeMachineBuilder)": A_typed, "A (MethodicalMachine)": A_meth},
            {"TypeMachineBuilder": new_typed, "MethodicalMachine": new_meth})


# ------------------------------- harness -----------------------------------

EXPECT = {
    # machine: list of (events to run, expected snapshot after them), applied in sequence.
    # For B the counters are deltas since construction: libraries differ on whether the
    # entry actions of the initial configuration run at construction (reported separately).
    "A": [(1, ({"on"}, None, None)), (1, ({"off"}, None, None)), (3, ({"on"}, None, None))],
    "B": [(0, ({"a1a"}, 0, 0)), (1, ({"b1a"}, 3, 3)), (1, ({"a1a"}, 6, 6)),
          (4, ({"a1a"}, 18, 18))],
    "C": [(2, ({"a2", "b2"}, None, None)), (2, ({"a3", "b3"}, None, None)),
          (2, ({"a1", "b1"}, None, None)), (6, ({"a1", "b1"}, None, None))],
}

INITIAL_ENTRIES: dict[str, int] = {}


def check(machine: str, build: Callable[[], Case], name: str = "") -> None:
    case = build()
    _, en0, ex0 = case.snap()
    if machine == "B":
        INITIAL_ENTRIES[name] = en0
    for n, (leaves, en, ex) in EXPECT[machine]:
        if n:
            case.run(n)
        got = case.snap()
        if en is not None:
            got = (got[0], got[1] - en0, got[2] - ex0)
        want = (frozenset(leaves), en, ex)
        if got != want:
            raise AssertionError(f"machine {machine}: after +{n} events got {got}, want {want}")


def bench(build: Callable[[], Case]) -> dict:
    case = build()
    run = case.run
    n = 64
    while True:                              # calibrate (doubles as warm-up)
        t0 = time.perf_counter()
        run(n)
        dt = time.perf_counter() - t0
        if dt >= TARGET_S / 5:
            break
        n *= 4
    n = max(64, int(n * TARGET_S / dt))
    t0 = time.perf_counter()
    run(n)                                   # full-size warm-up, then re-calibrate
    n = max(64, int(n * TARGET_S / (time.perf_counter() - t0)))
    n -= n % 6                               # even for C, multiple of 3 too
    rates = []
    for _ in range(REPEATS):
        gc.collect()
        t0 = time.perf_counter()
        run(n)
        rates.append(n / (time.perf_counter() - t0))
    return {"n": n, "median": statistics.median(rates), "min": min(rates), "max": max(rates)}


def mem_per_instance(factory: Callable[[], object], n: int = MEM_N) -> dict:
    keep = [factory() for _ in range(10)]     # warm any lazy class-level caches
    gc.collect()
    t0 = time.perf_counter()
    objs = [factory() for _ in range(n)]
    create_s = time.perf_counter() - t0
    del objs
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    objs = [factory() for _ in range(n)]
    used = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    del objs, keep
    gc.collect()
    return {"bytes_per_instance": used / n, "instances_per_s": n / create_s}


def fmt_rate(r: float) -> str:
    if r >= 1e6:
        return f"{r / 1e6:.2f} M"
    if r >= 1e3:
        return f"{r / 1e3:.1f} k"
    return f"{r:.0f}"


def main() -> int:
    libs: list[tuple[str, str, Callable]] = [
        ("python-statemachine", "python-statemachine", psm_cases),
        ("transitions", "transitions", transitions_cases),
        ("sismic", "sismic", sismic_cases),
        ("Automat", "automat", automat_cases),
    ]
    print(f"# peers_bench  python {platform.python_version()} ({platform.python_implementation()})"
          f"  {platform.machine()}  repeats={REPEATS} target={TARGET_S}s/repeat")
    rows: list[tuple[str, str, str, dict | str]] = []
    mem_rows: list[tuple[str, str, dict]] = []
    versions = {}

    base_cases = [("baseline: inline table loop", "A", baseline_inline_A),
                  ("baseline: generated-class send()", "A", baseline_method_A),
                  ("baseline: hand-compiled flat table", "B", baseline_B),
                  ("baseline: hand-compiled flat table", "C", baseline_C)]
    for name, mach, build in base_cases:
        check(mach, build, name)
        rows.append((name, "-", mach, bench(build)))
    mem_rows.append(("baseline: generated-class (__slots__)", "-",
                     mem_per_instance(_new_table_toggle)))

    for label, dist, loader in libs:
        ver = version(dist)
        versions[label] = ver
        try:
            cases, mem_factories = loader()
        except ImportError as exc:
            print(f"!! {label}: not importable ({exc}); skipped")
            continue
        for key in ("A", "B", "C"):
            if not any(k.split(" ")[0] == key for k in cases):
                rows.append((label, ver, key, "n/a: flat FSMs only (no hierarchy/parallel)"))
        for key, build in cases.items():
            mach = key.split(" ")[0]
            variant = key[len(mach):].strip(" ()")
            name = f"{label} ({variant})" if variant else label
            try:
                check(mach, build, name)
            except Exception as exc:  # noqa: BLE001 - report, don't abort the run
                rows.append((name, ver, mach, f"FAILED check: {exc!r}"))
                continue
            rows.append((name, ver, mach, bench(build)))
        if callable(mem_factories):
            mem_factories = {"": mem_factories}
        for variant, fac in mem_factories.items():
            name = f"{label} ({variant})" if variant else label
            mem_rows.append((name, ver, mem_per_instance(fac)))

    order = {"A": 0, "B": 1, "C": 2}
    rows.sort(key=lambda r: order[r[2]])
    print("\n## Events dispatched per second (median of %d)\n" % REPEATS)
    print("| machine | implementation | version | events/s (median) | min..max | N/repeat |")
    print("|---|---|---|---:|---|---:|")
    results = []
    for name, ver, mach, res in rows:
        if isinstance(res, str):
            print(f"| {mach} | {name} | {ver} | {res} | | |")
            results.append({"machine": mach, "impl": name, "version": ver, "note": res})
        else:
            print(f"| {mach} | {name} | {ver} | {fmt_rate(res['median'])} | "
                  f"{fmt_rate(res['min'])}..{fmt_rate(res['max'])} | {res['n']} |")
            results.append({"machine": mach, "impl": name, "version": ver, **res})
    print(f"\n## Machine A: memory per instance ({MEM_N} live instances, tracemalloc)\n")
    print("| implementation | version | bytes/instance | create+1 event /s |")
    print("|---|---|---:|---:|")
    for name, ver, m in mem_rows:
        print(f"| {name} | {ver} | {m['bytes_per_instance']:.0f} | {fmt_rate(m['instances_per_s'])} |")
    print("\nMachine B, entry actions run for the initial configuration at construction: "
          + ", ".join(f"{k}={v}" for k, v in INITIAL_ENTRIES.items()))
    if "--json" in sys.argv:
        path = sys.argv[sys.argv.index("--json") + 1]
        with open(path, "w") as fh:
            json.dump({"python": platform.python_version(), "versions": versions,
                       "rates": results,
                       "memory": [{"impl": n, "version": v, **m} for n, v, m in mem_rows]},
                      fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
