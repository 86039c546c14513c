"""Property: any chart the generator builds, printed as smcat and parsed again, is itself.

The generator builds IR directly (not text): random names with the characters that need quoting,
every state kind, attributes, activities, notes, nested and parallel composites, and labelled
transitions with every attribute. It builds the canonical form a parse produces (the label's
parts are derived from the label, ids follow document order, all states declared), so equality
is exact.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statewright.compiler import parse
from statewright.compiler.emit import smcat
from statewright.compiler.ir import (
    Action,
    ActionKind,
    Chart,
    Region,
    State,
    StateKind,
    Transition,
    TransitionKind,
)
from statewright.compiler.notation import js_trim, split_label
from statewright.compiler.read.resolve import number_transitions

#: heavy: `make test` runs it, `make test-fast` leaves it out
pytestmark = pytest.mark.slow

NAME_CHARS = 'abcxyz019 ^]#./*-_"é;,{}[]=<>:'
TEXT_CHARS = 'abc xyz 019 ,;{}[]/"#*=>.:é'
COLOR_CHARS = "abcXYZ019#,.:; "
CLASS_CHARS = "abcXYZ019_- "


def _trimmed(alphabet: str, *, min_size: int = 1) -> st.SearchStrategy[str]:
    return st.text(alphabet, min_size=min_size, max_size=12).map(js_trim).filter(bool)


names = st.text(NAME_CHARS, max_size=8)
notes = st.lists(_trimmed(TEXT_CHARS), max_size=2).map(tuple)
actions = st.lists(
    st.one_of(
        st.builds(
            Action,
            st.sampled_from([ActionKind.ENTRY, ActionKind.EXIT]),
            st.text(TEXT_CHARS, max_size=10).map(js_trim),
        ),
        st.builds(
            Action,
            st.just(ActionKind.ACTIVITY),
            _trimmed(TEXT_CHARS).filter(lambda t: not t.startswith(("entry", "exit", "activity"))),
        ),
    ),
    max_size=3,
).map(tuple)


@st.composite
def charts(draw: st.DrawFn) -> Chart:
    pool = draw(st.lists(names, min_size=1, max_size=12, unique=True))
    pool = [n for n in pool if not n.endswith("\\")]
    budget = iter(pool)

    def state(depth: int) -> State | None:
        name = next(budget, None)
        if name is None:
            return None
        machine = None
        if depth < 3 and draw(st.booleans()):
            machine = region(depth + 1)
        return State(
            name=name,
            kind=draw(st.sampled_from(list(StateKind))),
            kind_explicit=True,
            label=draw(st.none() | _trimmed(TEXT_CHARS)),
            color=draw(st.none() | _trimmed(COLOR_CHARS)),
            css_class=draw(st.none() | _trimmed(CLASS_CHARS)),
            active=draw(st.booleans()),
            actions=draw(actions),
            notes=draw(notes),
            region=machine,
        )

    def region(depth: int) -> Region:
        states = []
        for _ in range(draw(st.integers(0, 3))):
            made = state(depth)
            if made is not None:
                states.append(made)
        return Region(tuple(states))

    root = region(0)
    if not root.states:
        root = Region((State(pool[0], StateKind.REGULAR, kind_explicit=True),))
    declared = [s.name for s, _ in Chart(root).walk()]

    def transitions(machine: Region) -> Region:
        inner = tuple(
            replace(s, region=transitions(s.region)) if s.region is not None else s
            for s in machine.states
        )
        made = []
        for _ in range(draw(st.integers(0, 3))):
            label = draw(st.none() | st.text(TEXT_CHARS, min_size=1, max_size=14))
            if label is not None and (label.endswith("\\") or not label.strip()):
                label = js_trim(label) or None
            event, guard, action = split_label(label) if label else (None, None, None)
            made.append(
                Transition(
                    id=0,
                    source=draw(st.sampled_from(declared)),
                    target=draw(st.sampled_from(declared)),
                    label=label,
                    event=event,
                    guard=guard,
                    action=action,
                    kind=draw(st.none() | st.sampled_from(list(TransitionKind))),
                    color=draw(st.none() | _trimmed(COLOR_CHARS)),
                    css_class=draw(st.none() | _trimmed(CLASS_CHARS)),
                    width=draw(st.none() | st.integers(1, 60).map(lambda n: n / 2)),
                    notes=draw(notes),
                )
            )
        return Region(inner, tuple(made))

    # ids as every reader gives them: state-machine-cat's numbering
    return number_transitions(Chart(transitions(root)))


@settings(
    max_examples=1_500,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(charts())
def test_printed_chart_parses_back_to_itself(chart: Chart) -> None:
    text = smcat.emit(chart)
    again, diagnostics = parse(text)
    assert again is not None, (text, diagnostics)
    assert [d for d in diagnostics if d.code not in ("P005", "P006")] == [], diagnostics
    assert again == chart, text
