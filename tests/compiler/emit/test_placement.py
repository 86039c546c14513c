"""Pictures as a reader sees them (compiler/emit/placement.py and render.py): regions left to
right as written, the initial dot before what it starts (the mirror image of Graphviz's layout
is drawn when that reads better, and hostile text cannot steer it), labels of transitions at a
composite's border outside it, and one set of colours in PNG and SVG."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from lxml import etree

from statewright.compiler import parse
from statewright.compiler.emit import dot, placement
from statewright.compiler.emit.render import _layout, _split, emit_svg
from statewright.compiler.ir import Chart
from testkit import EXAMPLES

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
def test_examples_read_in_document_order_where_a_mirror_can_make_them(name: str) -> None:
    """Of a layout and its mirror image, the picture has the one with fewer states out of
    document order (keyboard, player and tcp are drawn mirrored)."""
    chart = _chart((EXAMPLES / name).read_text("utf-8"))
    order = dot.document_order(chart)
    layout, _ = _split(_layout(dot.emit(chart), "dot", ["-Tjson", "-Tsvg"], 60))
    placed = placement.boxes(layout)
    best = min(
        placement.inversions(placed, order, across=True),
        placement.inversions(placed, order, across=True, mirror=True),
    )
    assert (best < placement.inversions(placed, order, across=True)) == (
        name in ("keyboard.smcat", "player.smcat", "tcp.smcat")
    )
    svg = emit_svg(chart)
    drawn = {k: (b[0], -b[3], b[2], -b[1]) for k, b in _boxes(svg).items()}  # y up, as dot's
    assert placement.inversions(drawn, order, across=True) <= best


def _label_centres(svg: str) -> dict[str, tuple[float, float]]:
    """Each transition's label: the middle of its first text (y up, as Graphviz's)."""
    found = {}
    for group in etree.fromstring(svg.encode()).iter(f"{SVG}g"):
        text = group.find(f".//{SVG}text")
        if "transition" in (group.get("class") or "").split() and text is not None:
            found[group.get("id") or ""] = (float(text.get("x", 0)), -float(text.get("y", 0)))
    return found


COMPOUND = [
    "initial, a, b {\n  binit [type=initial], x, y;\n  binit => x;\n  x => y: next;\n}, c;\n"
    "initial => a;\na => b: go there;\nb => c: done;\nc => b: retry later;\n",
    (EXAMPLES / "provisioning.smcat").read_text("utf-8"),
    (EXAMPLES / "player.smcat").read_text("utf-8"),
]


@needs_dot
@pytest.mark.parametrize("text", COMPOUND, ids=["done-inside", "provisioning", "player"])
def test_labels_of_transitions_at_a_composite_border_are_outside_it(text: str) -> None:
    """A transition from or to a composite state ends at its border; its label is drawn
    outside that composite (Graphviz put `done` inside `b`, beside b's initial arrow)."""
    chart = _chart(text)
    ids = {s.name: f"s{i}" for i, s in enumerate(chart.states())}
    composites = {s.name for s in chart.states() if s.region is not None}
    svg = emit_svg(chart)
    boxes = {k: (b[0], -b[3], b[2], -b[1]) for k, b in _boxes(svg).items()}
    labels = _label_centres(svg)
    checked = 0
    for transition in chart.transitions():
        for end in (transition.source, transition.target):
            if end in composites and f"t{transition.id}" in labels and transition.event:
                x, y = labels[f"t{transition.id}"]
                x0, y0, x1, y1 = boxes["cluster_" + ids[end]]
                assert not (x0 < x < x1 and y0 < y < y1), (transition.event, end)
                checked += 1
    assert checked >= 1


def test_inversions_count_pairs_that_share_a_rank() -> None:
    # a, b, c written in that order; b is left of a in the same row; c is in another row
    placed = {"a": (10.0, 0.0, 20.0, 10.0), "b": (0.0, 0.0, 8.0, 10.0), "c": (0.0, 50.0, 5.0, 60.0)}
    assert placement.inversions(placed, [["a", "b", "c"]], across=True) == 1
    assert placement.inversions(placed, [["a", "b", "c"]], across=True, mirror=True) == 0
    # laid out left-right, ranks are columns: c and b share one; c is above b (y goes up)
    assert placement.inversions(placed, [["c", "b"]], across=False) == 0
    assert placement.inversions(placed, [["b", "c"]], across=False) == 1


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
    layout, _ = _split(_layout(dot.emit(chart), "dot", ["-Tjson", "-Tsvg"], 60))
    # a layout of another chart does not match: no mirror is made from it
    other = _chart("a, b;\na => b;\n")
    assert placement.adjusted(dot.emit(other), layout) is None


def _png_colours(data: bytes) -> set[tuple[int, int, int]]:
    """The colours of a PNG's pixels (8-bit RGB or RGBA, as Graphviz's cairo writes them)."""
    import struct
    import zlib

    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    at, idat, width, height, channels = 8, b"", 0, 0, 0
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    raw, stride, found = zlib.decompress(idat), width * channels, set()
    previous = bytearray(stride)
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                best = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + best) & 255
        found |= {tuple(line[i : i + 3]) for i in range(0, stride, channels)}  # type: ignore[misc]
        previous = line
    return found  # type: ignore[return-value]


@needs_dot
def test_png_and_svg_draw_the_same_hex_colours() -> None:
    """`green` is CSS's #008000 in both (Graphviz alone draws X11's lime, #00ff00, in PNG)."""
    from statewright.compiler.emit.render import emit_png

    chart = _chart('ok [color="green"], bad [color="red"];\nok => bad [color="green"]: go;\n')
    svg = emit_svg(chart)
    assert "#008000" in svg and "lime" not in svg and "#00ff00" not in svg.lower()
    colours = _png_colours(emit_png(chart))
    assert (0, 128, 0) in colours and (255, 0, 0) in colours
    assert (0, 255, 0) not in colours


@needs_dot
@pytest.mark.parametrize("name", ["reconcile.smcat", "provisioning.smcat", "order.yaml"])
def test_final_state_names_sit_under_their_symbol(name: str) -> None:
    """A final state's name is drawn under its bull's-eye (Graphviz put `deleted` beside it,
    on the `delete` arrow), centred within a few points."""
    chart = _chart_file(EXAMPLES / name)
    root = etree.fromstring(emit_svg(chart).encode())
    checked = 0
    for group in root.iter(f"{SVG}g"):
        if "final" not in (group.get("class") or "").split():
            continue
        rings = [e for e in group.iter(f"{SVG}ellipse")]
        (text,) = group.iter(f"{SVG}text")
        cx, cy = float(rings[0].get("cx", 0)), float(rings[0].get("cy", 0))
        radius = max(float(e.get("ry", 0)) for e in rings)
        assert float(text.get("y", 0)) > cy + radius  # under it (SVG's y grows downwards)
        width = len(text.text or "") * 5.5  # 10 pt bold, about 5.5 pt a character
        assert abs(float(text.get("x", 0)) + width / 2 - cx) < width / 2
        checked += 1
    assert checked >= 1


def _chart_file(path: Path) -> Chart:
    from statewright.compiler.pipeline import diagnose_file

    _, chart, _ = diagnose_file(path.read_bytes(), path.name)
    assert chart is not None
    return chart
