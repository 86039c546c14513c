"""Rules on names and text: states declared twice or in conflict, states used but never
declared (with a likely spelling), and text that state-machine-cat reads surprisingly (arrows
inside labels, keywords as names, invisible characters).
"""

from __future__ import annotations

import bisect
import difflib
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from ...runtime.compiling import GuardSyntaxError, own_conditions
from ..diagnostics import Diagnostic, Related
from ..ir import Span, State, StateKind
from .model import Model, finding

_ARROW = re.compile(r"=>>|=>|->|>>|:>|--|==|<<=|<=|<-|<<|<:")


# -- declarations -----------------------------------------------------------------------------


def check_declarations(model: Model) -> Iterator[Diagnostic]:
    chart = model.chart
    first: dict[str, State] = {}
    for state in chart.states():
        earlier = first.setdefault(state.name, state)
        if earlier is not state:
            yield finding(
                "SC018",
                f"state `{state.name}` is declared twice; all states share one namespace",
                state.span,
                "rename one of them",
                (Related(earlier.span, "the first declaration"),),
            )
            yield from _conflict(state, earlier)
    for replaced in chart.shadowed:
        winner = next(
            (
                s
                for s in chart.states()
                if s.name == replaced.name
                and (s.span.line, s.span.column) > (replaced.span.line, replaced.span.column)
            ),
            None,
        )
        yield finding(
            "SC018",
            f"state `{replaced.name}` is declared again later in this list, which replaces "
            "this declaration",
            replaced.span,
            "declare each state once",
            (Related(winner.span, "the declaration that wins"),) if winner else (),
        )
        if winner is not None:
            yield from _conflict(replaced, winner)


def _conflict(one: State, other: State) -> Iterator[Diagnostic]:
    if one.kind is not other.kind:
        yield finding(
            "SC019",
            f"state `{one.name}` is declared as {one.kind.value} here and as "
            f"{other.kind.value} elsewhere",
            one.span,
            "give the declarations the same type",
            (Related(other.span, f"declared as {other.kind.value} here"),),
        )


def check_undeclared(model: Model) -> Iterator[Diagnostic]:
    chart = model.chart
    machines = [chart.region] + [s.region for s in chart.states() if s.region is not None]
    names = _Names(s.name for s in chart.states() if s.declared)
    for machine in machines:
        # Only where this level declares its states: a level that declares none declares its
        # states by using them, which is smcat's normal style.
        if not any(s.declared for s in machine.states):
            continue
        for state in machine.states:
            if state.declared:
                continue
            close = names.closest(state.name)
            if close is not None:  # a misspelling makes a new state: what runs is not meant
                yield finding(
                    "SC036",
                    f"state `{state.name}` is only named in transitions, and is named like the "
                    f"declared state `{close}`",
                    state.span,
                    f"did you mean `{close}`?",
                )
                continue
            yield finding(
                "SC020",
                f"state `{state.name}` is only named in transitions, while the states beside it "
                "are declared",
                state.span,
                f"declare `{state.name}` with the other states of its level",
            )


class _Names:
    """Declared names, for "did you mean": the closest name by difflib's ratio (at least 0.6)
    among those of about the same length (±2). Where that pool is larger than `POOL`, it is
    narrowed to the names next to the query in sorted order and in sorted reversed order (a
    typo seldom touches both ends of a name), so a chart with thousands of misspelt names is
    checked in near-linear time; smaller pools, every chart people write, give exactly
    difflib's answer over the whole pool."""

    POOL = 64

    def __init__(self, names: Iterable[str]) -> None:
        unique = sorted(set(names))
        self.by_length: dict[int, list[str]] = defaultdict(list)
        for name in unique:
            self.by_length[len(name)].append(name)
        self.forward = unique
        self.backward = sorted(name[::-1] for name in unique)

    def closest(self, name: str) -> str | None:
        lengths = range(len(name) - 2, len(name) + 3)
        pool = [n for length in lengths for n in self.by_length.get(length, ())]
        if len(pool) > self.POOL:
            side = self.POOL // 4
            near = set(_neighbours(self.forward, name, side))
            near.update(n[::-1] for n in _neighbours(self.backward, name[::-1], side))
            pool = sorted(n for n in near if len(n) in lengths)
        close = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
        return close[0] if close else None


def _neighbours(ordered: list[str], name: str, count: int) -> list[str]:
    """Up to `count` entries of the sorted list on each side of where `name` would go."""
    position = bisect.bisect_left(ordered, name)
    return ordered[max(0, position - count) : position + count]


# -- text that smcat reads surprisingly --------------------------------------------------------

_NAME_KEYWORDS = {
    StateKind.INITIAL: ("initial",),
    StateKind.FINAL: ("final",),
    StateKind.PARALLEL: ("parallel",),
    StateKind.HISTORY: ("history",),
    StateKind.DEEP_HISTORY: ("deep", "history"),
}


def check_text(model: Model) -> Iterator[Diagnostic]:
    for transition in model.transitions:
        label = transition.label or ""
        if "\n" in label and _ARROW.search(label):
            yield finding(
                "SC021",
                "this label spans lines and contains an arrow: a `;` may be missing",
                transition.span,
                "end the transition before the next one with `;`",
            )
        if transition.event and transition.event.count('"') % 2:
            yield finding(
                "SC022",
                f"the event `{transition.event}` has an unbalanced quote",
                transition.span,
                'close the quote, or quote the whole label: `a => b: "event";`',
            )
    for state in model.chart.states():
        if len(state.actions) > 1 and any(_ARROW.search(a.body) for a in state.actions):
            yield finding(
                "SC021",
                f"the activities of `{state.name}` span lines and contain an arrow: a `;` may "
                "be missing",
                state.span,
                "end the declarations with `;` before the transitions",
            )
        words = _NAME_KEYWORDS.get(state.kind)
        if state.kind_explicit or words is None:
            continue
        if not all(re.search(rf"(?<![A-Za-z0-9]){w}(?![A-Za-z0-9])", state.name) for w in words):
            yield finding(
                "SC023",
                f"state `{state.name}` is {_article(state.kind.value)} {state.kind.value} state "
                "because its name contains "
                f"`{words[-1]}`",
                state.span,
                f"write `{state.name} [type=regular]` if it is a regular state",
            )


# C0 and C1 controls but tab and newline, line and paragraph separators, bidirectional
# controls ("Trojan Source"), lone surrogates
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)


def check_invisible(model: Model) -> Iterator[Diagnostic]:
    """Chart text holding a control character (SC030): every output shows it as an escape
    (SCXML cannot hold it at all), and on a terminal or in a review it hides what it says."""

    def found(what: str, text: str | None, span: Span) -> Iterator[Diagnostic]:
        match = _INVISIBLE.search(text or "")
        if match is not None:
            yield finding(
                "SC030",
                f"{what} holds the invisible character U+{ord(match.group()):04X}",
                span,
                "remove it: outputs show it as an escape such as `\\x00`, and SCXML cannot hold it",
            )

    for state in model.chart.states():
        yield from found(f"the name of state `{state.name}`", state.name, state.span)
        yield from found(f"the label of state `{state.name}`", state.label, state.span)
        for action in state.actions:
            yield from found(f"an activity of state `{state.name}`", action.body, state.span)
        for note in state.notes:
            yield from found(f"a note of state `{state.name}`", note, state.span)
    for transition in model.transitions:
        where = f"the transition `{transition.source}` -> `{transition.target}`"
        for part in (transition.event, transition.guard, transition.action):
            yield from found(where, part, transition.span)
        for note in transition.notes:
            yield from found(f"a note of {where}", note, transition.span)


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def foreign_datamodel(chart: Any) -> bool:
    """Whether the chart's conditions are its datamodel's (ECMAScript, null), not guards."""
    return own_conditions(chart.datamodel_language)


def check_guard_language(model: Model) -> Iterator[Diagnostic]:
    """A guard the runtime cannot read (SC029), on every chart (but for a document whose own
    datamodel evaluates its conditions): an error wherever the chart may run (`check`,
    `simulate`, `-T python|scxml|xstate`), one warning for the chart where it is only drawn
    (`check.runs`)."""
    if foreign_datamodel(model.chart):
        return
    for transition, text, error in model.guards():
        if isinstance(error, GuardSyntaxError):
            yield finding(
                "SC029",
                f"the guard [{text}] is not in the guard language: {error}",
                transition.span,
                "use names, numbers, quoted strings, comparisons, arithmetic, and/or/not, `in` "
                "and In('state') (docs/semantics.md)",
            )


def check_unclosed_guards(model: Model) -> Iterator[Diagnostic]:
    """SC035: a label whose `[` no `]` closes (`go [x > ;`): smcat reads the event before it
    and drops the rest, guard and all, so the transition is taken without the condition."""
    for transition in model.transitions:
        label = transition.label or ""
        opened = label.find("[")
        if opened < 0 or transition.guard is not None or "]" in label[opened:]:
            continue
        head = label[:opened].strip()
        yield finding(
            "SC035",
            f"the label `{label}` opens a guard that no `]` closes: smcat reads the event "
            f"`{head}` and drops `{label[opened:].strip()}`, so no condition is tested",
            transition.span,
            f"close the guard: `{head} [{label[opened + 1 :].strip() or '...'}]`",
        )
