"""Reading order for laid-out diagrams: how far a Graphviz layout strays from the chart's
document order, and the same layout mirrored.

Graphviz's crossing reduction may turn a scope around (a chart's parallel regions drawn right
to left, the initial dot right of the states it starts); no attribute of `dot` pins the order
of clusters. `render` counts the pairs of states of one scope that share a rank but are drawn
out of document order (`inversions`); when the mirror image of the layout has fewer, it draws
the mirror image (`mirrored`): the same layout, every position reflected across the ranks, drawn
by `neato -n2` (which keeps given positions). Text is not reflected, only where it stands.

Stage 3 (emitter) helper: it reads `dot -Tjson0` output and the DOT text `dot.py` writes (one
statement per line, which `dot.py` guarantees: every value is escaped onto one line).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

Box = tuple[float, float, float, float]

#: a node statement of dot.py's output (`  s3 [...]`), an edge statement, a cluster's start
_NODE = re.compile(r"^\s*([A-Za-z_]\w*) \[")
_EDGE = re.compile(r"^\s*([A-Za-z_]\w*) -> ([A-Za-z_]\w*) \[")
_CLUSTER = re.compile(r"^(\s*)subgraph (cluster_\w+) \{$")
_KEYWORDS = frozenset({"graph", "node", "edge"})
#: the position attributes of an edge that Graphviz sets
_EDGE_PLACES = ("pos", "lp", "xlp", "head_lp", "tail_lp")


def boxes(layout: Mapping[str, Any]) -> dict[str, Box]:
    """Every node's and cluster's box (x0, y0, x1, y1, in points, y up) by DOT name."""
    found: dict[str, Box] = {}
    for item in layout.get("objects", ()):
        name = str(item.get("name", ""))
        if "bb" in item:
            x0, y0, x1, y1 = (float(v) for v in str(item["bb"]).split(","))
            found[name] = (x0, y0, x1, y1)
        elif "pos" in item:
            x, y = (float(v) for v in str(item["pos"]).split(",")[:2])
            w = float(item.get("width", 0)) * 36  # inches to points, halved
            h = float(item.get("height", 0)) * 36
            found[name] = (x - w, y - h, x + w, y + h)
    return found


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


def mirrored(source: str, layout: Mapping[str, Any], *, across: bool) -> str | None:
    """`source` (dot.py's DOT) with every position of `layout` (its `dot -Tjson0`) reflected
    across the ranks (left and right swapped; top and bottom when laid out left-right), for
    `neato -n2`. Cluster titles stay at their cluster's start. None when the layout does not
    match the source (then the layout is drawn as it is)."""
    objects = list(layout.get("objects", ()))
    root = str(layout.get("bb", ""))
    if not root:
        return None
    x0, y0, x1, y1 = (float(v) for v in root.split(","))

    def point(text: str) -> str:
        parts = text.split(",")
        head = parts[:1] if parts[0] in ("e", "s") else []
        x, y = (float(v) for v in parts[len(head) : len(head) + 2])
        x, y = (x0 + x1 - x, y) if across else (x, y0 + y1 - y)
        return ",".join([*head, f"{x:.2f}", f"{y:.2f}"])

    def points(text: str) -> str:
        return " ".join(point(p) for p in text.split())

    by_gvid = {int(item.get("_gvid", -1)): str(item.get("name", "")) for item in objects}
    nodes = {str(item["name"]): item for item in objects if "pos" in item}
    clusters = {str(item["name"]): item for item in objects if "bb" in item}
    # the edges, by their ends (Graphviz lists them by tail; between the same two states,
    # in the order they were read)
    edges: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for item in sorted(layout.get("edges", ()), key=lambda item: int(item.get("_gvid", 0))):
        ends = (
            by_gvid.get(int(item.get("tail", -1)), ""),
            by_gvid.get(int(item.get("head", -1)), ""),
        )
        edges.setdefault(ends, []).append(item)
    total = sum(len(found) for found in edges.values())
    lines = source.split("\n")
    out: list[str] = []
    edge_index = 0
    for line in lines:
        cluster = _CLUSTER.match(line)
        edge = _EDGE.match(line)
        node = _NODE.match(line)
        if cluster is not None:
            out.append(line)
            item = clusters.get(cluster.group(2))
            if item is None:
                return None
            out.extend(f"{cluster.group(1)}  {attribute}" for attribute in _cluster(item, point))
        elif edge is not None:
            same = edges.get((edge.group(1), edge.group(2)))
            if not same:
                return None
            item = same.pop(0)
            edge_index += 1
            places = [f'{key}="{points(str(item[key]))}"' for key in _EDGE_PLACES if key in item]
            out.append(_with(line, places))
        elif node is not None and node.group(1) not in _KEYWORDS:
            item = nodes.get(node.group(1))
            if item is None:
                return None
            places = [f'pos="{point(str(item["pos"]))}"']
            if "xlp" in item:
                places.append(f'xlp="{point(str(item["xlp"]))}"')
            out.append(_with(line, places))
        elif line.startswith("  graph ["):
            out.append(_with(line, [f'bb="{root}"']))
        else:
            out.append(line)
    return "\n".join(out) if edge_index == total else None


def _cluster(item: Mapping[str, Any], point: Any) -> list[str]:
    """A cluster's mirrored box, and its title at the same place relative to the box."""
    x0, y0, x1, y1 = (float(v) for v in str(item["bb"]).split(","))
    ax, ay = (float(v) for v in point(f"{x0},{y0}").split(","))
    bx, by = (float(v) for v in point(f"{x1},{y1}").split(","))
    nx0, ny0, nx1, ny1 = min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)
    found = [f'bb="{nx0:.2f},{ny0:.2f},{nx1:.2f},{ny1:.2f}"']
    if "lp" in item:
        lx, ly = (float(v) for v in str(item["lp"]).split(",")[:2])
        # the title keeps its offset from the box's top left corner
        found.append(f'lp="{nx0 + (lx - x0):.2f},{ny1 - (y1 - ly):.2f}"')
    return found


def _with(line: str, places: list[str]) -> str:
    """A statement line with more attributes (before its closing bracket)."""
    assert line.endswith("]")
    return f"{line[:-1]}, {', '.join(places)}]"
