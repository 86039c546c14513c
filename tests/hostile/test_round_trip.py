"""Outputs that are read again read back the same (docs/security.md, "Outputs read again").

For every format statewright also reads (smcat, YAML, SCXML, the IR document), hypothesis
builds charts whose names, events, guards and actions hold what quoting and escaping must
survive: quotes, backslashes (a final one too), newlines of every kind, `;`, `=>`, `#`,
comment openers, braces, `%`, tabs and emoji. Each chart is emitted and read back, and the
states (names, kinds, nesting) and transitions (source, target, event, guard, actions) must be
the same. Where a format has no way to write a text (smcat's quoted strings cannot end in a
backslash), the emitter refuses the chart naming it: it never writes text that reads back as
something else.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statewright.compiler.errors import CompilerError
from statewright.compiler.ir import Chart, Region, State, StateKind, Transition
from statewright.compiler.pipeline import diagnose, emitter
from statewright.compiler.read.resolve import number_transitions

#: what quoting and escaping must survive
HOSTILE = 'ab \\"\n\r\u2028\u2029;=>%\t#/*{}[]:,😀é'
#: names of the guard language (a guard is read by each format's guard reader)
GUARD_NAMES = st.sampled_from(["x", "ready", "_event.data.n"])
FILES = {"smcat": "c.smcat", "yaml": "c.yaml", "scxml": "c.scxml", "ir": "c.ir.json"}

_text = st.text(HOSTILE, min_size=1, max_size=10)


@st.composite
def charts(draw: st.DrawFn) -> Chart:
    names = draw(st.lists(_text, min_size=2, max_size=7, unique=True))
    pool = iter(names)

    def region(depth: int) -> tuple[State, ...]:
        made = []
        for _ in range(draw(st.integers(1, 3))):
            name = next(pool, None)
            if name is None:
                break
            kind = draw(st.sampled_from([StateKind.REGULAR, StateKind.FINAL, StateKind.PARALLEL]))
            inner = None
            if kind is not StateKind.FINAL and depth < 2 and draw(st.booleans()):
                states = region(depth + 1)
                inner = Region(states) if states else None
            if kind is StateKind.PARALLEL and inner is None:
                kind = StateKind.REGULAR
            made.append(State(name=name, kind=kind, kind_explicit=True, region=inner))
        return tuple(made)

    top = region(0)
    chart = Chart(Region(top))
    declared = [s.name for s, _ in chart.walk()]
    transitions = []
    sources = [s.name for s, _ in chart.walk() if s.kind is not StateKind.FINAL]
    for _ in range(draw(st.integers(1, 4)) if sources else 0):
        event = draw(_text.filter(lambda t: t.strip() == t and "[" not in t and "/" not in t))
        guard = draw(st.none() | GUARD_NAMES)
        action = draw(st.none() | _text.filter(lambda t: t.strip() == t))
        label = event + (f" [{guard}]" if guard else "") + (f" / {action}" if action else "")
        transitions.append(
            Transition(
                id=0,
                source=draw(st.sampled_from(sources)),
                target=draw(st.sampled_from(declared)),
                label=label,
                event=event,
                guard=guard,
                action=action,
            )
        )
    return number_transitions(Chart(Region(top, tuple(transitions))))


def _essentials(chart: Chart) -> tuple[Any, ...]:
    states = [
        (
            (state.name, state.kind.value, [child.name for child in state.region.states])
            if state.region is not None
            else (state.name, state.kind.value, [])
        )
        for state, _ in chart.walk()
    ]
    transitions = sorted(
        (t.source, t.target, t.event or "", t.guard or "", t.action or "")
        for t in chart.transitions()
    )
    return sorted(states), transitions


def _unwritable_in_smcat(chart: Chart, refused: Exception) -> bool:
    """Whether smcat has no way to write a text of the chart: one that ends in a backslash
    (no quoted string holds it), or an action over one line (smcat's actions are one line)."""
    texts = [s.name for s, _ in chart.walk()]
    texts += [t.label or "" for t in chart.transitions()]
    if "backslash" in str(refused):
        return any(text.endswith("\\") for text in texts)
    breaks = ("\n", "\r", "\u2028", "\u2029")
    return any(any(b in (t.action or "") for b in breaks) for t in chart.transitions())


@pytest.mark.parametrize("fmt", list(FILES))
@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(chart=charts())
def test_a_hostile_chart_reads_back_the_same(fmt: str, chart: Chart) -> None:
    emit, _ = emitter(fmt)
    try:
        out = emit(chart, {"name": "c"})
    except CompilerError as refused:
        assert fmt == "smcat" and _unwritable_in_smcat(chart, refused), refused
        return
    data = out.encode("utf-8") if isinstance(out, str) else out
    name = FILES[fmt]
    again, diagnostics = diagnose(data, name, checks=False)
    assert again is not None, (diagnostics, out)
    assert _essentials(again) == _essentials(chart), out
