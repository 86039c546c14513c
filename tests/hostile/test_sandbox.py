"""The ECMAScript sandbox bounds everything a document's scripts can do (docs/security.md, "The
ECMAScript datamodel"): an evaluation the engine's own interrupt does not stop is ended with
its process; a macrostep has a budget of time and evaluations across all of them; `<foreach>`
walks a bounded number of items; the runtime's own globals cannot be changed by a script; and
what comes back from the engine is checked (size, depth, type) before Python keeps it."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bounded import assert_handled, cli, python

pytest.importorskip("quickjs")

from statewright.runtime import values  # noqa: E402
from statewright.runtime.datamodel import ContentError, Event, ecmascript  # noqa: E402
from statewright.runtime.datamodel.sandbox import SandboxEnded  # noqa: E402

QUICK = settings(max_examples=25, deadline=None, derandomize=True, database=None)


class _Host:
    sessionid = "s-1"
    session_name = "case"

    def is_active(self, name: str) -> bool:  # the ecmascript datamodel keeps its own copy
        return False


@pytest.fixture(params=["process", "none"])
def datamodel(request: pytest.FixtureRequest) -> Iterator[ecmascript.EcmascriptDatamodel]:
    """A datamodel in each isolation: the guarantees that are not about time hold in both."""
    mp = pytest.MonkeyPatch()
    mp.setattr(ecmascript, "ISOLATION", request.param)
    model = ecmascript.EcmascriptDatamodel(_Host())
    mp.undo()
    yield model
    model.close()


# -- time: what the engine's interrupt does not stop ------------------------------------------

#: a bounded child: a datamodel with short limits evaluates each case and says what happened
_EVALUATE = """
import json, sys, time
from statewright.runtime.datamodel import ContentError, ecmascript, sandbox
sandbox.TIME_LIMIT, sandbox.HARD_LIMIT = 0.3, {hard}
class Host:
    sessionid, session_name = "s", None
    def is_active(self, name): return False
out = []
for source in json.loads(sys.argv[1] if len(sys.argv) > 1 else {cases!r}):
    model = ecmascript.EcmascriptDatamodel(Host())
    started = time.monotonic()
    try:
        model.evaluate(source)
        what = "value"
    except sandbox.SandboxEnded:
        what = "ended"
    except ContentError:
        what = "error"
    after = "gone" if model.sandbox.ended else "alive"
    out.append([what, after, round(time.monotonic() - started, 2)])
    model.close()
print(json.dumps(out))
"""


def _evaluate_in_child(cases: list[str], tmp_path: Path, hard: float = 1.0) -> list[list[Any]]:
    result = python(_EVALUATE.format(cases=json.dumps(cases), hard=hard), tmp_path)
    assert_handled(result, 0)
    return list(json.loads(result.stdout.strip().splitlines()[-1]))


_LETTERS = st.sampled_from("abxyz")


@st.composite
def _backtracking(draw: st.DrawFn) -> str:
    """A regular expression that backtracks exponentially, on an input that makes it."""
    letter = draw(_LETTERS)
    shape = draw(
        st.sampled_from(["({0}+)+$", "({0}*)*$", "({0}|{0})*$", "({0}+)+q", "({0}|{0}?)+$"])
    )
    method = draw(st.sampled_from(["test", "exec"]))
    length = draw(st.integers(min_value=40, max_value=60))
    return f"/{shape.format(letter)}/.{method}('{letter}'.repeat({length}) + '!')"


@st.composite
def _walking_builtin(draw: st.DrawFn) -> str:
    """A builtin that walks an array-like of 10^9 or more items in C."""
    method = draw(st.sampled_from(["indexOf", "lastIndexOf", "includes"]))
    length = draw(st.sampled_from(["1e9", "2e9", "4294967295"]))
    return f"Array.prototype.{method}.call({{length: {length}}}, 1)"


@settings(max_examples=2, deadline=None, derandomize=True, database=None)
@given(st.lists(st.one_of(_backtracking(), _walking_builtin()), min_size=4, max_size=4))
def test_what_the_engine_does_not_interrupt_ends_with_its_process(
    tmp_path_factory: pytest.TempPathFactory, cases: list[str]
) -> None:
    """Each case would run for minutes to hours: the parent ends the process at the hard
    limit, and the instance's datamodel is gone (later evaluations fail, they do not hang)."""
    for what, after, _ in _evaluate_in_child(cases, tmp_path_factory.mktemp("sandbox")):
        assert (what, after) == ("ended", "gone")


def test_what_the_engine_interrupts_fails_and_the_instance_goes_on(tmp_path: Path) -> None:
    cases = [
        "(function () { while (true) {} })()",
        "(function f() { return f(); })()",  # the stack limit
        "'x'.repeat(1 << 29)",  # the memory limit
        "(function () { var a = []; while (true) a.push(new Array(1000)); })()",
    ]
    # the engine checks its limit only now and then: on a loaded machine it fires later by the
    # clock, so the hard limit here only stops a runaway
    for what, after, _ in _evaluate_in_child(cases, tmp_path, hard=60.0):
        assert (what, after) == ("error", "alive")


def test_an_ended_sandbox_says_so_on_every_later_use(tmp_path: Path) -> None:
    code = textwrap.dedent("""
        from statewright.runtime.datamodel import ecmascript, sandbox
        sandbox.TIME_LIMIT, sandbox.HARD_LIMIT = 0.3, 1.0
        class Host:
            sessionid, session_name = "s", None
            def is_active(self, name): return False
        model = ecmascript.EcmascriptDatamodel(Host())
        model.declare("kept", "1")
        for source in ["/(a+)+$/.test('a'.repeat(50) + '!')", "kept", "1 + 1"]:
            try:
                model.evaluate(source)
            except sandbox.SandboxEnded as error:
                print("ended:", error)
        print("process:", model.sandbox._process.poll() is not None)
        """)
    result = python(code, tmp_path)
    assert_handled(result, 0)
    lines = result.stdout.splitlines()
    assert len([line for line in lines if line.startswith("ended: ")]) == 3
    assert "ran past 1 s" in lines[0] and "process was ended" in lines[0]
    assert lines[-1] == "process: True"


# -- the macrostep's budget and <foreach> --------------------------------------------------------

_FOREACH = """\
<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" initial="idle"
       datamodel="ecmascript">
  <datamodel><data id="seen" expr="0"/></datamodel>
  <state id="idle">
    <transition event="walk" target="walked">
      <foreach array="{array}" item="it"><assign location="seen" expr="seen + 1"/></foreach>
    </transition>
  </state>
  <state id="walked">
    <transition event="error.execution" target="failed"/>
  </state>
  <state id="failed"/>
</scxml>
"""


def _run_chart(document: str, events: list[str]) -> Any:
    from statewright.compiler import ir_document
    from statewright.compiler.read.scxml import read
    from statewright.runtime import load

    chart, diagnostics = read(document.encode(), "case.scxml")
    assert chart is not None, diagnostics
    machine = load(json.loads(ir_document.emit(chart)), partial=True)
    machine.start()
    for event in events:
        machine.send(event)
    return machine


@pytest.mark.parametrize(
    ("items", "fails"), [(5, False), (6, True)], ids=["at-the-limit", "past-it"]
)
def test_foreach_walks_at_most_the_item_limit(
    monkeypatch: pytest.MonkeyPatch, items: int, fails: bool
) -> None:
    monkeypatch.setattr(ecmascript, "ITEM_LIMIT", 5)
    machine = _run_chart(_FOREACH.format(array=f"({{length: {items}}})"), ["walk"])
    assert machine.configuration == (["failed"] if fails else ["walked"])
    assert machine.snapshot()["context"]["seen"] == (0 if fails else items)


def test_foreach_over_a_billion_items_is_refused_before_the_first() -> None:
    machine = _run_chart(_FOREACH.format(array="({length: 1e9})"), ["walk"])
    assert machine.configuration == ["failed"]
    assert machine.snapshot()["context"]["seen"] == 0


def test_a_macrostep_makes_at_most_the_evaluation_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Twelve items, two evaluations each (the item, the assignment), and the transition's
    own few: the budget is counted across all of them and whole again at the next event.
    At the limit the walk ends; one below it, it stops part way (error.execution)."""
    document = _FOREACH.format(array="[1,2,3,4,5,6,7,8,9,10,11,12]")
    document = document.replace(
        '<transition event="error.execution" target="failed"/>',
        '<transition event="error.execution" target="failed"/>'
        '<transition event="again" target="idle"/>',
    )
    machine = _run_chart(document, ["walk", "again", "walk"])  # `it` declared by the first
    needed = machine._session.datamodel.evaluations  # the count the budget keeps
    assert machine.configuration == ["walked"] and needed > 24
    for limit, ends_in, seen in [(needed, "walked", True), (needed - 1, "failed", False)]:
        monkeypatch.setattr(ecmascript, "EVALUATION_LIMIT", limit)
        machine.send("again")
        before = machine.snapshot()["context"]["seen"]
        machine.send("walk")
        assert machine.configuration == [ends_in]
        walked = machine.snapshot()["context"]["seen"] - before
        assert (walked == 12) if seen else (0 < walked < 12)


def test_a_macrostep_spends_at_most_its_time_across_evaluations(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each pass waits 50 ms inside the engine; with 0.2 s for the macrostep, the walk is
    stopped after a few passes, not after all 100."""
    monkeypatch.setattr(ecmascript, "MACROSTEP_LIMIT", 0.2)
    slow = "(function () { var t = Date.now(); while (Date.now() - t &lt; 50) {} return 1; })()"
    document = _FOREACH.format(array="[" + ",".join(["0"] * 100) + "]").replace(
        'expr="seen + 1"', f'expr="seen + {slow}"'
    )
    machine = _run_chart(document, ["walk"])
    assert machine.configuration == ["failed"]
    assert 1 <= machine.snapshot()["context"]["seen"] < 100


# -- the runtime's own globals ---------------------------------------------------------------------

_OWN = ["__sw", "In", "_event", "_sessionid", "_name", "_ioprocessors"]
_BUILTINS = ["JSON.parse", "JSON.stringify", "Object.create", "Object.freeze", "String"]
_ATTACKS = [
    "{name} = function () {{ return true; }};",
    "delete globalThis.{name};",
    "globalThis.{name} = 1;",
    "var {name} = 1;",
    "Object.defineProperty(globalThis, '{name}', {{value: 1}});",
    "Object.defineProperty(globalThis, '{name}', {{get: function () {{ return 1; }}}});",
    "{name}.bind = 1; {name}.activate = function () {{}};",
    "Object.prototype.{field} = 'polluted';",
    "Array.prototype.{field} = 'polluted';",
    "Object.defineProperty(Object.prototype, '{field}', {{set: function () {{}}, "
    "get: function () {{ return 'fake'; }}, configurable: true}});",
    "_event.{field} = 'fake';",
    "_event.data.{field} = 'changed';",
    "{builtin} = function () {{ return {{name: 'fake'}}; }};",
]


@st.composite
def _attack(draw: st.DrawFn) -> str:
    template = draw(st.sampled_from(_ATTACKS))
    return template.format(
        name=draw(st.sampled_from(_OWN)),
        field=draw(st.sampled_from(["name", "active", "event", "items", "0", "data", "type"])),
        builtin=draw(st.sampled_from(_BUILTINS)),
    )


@QUICK
@given(st.lists(_attack(), min_size=1, max_size=6))
def test_a_script_cannot_change_what_the_runtime_passes_in_and_out(attacks: list[str]) -> None:
    """Whatever a script does to the globals the runtime defines (or to the builtins the
    prelude uses), `_event` stays the bound event, `In()` the configuration, the session's
    variables the session's, values come back as they are, and every failure is a
    `ContentError` (error.execution), never a Python error."""
    for isolation in ("process", "none"):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(ecmascript, "ISOLATION", isolation)
            model = ecmascript.EcmascriptDatamodel(_Host())
        try:
            _attack_and_check(model, attacks)
        finally:
            model.close()


def _attack_and_check(model: ecmascript.EcmascriptDatamodel, attacks: list[str]) -> None:
    model.declare("kept", None, {"n": 1})
    model.activate("here", True)
    model.bind_event(Event("go", {"v": 7}, sendid="s9"))
    for attack in attacks:
        try:
            model.script(attack)
        except ContentError:
            pass
    model.activate("there", True)
    model.bind_event(Event("next", {"v": 8}))
    assert model.evaluate("_event.name") == "next"
    assert model.evaluate("_event.data.v") == 8
    assert model.evaluate("_event.sendid === undefined") is True
    assert model.condition("In('here') && In('there') && !In('elsewhere')")
    assert model.evaluate("_sessionid") == "s-1"
    assert model.evaluate("_name") == "case"
    assert model.export()["kept"] == {"n": 1}
    assert model.evaluate("[1, 'two', {three: 3}]") == [1, "two", {"three": 3}]
    out: list[Any] = []
    model.foreach("[10, 20]", "item", "at", lambda: out.append(model.evaluate("[item, at]")))
    assert out == [[10, 0], [20, 1]]


@pytest.mark.parametrize("name", ["__sw", "In"])
def test_a_document_cannot_declare_the_runtimes_names(
    datamodel: ecmascript.EcmascriptDatamodel, name: str
) -> None:
    with pytest.raises(ContentError, match="cannot be a variable"):
        datamodel.declare(name, "1")
    with pytest.raises(ContentError, match="read-only"):
        datamodel.assign(name, "1")
    datamodel.load({name: 1})  # a snapshot that names them: left out
    assert datamodel.condition("typeof In === 'function' && Object.isFrozen(__sw)")


# -- what comes back ---------------------------------------------------------------------------


@st.composite
def _hostile_value(draw: st.DrawFn) -> str:
    """An expression whose value is hostile to whoever reads it back."""
    depth = draw(st.integers(min_value=0, max_value=3000))
    size = draw(st.sampled_from([10, values.VALUE_LIMIT // 2, values.VALUE_LIMIT + 1]))
    return draw(
        st.sampled_from(
            [
                f"(function () {{ var a = 1; for (var i = 0; i < {depth}; i++) a = [a]; "
                "return a; })()",
                f"(function () {{ var a = {{}}; for (var i = 0; i < {depth}; i++) a = {{k: a}}; "
                "return a; })()",
                f"'x'.repeat({size})",
                f"'\\u00e9'.repeat({size // 2 + 1})",  # two bytes each in UTF-8
                f"[{'1,' * 10}'y'.repeat({size})]",
                "(function () { var a = {}; a.self = a; return a; })()",
                "({toJSON: function () { throw new Error('no'); }})",
                "({get x() { throw new Error('no'); }})",
                "({toJSON: function () { return undefined; }})",
                "10n",
                "Symbol('s')",
                "function () {}",
                "undefined",
                "new Proxy({}, {ownKeys: function () { throw new Error('no'); }})",
                "'\\ud800'",  # a lone surrogate
                "[NaN, Infinity, -0]",
            ]
        )
    )


@QUICK
@given(_hostile_value())
def test_what_comes_back_is_bounded_and_checked(source: str) -> None:
    model = ecmascript.EcmascriptDatamodel(_Host())
    try:
        try:
            value = model.evaluate(source)
        except ContentError as error:
            assert not isinstance(error, SandboxEnded), error
            return
        assert values.size(value) <= values.VALUE_LIMIT + 2
        assert values.depth(value) <= values.DEPTH_LIMIT
        json.dumps(value)  # JSON, whatever it holds
    finally:
        model.close()


@pytest.mark.parametrize(
    ("source", "kept"),
    [
        ("'x'.repeat(LIMIT - 2)", True),  # with its quotes: exactly the limit
        ("'x'.repeat(LIMIT - 1)", False),
        ("'\\u00e9'.repeat(LIMIT / 2 - 1)", True),
        ("'\\u00e9'.repeat(LIMIT / 2)", False),
    ],
    ids=["ascii-at", "ascii-past", "utf8-at", "utf8-past"],
)
def test_a_value_is_bounded_in_bytes(
    datamodel: ecmascript.EcmascriptDatamodel, source: str, kept: bool
) -> None:
    source = source.replace("LIMIT", str(values.VALUE_LIMIT))
    if kept:
        assert len(json.dumps(datamodel.evaluate(source), ensure_ascii=False).encode()) == (
            values.VALUE_LIMIT
        )
    else:
        with pytest.raises(ContentError, match="limit|over"):
            datamodel.evaluate(source)


@pytest.mark.parametrize(
    ("levels", "kept"), [(values.DEPTH_LIMIT, True), (values.DEPTH_LIMIT + 1, False)]
)
def test_a_value_is_bounded_in_depth(
    datamodel: ecmascript.EcmascriptDatamodel, levels: int, kept: bool
) -> None:
    source = (
        f"(function () {{ var a = 1; for (var i = 0; i < {levels}; i++) a = [a]; return a; }})()"
    )
    if kept:
        assert values.depth(datamodel.evaluate(source)) == levels
    else:
        with pytest.raises(ContentError, match="deep"):
            datamodel.evaluate(source)


def test_simulate_says_when_the_sandbox_was_ended(tmp_path: Path) -> None:
    """The user hears it: the step's line lists the error.execution with the reason, the
    logger warns, and the command ends cleanly."""
    (tmp_path / "regex.scxml").write_text(
        '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript"'
        ' initial="idle"><state id="idle"><transition event="go" target="done">'
        "<script>/(a+)+$/.test('a'.repeat(40) + '!')</script></transition></state>"
        '<final id="done"/></scxml>',
        "utf-8",
    )
    result = cli(["simulate", "regex.scxml", "go"], tmp_path)
    assert_handled(result, 0)
    line = json.loads(result.stdout.splitlines()[-1])
    assert line["configuration"] == ["done"]
    assert line["errors"][0]["error"] == "error.execution"
    assert "process was ended" in line["errors"][0]["message"]
    assert "an ECMAScript sandbox was ended" in result.stderr


@pytest.mark.parametrize("spare", [0, -1], ids=["at-the-limit", "past-it"])
def test_an_answer_over_the_message_limit_ends_the_sandbox(
    monkeypatch: pytest.MonkeyPatch, spare: int
) -> None:
    """The parent reads at most `MESSAGE_LIMIT` bytes of one answer, whatever the process
    says (it is checked like any input): one byte more ends the process, unread."""
    from statewright.runtime.datamodel import sandbox

    text = "x" * 5000
    body = json.dumps({"ok": json.dumps(text)}, ensure_ascii=False).encode()
    monkeypatch.setattr(sandbox, "MESSAGE_LIMIT", len(body) + spare)
    model = ecmascript.EcmascriptDatamodel(_Host())
    try:
        if spare == 0:
            assert model.evaluate("'x'.repeat(5000)") == text
        else:
            with pytest.raises(SandboxEnded, match=f"answered {len(body)} bytes"):
                model.evaluate("'x'.repeat(5000)")
    finally:
        model.close()


def test_the_process_cannot_map_more_than_its_address_space(tmp_path: Path) -> None:
    """With the engine's own memory limit out of the way, the process's address space still
    bounds what a script allocates: the evaluation fails, it does not take the machine."""
    code = textwrap.dedent("""
        from statewright.runtime.datamodel import ContentError, ecmascript, sandbox
        sandbox.MEMORY_LIMIT, sandbox.ADDRESS_SPACE = 2 << 30, 256 << 20
        class Host:
            sessionid, session_name = "s", None
            def is_active(self, name): return False
        model = ecmascript.EcmascriptDatamodel(Host())
        try:
            model.evaluate("'x'.repeat(1 << 29).length")
            print("made it")
        except ContentError as error:
            print("refused:", type(error).__name__)
        """)
    result = python(code, tmp_path)
    assert_handled(result, 0)
    assert result.stdout.strip().splitlines()[-1].startswith("refused: ")


def test_a_sandbox_that_cannot_start_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """No interpreter to start (or no process left): the machine is refused with a sentence,
    a StatewrightError, never an OSError from deep inside."""
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    with pytest.raises(SandboxEnded, match="cannot start the ECMAScript sandbox's process"):
        ecmascript.EcmascriptDatamodel(_Host())
