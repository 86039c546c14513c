"""A second look at a Graphviz layout, before it is drawn: reading order, and labels at the
borders of composite states.

- **Reading order.** Graphviz's crossing reduction may turn a scope around (a chart's parallel
  regions drawn right to left, the initial dot right of the states it starts); no attribute of
  `dot` pins the order of clusters. `inversions` counts the pairs of one scope's states that
  share a rank but are drawn out of document order; when the mirror image of the layout has
  fewer, the mirror image is drawn (`mirror`): every position reflected across the ranks.
  Text is not reflected, only where it stands.
- **Captions.** A final state's name and a choice's question are captions beside the node
  (`xlabel`); Graphviz keeps them off nodes but not off lines. `captions_clear` puts each under
  its node when nothing is drawn there, else beside or above it.
- **Labels at borders.** A transition to or from a composite state ends at its border, but
  Graphviz places its label as if it went on to the point inside that the edge is routed to:
  the label may sit inside the composite, beside its initial arrow, where it reads as the
  label of the initial transition. `labels_outside` moves such a label beside the middle of
  the drawn (clipped) line, on the side away from the composite.

`adjusted` writes the positions into the DOT text `dot.py` made (one statement per line, which
`dot.py` guarantees: every value is escaped onto its line), for `neato -n2`, which draws given
positions. Stage 3 (emitter) helper: it reads `dot -Tjson` output and `dot.py`'s DOT text.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

Box = tuple[float, float, float, float]
Layout = dict[str, Any]

#: a node statement of dot.py's output (`  s3 [...]`), an edge statement, a cluster's start
_NODE = re.compile(r"^\s*([A-Za-z_]\w*) \[")
_EDGE = re.compile(r"^\s*([A-Za-z_]\w*) -> ([A-Za-z_]\w*) \[")
_CLUSTER = re.compile(r"^(\s*)subgraph (cluster_\w+) \{$")
_KEYWORDS = frozenset({"graph", "node", "edge"})
#: the position attributes Graphviz sets on an edge (a list of points), and on a node
_EDGE_PLACES = ("pos", "lp", "xlp", "head_lp", "tail_lp")
#: points between a moved label and the line it labels
_GAP = 3.0


def boxes(layout: Mapping[str, Any]) -> dict[str, Box]:
    """Every node's and cluster's box (x0, y0, x1, y1, in points, y up) by DOT name."""
    found: dict[str, Box] = {}
    for item in layout.get("objects", ()):
        name = str(item.get("name", ""))
        if "bb" in item:
            found[name] = _box(str(item["bb"]))
        elif "pos" in item:
            x, y = (float(v) for v in str(item["pos"]).split(",")[:2])
            w = float(item.get("width", 0)) * 36  # inches to points, halved
            h = float(item.get("height", 0)) * 36
            found[name] = (x - w, y - h, x + w, y + h)
    return found


# -- reading order ------------------------------------------------------------------------------


def inversions(
    placed: Mapping[str, Box], order: list[list[str]], *, across: bool, mirror: bool = False
) -> int:
    """How many pairs of one scope's states that share a rank (their boxes overlap along the
    ranks) are drawn in the other order than the document's: right before left (laid out
    left-right: below before above); with `mirror`, in the mirror image of the layout."""
    wrong = 0
    for scope in order:
        states = [placed[name] for name in scope if name in placed]
        for i, first in enumerate(states):
            for second in states[i + 1 :]:
                if across:  # ranks are rows: in rows that overlap, the first is left
                    shared = min(first[3], second[3]) - max(first[1], second[1])
                    ahead = (second[0] + second[2]) / 2 - (first[0] + first[2]) / 2
                else:  # ranks are columns: the first is above (y goes up)
                    shared = min(first[2], second[2]) - max(first[0], second[0])
                    ahead = (first[1] + first[3]) / 2 - (second[1] + second[3]) / 2
                if mirror:
                    ahead = -ahead
                if shared > 1 and ahead < -1:
                    wrong += 1
    return wrong


def mirror(layout: Mapping[str, Any], *, across: bool) -> Layout:
    """The layout reflected across the ranks (left and right swapped; top and bottom when
    laid out left-right). Cluster titles stay at their cluster's start."""
    turned: Layout = copy.deepcopy(dict(layout))
    x0, y0, x1, y1 = _box(str(layout["bb"]))

    def point(x: float, y: float) -> tuple[float, float]:
        return (x0 + x1 - x, y) if across else (x, y0 + y1 - y)

    def points(text: str) -> str:
        out = []
        for part in text.split():
            pieces = part.split(",")
            head = pieces[:1] if pieces[0] in ("e", "s") else []
            x, y = point(*(float(v) for v in pieces[len(head) : len(head) + 2]))
            out.append(",".join([*head, f"{x:.2f}", f"{y:.2f}"]))
        return " ".join(out)

    for item in turned.get("objects", ()):
        if "bb" in item:
            bx0, by0, bx1, by1 = _box(str(item["bb"]))
            ax, ay = point(bx0, by0)
            cx, cy = point(bx1, by1)
            nx0, ny0, nx1, ny1 = min(ax, cx), min(ay, cy), max(ax, cx), max(ay, cy)
            item["bb"] = f"{nx0:.2f},{ny0:.2f},{nx1:.2f},{ny1:.2f}"
            if "lp" in item:  # the title keeps its offset from the box's top left corner
                lx, ly = (float(v) for v in str(item["lp"]).split(",")[:2])
                item["lp"] = f"{nx0 + (lx - bx0):.2f},{ny1 - (by1 - ly):.2f}"
        for key in ("pos", "xlp"):
            if key in item and "bb" not in item:
                item[key] = points(str(item[key]))
    for edge in turned.get("edges", ()):
        for key in _EDGE_PLACES:
            if key in edge:
                edge[key] = points(str(edge[key]))
    return turned


# -- labels at borders --------------------------------------------------------------------------


def labels_outside(layout: Layout) -> int:
    """Move the label of each edge to or from a composite state (`lhead`, `ltail`) that
    overlaps that composite: beside the middle of the line as drawn, on the side away from
    the composite, when it fits there. How many labels were moved."""
    clusters = {str(i["name"]): _box(str(i["bb"])) for i in layout.get("objects", ()) if "bb" in i}
    moved = 0
    for edge in layout.get("edges", ()):
        ends = [clusters[str(edge[k])] for k in ("ltail", "lhead") if str(edge.get(k)) in clusters]
        label = _label_box(edge)
        if not ends or label is None or not any(_overlap(label, end) for end in ends):
            continue
        line = _points(str(edge.get("pos", "")))
        if len(line) < 2:
            continue
        middle = len(line) // 2
        (ax, ay), (bx, by) = line[max(middle - 1, 0)], line[min(middle + 1, len(line) - 1)]
        mx, my = line[middle]
        dx, dy = bx - ax, by - ay
        length = (dx * dx + dy * dy) ** 0.5 or 1.0
        nx, ny = -dy / length, dx / length  # a normal of the line there
        half_w, half_h = (label[2] - label[0]) / 2, (label[3] - label[1]) / 2
        reach = abs(nx) * half_w + abs(ny) * half_h + _GAP
        centre = [((e[0] + e[2]) / 2, (e[1] + e[3]) / 2) for e in ends]
        sides = sorted(
            (1.0, -1.0),  # first the side away from the composites' centres
            key=lambda s: -sum(
                (mx + s * nx - cx) ** 2 + (my + s * ny - cy) ** 2 for cx, cy in centre
            ),
        )
        for side in sides:
            x, y = mx + side * nx * reach, my + side * ny * reach
            box = (x - half_w, y - half_h, x + half_w, y + half_h)
            if not any(_overlap(box, end) for end in ends):
                edge["lp"] = f"{x:.2f},{y:.2f}"
                moved += 1
                break
    return moved


def captions_clear(layout: Layout) -> int:
    """Put each caption Graphviz places beside a node (`xlabel`: a final state's name, a
    choice's question) under its node when nothing is drawn there, else right, left or above
    it, else where it crosses the fewest lines: Graphviz keeps captions off nodes but not off
    edges (`deleted` sat on the `delete` arrow). How many captions were moved."""
    objects = list(layout.get("objects", ()))
    segments: list[tuple[tuple[float, float], tuple[float, float]]] = []
    solid: list[Box] = []
    for edge in layout.get("edges", ()):
        line = _points(str(edge.get("pos", "")))
        segments += list(zip(line, line[1:], strict=False))
        label = _label_box(edge)
        if label is not None:
            solid.append(label)
    for item in objects:
        if "bb" in item:  # a cluster's border: four lines
            x0, y0, x1, y1 = _box(str(item["bb"]))
            corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
            segments += list(zip(corners, corners[1:] + corners[:1], strict=True))
    placed = boxes(layout)
    moved = 0
    for item in objects:
        if "xlp" not in item or "pos" not in item:
            continue
        caption = _label_box({"lp": item["xlp"], "_ldraw_": item.get("_ldraw_", ())})
        if caption is None:
            continue
        name = str(item.get("name"))
        x0, y0, x1, y1 = placed[name]
        x, y = (x0 + x1) / 2, (y0 + y1) / 2
        half_w, half_h = (caption[2] - caption[0]) / 2, (caption[3] - caption[1]) / 2
        now = _centre(caption)
        candidates = [
            (x, y0 - _GAP - half_h),  # under it
            (x1 + _GAP + half_w, y),  # right
            (x0 - _GAP - half_w, y),  # left
            (x, y1 + _GAP + half_h),  # above
        ]
        others = [b for other, b in placed.items() if other != name] + solid
        scored = [
            (_crossings((cx - half_w, cy - half_h, cx + half_w, cy + half_h), segments, others), i)
            for i, (cx, cy) in enumerate([*candidates, now])
        ]
        best = min(scored)
        if best[1] == len(candidates):
            continue  # where Graphviz put it is best
        cx, cy = candidates[best[1]]
        if best[0] == 0 or best[0] < scored[-1][0]:
            # the caption's text is drawn at `xlp`: move the drawing with it
            item["xlp"] = f"{cx:.2f},{cy:.2f}"
            moved += 1
            _grow(layout, (cx - half_w, cy - half_h, cx + half_w, cy + half_h))
    return moved


def _grow(layout: Layout, box: Box) -> None:
    """Make the picture's box hold `box` (a caption moved under the lowest state)."""
    x0, y0, x1, y1 = _box(str(layout["bb"]))
    grown = (min(x0, box[0]), min(y0, box[1]), max(x1, box[2]), max(y1, box[3]))
    layout["bb"] = ",".join(f"{v:.2f}" for v in grown)


def _crossings(
    box: Box,
    segments: list[tuple[tuple[float, float], tuple[float, float]]],
    others: list[Box],
) -> int:
    """How many lines cross `box` and boxes overlap it."""
    found = sum(1 for other in others if _overlap(box, other))
    for (ax, ay), (bx, by) in segments:
        if max(ax, bx) < box[0] or min(ax, bx) > box[2] or max(ay, by) < box[1]:
            continue
        if min(ay, by) > box[3]:
            continue
        steps = max(int(max(abs(bx - ax), abs(by - ay)) / 2), 1)
        for k in range(steps + 1):
            px, py = ax + (bx - ax) * k / steps, ay + (by - ay) * k / steps
            if box[0] < px < box[2] and box[1] < py < box[3]:
                found += 1
                break
    return found


def _centre(box: Box) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def _label_box(edge: Mapping[str, Any]) -> Box | None:
    """The box of an edge's label, from what Graphviz draws for it (`_ldraw_`)."""
    if "lp" not in edge:
        return None
    xs: list[float] = []
    ys: list[float] = []
    for op in edge.get("_ldraw_", ()):
        if op.get("op") == "T":
            x, y = (float(v) for v in op["pt"])
            half = float(op.get("width", 0)) / 2
            start = {"l": x, "r": x - 2 * half}.get(str(op.get("align")), x - half)
            xs += [start, start + 2 * half]
            ys += [y - 3, y + 10]  # below the baseline, and a line's height above
        elif "points" in op:
            for x, y in op["points"]:
                xs.append(float(x))
                ys.append(float(y))
    if not xs:
        return None
    return (min(xs), min(ys), max(xs), max(ys))


def _box(text: str) -> Box:
    x0, y0, x1, y1 = (float(v) for v in text.split(","))
    return (x0, y0, x1, y1)


def _points(text: str) -> list[tuple[float, float]]:
    found = []
    for part in text.split():
        pieces = part.split(",")
        if pieces[0] in ("e", "s"):
            continue  # an arrowhead's end point, not a point of the line
        found.append((float(pieces[0]), float(pieces[1])))
    return found


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


# -- writing the positions ----------------------------------------------------------------------


def adjusted(source: str, layout: Mapping[str, Any]) -> str | None:
    """`source` (dot.py's DOT) with every position of `layout` written in, for `neato -n2`.
    None when the layout does not match the source (then Graphviz's own picture is drawn)."""
    objects = list(layout.get("objects", ()))
    by_gvid = {int(item.get("_gvid", -1)): str(item.get("name", "")) for item in objects}
    nodes = {str(item["name"]): item for item in objects if "pos" in item}
    clusters = {str(item["name"]): item for item in objects if "bb" in item}
    # the edges by their ends (Graphviz lists them by tail; between the same two states, in
    # the order they were read)
    edges: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for item in sorted(layout.get("edges", ()), key=lambda item: int(item.get("_gvid", 0))):
        tail = by_gvid.get(int(item.get("tail", -1)), "")
        edges.setdefault((tail, by_gvid.get(int(item.get("head", -1)), "")), []).append(item)
    left = sum(len(found) for found in edges.values())
    for item in [*objects, *layout.get("edges", ())]:
        for key in (*_EDGE_PLACES, "bb"):
            if key in item and not _PLACE.match(str(item[key])):
                return None
    out: list[str] = []
    for line in source.split("\n"):
        cluster, edge, node = _CLUSTER.match(line), _EDGE.match(line), _NODE.match(line)
        if cluster is not None:
            item = clusters.get(cluster.group(2))
            if item is None:
                return None
            out.append(line)
            out += [
                f'{cluster.group(1)}  {key}="{item[key]}"' for key in ("bb", "lp") if key in item
            ]
        elif edge is not None:
            same = edges.get((edge.group(1), edge.group(2)))
            if not same:
                return None
            item = same.pop(0)
            left -= 1
            out.append(_with(line, [f'{k}="{item[k]}"' for k in _EDGE_PLACES if k in item]))
        elif node is not None and node.group(1) not in _KEYWORDS:
            item = nodes.get(node.group(1))
            if item is None:
                return None
            out.append(_with(line, [f'{k}="{item[k]}"' for k in ("pos", "xlp") if k in item]))
        elif line.startswith("  graph ["):
            out.append(_with(line, [f'bb="{layout["bb"]}"']))
        else:
            out.append(line)
    return "\n".join(out) if left == 0 else None


#: what a position attribute of Graphviz's may hold (numbers, commas, `e`/`s` for arrowheads)
_PLACE = re.compile(r"^[-0-9.,es ]*$")


def _with(line: str, places: list[str]) -> str:
    """A statement line with more attributes (before its closing bracket)."""
    assert line.endswith("]")
    return f"{line[:-1]}, {', '.join(places)}]"
