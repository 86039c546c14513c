"""What every rule shares: the `Model` of a chart (computed once per check), `finding`, and the
states a region is entered in by default.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...runtime.compiling import GuardSyntaxError, Tree, parse_guard
from ..codes import CODES
from ..diagnostics import Diagnostic, Related
from ..ir import Chart, Region, Span, State, StateKind, Transition

HISTORY = (StateKind.HISTORY, StateKind.DEEP_HISTORY)
BRANCHING = (StateKind.CHOICE, StateKind.JUNCTION)


def finding(
    code: str,
    message: str,
    span: Span,
    hint: str | None = None,
    related: tuple[Related, ...] = (),
) -> Diagnostic:
    return Diagnostic(code, CODES[code].severity, message, span, hint, related)


@dataclass(frozen=True)
class Sequential:
    """A region whose states are entered one at a time: the chart, or a non-parallel composite."""

    owner: State | None
    region: Region


class Model:
    """What the rules share, computed once."""

    def __init__(self, chart: Chart) -> None:
        self.chart = chart
        self.transitions = chart.transitions()
        self.regions: list[Sequential] = [Sequential(None, chart.region)]
        self.regions += [
            Sequential(s, s.region)
            for s in chart.states()
            if s.region is not None and s.kind is not StateKind.PARALLEL
        ]
        self.targeted = {t.target for t in self.transitions}
        self.defaults: dict[str | None, tuple[State, ...]] = {}
        self._guards: list[tuple[Transition, str, Tree | GuardSyntaxError]] | None = None

    def guards(self) -> list[tuple[Transition, str, Tree | GuardSyntaxError]]:
        """Each guarded transition (not `[else]`) with its guard's text and its parsed tree,
        or the reason it is not in the guard language: parsed once for every rule."""
        if self._guards is None:
            found: list[tuple[Transition, str, Tree | GuardSyntaxError]] = []
            for transition in self.transitions:
                text = (transition.guard or "").strip()
                if not text or text == "else":
                    continue
                try:
                    found.append((transition, text, parse_guard(text)))
                except GuardSyntaxError as error:
                    found.append((transition, text, error))
            self._guards = found
        return self._guards

    def span_of(self, owner: State | None) -> Span:
        if owner is not None:
            return owner.span
        first = self.chart.region.states
        return first[0].span if first else Span(self.chart.file, 1, 1, 1, 1)

    def where(self, owner: State | None) -> str:
        return "the chart" if owner is None else f"`{owner.name}`"


# -- entering regions -----------------------------------------------------------------------


def entered_by_default(model: Model) -> set[str | None]:
    """Owners (None: the chart) of regions entered without naming a state inside them."""
    chart = model.chart
    entered: set[str | None] = {None}
    for state, parent in chart.walk():
        if state.region is None:
            continue
        parent_state = chart.state(parent) if parent is not None else None
        if (
            state.name in model.targeted
            or (
                parent in entered
                and parent_state is not None
                and parent_state.kind is StateKind.PARALLEL
            )
            or (parent in entered and any(state is s for s in defaults(model, parent_state)))
        ):
            entered.add(state.name)
    return entered


def defaults(model: Model, owner: State | None) -> tuple[State, ...]:
    """The states a region starts in: its initial state's targets, else its default child.
    Memoised per region: every child of a region asks."""
    key = owner.name if owner is not None else None
    cached = model.defaults.get(key)
    if cached is None:
        cached = model.defaults[key] = _compute_defaults(model, owner)
    return cached


def _compute_defaults(model: Model, owner: State | None) -> tuple[State, ...]:
    machine = model.chart.region if owner is None else owner.region
    assert machine is not None
    initials = [s for s in machine.states if s.kind is StateKind.INITIAL]
    if initials:
        names = {t.target for t in model.chart.transitions_from(initials[0].name)}
        return tuple(s for s in machine.states if s.name in names)
    child = machine.default_child()
    return (child,) if child is not None else ()
