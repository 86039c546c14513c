"""`-T smcat` / `statewright fmt`: parse -> print -> parse gives the same IR; formatting is
idempotent; the output is what smcat reads the same way."""

from __future__ import annotations

from pathlib import Path

import pytest

from statewright.compiler import parse
from statewright.compiler.emit import smcat
from testkit import EXAMPLES, golden_cases

CASES = golden_cases() + sorted(EXAMPLES.glob("*.smcat"))


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_round_trip_and_idempotence(case: Path) -> None:
    chart, diagnostics = parse(case.read_text("utf-8"), case.name)
    assert chart is not None, diagnostics
    once = smcat.emit(chart)
    again, diagnostics = parse(once, case.name)
    assert again is not None, (once, diagnostics)
    assert again == chart
    assert smcat.emit(again) == once


def test_canonical_layout() -> None:
    chart, _ = parse('b{c=>d;},a[color="red" label="A"]:entry/ x;a=>b:ev[g]/act;')
    assert chart is not None
    assert smcat.emit(chart) == (
        "b {\n"
        "    c => d;\n"
        "},\n"
        'a [label="A" color="red"]: entry/ x;\n'
        "\n"
        "a => b: ev[g]/act;\n"
    )


def test_quotes_what_bare_text_would_misread() -> None:
    source = '"a b" => "c\\"d": "x; y";\ne: "p, q";\n'
    chart, _ = parse(source)
    assert chart is None  # declarations after transitions: a syntax error
    chart, _ = parse('e: "p, q";\n"a b" => "c\\"d": "x; y";\n')
    assert chart is not None
    text = smcat.emit(chart)
    assert text == 'e: "p, q";\n\n"a b" => "c\\"d": "x; y";\n'


def test_implicit_states_stay_implicit() -> None:
    chart, _ = parse("a;\na => b;\n")
    assert chart is not None
    assert smcat.emit(chart) == "a;\n\na => b;\n"


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_comments_survive_formatting(case: Path) -> None:
    """fmt keeps every `//` and `/* */` comment (a formatter that drops them loses work)."""
    chart, _ = parse(case.read_text("utf-8"), case.name)
    assert chart is not None
    once = smcat.emit(chart)
    again, _ = parse(once, case.name)
    assert again is not None
    assert [c.text for c in again.comments] == [c.text for c in chart.comments], once


def test_comments_are_placed_beside_their_statements() -> None:
    source = (
        "// the states\n"
        "a, /* first */ b, // second\n"
        "c {\n"
        "  // inside\n"
        "  d => e;\n"
        "};\n"
        "a => b: go; // trailing\n"
        "/* the\n   end */\n"
    )
    chart, _ = parse(source)
    assert chart is not None
    assert smcat.emit(chart) == (
        "// the states\n"
        "a, /* first */\n"
        "b, // second\n"
        "c {\n"
        "    // inside\n"
        "    d => e;\n"
        "};\n"
        "\n"
        "a => b: go; // trailing\n"
        "\n"
        "/* the\n   end */\n"
    )
