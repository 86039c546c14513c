"""Chart text never becomes code (docs/security.md, "Chart files").

Hostile strings (quotes of every kind, triple quotes, backslashes, line breaks of every kind,
NUL, template syntax, comment starts, and whole Python statements) in every place a chart
holds text (state names, events, guards' string literals, actions, activities, invoke and
compensation names, notes), written as smcat text, YAML and SCXML and read by statewright's
own readers. For every chart the checker lets through, the generated module must compile, hold
only the statements the template writes (tests/hostile/shape.py), and import without effect:
all modules are imported in one bounded child whose working folder must stay empty.
"""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from bounded import assert_handled, python
from shape import skeletons
from statewright.compiler import parse
from statewright.compiler.emit import python as python_emitter
from statewright.compiler.emit.escape import ecmascript_string
from statewright.compiler.emit.smcat import emit as smcat_text
from statewright.compiler.ir import Action, ActionKind, Chart, Region, State, Transition
from statewright.compiler.names import SCXML_NS, SW_NS
from statewright.compiler.notation import js_trim
from statewright.compiler.pipeline import diagnose_file
from testkit import EXAMPLES, GOLDEN, chart_of

EXAMPLES_PER_RUN = int(os.environ.get("STATEWRIGHT_INJECTION_EXAMPLES", "2000"))

PAYLOADS = [
    '"""\nopen("pwned", "w")\n"""',
    "'''\nopen('pwned', 'w')\n'''",
    "')\nopen('pwned', 'w')\n('",
    '")\nopen("pwned", "w")\n("',
    '\\\nopen("pwned", "w")  #',
    '"; open("pwned", "w"); "',
    "{{ open('pwned', 'w') }}",
    '`open("pwned", "w")`',
]
FRAGMENTS = [
    *PAYLOADS,
    '"',
    "'",
    '"""',
    "'''",
    "\\",
    '\\"',
    "\n",
    "\r",
    "\r\n",
    "\u2028",
    "\u2029",
    "\x00",
    "\x1b[2J",
    "\u202e",
    "\x85",
    "{{",
    "}}",
    "{%",
    "#",
    "# ",
    "//",
    "/*",
    "*/",
    "</",
    "<!--",
    "]]>",
    "&amp;",
    "%s",
    "\t",
    "é",
    "😀",
    ";",
    ",",
    ":",
    "=>",
    "[",
    "]",
    "{",
    "}",
    "/",
]
_TEXT = st.lists(
    st.one_of(
        st.sampled_from(FRAGMENTS),
        st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=3),
    ),
    min_size=1,
    max_size=4,
).map("".join)


@st.composite
def _specs(draw: st.DrawFn) -> dict[str, Any]:
    """A chart's text: a ring of states with an event, a guard and an action per transition,
    an activity per state, and now and then an invoked machine and a compensation. Each name
    starts with its role and number, so that names stay distinct as Python identifiers."""
    count = draw(st.integers(2, 4))
    return {
        "states": [f"s{i}_{draw(_TEXT)}" for i in range(count)],
        "events": [f"e{i}_{draw(_TEXT)}" for i in range(count)],
        "guards": [draw(_TEXT) for _ in range(count)],
        "actions": [f"a{i}_{draw(_TEXT)}" for i in range(count)],
        "activities": [f"b{i}_{draw(_TEXT)}" for i in range(count)],
        "notes": [draw(_TEXT) for _ in range(count)],
        "invoke": draw(st.one_of(st.none(), _TEXT.map(lambda t: f"v0_{t}"))),
        "compensate": draw(st.one_of(st.none(), _TEXT.map(lambda t: f"c0_{t}"))),
    }


def _guard(text: str) -> str:
    """A guard comparing with a string literal that holds `text`."""
    escaped = text.replace("\\", "\\\\").replace("'", "\\'")
    return f"flag == '{escaped}'"


def _activities(spec: dict[str, Any], index: int) -> list[tuple[str, str]]:
    found = [("entry", spec["activities"][index])]
    if index == 0 and spec["invoke"]:
        found.append(("activity", f"invoke/ {spec['invoke']}"))
    if index == 1 and spec["compensate"]:
        found.append(("activity", f"compensate/ {spec['compensate']}"))
    return found


def _as_smcat(spec: dict[str, Any]) -> tuple[bytes, str]:
    # smcat has no way to write a quoted text that ends in a backslash (UnwritableText)
    spec = {
        key: (
            [_no_final_backslash(v) for v in value]
            if isinstance(value, list)
            else value and _no_final_backslash(value)
        )
        for key, value in spec.items()
    }
    states = spec["states"]
    chart = Chart(
        Region(
            tuple(
                State(
                    name,
                    actions=tuple(Action(ActionKind(k), b) for k, b in _activities(spec, i)),
                    notes=(spec["notes"][i],),
                )
                for i, name in enumerate(states)
            ),
            tuple(
                Transition(
                    i + 1,
                    name,
                    states[(i + 1) % len(states)],
                    # what an smcat label can hold (more is refused: UnwritableText): an
                    # event without `[` or `/`, a guard without `]`, an action of one line
                    event=_one_line(spec["events"][i], "[]/"),
                    guard=_guard(spec["guards"][i].replace("]", " ")),
                    action=_one_line(spec["actions"][i]),
                )
                for i, name in enumerate(states)
            ),
        )
    )
    return smcat_text(chart).encode("utf-8"), "chart.smcat"


def _no_final_backslash(text: str) -> str:
    return text.rstrip("\\") or "x"


def _one_line(text: str, also: str = "") -> str:
    """`text` as the YAML form lets it through (it refuses, with Y003, actions, notes and
    labels that smcat would read differently): line breaks and smcat's label punctuation
    folded to blanks, every other hostile character kept."""
    breaks = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029" + also
    return js_trim("".join(" " if c in breaks else c for c in text)) or "x"


def _as_yaml(spec: dict[str, Any]) -> tuple[bytes, str]:
    label = "[]/;{"
    spec = {
        **spec,
        "events": [_one_line(e, label) for e in spec["events"]],
        "guards": [_one_line(g, label) for g in spec["guards"]],
        "actions": [_one_line(a, label) for a in spec["actions"]],
        "activities": [_one_line(a, ",;{") for a in spec["activities"]],
        "notes": [_one_line(n) for n in spec["notes"]],
        "invoke": spec["invoke"] and _one_line(spec["invoke"], ",;{"),
        "compensate": spec["compensate"] and _one_line(spec["compensate"], ",;{"),
    }
    states = spec["states"]
    document = {
        "states": [
            {
                "name": name,
                "type": "regular",
                "note": spec["notes"][i],
                "entry": spec["activities"][i],
                "activities": [b for k, b in _activities(spec, i) if k == "activity"],
            }
            for i, name in enumerate(states)
        ],
        "transitions": [
            {
                "from": name,
                "to": states[(i + 1) % len(states)],
                "event": spec["events"][i],
                "guard": _guard(spec["guards"][i]),
                "action": spec["actions"][i],
            }
            for i, name in enumerate(states)
        ],
    }
    return yaml.safe_dump(document, allow_unicode=True).encode("utf-8"), "chart.yaml"


def _as_scxml(spec: dict[str, Any]) -> tuple[bytes, str]:
    """A document as `-T scxml` writes one (the `sw:` names carry the text), with every
    string XML 1.0 can hold."""

    def xml(text: str) -> str:
        return "".join(c for c in text if c in "\t\n\r" or (" " <= c <= "\ud7ff") or c > "\ue000")

    q = f"{{{SCXML_NS}}}"
    root = etree.Element(q + "scxml", nsmap={None: SCXML_NS, "sw": SW_NS}, version="1.0")
    states = spec["states"]
    root.set("initial", "s0")
    for i, name in enumerate(states):
        state = etree.SubElement(root, q + "state", id=f"s{i}")
        state.set(f"{{{SW_NS}}}name", xml(name))
        entry = etree.SubElement(state, q + "onentry")
        for kind, body in _activities(spec, i):
            etree.SubElement(entry, q + "log", label=kind, expr=ecmascript_string(xml(body)))
        transition = etree.SubElement(
            state, q + "transition", event=f"e{i}", target=f"s{(i + 1) % len(states)}"
        )
        transition.set(f"{{{SW_NS}}}event-name", xml(spec["events"][i]))
        transition.set("cond", xml(_guard(spec["guards"][i])))
        etree.SubElement(
            transition, q + "log", label="action", expr=ecmascript_string(xml(spec["actions"][i]))
        )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8"), "chart.scxml"


ROUTES = {"smcat": _as_smcat, "yaml": _as_yaml, "scxml": _as_scxml}


def _reference_charts() -> list[Chart]:
    """Ordinary charts whose modules show every form the template writes."""
    charts = [chart_of(case) for case in sorted(GOLDEN.glob("1[12]?-behaviour-*.smcat"))]
    charts += [chart_of(path) for path in sorted(EXAMPLES.glob("*.smcat"))]
    for text in (
        "a;",  # no events, no hooks
        "a: entry/ x, b; a => b: go;",  # a hook, no guards
        "a: invoke/ pay, b; a => b: done.invoke.pay;",  # an invoked machine
        "a: compensate/ undo, b: rollback/; a => b: fail [n > 1];",  # sagas, a guard name
        "a, b; a => b: go [_event.data.x + 1 > 2]; b => a: back [In('a')];",
    ):
        chart, _ = parse(text, "reference.smcat")
        assert chart is not None
        charts.append(chart)
    return charts


@pytest.fixture(scope="module")
def template_forms() -> set[str]:
    forms: set[str] = set()
    for chart in _reference_charts():
        forms.update(skeletons(python_emitter.emit(chart, {"name": "reference"})))
    return forms


@pytest.mark.slow
def test_no_chart_text_becomes_code(tmp_path: Path, template_forms: set[str]) -> None:
    modules = tmp_path / "modules"
    modules.mkdir()
    reached: dict[str, int] = dict.fromkeys(ROUTES, 0)

    @settings(
        max_examples=EXAMPLES_PER_RUN,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(spec=_specs(), route=st.sampled_from(sorted(ROUTES)))
    def generated_code_holds_no_chart_text(spec: dict[str, Any], route: str) -> None:
        data, name = ROUTES[route](spec)
        _, chart, diagnostics = diagnose_file(data, name, target="python")
        # refused with a diagnostic: nothing is generated. SC021 (hostile text that spans
        # lines and holds an arrow) is about what the chart means, not about code: such text
        # is exactly what the emitter must keep as data, so it is emitted all the same
        if chart is None or any(d.is_error and d.code != "SC021" for d in diagnostics):
            return
        source = python_emitter.emit(chart, {"name": "hostile"})
        compile(source, name, "exec")
        unknown = [form for form in skeletons(source) if form not in template_forms]
        assert not unknown, (spec, unknown[:1])
        reached[route] += 1
        (modules / f"m{sum(reached.values())}.py").write_text(source, "utf-8")

    generated_code_holds_no_chart_text()
    # most hostile charts are valid charts: each route must have generated many modules
    assert all(count >= EXAMPLES_PER_RUN // 20 for count in reached.values()), reached

    sandbox = tmp_path / "sandbox"
    sandbox.mkdir()
    importer = (
        "import importlib.util, json, pathlib\n"
        f"folder = pathlib.Path({str(modules)!r})\n"
        "for path in sorted(folder.glob('m*.py')):\n"
        "    spec = importlib.util.spec_from_file_location(path.stem, path)\n"
        "    module = importlib.util.module_from_spec(spec)\n"
        "    spec.loader.exec_module(module)\n"
        "print(json.dumps(len(list(folder.glob('m*.py')))))\n"
    )
    result = python(importer, sandbox)
    assert_handled(result, 0)
    assert json.loads(result.stdout) == sum(reached.values())
    assert list(sandbox.iterdir()) == []  # the payloads would have written `pwned` here
    assert result.stderr == ""


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("route", sorted(ROUTES))
def test_each_payload_in_every_place_is_data(
    route: str, payload: str, template_forms: set[str], tmp_path: Path
) -> None:
    """The payloads alone, in every place at once, through each reader: a module that
    compiles to the template's statements and imports without effect (quick, not slow)."""
    spec = {
        "states": [f"s0_{payload}", f"s1_{payload}"],
        "events": [f"e0_{payload}", f"e1_{payload}"],
        "guards": [payload, payload],
        "actions": [f"a0_{payload}", f"a1_{payload}"],
        "activities": [f"b0_{payload}", f"b1_{payload}"],
        "notes": [payload, payload],
        "invoke": f"v0_{payload}",
        "compensate": f"c0_{payload}",
    }
    data, name = ROUTES[route](spec)
    _, chart, diagnostics = diagnose_file(data, name, target="python")
    if chart is None or any(d.is_error for d in diagnostics):
        # refused with a diagnostic (YAML keeps an action to one line, as smcat does): safe
        assert any(d.is_error for d in diagnostics)
        return
    source = python_emitter.emit(chart, {"name": "hostile"})
    assert [f for f in skeletons(source) if f not in template_forms] == []
    strings = [n.value for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Constant)]
    assert any(isinstance(s, str) and "pwned" in s for s in strings)  # it is there, as data
    module = tmp_path / "hostile_machine.py"
    module.write_text(source, "utf-8")
    sandbox = tmp_path / "sandbox"
    sandbox.mkdir()
    result = python(f"import runpy; runpy.run_path({str(module)!r})", sandbox)
    assert_handled(result, 0)
    assert list(sandbox.iterdir()) == []
