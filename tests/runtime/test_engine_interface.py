"""The interpreter's collaborators use a machine only through `runtime.running.Engine` (issue 34,
item 3): no runtime module outside the interpreter and its mixins reaches an underscore member
of `Machine` that the protocol does not name, and the running state is one `RunState`."""

from __future__ import annotations

import ast
import dataclasses

from statewright.compiler import ir_document, parse
from statewright.runtime import Machine, load
from statewright.runtime.running import RunState
from testkit import ROOT, TOGGLE

#: `Machine` itself: the class and the mixins it is made of
MACHINE_MODULES = {"interpreter.py", "scheduling.py", "actors.py", "introspect.py"}


def _toggle() -> Machine:
    chart, diagnostics = parse(TOGGLE)
    assert chart is not None, diagnostics
    return load(ir_document.to_document(chart), partial=True)


def _engine_members() -> set[str]:
    tree = ast.parse((ROOT / "runtime" / "running.py").read_text("utf-8"))
    engine = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Engine")
    names = set()
    for item in engine.body:
        if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            names.add(item.target.id)
        elif isinstance(item, ast.FunctionDef):
            names.add(item.name)
    return names


def _machine_private() -> set[str]:
    machine = _toggle()
    names = set(vars(machine)) | {n for c in Machine.__mro__ for n in vars(c)}
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


def test_collaborators_reach_only_what_the_engine_protocol_names() -> None:
    private = _machine_private() - _engine_members()
    assert "_step" in private and "_session" not in private  # the sets mean what they say
    reached = []
    for path in sorted((ROOT / "runtime").rglob("*.py")):
        if path.name in MACHINE_MODULES or "build" in path.relative_to(ROOT).parts[1:2]:
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in private
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
            ):
                reached.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}")
    assert reached == []


def test_the_running_state_is_one_record_that_snapshots_round_trip() -> None:
    machine = _toggle()
    machine.start()
    machine.send("flip")
    record = machine.run_state
    assert isinstance(record, RunState)
    assert {f.name for f in dataclasses.fields(RunState)} >= {
        "configuration",
        "history",
        "arrived",
        "internal",
        "external",
        "timers",
        "event_data",
    }
    assert not set(vars(machine)) & {"_configuration", "_timers", "_history", "_external"}
    assert machine.configuration == ["on"]
    again = Machine(machine.model, partial=True).restore(machine.snapshot())
    assert again.run_state.configuration == record.configuration
    assert again.run_state is not record
