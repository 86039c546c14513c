"""Diagrams: golden DOT for every golden chart; SVG that parses as XML with one node per state
and one edge per drawn transition; options; deterministic output; a clear error without dot."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from statewright.compiler import parse
from statewright.compiler.emit import dot
from statewright.compiler.emit.render import emit_svg
from statewright.compiler.ir import Chart, TransitionKind
from testkit import EXAMPLES, GoldenCompare, chart_of, golden_cases

CASES = golden_cases()
needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz is not installed: apt-get install graphviz"
)
SVG = "{http://www.w3.org/2000/svg}"


_chart = chart_of


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_golden_dot(case: Path, golden: GoldenCompare) -> None:
    text = dot.emit(_chart(case))
    expected = case.with_suffix(".dot")
    golden(text, expected)


def test_every_golden_case_has_every_sibling() -> None:
    for case in CASES:
        for suffix in (".json", ".dot"):
            assert case.with_suffix(suffix).exists(), (case.name, suffix)


def _drawn(chart: Chart) -> tuple[int, int]:
    names = []
    for state in chart.states():
        if state.name not in names:
            names.append(state.name)
    edges = [
        t
        for t in chart.transitions()
        if not (t.kind is TransitionKind.INTERNAL and t.source == t.target)
    ]
    return len(names), len(edges)


def _classes(element: etree._Element) -> list[str]:
    return str(element.get("class", "")).split()


@needs_dot
@pytest.mark.parametrize("case", CASES + sorted(EXAMPLES.glob("*.smcat")), ids=lambda p: p.stem)
def test_svg_has_a_node_per_state_and_an_edge_per_transition(case: Path) -> None:
    chart = _chart(case)
    root = etree.fromstring(emit_svg(chart).encode("utf-8"))
    groups = list(root.iter(f"{SVG}g"))
    states = [g for g in groups if "state" in _classes(g)]
    edges = [g for g in groups if "transition" in _classes(g)]
    assert (len(states), len(edges)) == _drawn(chart)
    ids = sorted(g.get("id") for g in edges)
    expected = sorted(f"t{t.id}" for t in chart.transitions() if f"t{t.id}" in ids)
    assert ids == expected


def test_dot_is_deterministic_and_direction_orients_bars() -> None:
    chart, _ = parse("a => ]f;\n]f => b;\n]f => c;\n")
    assert chart is not None
    assert dot.emit(chart) == dot.emit(chart)
    down = dot.emit(chart)
    across = dot.emit(chart, {"direction": "left-right"})
    assert "rankdir=TB" in down and "rankdir=LR" in across
    assert "width=1.2, height=0.08" in down and "width=0.08, height=1.2" in across


def test_theme_and_highlight() -> None:
    chart, _ = parse("a, b;\na => b: go;\n")
    assert chart is not None
    dark = dot.emit(chart, {"theme": "dark"})
    assert 'bgcolor="#1e1e1e"' in dark
    lit = dot.emit(chart, {"highlight": {"active": ["b"], "transition": 1}})
    assert 'BORDER="3"' in lit and "penwidth=2.5" in lit
    with pytest.raises(ValueError, match="unknown theme"):
        dot.emit(chart, {"theme": "neon"})


def _node(text: str, name: str) -> str:
    return next(line for line in text.splitlines() if f'tooltip="{name}"]' in line)


def test_an_active_final_or_terminate_state_is_lit_like_any_active_state() -> None:
    chart, _ = parse("a, done [type=final], stop [type=terminate];\na => done;\na => stop;\n")
    assert chart is not None
    plain = dot.emit(chart)
    lit = dot.emit(chart, {"highlight": {"active": ["done", "stop"]}})
    ink, gold = dot.COLORS["light"].ink, dot.COLORS["light"].active_ink
    assert f'fillcolor="{ink}"' in _node(plain, "done") and "penwidth" not in _node(plain, "done")
    final = _node(lit, "done")
    assert f'fillcolor="{gold}"' in final and "penwidth=2.5" in final and "active" in final
    assert f'fontcolor="{gold}"' in _node(lit, "stop")
    assert f'fontcolor="{ink}"' in _node(plain, "stop")


def test_highlight_with_a_name_that_is_no_state_is_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "statewright", "compile", str(EXAMPLES / "door.smcat")]
        + ["-T", "dot", "--highlight", "closed,clsoed"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert "--highlight `clsoed` is no state of the chart (did you mean `closed`?)" in done.stderr


def test_internal_transitions_are_listed_inside_the_state() -> None:
    chart, _ = parse("a => a [type=internal]: tick / count;\n")
    assert chart is not None
    text = dot.emit(chart)
    assert "tick / count" in text and " -> " not in text


def test_notes_are_drawn_as_notes() -> None:
    chart, _ = parse("# remember this\na;\n")
    assert chart is not None
    text = dot.emit(chart)
    assert "shape=note" in text and "remember this" in text and "style=dashed" in text


def test_missing_graphviz_is_a_clear_error(tmp_path: Path) -> None:
    env = dict(os.environ, PATH=str(tmp_path), NO_COLOR="1")
    result = subprocess.run(
        [sys.executable, "-m", "statewright", "compile", "-", "-T", "svg"],
        input="a => b;\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 2
    assert "apt-get install graphviz" in result.stderr
    assert "Traceback" not in result.stderr


@needs_dot
def test_final_and_terminate_states_show_their_names_and_activities() -> None:
    """Two finals of one chart do not look alike: each shows its name (or label) beside its
    symbol, with the entry actions the runtime runs; a coloured terminate colours its name."""
    chart, _ = parse(
        "a, failed [type=final]: entry/ page the operator, deleted [type=final],\n"
        'boom [type=terminate label="Crash" color="red"];\n'
        "a => failed: error;\na => deleted: delete;\na => boom: explode;\n"
    )
    assert chart is not None
    svg = etree.fromstring(emit_svg(chart).encode())
    texts = ["".join(t.itertext()) for t in svg.iter(f"{SVG}text")]
    for shown in ("failed", "deleted", "entry/ page the operator", "Crash"):
        assert shown in texts, (shown, texts)
    crash = next(t for t in svg.iter(f"{SVG}text") if "".join(t.itertext()) == "Crash")
    assert crash.get("fill") == "#ff0000"  # as CSS says red is, in PNG too


def test_named_colours_are_hex_and_readable_on_the_dark_theme() -> None:
    """PNG (Graphviz's X11 names: green is lime) and SVG (CSS names) draw one colour: names are
    written as CSS hex. The state's name takes its colour and its border thickens; on the dark
    theme a colour that would vanish is blended towards the ink."""
    from statewright.compiler.emit.colours import _contrast, _rgb

    chart, _ = parse(
        'ok [color="green"], bad [color="black"], odd [color="#12ab34"], both [color="red:blue"];\n'
        'ok => bad [color="Red"]: fail;\n'
    )
    assert chart is not None
    light = dot.emit(chart)
    assert '"#008000"' in light and "green" not in light and '"#ff0000"' in light
    assert '"#12ab34"' in light and '"#ff0000:#0000ff"' in light
    assert '<FONT COLOR="#008000"><B>ok</B></FONT>' in light and 'BORDER="2"' in light
    dark = dot.emit(chart, {"theme": "dark"})
    background = _rgb(dot.COLORS["dark"].background)
    drawn = dark.split('<FONT COLOR="', 2)[2].split('"')[0]  # bad's name
    assert drawn != "#000000" and _contrast(_rgb(drawn), background) >= 4.5


@needs_dot
def test_a_transition_note_is_drawn_on_its_transition() -> None:
    """A note on a transition is part of the transition's drawing (its label), in a dashed
    box, not a note node beside the source state."""
    chart, _ = parse("a {\n  b;\n  # only from the inside\n  b => c: open;\n};\n")
    assert chart is not None
    text = dot.emit(chart)
    assert "shape=note" not in text and 'STYLE="dashed"' in text
    svg = etree.fromstring(emit_svg(chart).encode())
    (edge,) = [g for g in svg.iter(f"{SVG}g") if g.get("id") == f"t{chart.transitions()[0].id}"]
    inside = ["".join(t.itertext()) for t in edge.iter(f"{SVG}text")]
    assert inside == ["open", "only from the inside"]


@needs_dot
def test_only_the_active_leaves_are_filled() -> None:
    """An active composite gets a light tint and a coloured border; the active atomic state
    inside it has the highlight fill, so the leaf stands out from its lit parent."""
    chart, _ = parse("on {\n  a, b;\n  a => b: go;\n}, off;\non => off: stop;\n")
    assert chart is not None
    light = dot.COLORS["light"]
    svg = etree.fromstring(emit_svg(chart, {"highlight": {"active": ["on", "a"]}}).encode())
    fills: dict[str, set[str]] = {}
    for group in svg.iter(f"{SVG}g"):
        title = group.find(f"{SVG}title")
        if title is not None and group.get("class", "").endswith("active"):
            fills[title.text or ""] = {
                (shape.get("fill") or "").lower()
                for shape in group.iter(f"{SVG}path", f"{SVG}polygon")
            }
    assert set(fills) == {"cluster_s0", "s1"}
    assert light.active_fill in fills["s1"] and light.active_fill not in fills["cluster_s0"]
    assert light.active_tint in fills["cluster_s0"]
