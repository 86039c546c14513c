"""Fuzzing: no input makes the parser or the emitters raise.

Hypothesis mutates the golden inputs (and writes text from scratch) and asserts that every parse
ends in a chart or in diagnostics, never an exception; that every accepted input emits JSON and
IR; and that formatting an accepted input and parsing it again gives the same IR, or is refused
with `UnwritableText` naming what smcat cannot write (a name ending in a backslash, say).
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from statewright.compiler import ir_document, parse
from statewright.compiler.diagnostics import render
from statewright.compiler.emit import dot, smcat, smcat_json
from statewright.compiler.errors import UnwritableText
from testkit import golden_cases

#: heavy: `make test` runs it, `make test-fast` leaves it out
pytestmark = pytest.mark.slow

SEEDS = [p.read_text("utf-8") for p in golden_cases()]
# Characters that matter to the grammar, and some that do not.
SIGNIFICANT = list(',;:{}[]="\\#/*-<>^]\n\t ') + [
    "=>",
    "/*",
    "*/",
    "//",
    '\\"',
    "initial",
    "é",
    "\x00",
]

FUZZ = settings(
    max_examples=10_000,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        if not text:
            text = draw(st.sampled_from(SEEDS))
        at = draw(st.integers(0, len(text)))
        until = draw(st.integers(at, min(len(text), at + 12)))
        action = draw(st.sampled_from(["insert", "delete", "replace", "duplicate", "truncate"]))
        if action == "insert":
            piece = draw(st.sampled_from(SIGNIFICANT) | st.text(max_size=4))
            text = text[:at] + piece + text[at:]
        elif action == "delete":
            text = text[:at] + text[until:]
        elif action == "replace":
            text = text[:at] + draw(st.sampled_from(SIGNIFICANT)) + text[until:]
        elif action == "duplicate":
            text = text[:until] + text[at:until] + text[until:]
        else:
            text = text[:at]
    return text


def _check(text: str) -> None:
    chart, diagnostics = parse(text, "fuzz.smcat")
    for diagnostic in diagnostics:
        assert diagnostic.span.line >= 1
        render(diagnostic, text)
    if chart is None:
        assert any(d.is_error for d in diagnostics)
        return
    json.loads(smcat_json.emit(chart))
    json.loads(ir_document.emit(chart))
    dot.emit(chart)
    try:
        formatted = smcat.emit(chart)
    except UnwritableText as refused:  # text smcat has no way to write: refused, with why
        assert "cannot" in str(refused), refused
        return
    again, problems = parse(formatted, "fuzz.smcat")
    assert again is not None, (text, formatted, problems)
    assert again == chart, (text, formatted)


@FUZZ
@given(mutated())
def test_mutated_golden_inputs(text: str) -> None:
    _check(text)


@settings(max_examples=1_000, deadline=None, derandomize=True, database=None)
@given(st.lists(st.sampled_from(SIGNIFICANT) | st.characters(), max_size=40).map("".join))
@example("}\\;")  # a state named `}\`: smcat cannot write it back (found in a fresh clone)
def test_text_from_scratch(text: str) -> None:
    _check(text)
