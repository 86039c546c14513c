"""Rules of one output, run only when it is asked for (`check --target`, or compiling to it):
for `python`, names that clash once they are Python identifiers (SC020-SC029) and guards outside
the runtime's language; for `scxml`, events SCXML cannot name and guards that are not portable.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...runtime.compiling import GuardSyntaxError, delay_ms, guard_names
from ...runtime.lowering import activity_role
from ..diagnostics import Diagnostic
from ..guards import ecmascript
from ..ir import ActionKind, Span
from ..names import PythonNames, is_keyword_name, scxml_event
from .declarations import foreign_datamodel
from .model import Model, finding

# -- generated Python ---------------------------------------------------------------------------


def check_python_names(model: Model) -> Iterator[Diagnostic]:
    """What the generated class spells differently from the chart: a Python keyword gets `_`
    (SC025), a name whose identifier another took gets `_2`, `_3`... (SC024 for states and
    events, SC028 for hooks, guard names and invoked machines). Information: nothing is
    refused for its name."""
    chart = model.chart
    spans: dict[tuple[str, str], Span] = {}
    states = [s for s in chart.states() if chart.state(s.name) is s]
    for state in states:
        spans[("state", state.name)] = state.span
    events: list[str] = []
    for transition in model.transitions:
        event = transition.event
        if event and "*" not in event and delay_ms(event) is None and event not in events:
            events.append(event)
            spans[("event", event)] = transition.span
    hooks, invokes = _hooks_and_invokes(model, spans)
    guards: list[str] = []
    if not foreign_datamodel(chart):
        for transition in model.transitions:
            for name in _guard_names(transition.guard):
                if name not in guards:
                    guards.append(name)
                    spans[("guard name", name)] = transition.span
    names = PythonNames([s.name for s in states], events, hooks, guards, invokes)
    for what, written in (("state", [s.name for s in states]), ("event", events)):
        for name in written:
            if is_keyword_name(name):
                identifier = names.states[name] if what == "state" else names.event_members[name]
                yield finding(
                    "SC025",
                    f"{what} `{name}` is `{identifier}` in Python (a Python keyword gets `_`)",
                    spans[(what, name)],
                    f"nothing to do; rename the {what} for a plainer name",
                )
    for text in hooks:
        if is_keyword_name(text):
            yield finding(
                "SC025",
                f"action `{text}` is the hook method `{names.hooks[text]}` (a Python keyword "
                "gets `_`)",
                spans[("action", text)],
                "nothing to do; reword the action for a plainer method name",
            )
    for what, name, identifier, owner in names.renamed:
        yield finding(
            "SC024" if what in ("state", "event") else "SC028",
            f"{what} `{name}` is `{identifier}` in Python: its plain name is {owner}'s",
            spans.get(
                (what, name),
                chart.region.states[0].span if chart.region.states else Span("", 0, 0, 0, 0),
            ),
            f"nothing to do; rename the {what} for a plainer name (docs/python.md)",
        )


def _hooks_and_invokes(
    model: Model, spans: dict[tuple[str, str], Span]
) -> tuple[list[str], list[str]]:
    """The action texts that become hook methods (not executable content), and the machines
    `invoke/` activities name, in the order the generated class lists them."""
    hooks: list[str] = []
    invokes: list[str] = []
    for state in model.chart.states():
        for action in state.actions:
            role = activity_role(action.body) if action.kind is ActionKind.ACTIVITY else None
            if role is not None and role[0] == "invoke":
                if role[1] not in invokes:
                    invokes.append(role[1])
                    spans[("invoked machine", role[1])] = state.span
            elif role is not None and role[0] == "compensate" and role[1]:
                text = role[1]
            elif role is None and action.body.strip() and action.content is None:
                text = action.body
            else:
                continue
            if role is None or role[0] == "compensate":
                if text not in hooks:
                    hooks.append(text)
                    spans[("action", text)] = state.span
    for transition in model.transitions:
        text = transition.action or ""
        if text and transition.content is None and text not in hooks:
            hooks.append(text)
            spans[("action", text)] = transition.span
    return hooks, invokes


def _guard_names(guard: str | None) -> list[str]:
    text = (guard or "").strip()
    if not text or text == "else":
        return []
    try:
        return guard_names(text)
    except GuardSyntaxError:
        return []


# -- XState ----------------------------------------------------------------------------------


def check_done_events(model: Model) -> Iterator[Diagnostic]:
    """SC034: XState raises no `done.state.*` or `done.invoke.*` event; the export says the
    ones it can as `onDone`, and a transition on any other never fires there."""
    chart = model.chart
    for transition in model.transitions:
        event = transition.event or ""
        if not event.startswith(("done.state.", "done.invoke.")):
            continue
        if chart.done_owner(transition) is not None:
            continue
        what = event.split(".", 2)[2] if event.count(".") >= 2 else ""
        yield finding(
            "SC034",
            f"`{transition.source}` takes `{event}`, which XState never raises: only the "
            "`onDone` of the state that finishes (or of its invoke) can say it",
            transition.span,
            (
                f"move the transition to `{what}` or a state around it"
                if event.startswith("done.state.")
                else f"take it on the state whose `invoke/ {what}` runs the machine"
            ),
        )


def check_scxml_events(model: Model) -> Iterator[Diagnostic]:
    """Event names SCXML would split or reject are exported under another name (SC027)."""
    first: dict[str, str] = {}
    seen: set[str] = set()
    for transition in model.transitions:
        event = transition.event
        if not event or event in seen or delay_ms(event) is not None:
            continue
        seen.add(event)
        exported = scxml_event(event)
        other = first.setdefault(exported, event)
        if exported == event and other == event:
            continue
        message = f"the event `{event}` is exported to SCXML as `{exported}`"
        if other != event:
            message = f"the events `{other}` and `{event}` are both `{exported}` in SCXML"
        yield finding(
            "SC027",
            message,
            transition.span,
            "use letters, digits, `_`, `-` and `.` in event names (what SCXML reads as one name)",
        )


def check_portable_guards(model: Model) -> Iterator[Diagnostic]:
    for transition in model.transitions:
        guard = (transition.guard or "").strip()
        if guard and guard != "else" and ecmascript(guard) is None:
            yield finding(
                "SC026",
                f"the guard [{guard}] is not in the portable subset; it is exported as written",
                transition.span,
                "use variables, numbers, 'strings', == != < <= > >=, && and ||, In('state'), "
                "or a single named guard",
            )
