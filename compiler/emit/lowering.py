"""What the executable exports (SCXML, XState) share when they compile smcat into plainer terms.

Part of stage 3. It imports nothing from the parser.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..delays import delay_ms as delay_ms
from ..ir import Action, Chart, State, StateKind, Transition


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


def fork_targets(chart: Chart, name: str) -> list[str]:
    """The names a transition into `name` enters: the state itself, or, for a fork, the targets
    of its branches (forks into forks followed, each once)."""
    targets: list[str] = []
    pending, seen = [name], set()
    while pending:
        current = pending.pop(0)
        if current in seen:
            continue
        seen.add(current)
        if chart.has_state(current) and chart.state(current).kind is StateKind.FORK:
            pending.extend(branch.target for branch in chart.transitions_from(current))
        elif chart.has_state(current) and current not in targets:
            targets.append(current)
    return targets


def fork_actions(chart: Chart, name: str) -> list[str]:
    """The actions of a fork's branches, run by the one transition that replaces them."""
    if not chart.has_state(name) or chart.state(name).kind is not StateKind.FORK:
        return []
    return [b.action for b in chart.transitions_from(name) if b.action]


def else_last(transitions: Iterable[Transition]) -> list[Transition]:
    """A choice's branches in document order, the else (or unguarded) branch moved last."""
    return sorted(transitions, key=lambda t: t.guard is None or t.guard.strip() == "else")


def runnable(state: State) -> list[Action]:
    """A state's activities that do something: a blank activity line runs nothing."""
    return [a for a in state.actions if a.body.strip()]
