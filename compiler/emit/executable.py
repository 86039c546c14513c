"""What the executable exports (SCXML, XState) share when they compile smcat into plainer terms:
unique ids, a choice's branches in the order they are tried, the activities that run. (The
lowering of forks and joins is `runtime.lowering`, read through `Chart.outline()`.)

Part of stage 3. It imports no reader.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ...runtime import lowering
from ...runtime.compiling import delay_ms as delay_ms
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


def else_last(transitions: Iterable[Transition]) -> list[Transition]:
    """A choice's branches in document order, the else (or unguarded) branch moved last."""
    return lowering.else_last(transitions, lambda t: t.guard)


def runnable(state: State) -> list[Action]:
    """A state's activities that do something: a blank activity line runs nothing."""
    return [a for a in state.actions if a.body.strip()]
