"""The IR: its queries, its `statewright-ir/1` JSON form and that form's schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from statewright.compiler import ir_document, parse
from statewright.compiler.ir import Chart, Region, State, StateKind, Transition
from statewright.compiler.ir_document import IRFormatError, from_document
from testkit import EXAMPLES, ROOT, golden_cases

SCHEMA = json.loads((ROOT / "docs" / "ir.schema.json").read_text("utf-8"))


@pytest.mark.parametrize(
    "case", golden_cases() + sorted(EXAMPLES.glob("*.smcat")), ids=lambda p: p.stem
)
def test_ir_document_validates_and_loads_back(case: Path) -> None:
    chart, _ = parse(case.read_text("utf-8"), case.name)
    assert chart is not None
    document = json.loads(ir_document.emit(chart))
    jsonschema.validate(document, SCHEMA)
    loaded = from_document(document)
    assert loaded == chart
    assert [s.span for s in loaded.states()] == [s.span for s in chart.states()]


def test_loader_names_the_bad_value() -> None:
    chart, _ = parse("a => b;")
    assert chart is not None
    document = json.loads(ir_document.emit(chart))
    document["machine"]["states"][1]["kind"] = "bogus"
    with pytest.raises(IRFormatError, match=r"\$\.machine\.states\[1\]\.kind"):
        from_document(document)
    with pytest.raises(IRFormatError, match="statewright-ir/1"):
        from_document({"format": "statewright-ir/2"})


@pytest.mark.parametrize(
    ("where", "path"),
    [
        (lambda d: d, r"\$: unknown key `colour`"),
        (lambda d: d["machine"], r"\$\.machine: unknown key `colour`"),
        (lambda d: d["machine"]["states"][0], r"\$\.machine\.states\[0\]: unknown key"),
        (lambda d: d["machine"]["states"][0]["actions"][0], r"\.actions\[0\]: unknown key"),
        (lambda d: d["machine"]["transitions"][0], r"\$\.machine\.transitions\[0\]: unknown"),
    ],
)
def test_a_key_the_reader_would_drop_is_refused(where: object, path: str) -> None:
    chart, _ = parse("a: entry/ x;\na => b;")
    assert chart is not None
    document = json.loads(ir_document.emit(chart))
    where(document)["colour"] = "red"  # type: ignore[operator]
    with pytest.raises(IRFormatError, match=path):
        from_document(document)


def _chart() -> Chart:
    inner = Region(
        (State("c"), State("d", region=Region((State("e"),)))),
        (Transition(1, "c", "d"),),
    )
    return Chart(
        Region(
            (State("a"), State("b", region=inner), State("f", StateKind.FINAL)),
            (Transition(2, "a", "b"), Transition(3, "e", "f", event="go")),
        )
    )


def test_queries() -> None:
    chart = _chart()
    assert [s.name for s in chart.states()] == ["a", "b", "c", "d", "e", "f"]
    assert [s.name for s in chart.children_of(None)] == ["a", "b", "f"]
    assert [s.name for s in chart.children_of("b")] == ["c", "d"]
    assert chart.children_of("a") == ()
    assert chart.ancestors_of("e") == ("d", "b")
    assert chart.parent_of("a") is None
    assert chart.lca("c", "e") == "b"
    assert chart.lca("a", "e") is None
    assert chart.depth_of("e") == 2
    assert [t.id for t in chart.transitions_from("e")] == [3]
    assert [t.id for t in chart.transitions_to("b")] == [2]
    assert [t.id for t in chart.transitions()] == [1, 2, 3]
    assert chart.state("f").kind is StateKind.FINAL
    assert not chart.has_state("zz")


def test_ir_is_immutable() -> None:
    state = State("a")
    with pytest.raises(AttributeError):
        state.name = "b"  # type: ignore[misc]


def test_spans_point_at_the_source() -> None:
    chart, _ = parse("a,\n  bb;\nbb => a: go;\n", "x.smcat")
    assert chart is not None
    bb = chart.state("bb")
    assert (bb.span.file, bb.span.line, bb.span.column, bb.span.end_column) == (
        "x.smcat",
        2,
        3,
        5,
    )
    (transition,) = chart.transitions()
    assert (transition.span.line, transition.span.column, transition.span.end_column) == (3, 1, 13)
    assert (transition.target_span.column, transition.target_span.end_column) == (7, 8)
