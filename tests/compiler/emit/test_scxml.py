"""`-T scxml`: golden files, W3C schema validity, and the same behaviour on an independent engine
(python-statemachine 3.x loads the export; configurations are compared with ones worked out by
hand). Other engines: tests/interop/; import: tests/compiler/read/test_scxml_import.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from statewright.compiler import parse
from statewright.compiler.check import check
from statewright.compiler.emit import scxml
from statewright.runtime.timers import delay_ms
from testkit import EXAMPLES, ROOT, GoldenCompare, chart_of, golden_cases

XSD = ROOT / "tests" / "data" / "scxml-xsd" / "scxml.xsd"  # W3C's schema (its README)
CASES = golden_cases()


_chart = chart_of


def _well_formed() -> list[Path]:
    return [
        p
        for p in CASES + sorted(EXAMPLES.glob("*.smcat"))
        if not any(d.is_error for d in check(_chart(p)))
    ]


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_golden_scxml(case: Path, golden: GoldenCompare) -> None:
    text = scxml.emit(_chart(case))
    expected = case.with_suffix(".scxml")
    golden(text, expected)


def test_every_well_formed_chart_validates_against_the_w3c_schema() -> None:
    import xmlschema

    schema = xmlschema.XMLSchema10(str(XSD))
    invalid = []
    for case in _well_formed():
        document = scxml.emit(_chart(case))
        errors = list(schema.iter_errors(document))
        if errors:
            invalid.append((case.name, errors[0].reason))
    assert invalid == []


def _load(text: str, tmp_path: Path, name: str) -> type:
    io = pytest.importorskip("statemachine.io")
    path = tmp_path / f"{name}.scxml"
    path.write_text(text, "utf-8")
    return io.load(str(path))  # type: ignore[no-any-return]


def _portable() -> list[Path]:
    """Well-formed charts with states and only portable guards (the interop contract).

    Left out, and why: charts with errors (compile refuses SCXML for them), empty charts
    (python-statemachine cannot start a machine without states), and charts with a guard outside
    the portable subset (SC026: exported verbatim, so only an engine that reads it can run it),
    and charts whose timed events wait more than a second (python-statemachine's synchronous
    start sleeps until a delayed send is due: `examples/reconcile.smcat` would take 30 s).
    """
    chosen = []
    for case in _well_formed():
        chart = _chart(case)
        if not chart.states():
            continue
        if any(d.code == "SC026" for d in check(chart, target="scxml")):
            continue
        if any((delay_ms(t.event or "") or 0) > 1000 for t in chart.transitions()):
            continue
        chosen.append(case)
    return chosen


LOADER = """
import json, signal, sys
import statemachine.io as io

def alarm(*_):
    raise TimeoutError("no stable configuration within 5 s")

signal.signal(signal.SIGALRM, alarm)
results = {}
for path in sys.argv[1:]:
    signal.alarm(5)
    try:
        machine = io.load(path)()
        results[path] = sorted(s.id for s in machine.configuration)
    except BaseException as error:
        results[path] = f"{type(error).__name__}: {str(error)[:160]}"
    finally:
        signal.alarm(0)
print("RESULTS " + json.dumps(results))  # <log> actions print too
"""


def test_python_statemachine_starts_every_portable_chart(tmp_path: Path) -> None:
    pytest.importorskip("statemachine.io")
    paths = []
    for case in _portable():
        path = tmp_path / f"{case.stem}.scxml"
        path.write_text(scxml.emit(_chart(case)), "utf-8")
        paths.append(str(path))
    assert len(paths) >= 80
    result = subprocess.run(
        [sys.executable, "-c", LOADER, *paths],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    (line,) = [x for x in result.stdout.splitlines() if x.startswith("RESULTS ")]
    outcome = json.loads(line.removeprefix("RESULTS "))
    failures = {Path(p).stem: v for p, v in outcome.items() if isinstance(v, str)}
    assert failures == {}
    assert all(outcome[p] for p in paths)  # every machine is in some state


PIPELINE = """\
initial, work, ^check, ]split, ]sync, final, stopped [type=terminate],
both [type=parallel] {
    left { upload => ]sync: sent; },
    right { index => ]sync: indexed; };
};

initial => work;
work => ^check: submit;
^check => ]split: [ok];
^check => stopped: [else] / alarm;
]split => upload;
]split => index;
]sync => final;
"""


def _configuration(machine: object) -> list[str]:
    return sorted(s.id for s in machine.configuration)  # type: ignore[attr-defined]


def test_choice_fork_and_join_behave_the_same_on_python_statemachine(tmp_path: Path) -> None:
    chart, _ = parse(PIPELINE)
    assert chart is not None and not [d for d in check(chart) if d.is_error]
    machine_class = _load(scxml.emit(chart), tmp_path, "pipeline")

    refused = machine_class()
    assert _configuration(refused) == ["work"]
    refused.send("submit")
    assert _configuration(refused) == ["stopped"]  # [else] taken: the guard `ok` is false

    # a class of its own: python-statemachine 3.2.2 runs a document's <datamodel> for the
    # first instance of a loaded class only (the second starts without `sw_join_1`)
    accepted = _load(scxml.emit(chart), tmp_path, "pipeline2")()
    accepted.model.ok = True
    accepted.send("submit")  # choice -> fork: both regions entered at once
    assert _configuration(accepted) == ["both", "index", "left", "right", "upload"]
    accepted.send("indexed")  # one leg arrived: its source stays active, no marker state
    assert _configuration(accepted) == ["both", "index", "left", "right", "upload"]
    accepted.send("sent")  # both arrived: the join fires
    assert _configuration(accepted) == ["final"]


def test_ids_are_ncnames_and_names_are_kept() -> None:
    chart, _ = parse('"state one" => ^pick;\n^pick => 2nd: [else];\n')
    assert chart is not None
    text = scxml.emit(chart)
    assert 'id="state_one" sw:name="state one"' in text
    assert 'id="pick" sw:name="^pick"' in text
    assert 'id="s_2nd" sw:name="2nd"' in text
    assert scxml.ncname("_check") == "check" and scxml.event_name("caps lock") == "caps_lock"


def test_internal_self_transition_has_no_target() -> None:
    chart, _ = parse("a => a [type=internal]: tick / count;\n")
    assert chart is not None
    text = scxml.emit(chart)
    assert '<transition event="tick">' in text and "target" not in text.split("tick")[1][:40]


def test_no_statewright_attribute_shares_a_local_name_with_an_scxml_attribute() -> None:
    """python-statemachine reads attributes by local name, so `sw:cond` would be read as
    `cond` (it was, once): our attributes must not share names with the attributes SCXML gives
    the elements we put them on (`sw:name`, which the issue names, is never put on `<scxml>`, the
    one element here with a `name`)."""
    from lxml import etree

    scxml_attributes = {
        "id", "initial", "event", "cond", "target", "type", "expr", "label", "src",
        "location", "delay", "sendid", "version", "datamodel", "binding",
    }  # fmt: skip
    ours = set()
    for case in CASES:
        root = etree.fromstring(scxml.emit(_chart(case)).encode())
        assert root.get(f"{{{scxml.SW_NS}}}name") is None
        for element in root.iter():
            ours |= {
                etree.QName(a).localname
                for a in element.attrib
                if a.startswith(f"{{{scxml.SW_NS}}}")
            }
    assert ours and ours.isdisjoint(scxml_attributes), ours & scxml_attributes


WORDY_GUARDS = """\
initial, idle, fast, slow, picked, rejected;

initial => idle;
idle => fast: go [ready and count > 1];
idle => slow: go [ready or count == 5];
idle => picked: pick [In("idle") and True];
idle => rejected: go;
"""


def test_guards_in_python_spelling_are_exported_in_the_portable_subset(tmp_path: Path) -> None:
    """`and`/`or`/`True`/double quotes become `&&`/`||`/`true`/single quotes on export (no
    SC026); the text as written rides along in sw:cond, so importing gives it back; and
    python-statemachine takes the same branches as the interpreter."""
    from statewright.compiler.guards import ecmascript
    from statewright.compiler.read.scxml import read as read_scxml
    from statewright.runtime import load

    assert ecmascript("a and b or c") == "(a && b) || c"
    assert ecmascript("x > 2 or not y") is None  # `!` is outside the subset
    assert ecmascript("a + 1 > 2") is None and ecmascript("order.total > 3") is None
    assert ecmascript("In('^pick')", lambda name: name.lstrip("^")) == "In('pick')"
    assert ecmascript("x == 'kept as written'") == "x == 'kept as written'"
    chart, _ = parse(WORDY_GUARDS)
    assert chart is not None
    assert [d.code for d in check(chart, target="scxml") if d.code == "SC026"] == []
    document = scxml.emit(chart)
    assert 'cond="ready &amp;&amp; (count &gt; 1)"' in document
    assert 'sw:cond="ready and count &gt; 1"' in document
    back, diagnostics = read_scxml(document.encode(), "wordy.scxml")
    assert back is not None and [d.code for d in diagnostics] == []
    assert [t.guard for t in back.transitions()] == [t.guard for t in chart.transitions()]

    from statewright.compiler import ir_document

    for ready, count in ((0, 0), (1, 2), (1, 5), (1, 1)):
        machine_class = _load(document, tmp_path, f"wordy_{ready}_{count}")
        engine = machine_class()
        engine.model.ready, engine.model.count = ready, count
        engine.send("go")
        ours = load(json.loads(ir_document.emit(chart)), context={"ready": ready, "count": count})
        ours.start().send("go")
        assert _configuration(engine) == ours.configuration, (ready, count)
