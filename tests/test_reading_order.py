"""Pictures read in document order (compiler/emit/reading_order.py): regions left to right
as written, the initial dot before what it starts; the mirror image Graphviz's layout is
drawn as when that reads better, and hostile text cannot steer it."""

from __future__ import annotations

import re
import shutil

import pytest
from lxml import etree

from conftest import EXAMPLES
from statewright.compiler import parse
from statewright.compiler.emit import dot, reading_order
from statewright.compiler.emit.render import _layout, _split, emit_svg
from statewright.compiler.ir import Chart

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz is not installed: apt-get install graphviz"
)
SVG = "{http://www.w3.org/2000/svg}"
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _chart(text: str) -> Chart:
    chart, diagnostics = parse(text)
    assert chart is not None, diagnostics
    return chart


def _boxes(svg: str) -> dict[str, tuple[float, float, float, float]]:
    """Each drawn node's and cluster's box in the SVG, by its DOT name (its <title>)."""
    found = {}
    for group in etree.fromstring(svg.encode()).iter(f"{SVG}g"):
        title = group.find(f"{SVG}title")
        if title is None or "node" not in group.get("class", "") + group.get("id", ""):
            if title is None or not (title.text or "").startswith("cluster_"):
                continue
        xs: list[float] = []
        ys: list[float] = []
        for shape in group.iter(f"{SVG}polygon", f"{SVG}path", f"{SVG}ellipse"):
            if shape.tag == f"{SVG}ellipse":
                xs.append(float(shape.get("cx", 0)))
                ys.append(float(shape.get("cy", 0)))
                continue
            numbers = [
                float(n) for n in NUMBER.findall(shape.get("points") or shape.get("d") or "")
            ]
            xs += numbers[0::2]
            ys += numbers[1::2]
        if xs:
            found[title.text or ""] = (min(xs), min(ys), max(xs), max(ys))
    return found


def _centre_x(box: tuple[float, float, float, float]) -> float:
    return (box[0] + box[2]) / 2


@needs_dot
def test_regions_appear_in_document_order() -> None:
    """keyboard.smcat: caps is written before num, so caps is drawn left of num (Graphviz
    alone draws num first); laid out left-right, caps is above num."""
    chart = _chart((EXAMPLES / "keyboard.smcat").read_text("utf-8"))
    names = {s.name: f"cluster_s{i}" for i, s in enumerate(chart.states())}
    boxes = _boxes(emit_svg(chart))
    assert _centre_x(boxes[names["caps"]]) < _centre_x(boxes[names["num"]])
    boxes = _boxes(emit_svg(chart, {"direction": "left-right"}))
    # SVG's y grows downwards: above is smaller
    assert boxes[names["caps"]][1] < boxes[names["num"]][1]


@needs_dot
def test_the_initial_state_comes_first_in_its_rank() -> None:
    """player.smcat: the initial dot is left of `on` (it was at the right, `on` at the left),
    and inside `on` the history state, written first, is left of `stopped`."""
    chart = _chart((EXAMPLES / "player.smcat").read_text("utf-8"))
    ids = {s.name: f"s{i}" for i, s in enumerate(chart.states())}
    boxes = _boxes(emit_svg(chart))
    assert _centre_x(boxes[ids["initial"]]) < _centre_x(boxes["cluster_" + ids["on"]])
    assert _centre_x(boxes[ids["on.history"]]) < _centre_x(boxes[ids["stopped"]])


@needs_dot
@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.smcat")))
def test_each_example_is_drawn_as_its_layout_or_its_mirror_whichever_reads_better(
    name: str,
) -> None:
    chart = _chart((EXAMPLES / name).read_text("utf-8"))
    order = dot.document_order(chart)
    source = dot.emit(chart)
    layout, picture = _split(_layout(source, "dot", ["-Tjson0", "-Tsvg"], 60))
    placed = reading_order.boxes(layout)
    as_laid = reading_order.inversions(placed, order, across=True)
    as_mirrored = reading_order.inversions(placed, order, across=True, mirror=True)
    if as_mirrored < as_laid:
        turned = reading_order.mirrored(source, layout, across=True)
        assert turned is not None
        picture = _layout(turned, "neato", ["-n2", "-Tsvg"], 60)
    assert emit_svg(chart).encode() == picture
    # the examples this was made for
    if name in ("keyboard.smcat", "player.smcat", "tcp.smcat"):
        assert as_mirrored < as_laid


def test_inversions_count_pairs_that_share_a_rank() -> None:
    # a, b, c written in that order; b is left of a in the same row; c is in another row
    placed = {"a": (10.0, 0.0, 20.0, 10.0), "b": (0.0, 0.0, 8.0, 10.0), "c": (0.0, 50.0, 5.0, 60.0)}
    assert reading_order.inversions(placed, [["a", "b", "c"]], across=True) == 1
    assert reading_order.inversions(placed, [["a", "b", "c"]], across=True, mirror=True) == 0
    # laid out left-right, ranks are columns: c and b share one; c is above b (y goes up)
    assert reading_order.inversions(placed, [["c", "b"]], across=False) == 0
    assert reading_order.inversions(placed, [["b", "c"]], across=False) == 1


@needs_dot
def test_hostile_text_cannot_steer_the_mirror() -> None:
    """The mirror rewrites dot.py's statements line by line: names, labels and notes that
    look like DOT statements stay data (each value is escaped onto its one line)."""
    hostile = 'x -> y [pos=\\"1,2\\"]\\nsubgraph cluster_s1 {'
    chart = _chart(
        "initial,\nkeyboard [type=parallel] {\n"
        f'  caps {{ "{hostile}", c2; "{hostile}" => c2: "pos=\\"9,9\\" -> ]"; }},\n'
        "  num { n1, n2; n1 => n2: go; };\n};\ninitial => keyboard;\n"
    )
    svg = emit_svg(chart)
    root = etree.fromstring(svg.encode())
    states = [g for g in root.iter(f"{SVG}g") if "state" in (g.get("class") or "").split()]
    edges = [g for g in root.iter(f"{SVG}g") if "transition" in (g.get("class") or "").split()]
    assert len(edges) == 3 and len(states) == 8
    assert "subgraph cluster_s1 {" in "".join(root.itertext())  # drawn as text
    ids = {s.name: f"cluster_s{i}" for i, s in enumerate(chart.states())}
    boxes = _boxes(svg)
    assert _centre_x(boxes[ids["caps"]]) < _centre_x(boxes[ids["num"]])  # mirrored
    layout, _ = _split(_layout(dot.emit(chart), "dot", ["-Tjson0", "-Tsvg"], 60))
    # a layout of another chart does not match: no mirror is made from it
    other = _chart("a, b;\na => b;\n")
    assert reading_order.mirrored(dot.emit(other), layout, across=True) is None
