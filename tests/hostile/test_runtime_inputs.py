"""Charts the runtime must refuse, IR documents from nobody knows where, and event data that tries
to exhaust the machine (docs/security.md: "IR documents", "Event data and guards"). Each case
runs in a bounded child.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bounded import assert_handled, cli, python

# -- §3: default entries that never end ---------------------------------------------------------

CYCLES = {
    "initial-to-itself": "initial, p { p.initial, x; p.initial => p; };\ninitial => p;\n",
    "history-to-itself": (
        "initial, p { a, p.history; a => p.history: again; };\ninitial => p;\n"
        "p.history => p.history;\n"
    ),
    "two-composites": (
        "initial, p { p.initial, a; p.initial => q; }, q { q.initial, b; q.initial => p; };\n"
        "initial => p;\n"
    ),
    "through-a-parallel-region": (
        "initial, p [type=parallel] { r1 { r1.initial, x; r1.initial => p; }, r2; };\n"
        "initial => p;\n"
    ),
    "history-chain": (
        "initial, p { p.history, p.deep.history, a; a => a: go; };\ninitial => p;\n"
        "p.history => p.deep.history;\np.deep.history => p.history;\n"
    ),
}


@pytest.mark.parametrize("name", sorted(CYCLES))
def test_a_default_entry_cycle_is_an_error_everywhere(name: str, tmp_path: Path) -> None:
    chart = tmp_path / f"{name}.smcat"
    chart.write_text(CYCLES[name], "utf-8")
    checked = cli(["check", "--format", "json", chart.name], tmp_path)
    assert_handled(checked, 1)
    assert "SC031" in {d["code"] for d in json.loads(checked.stdout)}
    for command in (
        ["simulate", chart.name],
        ["compile", chart.name, "-T", "python"],
        ["compile", chart.name, "-T", "scxml"],
        ["instances", "create", chart.name, "--store", "store", "--id", "one"],
    ):
        assert_handled(cli(command, tmp_path), 1)
    # the IR of the broken chart (written: IR is data) is refused by the runtime itself
    assert_handled(cli(["compile", chart.name, "-T", "ir", "-o", "chart.ir.json"], tmp_path), 1)
    refused = cli(["simulate", "--ir", "chart.ir.json"], tmp_path)
    assert_handled(refused, 1, says="by default enters it again")


# -- §4: IR documents ---------------------------------------------------------------------------


def _nested(levels: int) -> dict[str, object]:
    machine: dict[str, object] = {"states": [{"name": "leaf", "kind": "regular"}]}
    for level in range(levels):
        machine = {"states": [{"name": f"s{level}", "kind": "regular", "machine": machine}]}
    return {"format": "statewright-ir/1", "machine": machine}


_IR = "statewright-ir/1"
DOCUMENTS: dict[str, tuple[object, str]] = {
    "not-an-object": ([1, 2], "not a statewright-ir/1 document"),
    "no-machine": ({"format": _IR}, "$: missing `machine`"),
    "states-not-a-list": ({"format": _IR, "machine": {"states": 5}}, "$.machine.states"),
    "name-not-text": (
        {"format": _IR, "machine": {"states": [{"name": 7, "kind": "regular"}]}},
        "$.machine.states[0].name",
    ),
    "unknown-kind": (
        {"format": _IR, "machine": {"states": [{"name": "a", "kind": "🙂" * 5000}]}},
        "$.machine.states[0].kind",
    ),
    "action-not-an-object": (
        {"format": _IR, "machine": {"states": [{"name": "a", "kind": "regular", "actions": [3]}]}},
        "$.machine.states[0].actions[0]",
    ),
    "dangling-target": (
        {
            "format": _IR,
            "machine": {
                "states": [{"name": "a", "kind": "regular"}],
                "transitions": [{"id": 1, "source": "a", "target": "nowhere"}],
            },
        },
        "$.machine.transitions[0].target",
    ),
    "id-a-boolean": (
        {
            "format": _IR,
            "machine": {
                "states": [{"name": "a", "kind": "regular"}],
                "transitions": [{"id": True, "source": "a", "target": "a"}],
            },
        },
        "$.machine.transitions[0].id",
    ),
    "nested-150-deep": (_nested(150), "nest more than 100 levels"),
}


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_an_ir_document_that_is_not_runnable_is_one_error(name: str, tmp_path: Path) -> None:
    document, says = DOCUMENTS[name]
    (tmp_path / "chart.ir.json").write_text(json.dumps(document), "utf-8")
    assert_handled(cli(["simulate", "--ir", "chart.ir.json"], tmp_path), 1, says=says)
    code = (
        "from statewright.runtime import ChartError, load\n"
        "try:\n    load('chart.ir.json')\nexcept ChartError as error:\n    print(error)\n"
    )
    assert_handled(python(code, tmp_path), 0, says=says)


def test_json_nested_past_the_reader_is_refused(tmp_path: Path) -> None:
    (tmp_path / "deep.ir.json").write_text("[" * 200_000 + "]" * 200_000, "utf-8")
    assert_handled(cli(["simulate", "--ir", "deep.ir.json"], tmp_path), 2, says="nested too deep")
    code = (
        "from statewright.runtime import ChartError, load\n"
        "try:\n    load('deep.ir.json')\nexcept ChartError as error:\n    print(error)\n"
    )
    assert_handled(python(code, tmp_path), 0, says="nested too deep")


# -- §4: guards over event data --------------------------------------------------------------------

GUARDED = """\
initial, waiting, taken, refused;
initial => waiting;
waiting => taken: go [{guard}];
waiting => refused: go;
taken => waiting: back;
refused => waiting: back;
"""
#: guard, and the event data (Python source, evaluated in the child)
HOSTILE_DATA = {
    "huge-integer-times-a-float": ("_event.data.x * 1.5 > 1", "{'x': 10**400}"),
    "huge-integer-arithmetic": ("_event.data.x + 1 > 1", "{'x': 10**400}"),
    "string-repeated-a-billion-times": ("_event.data.s * 1500000000 == ''", "{'s': 'ab'}"),
    "string-formatting": ("'%2000000000d' % _event.data.n == ''", "{'n': 1}"),
    "list-doubling": ("_event.data.l + _event.data.l == 1", "{'l': list(range(60_000))}"),
    "type-mismatch": ("_event.data.x < 'text'", "{'x': 1}"),
    "division-by-zero": ("1 / _event.data.x > 0", "{'x': 0}"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_DATA))
@pytest.mark.parametrize("engine", ["interpreter", "generated class"])
def test_a_guard_that_fails_is_false_and_reported(engine: str, name: str, tmp_path: Path) -> None:
    guard, data = HOSTILE_DATA[name]
    (tmp_path / "guarded.smcat").write_text(GUARDED.format(guard=guard), "utf-8")
    if engine == "interpreter":
        assert_handled(
            cli(["compile", "guarded.smcat", "-T", "ir", "-o", "g.ir.json"], tmp_path), 0
        )
        make = "from statewright.runtime import load\nmachine = load('g.ir.json')\n"
    else:
        written = cli(["compile", "guarded.smcat", "-T", "python", "-o", "g_machine.py"], tmp_path)
        assert_handled(written, 0)
        make = (
            "import sys; sys.path.insert(0, '.')\n"
            "from g_machine import GuardedMachine as Generated\nmachine = Generated()\n"
        )
    code = (
        "import json, logging\n"
        "logged = []\n"
        "class Keep(logging.Handler):\n"
        "    def emit(self, record): logged.append(record.getMessage())\n"
        "logging.getLogger('statewright').addHandler(Keep())\n"
        + make
        + "heard = []\nmachine.add_listener(heard.append)\n"
        + f"machine.start()\nmachine.send('go', **{data})\n"
        + "print(json.dumps({'configuration': machine.configuration, "
        "'heard': [h for h in heard if 'guard' in h], 'logged': logged}))\n"
    )
    result = python(code, tmp_path)
    assert_handled(result, 0)
    outcome = json.loads(result.stdout)
    assert outcome["configuration"] == ["refused"]  # the guard was false: the next branch
    if name != "type-mismatch" and name != "division-by-zero":
        (report,) = outcome["heard"]
        assert report["guard"] == guard and report["error"]
        assert any(guard in line for line in outcome["logged"])


UNREADABLE = {
    "dunder-attribute": "s.__class__.__name__ == 'str'",
    "private-key": "_event.data._secret == 1",
    "too-deep": "(" * 100 + "x" + ")" * 100 + " > 1",
    "too-long-a-chain": " + ".join(["x"] * 500) + " > 1",
    "too-many-digits": "x == " + "9" * 5000,
    "too-long": "x == '" + "a" * 5000 + "'",
}


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_a_guard_outside_the_bounds_is_refused_before_any_event(name: str, tmp_path: Path) -> None:
    """Written in SCXML (smcat's own label syntax keeps guards to 256 characters), in
    statewright's datamodel (a document that names none runs such a condition as ECMAScript,
    in its sandbox)."""
    cond = UNREADABLE[name].replace("&", "&amp;").replace("<", "&lt;").replace("'", "&apos;")
    (tmp_path / "g.scxml").write_text(
        '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" initial="a" '
        'datamodel="statewright">'
        f'<state id="a"><transition event="go" cond=\'{cond}\' target="b"/></state>'
        '<state id="b"><transition event="back" target="a"/></state></scxml>',
        "utf-8",
    )
    checked = cli(["check", "--target", "python", "--format", "json", "g.scxml"], tmp_path)
    assert_handled(checked, 1)
    assert "SC029" in {d["code"] for d in json.loads(checked.stdout)}
    assert_handled(cli(["compile", "g.scxml", "-T", "python"], tmp_path), 1)
    assert_handled(cli(["simulate", "g.scxml", "go"], tmp_path), 1)
