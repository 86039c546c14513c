"""Rules of one output, run only when it is asked for (`check --target`, or compiling to it):
for `python`, names that clash once they are Python identifiers (SC020-SC029) and guards outside
the runtime's language; for `scxml`, events SCXML cannot name and guards that are not portable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ...runtime.expr import GuardSyntaxError, guard_names
from ...runtime.model import activity_role
from ...runtime.timers import delay_ms
from ..diagnostics import Diagnostic
from ..guards import ecmascript
from ..ir import ActionKind, Span
from ..names import (
    RESERVED_METHODS,
    enum_member,
    event_method,
    hook_name,
    is_keyword_name,
    python_identifier,
    scxml_event,
)
from .model import Model, finding

# -- generated Python ---------------------------------------------------------------------------


def check_python_names(model: Model) -> Iterator[Diagnostic]:
    states = [s for s in model.chart.states() if model.chart.state(s.name) is s]
    yield from _clashes("state", [(s.name, s.span) for s in states], enum_member)
    events: dict[str, Span] = {}
    for transition in model.transitions:
        if transition.event and "*" not in transition.event and delay_ms(transition.event) is None:
            events.setdefault(transition.event, transition.span)
    yield from _clashes("event", list(events.items()), event_method)
    yield from _check_hooks(model, {event_method(e): e for e in events})


def _check_hooks(model: Model, event_methods: dict[str, str]) -> Iterator[Diagnostic]:
    """Action texts become hook methods (SC028): two texts may not become one method, nor a
    hook take the name of an event method or of a method every machine has."""
    hooks: dict[str, Span] = {}
    for state in model.chart.states():
        for action in state.actions:
            role = activity_role(action.body) if action.kind is ActionKind.ACTIVITY else None
            if role is not None and role[0] == "invoke":
                method = "invoke_" + python_identifier(role[1])
                event_methods.setdefault(method, f"invoke/ {role[1]}")
            elif role is not None and role[0] == "compensate" and role[1]:
                hooks.setdefault(role[1], state.span)
            elif role is None and action.body.strip() and action.content is None:
                hooks.setdefault(action.body, state.span)  # (content runs, it is no hook)
    for transition in model.transitions:
        if transition.action and transition.content is None:
            hooks.setdefault(transition.action, transition.span)
    owner: dict[str, str] = {}
    for text, span in hooks.items():
        method = hook_name(text)
        if is_keyword_name(text):
            yield finding(
                "SC025",
                f"action `{text}` is the hook method `{method}` (a Python keyword gets `_`)",
                span,
                "nothing to do; reword the action for a plainer method name",
            )
        clash = None
        if method in event_methods:
            clash = f"the method for `{event_methods[method]}`"
        elif method in RESERVED_METHODS:
            clash = f"`{method}`, which every machine has"
        elif owner.setdefault(method, text) != text:
            clash = f"the hook of action `{owner[method]}`"
        if clash is not None:
            yield finding(
                "SC028",
                f"action `{text}` would be the hook method `{method}`, the name of {clash}",
                span,
                "reword one of them (docs/python.md has the naming rule)",
            )
    guards: dict[str, str] = {}
    for transition in model.transitions:
        for name in _guard_names(transition.guard):
            method = "guard_" + python_identifier(name)
            if guards.setdefault(method, name) != name:
                yield finding(
                    "SC028",
                    f"guard names `{guards[method]}` and `{name}` both become `{method}`",
                    transition.span,
                    "rename one of them",
                )


def _guard_names(guard: str | None) -> list[str]:
    text = (guard or "").strip()
    if not text or text == "else":
        return []
    try:
        return guard_names(text)
    except GuardSyntaxError:
        return []


def _clashes(
    what: str, names: list[tuple[str, Span]], naming: Callable[[str], str]
) -> Iterator[Diagnostic]:
    owner: dict[str, str] = {}
    for name, span in names:
        identifier = naming(name)
        if is_keyword_name(name):
            yield finding(
                "SC025",
                f"{what} `{name}` is `{identifier}` in Python (a Python keyword gets `_`)",
                span,
                f"nothing to do; rename the {what} for a plainer name",
            )
        other = owner.setdefault(identifier, name)
        if other != name:
            yield finding(
                "SC024",
                f"{what}s `{other}` and `{name}` both become `{identifier}` in Python",
                span,
                f"rename one of the {what}s",
            )


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
