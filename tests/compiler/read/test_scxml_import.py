"""SCXML import: every golden chart comes back from its SCXML export, hostile XML is refused with
a diagnostic (never a traceback, never an entity expanded), and what the IR has no place for is
reported with its line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from statewright.compiler.emit import scxml
from statewright.compiler.ir import Chart
from statewright.compiler.pipeline import diagnose
from statewright.compiler.read.scxml import read as read_scxml
from testkit import ROOT, chart_of, golden_cases

# The documented desugaring (docs/scxml.md, "Import"): what a round trip does not give back.
NOT_EXPORTED = {
    "050-type-fork": "a fork nothing enters is not exported (no transition carries its targets)",
}


def canonical(chart: Chart) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """A chart's behaviour as data: each state (name, kind, parent, entry-side then exit
    activities) and each transition (source, target, event, guard, action, type). Left out, as
    the import cannot know them: spans, notes, colours, classes, labels as written, which
    composite a transition was written in, transition ids and their order."""
    states = []
    for state, parent in chart.walk():
        actions = [a for a in state.actions if a.body.strip()]
        entry = [(a.kind.value, a.body) for a in actions if a.kind.value != "exit"]
        exits = [(a.kind.value, a.body) for a in actions if a.kind.value == "exit"]
        states.append((state.name, state.kind.value, parent, tuple(entry + exits)))
    transitions = [
        (
            t.source,
            t.target,
            t.event or None,  # an empty event is no event: eventless in SCXML
            t.guard,
            t.action,
            t.kind.value if t.kind else "external",
        )
        for t in chart.transitions()
    ]
    return sorted(states, key=repr), sorted(transitions, key=repr)


@pytest.mark.parametrize("case", golden_cases(), ids=lambda p: p.stem)
def test_export_then_import_gives_the_chart_back(case: Path) -> None:
    chart = chart_of(case)
    back, diagnostics = read_scxml(scxml.emit(chart).encode(), f"{case.stem}.scxml")
    assert back is not None and diagnostics == []
    if case.stem in NOT_EXPORTED:
        assert canonical(back) != canonical(chart)
        return
    assert canonical(back) == canonical(chart)


def _codes(document: str | bytes) -> tuple[Chart | None, list[str]]:
    data = document.encode() if isinstance(document, str) else document
    chart, diagnostics = diagnose(data, "input.scxml", language="scxml")
    return chart, [d.code for d in diagnostics]


def test_an_undeclared_entity_is_an_xml_error_not_a_lookup() -> None:
    chart, codes = _codes(
        '<scxml xmlns="http://www.w3.org/2005/07/scxml"><state id="&x;"/></scxml>'
    )
    assert chart is None and codes == ["I001"]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b"", "not well-formed XML"),
        (b"\x00\xff\xfe binary", "not well-formed XML"),
        (b"<scxml><state id='a'>", "not well-formed XML"),
        (b"<html xmlns='http://www.w3.org/1999/xhtml'/>", "not SCXML's <scxml>"),
        (b"<scxml version='1.0'/>", "not SCXML's <scxml>"),  # no namespace
    ],
)
def test_what_is_not_scxml_is_one_error(document: bytes, message: str) -> None:
    chart, diagnostics = read_scxml(document, "input.scxml")
    assert chart is None
    assert [d.code for d in diagnostics] == ["I001"] and message in diagnostics[0].message


def test_deep_nesting_and_large_files_are_refused() -> None:
    deep = (
        '<scxml xmlns="http://www.w3.org/2005/07/scxml">'
        + "".join(f'<state id="s{i}">' for i in range(150))
        + "</state>" * 150
        + "</scxml>"
    )
    assert _codes(deep) == (None, ["I001"])
    huge = b'<scxml xmlns="http://www.w3.org/2005/07/scxml">' + b" " * (11 * 1024 * 1024)
    assert _codes(huge) == (None, ["I001"])


FOREIGN = """\
<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" initial="idle" datamodel="ecmascript">
  <datamodel><data id="count" expr="3"/></datamodel>
  <script>var x = 1;</script>
  <state id="idle">
    <onentry><raise event="ready"/></onentry>
    <transition event="start go" target="busy" cond="count &gt; 2"/>
  </state>
  <state id="busy">
    <invoke type="http://www.w3.org/TR/scxml/" src="child.scxml"/>
    <transition event="stop" target="idle" cond="count.toString() == '3'">
      <assign location="count" expr="0"/>
    </transition>
    <transition event="split" target="left right"/>
  </state>
  <parallel id="both"><state id="left"/><state id="right"/></parallel>
</scxml>
"""


def test_unsupported_constructs_are_reported_at_their_line() -> None:
    chart, diagnostics = read_scxml(FOREIGN.encode(), "foreign.scxml")
    assert chart is not None
    found = sorted((d.code, d.span.line, d.message.split(" ")[0]) for d in diagnostics)
    assert found == [
        ("I003", 9, "`child.scxml`"),  # no such file beside the document
        ("I005", 10, "the"),  # a condition outside the portable subset
    ]
    # executable content and data are imported (docs/ir.md): the datamodel, <data>, the
    # top-level <script>, each block with the text it shows
    assert chart.datamodel is not None
    assert json.loads(chart.datamodel) == {
        "data": [{"expr": "3", "id": "count"}],
        "language": "ecmascript",
        "scripts": ["var x = 1;"],
    }
    (entry,) = chart.state("idle").actions
    assert entry.body == "raise ready"
    assert json.loads(entry.content or "") == [{"do": "raise", "event": "ready"}]
    (stop,) = [t for t in chart.transitions() if t.event == "stop"]
    assert stop.action == "count = 0"
    assert json.loads(stop.content or "") == [{"do": "assign", "expr": "0", "location": "count"}]
    # what could be read is there: two events are two transitions, two targets a fork
    transitions = {(t.source, t.target, t.event, t.guard) for t in chart.transitions()}
    assert ("idle", "busy", "start", "count > 2") in transitions
    assert ("idle", "busy", "go", "count > 2") in transitions
    assert ("busy", "]busy.fork", "split", None) in transitions
    assert {("]busy.fork", "left", None, None), ("]busy.fork", "right", None, None)} <= transitions
    assert chart.state("initial").kind.value == "initial"
    assert chart.state("both").kind.value == "parallel"


def test_the_cli_imports_to_smcat_and_reports_bad_input_without_a_traceback(
    tmp_path: Path,
) -> None:
    source = tmp_path / "foreign.scxml"
    source.write_text(FOREIGN, "utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "statewright", "import", str(source)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert "idle => busy: start [count > 2];" in run.stdout
    assert "warning[I003]: `child.scxml` is not read" in run.stderr
    assert f"--> {source}:9:" in run.stderr
    # hostile documents (entities, DTDs, size, depth): tests/hostile/test_documents.py


def test_an_imported_datamodel_and_its_content_go_through_the_ir_and_run() -> None:
    """The SCXML keys of the IR (docs/ir.md) are valid by the schema, read back unchanged, and
    run: the document's data, scripts, `<raise>` and `<assign>` on the ECMAScript datamodel."""
    jsonschema = pytest.importorskip("jsonschema")
    pytest.importorskip("quickjs")
    from statewright.compiler import ir_document
    from statewright.runtime import load

    chart, _ = read_scxml(FOREIGN.encode(), "foreign.scxml")
    assert chart is not None
    document = json.loads(ir_document.emit(chart))
    schema = json.loads((ROOT / "docs" / "ir.schema.json").read_text("utf-8"))
    jsonschema.validate(document, schema)
    assert ir_document.to_document(ir_document.from_document(document)) == document
    machine = load(document).start()
    assert machine.configuration == ["idle"]
    machine.send("start")  # count is 3 (its <data>), so the guard holds
    assert machine.configuration == ["busy"]
    machine.send("stop")  # count.toString() == '3': ECMAScript
    assert machine.configuration == ["idle"] and machine.snapshot()["context"]["count"] == 0
    machine.send("go")
    assert machine.configuration == ["idle"]  # count is 0 now


def test_an_imported_document_is_exported_with_what_it_runs() -> None:
    """`-T scxml` writes an imported document's datamodel, data, scripts and executable content
    back (marked `sw:datamodel="kept"`, `sw:content`), and importing that gives the same
    runnable chart (the corpus check of tests/interop/ runs both on SCION)."""
    from statewright.compiler import ir_document
    from statewright.compiler.emit import scxml
    from statewright.runtime.runnable import runnable_document

    chart, _ = read_scxml(FOREIGN.encode(), "foreign.scxml")
    assert chart is not None
    exported = scxml.emit(chart)
    assert 'datamodel="ecmascript" sw:datamodel="kept"' in exported
    assert '<assign location="count" expr="0"/>' in exported
    assert "<script>var x = 1;</script>" in exported
    back, _ = read_scxml(exported.encode(), "back.scxml")
    assert back is not None
    assert runnable_document(ir_document.to_document(back)) == runnable_document(
        ir_document.to_document(chart)
    )


def test_src_reads_files_beside_the_document_only(tmp_path: Path) -> None:
    """`<script src>` and `<data src>` name files in the document's own folder: one outside it,
    or a document that came from no file, is reported (I003) and not read."""
    (tmp_path / "secret.js").write_text("var stolen = 1;", "utf-8")
    folder = tmp_path / "charts"
    folder.mkdir()
    (folder / "setup.js").write_text("var x = 1;", "utf-8")
    (folder / "value.json").write_text('{"n": 2}', "utf-8")
    document = (
        '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript">'
        '<datamodel><data id="v" src="file:value.json"/></datamodel>'
        '<script src="setup.js"/><script src="../secret.js"/><state id="a"/></scxml>'
    )
    path = folder / "chart.scxml"
    chart, diagnostics = read_scxml(document.encode(), str(path))
    assert chart is not None and chart.datamodel is not None
    datamodel = json.loads(chart.datamodel)
    assert datamodel["scripts"] == ["var x = 1;"]
    assert datamodel["data"] == [{"id": "v", "value": {"n": 2}}]
    assert [(d.code, "secret.js" in d.message) for d in diagnostics] == [("I003", True)]
    _, anonymous = read_scxml(document.encode(), "<stdin>")
    assert [d.code for d in anonymous] == ["I003", "I003", "I003"]


def test_invoked_documents_nest_at_most_eight_deep() -> None:
    """Each `<invoke>` with inline content is imported by a reader of its own; nine levels
    are refused at the ninth (I003), so a hostile document cannot nest without end."""
    inner = '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"><final id="f"/></scxml>'
    for _ in range(10):
        inner = (
            '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript">'
            f'<state id="s"><invoke type="scxml"><content>{inner}</content></invoke></state>'
            "</scxml>"
        )
    chart, diagnostics = read_scxml(inner.encode(), "deep.scxml")
    assert chart is not None
    assert [d.code for d in diagnostics] == ["I003"]
    assert "8 deep" in diagnostics[0].message
    depth, document = 0, json.loads(chart.state("s").invoke or "")[0].get("document")
    while document is not None:
        depth += 1
        invokes = document["machine"]["states"][0].get("invoke") or [{}]
        document = invokes[0].get("document")
    assert depth == 8


SMCAT_WRITES = """<?xml version="1.0" encoding="UTF-8"?>
<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0">
    <state id="a">
        <onentry>hello()</onentry>
        <onexit>bye</onexit>
        <transition event="go" target="b">
            doIt()
        </transition>
    </state>
    <state id="b">
        <onentry>one
          two</onentry>
    </state>
</scxml>
"""


def test_text_in_blocks_is_imported_as_the_action_text_state_machine_cat_wrote() -> None:
    """state-machine-cat writes every action as text (`<onentry>hello()</onentry>`) and reads
    it back so; it was dropped in silence."""
    chart, diagnostics = read_scxml(SMCAT_WRITES.encode(), "smcat.scxml")
    assert chart is not None and diagnostics == []
    assert [(a.kind.value, a.body) for a in chart.state("a").actions] == [
        ("entry", "hello()"),
        ("exit", "bye"),
    ]
    assert [a.body for a in chart.state("b").actions] == ["one", "two"]  # one action a line
    (go,) = chart.transitions()
    assert (go.event, go.action) == ("go", "doIt()")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            '<state id="a"><transition event="go" target="a">x<raise event="y"/></transition>'
            "</state>",
            "the text `x` beside executable content in <transition> is not imported",
        ),
        (
            '<state id="a"><onentry><raise event="y"/> tail </onentry></state>',
            "the text `tail` beside executable content in <onentry> is not imported",
        ),
        ('<state id="a">stray words</state>', "the text `stray words` inside <state>"),
        ('words<state id="a"/>', "the text `words` inside <scxml>"),
    ],
)
def test_text_that_has_no_place_is_reported_never_dropped_in_silence(
    document: str, message: str
) -> None:
    text = f'<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0">{document}</scxml>'
    chart, diagnostics = read_scxml(text.encode(), "stray.scxml")
    assert chart is not None
    assert [d.code for d in diagnostics if message in d.message] == ["I003"], diagnostics
