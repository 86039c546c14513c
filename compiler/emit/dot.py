"""Emit `-T dot`: Graphviz DOT in UML statechart notation.

Stage 3 (emitter): Chart -> str. Regular states are rounded boxes with a compartment for their
activities and internal transitions; pseudo-states take their UML shapes (a filled dot, a
bullseye, a diamond, a bar, a circled H); composite states are clusters, parallel regions are
dashed sub-clusters, and transitions to or from a composite state end at its border (compound
edges through an invisible anchor inside the cluster). Output is deterministic: ids follow
document order and nothing iterates over a set. It imports no reader.

Options (all optional): `direction` (top-down, left-right, bottom-top, right-left), `theme`
(light, dark), `highlight` ({"active": [state names], "transition": id or [ids]}: the states
lit and the transitions last taken).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..formats import DIRECTIONS, THEMES
from ..ir import ActionKind, Chart, State, StateKind, Transition, TransitionKind
from ..notation import compose_label, pseudo_caption
from .colours import as_hex, readable
from .escape import dot_html, dot_string

#: Graphviz's `rankdir` of each of `formats.DIRECTIONS`
RANKDIR = dict(zip(DIRECTIONS, ("TB", "LR", "BT", "RL"), strict=True))


@dataclass(frozen=True)
class Theme:
    background: str
    ink: str
    fill: str
    note_fill: str
    active_fill: str
    accent: str
    #: an active composite state: a light tint and a border of this colour (only the active
    #: atomic states are filled, so that they stand out inside their lit parents)
    active_tint: str
    active_ink: str


#: the colours of each of `formats.THEMES`
COLORS = dict(
    zip(
        THEMES,
        (
            Theme(  # light
                "white", "#1a1a1a", "#ffffff", "#fff8c4", "#fff2a8", "#d1495b", "#fffcee", "#b8860b"
            ),
            Theme(  # dark
                "#1e1e1e",
                "#e6e6e6",
                "#2a2a2a",
                "#4a4430",
                "#5c4f12",
                "#ff7b8a",
                "#262319",
                "#e0b84a",
            ),
        ),
        strict=True,
    )
)


def emit(chart: Chart, options: Mapping[str, Any] | None = None) -> str:
    return _Writer(chart, options or {}).write()


def document_order(chart: Chart) -> list[list[str]]:
    """Each scope's drawn states (the top level, each composite state, each region) in
    document order, by their DOT names (`s3`, or `cluster_s1` for a composite state): what a
    reader expects left to right (top to bottom when laid out left-right)."""
    writer = _Writer(chart, {})
    found: list[list[str]] = []

    def walk(states: Iterable[State]) -> None:
        scope = []
        for state in states:
            if writer.ids.get(state.name) != writer.own.get(id(state)):
                continue
            name = writer.ids[state.name]
            if state.region is not None:
                scope.append(f"cluster_{name}")
                walk(state.region.states)
            else:
                scope.append(name)
        if len(scope) > 1:
            found.append(scope)

    walk(chart.children_of(None))
    return found


class _Writer:
    def __init__(self, chart: Chart, options: Mapping[str, Any]) -> None:
        self.chart = chart
        direction = str(options.get("direction", "top-down"))
        if direction not in RANKDIR:
            raise ValueError(f"unknown direction {direction!r}: use one of {', '.join(DIRECTIONS)}")
        theme = str(options.get("theme", "light"))
        if theme not in COLORS:
            raise ValueError(f"unknown theme {theme!r}: use one of {', '.join(THEMES)}")
        self.rankdir = RANKDIR[direction]
        self.theme = COLORS[theme]
        highlight = options.get("highlight") or {}
        self.active = tuple(str(n) for n in highlight.get("active", ()))
        last = highlight.get("transition")
        taken = last if isinstance(last, list | tuple) else () if last is None else (last,)
        self.last = frozenset(n for n in taken if isinstance(n, int) and not isinstance(n, bool))
        # One id per state name, in document order (the first declaration of a name wins).
        self.ids: dict[str, str] = {}
        self.own: dict[int, str] = {}  # id() of a declaration -> its node id
        for index, state in enumerate(chart.states()):
            self.ids.setdefault(state.name, f"s{index}")
            self.own[id(state)] = f"s{index}"
        self.composites = frozenset(s.name for s in chart.states() if s.region is not None)
        self.lines: list[str] = []
        self.note_count = 0

    # -- graph ---------------------------------------------------------------------------------

    def write(self) -> str:
        t = self.theme
        self.lines = [
            "digraph statechart {",
            f"  graph [compound=true, rankdir={self.rankdir}, splines=true, nodesep=0.4, "
            f'ranksep=0.45, fontname="{FONT}", fontsize=11, bgcolor="{t.background}", '
            f'color="{t.ink}", fontcolor="{t.ink}", pad=0.2]',
            f'  node [fontname="{FONT}", fontsize=11, color="{t.ink}", fontcolor="{t.ink}"]',
            f'  edge [fontname="{FONT}", fontsize=10, color="{t.ink}", fontcolor="{t.ink}", '
            "arrowsize=0.7]",
        ]
        self._states(self.chart.children_of(None), 1, parallel=False)
        for transition in self.chart.transitions():
            self._edge(transition)
        self.lines.append("}")
        return "\n".join(self.lines) + "\n"

    def _states(self, states: Iterable[State], depth: int, *, parallel: bool) -> None:
        for state in states:
            if self.ids.get(state.name) != self.own.get(id(state)):
                continue  # a duplicate declaration: drawn once, where first declared
            if state.region is not None:
                self._cluster(state, depth, region=parallel)
            else:
                self._node(state, depth)
            self._notes(state.notes, self._anchor(state.name), depth)

    # -- states --------------------------------------------------------------------------------

    def _node(self, state: State, depth: int) -> None:
        pad = "  " * depth
        node_id = self.ids[state.name]
        attributes = self._shape(state)
        lit = "active" if state.active or state.name in self.active else None
        attributes["class"] = dot_string(_classes("state", state.kind.value, state.css_class, lit))
        attributes["tooltip"] = dot_string(state.name)
        self.lines.append(f"{pad}{node_id} [{_attributes(attributes)}]")

    def _shape(self, state: State) -> dict[str, str]:
        ink = self._ink(state.color)
        bar = ("1.2", "0.08") if self.rankdir in ("TB", "BT") else ("0.08", "1.2")
        small = {"label": '""', "fixedsize": "true", "width": "0.18", "height": "0.18"}
        kind = state.kind
        if kind is StateKind.INITIAL:
            return {"shape": "circle", "style": "filled", "fillcolor": dot_string(ink), **small}
        if kind is StateKind.FINAL:
            # an active final (a finished machine) is lit as any active state is: the
            # bull's-eye in the active colour, its ring thicker
            lit = state.active or state.name in self.active
            mark = self.theme.active_ink if lit else ink
            return {
                "shape": "doublecircle",
                "style": "filled",
                "fillcolor": dot_string(mark),
                "color": dot_string(mark),
                **({"penwidth": "2.5"} if lit else {}),
                **small,
                "width": "0.14",
                "height": "0.14",
                "xlabel": self._end_caption(state),
            }
        if kind is StateKind.JUNCTION:
            return {
                "shape": "circle",
                "style": "filled",
                "fillcolor": dot_string(ink),
                **small,
                "width": "0.1",
                "height": "0.1",
            }
        if kind in (StateKind.CHOICE,):
            return {
                "shape": "diamond",
                "style": "filled",
                "fillcolor": dot_string(self._fill(state)),
                "color": dot_string(ink),
                **small,
                "width": "0.32",
                "height": "0.32",
                "xlabel": dot_string(pseudo_caption(state)),
            }
        if kind in (StateKind.FORK, StateKind.JOIN, StateKind.FORKJOIN):
            return {
                "shape": "rect",
                "style": "filled",
                "fillcolor": dot_string(ink),
                "color": dot_string(ink),
                "label": '""',
                "fixedsize": "true",
                "width": bar[0],
                "height": bar[1],
            }
        if kind in (StateKind.HISTORY, StateKind.DEEP_HISTORY):
            return {
                "shape": "circle",
                "fixedsize": "true",
                "width": "0.32",
                "height": "0.32",
                "label": '"H*"' if kind is StateKind.DEEP_HISTORY else '"H"',
                "color": dot_string(ink),
                "style": "filled",
                "fillcolor": dot_string(self._fill(state)),
            }
        if kind is StateKind.TERMINATE:
            lit = state.active or state.name in self.active
            return {
                "shape": "none",
                "label": '"✕"',
                "fontsize": "22",
                "fontcolor": dot_string(self.theme.active_ink if lit else ink),
                "width": "0.3",
                "height": "0.3",
                "xlabel": self._end_caption(state),
            }
        return {"shape": "plain", "label": self._box(state)}

    def _ink(self, colour: str | None) -> str:
        """A chart's colour as drawn: CSS names as hex (PNG and SVG agree), and on the dark
        theme blended towards the ink when it would vanish (compiler/emit/colours.py)."""
        if not colour:
            return self.theme.ink
        if self.theme is COLORS["dark"]:
            return readable(colour, self.theme.background, self.theme.ink)
        return as_hex(colour)

    def _noted_label(self, label: str, notes: tuple[str, ...]) -> str:
        """An edge's label with its notes under it, each in a dashed note box: a note on a
        transition is drawn on the transition, not beside its source state."""
        rows = [f"<TR><TD>{dot_html(label)}</TD></TR>"] if label else []
        for note in notes:
            rows.append(
                f'<TR><TD BORDER="1" STYLE="dashed" CELLPADDING="4" '
                f'BGCOLOR="{self.theme.note_fill}" COLOR="{self.theme.ink}">'
                f'<FONT POINT-SIZE="10">{dot_html(note)}</FONT></TD></TR>'
            )
        return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2">{"".join(rows)}</TABLE>>'

    def _end_caption(self, state: State) -> str:
        """A final or terminate state's name (or label) beside its symbol, with its activities
        under it: two finals of one chart must not look the same, and the runtime runs a final
        state's `entry/` actions, so the picture shows them."""
        lines = [f"<B>{_caption(state)}</B>"]
        lines += [dot_html(line) for line in self._compartment(state)]
        colour = f' COLOR="{dot_html(self._ink(state.color))}"' if state.color else ""
        body = '<BR ALIGN="LEFT"/>'.join(lines)
        return f'<<FONT POINT-SIZE="10"{colour}>{body}</FONT>>'

    def _box(self, state: State) -> str:
        """The HTML-like label of a regular state: name, then its activities compartment."""
        ink = self._ink(state.color)
        active = state.active or state.name in self.active
        border = "3" if active else ("2" if state.color else "1")
        name = f"<B>{_caption(state)}</B>"
        if state.color:  # as smcat: the name in the state's colour too
            name = f'<FONT COLOR="{dot_html(ink)}">{name}</FONT>'
        rows = [f'<TR><TD CELLPADDING="6">{name}</TD></TR>']
        lines = self._compartment(state)
        if lines:
            body = "".join(f'{dot_html(line)}<BR ALIGN="LEFT"/>' for line in lines)
            rows.append("<HR/>")
            rows.append(f'<TR><TD ALIGN="LEFT" BALIGN="LEFT" CELLPADDING="5">{body}</TD></TR>')
        return (
            f'<<TABLE STYLE="ROUNDED" BORDER="{border}" CELLBORDER="0" CELLSPACING="0" '
            f'COLOR="{dot_html(ink)}" BGCOLOR="{dot_html(self._fill(state))}">'
            f"{''.join(rows)}</TABLE>>"
        )

    def _compartment(self, state: State) -> list[str]:
        lines = []
        for action in state.actions:
            if action.kind is ActionKind.ACTIVITY:
                lines.append(action.body)
            else:
                lines.append(f"{action.kind.value}/ {action.body}".rstrip())
        for transition in self.chart.transitions_from(state.name):
            if _drawn_inside(transition):
                lines.append(_label(transition) or "(internal)")
        return lines

    def _fill(self, state: State) -> str:
        if state.active or state.name in self.active:
            return self.theme.active_fill
        return self.theme.fill

    def _cluster(self, state: State, depth: int, *, region: bool) -> None:
        assert state.region is not None
        pad = "  " * depth
        t = self.theme
        node_id = self.ids[state.name]
        active = state.active or state.name in self.active
        style = "dashed" if region else "rounded"
        if active:
            style += ",filled"
        ink = self._ink(state.color)
        title = [f"<B>{_caption(state)}</B>"]
        if state.color:
            title[0] = f'<FONT COLOR="{dot_html(ink)}">{title[0]}</FONT>'
        title += [dot_html(line) for line in self._compartment(state)]
        label = '<BR ALIGN="LEFT"/>'.join(title) + '<BR ALIGN="LEFT"/>'
        attributes = {
            "label": f"<{label}>",
            "labeljust": "l",
            "style": dot_string(style),
            "color": dot_string(t.active_ink if active else ink),
            "fillcolor": dot_string(t.active_tint),
            "penwidth": "2.5" if active else ("2" if state.color else "1"),
            "margin": "12",
        }
        if state.kind is StateKind.PARALLEL:
            attributes["style"] = dot_string("rounded" + (",filled" if active else ""))
        lit = "active" if active else None
        attributes["class"] = dot_string(_classes("state", state.kind.value, state.css_class, lit))
        self.lines.append(f"{pad}subgraph cluster_{node_id} {{")
        for key, value in attributes.items():
            self.lines.append(f"{pad}  {key}={value}")
        self.lines.append(
            f"{pad}  {node_id} [shape=point, style=invis, width=0.01, height=0.01, "
            'label="", class="anchor"]'
        )
        self._states(state.region.states, depth + 1, parallel=state.kind is StateKind.PARALLEL)
        self.lines.append(f"{pad}}}")

    def _notes(self, notes: tuple[str, ...], anchor: str, depth: int) -> None:
        pad = "  " * depth
        for note in notes:
            self.note_count += 1
            note_id = f"note{self.note_count}"
            self.lines.append(
                f'{pad}{note_id} [shape=note, style=filled, fillcolor="{self.theme.note_fill}", '
                f'fontsize=10, class="note", label={dot_string(note)}]'
            )
            self.lines.append(
                f"{pad}{note_id} -> {anchor} [style=dashed, arrowhead=none, "
                'weight=0, class="note-link"]'
            )

    # -- transitions ---------------------------------------------------------------------------

    def _anchor(self, name: str) -> str:
        return self.ids.get(name, "")

    def _edge(self, transition: Transition) -> None:
        if _drawn_inside(transition):
            return
        source, target = transition.source, transition.target
        if source not in self.ids or target not in self.ids:
            return
        attributes: dict[str, str] = {}
        label = _label(transition)
        if transition.notes:
            attributes["label"] = self._noted_label(label, transition.notes)
        elif label:
            attributes["label"] = dot_string(" " + label + " ")
        if label:  # the whole label on hover, over the line and over the label
            attributes["tooltip"] = attributes["labeltooltip"] = dot_string(label)
        composite = self.composites
        if source in composite and source not in self.chart.ancestors_of(target):
            attributes["ltail"] = f"cluster_{self.ids[source]}"
        if target in composite and target not in self.chart.ancestors_of(source):
            if target != source:
                attributes["lhead"] = f"cluster_{self.ids[target]}"
        if transition.color:
            attributes["color"] = dot_string(self._ink(transition.color))
            attributes["fontcolor"] = dot_string(self._ink(transition.color))
        if transition.width:
            attributes["penwidth"] = f"{transition.width:g}"
        taken = transition.id in self.last
        extra = f"{transition.css_class or ''} taken".strip() if taken else transition.css_class
        attributes["class"] = dot_string(_classes("transition", extra))
        if transition.kind is TransitionKind.INTERNAL:
            attributes["style"] = "dashed"
        if taken:
            attributes["color"] = dot_string(self.theme.accent)
            attributes["fontcolor"] = dot_string(self.theme.accent)
            attributes["penwidth"] = "2.5"
        attributes["id"] = f'"t{transition.id}"'
        self.lines.append(f"  {self.ids[source]} -> {self.ids[target]} [{_attributes(attributes)}]")


def _drawn_inside(transition: Transition) -> bool:
    """Internal self-transitions are listed in the state's compartment instead of a loop."""
    return transition.kind is TransitionKind.INTERNAL and transition.source == transition.target


def _label(transition: Transition) -> str:
    text = transition.label if transition.label is not None else compose_label(transition)
    return " ".join(text.split())


def _caption(state: State) -> str:
    # Graphviz rejects an empty <B></B>: an unnamed state shows a non-breaking space.
    return dot_html(state.label or state.name) or "&#160;"


#: The labels' font: a family list whose members have the same metrics (Liberation Sans and
#: Arimo are drawn to Arial's, Arial to Helvetica's). Graphviz measures every label with the
#: first one it finds and writes the list into the SVG, so a browser (which takes the first it
#: has) draws text as wide as the layout made room for: labels stay centred in their boxes.
#: DejaVu Sans, which Graphviz picks for "Helvetica" on Linux, is wider than all of them.
FONT = "Liberation Sans, Arimo, Arial, Helvetica, sans-serif"


def _classes(*names: str | None) -> str:
    return " ".join(name for name in names if name)


def _attributes(attributes: Mapping[str, str]) -> str:
    return ", ".join(f"{key}={value}" for key, value in attributes.items())
