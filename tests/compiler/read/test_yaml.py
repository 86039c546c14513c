"""YAML charts: `-T yaml` golden outputs, the round trip DSL -> YAML -> DSL on every golden
chart, the JSON Schema, positions in diagnostics, and hostile documents refused within a time
and memory bound."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from test_roundtrip_property import charts

from statewright.compiler import parse
from statewright.compiler.emit import smcat, yaml_text
from statewright.compiler.ir import StateKind
from statewright.compiler.pipeline import diagnose
from statewright.compiler.read.yaml_chart import read as read_yaml
from testkit import EXAMPLES, ROOT, GoldenCompare, chart_of, golden_cases

SCHEMA = json.loads((ROOT / "docs" / "chart.schema.json").read_text("utf-8"))
CASES = golden_cases() + sorted(EXAMPLES.glob("*.smcat"))
SW = [sys.executable, "-m", "statewright"]


def _read(text: str, name: str = "chart.yaml"):  # type: ignore[no-untyped-def]
    chart, diagnostics = read_yaml(text.encode("utf-8"), name)
    return chart, diagnostics


@pytest.mark.parametrize("case", golden_cases(), ids=lambda p: p.stem)
def test_golden_yaml(case: Path, golden: GoldenCompare) -> None:
    text = yaml_text.emit(chart_of(case))
    expected = case.with_suffix(".yaml")
    golden(text, expected)


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_dsl_yaml_dsl_round_trip(case: Path) -> None:
    chart = chart_of(case)
    text = yaml_text.emit(chart)
    back, diagnostics = _read(text)
    assert back is not None, diagnostics
    assert [d for d in diagnostics if d.code.startswith(("Y", "P"))] == []
    assert back.region == chart.region, text
    again, _ = parse(smcat.emit(back))
    assert again is not None and again.region == chart.region
    # the checker finds the same things in both forms (positions differ, codes do not); a
    # declaration a later one replaced (SC018) is not written out
    if chart.shadowed:
        return
    from_yaml = diagnose(text.encode(), "x.yaml")[1]
    from_dsl = diagnose(case.read_text("utf-8"), case.name)[1]
    assert sorted(d.code for d in from_yaml) == sorted(d.code for d in from_dsl)


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_emitted_yaml_follows_the_schema(case: Path) -> None:
    chart = chart_of(case)
    if max((len(chart.ancestors_of(s.name)) for s in chart.states()), default=0) > 20:
        pytest.skip("jsonschema validates recursively; this chart nests too deep for it")
    jsonschema.validate(yaml.safe_load(yaml_text.emit(chart)), SCHEMA)


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(charts())
def test_any_chart_round_trips_through_yaml(chart) -> None:  # type: ignore[no-untyped-def]
    text = yaml_text.emit(chart)
    back, diagnostics = _read(text)
    assert back is not None, (text, diagnostics)
    assert [d for d in diagnostics if d.code.startswith("Y")] == [], diagnostics
    assert back.region == chart.region, text


def test_authoring_form() -> None:
    chart, diagnostics = _read(textwrap.dedent("""\
            # comments are YAML's own; notes belong to the chart
            states:
              - initial
              - name: on            # a plain `on` is a name here, not a boolean
                note: powered
                entry: [lamp on, fan on]
                states: [idle, busy]
                transitions:
                  - {from: idle, to: busy, event: work, guard: "load > 0", action: start}
              - name: ^pick
              - name: done
                type: final
            transitions:
              - from: initial
                to: on
              - from: on
                to: ^pick
                label: "off [x] / bye"
              - {from: ^pick, to: done, guard: else}
            """))
    assert chart is not None and diagnostics == [], diagnostics
    on = chart.state("on")
    assert on.notes == ("powered",) and [a.body for a in on.actions] == ["lamp on", "fan on"]
    assert [s.name for s in chart.children_of("on")] == ["idle", "busy"]
    assert chart.state("^pick").kind is StateKind.CHOICE
    assert chart.state("done").kind is StateKind.FINAL and chart.state("done").kind_explicit
    labelled = chart.transitions_from("on")[0]
    assert (labelled.event, labelled.guard, labelled.action) == ("off", "x", "bye")
    inner = chart.transitions_from("idle")[0]
    assert inner.label == "work [load > 0] / start" and inner.id == 1  # document order
    assert [t.id for t in chart.transitions()] == [1, 2, 3, 4]
    # the same chart written in smcat reads to the same IR
    dsl, _ = parse(smcat.emit(chart))
    assert dsl is not None and dsl.region == chart.region


def test_diagnostics_point_at_yaml_lines_and_columns() -> None:
    text = "states:\n  - name: a\n    colour: red\ntransitions:\n  - from: a\n    to: nowhere\n"
    chart, diagnostics = diagnose(text.encode(), "c.yaml")
    assert chart is not None
    first = diagnostics[0]
    assert (first.code, first.span.line, first.span.column) == ("Y002", 3, 5)
    assert first.hint == "did you mean `color`?"
    # the checker runs unchanged and points at the YAML scalar that names the state
    dead = next(d for d in diagnostics if d.code == "SC011")
    assert (dead.span.line, dead.span.column, dead.span.end_column) == (6, 9, 16)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n- b\n", "a chart file is a mapping"),
        ("states: a\n", "`states` must be a list"),
        ("states:\n  - name: a\n    entry: {x: 1}\n", "must be a text or a list of texts"),
        ("states:\n  - name: a\n    active: maybe\n", "`active` must be true or false"),
        ("states:\n\t- a\n", "not valid YAML"),
        ("states:\n  - name:\n", "`name` must be a name"),
        ('states:\n  - name: a\n    entry: "x\\ny"\n', "spans lines"),
        ("transitions:\n  - from: a\n    to: b\n    width: -1\n", "a number from 0 to 30"),
        ('transitions:\n  - from: a\n    to: b\n    event: " x"\n', "differently"),
        ("transitions:\n  - from: a\n    to: b\n    type: sideways\n", "not one of"),
    ],
)
def test_malformed_charts_are_diagnosed(text: str, message: str) -> None:
    _, diagnostics = _read(text)
    assert any(message in d.message for d in diagnostics), diagnostics
    assert all(d.span.line >= 1 for d in diagnostics)
    if "\t" in text:
        assert diagnostics[0].hint == "YAML indents with spaces, not tabs"


def test_cli_reads_and_writes_yaml(tmp_path: Path) -> None:
    door = tmp_path / "door.yaml"
    subprocess.run(
        [*SW, "compile", str(EXAMPLES / "door.smcat"), "-T", "yaml", "-o", str(door)], check=True
    )
    back = subprocess.run(
        [*SW, "compile", str(door), "-T", "smcat"], capture_output=True, text=True, check=True
    )
    again, _ = parse(back.stdout)
    assert again is not None and again.region == chart_of(EXAMPLES / "door.smcat").region
    refused = subprocess.run([*SW, "fmt", str(door)], capture_output=True, text=True)
    assert refused.returncode == 2 and "fmt rewrites smcat text only" in refused.stderr


def test_checker_hints_are_written_as_yaml() -> None:
    text = "states: [a, b, ^c]\ntransitions:\n  - {from: a, to: ^c, event: go}\n"
    text += "  - {from: ^c, to: b, guard: x}\n"
    hints = {d.code: d.hint for d in diagnose(text.encode(), "c.yaml")[1]}
    assert hints["SC001"] == (
        "add the state `initial` and the transition `{from: initial, to: a}` to say so"
    )
    assert hints["SC006"] == "add a transition from `^c` with `guard: else`"
    assert hints["SC011"].endswith("or give it `type: final`")


def test_a_byte_order_mark_is_not_a_column() -> None:
    _, diagnostics = read_yaml(b"\xef\xbb\xbfstates:\n  - nme: a\n", "bom.yaml")
    assert (diagnostics[0].span.line, diagnostics[0].span.column) == (2, 5)
    _, first_line = read_yaml(b"\xef\xbb\xbfstate: [a]\n", "bom.yaml")
    assert (first_line[0].span.line, first_line[0].span.column) == (1, 1)
