"""What the executable exports (SCXML, XState) share when they compile smcat into plainer terms:
unique ids, the chart's `Outline` for the lowering of pseudo-states (`runtime.lowering`, shared
with the interpreter), and the activities that run.

Part of stage 3. It imports nothing from the parser.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ...runtime import lowering
from ...runtime.lowering import Arrow, Outline
from ..delays import delay_ms as delay_ms
from ..ir import Action, Chart, State, Transition


class Ids:
    """Unique ids for a chart's state names (first declaration wins), and fresh ids beside them.

    Args:
        chart: the chart whose states need ids.
        sanitize: turns a name into a valid base id for the target format.
    """

    def __init__(self, chart: Chart, sanitize: Callable[[str], str]) -> None:
        self.sanitize = sanitize
        self.taken: set[str] = set()
        self.of: dict[str, str] = {}
        for state in chart.states():
            if state.name not in self.of:
                self.of[state.name] = self._claim(sanitize(state.name))

    def fresh(self, base: str) -> str:
        """A new id, unused so far, made from `base`."""
        return self._claim(self.sanitize(base))

    def _claim(self, base: str) -> str:
        candidate, suffix = base, 2
        while candidate in self.taken:
            candidate, suffix = f"{base}_{suffix}", suffix + 1
        self.taken.add(candidate)
        return candidate


def outline(chart: Chart) -> Outline:
    """The chart as `runtime.lowering` reads it: the one lowering of forks, joins and choices
    that the interpreter, the SCXML export and the XState export share."""
    return Outline.build(
        ((state.name, state.kind.value, parent) for state, parent in chart.walk()),
        (Arrow(t.id, t.source, t.target, t.action) for t in chart.transitions()),
    )


def else_last(transitions: Iterable[Transition]) -> list[Transition]:
    """A choice's branches in document order, the else (or unguarded) branch moved last."""
    return lowering.else_last(transitions, lambda t: t.guard)


def runnable(state: State) -> list[Action]:
    """A state's activities that do something: a blank activity line runs nothing."""
    return [a for a in state.actions if a.body.strip()]
