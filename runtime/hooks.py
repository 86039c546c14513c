"""Every hook accounted for: the hooks a machine is given, checked against its chart.

A hook given for a name the chart does not have (`"captur funds"`) is a mistake that would
otherwise be silent: the action it was meant for runs nothing. So a machine refuses, when it
is made, hooks whose names match no action text, guard text or name a guard reads
(`UnknownHookError`, with the closest name), and a chart whose actions have no hook
(`MissingHooksError`) unless it is made `partial=True` (then an action without a hook does
nothing and listeners still hear it), exactly as a generated class refuses a subclass that
leaves a hook out. Blocks of executable content (SCXML) run themselves and need no hook.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import MissingHooksError, UnknownHookError
from .expr import guard_names
from .model import Model


def action_texts(model: Model) -> list[str]:
    """The chart's action texts that a hook runs, in document order, each once: entry and
    exit actions, the actions of initial transitions and of the others, compensations."""
    found: dict[str, None] = {}
    steps: list[Any] = list(model.root.initial_actions)
    for node in model.nodes.values():
        steps += [*node.initial_actions, *node.entry, *node.exit, *node.compensations]
        for edge in node.transitions:
            steps += edge.actions
    for step in steps:
        if isinstance(step, str):
            found.setdefault(step, None)
    return list(found)


def guard_texts(model: Model) -> list[str]:
    """What a guard hook may be given for: a whole guard's text, or a name a guard reads."""
    found: dict[str, None] = {}
    for node in model.nodes.values():
        for edge in node.transitions:
            text = edge.guard_text
            if text is None or text == "else":
                continue
            found.setdefault(text, None)
            if edge.guard is not None:
                for name in guard_names(text):
                    found.setdefault(name, None)
    return list(found)


def check(
    model: Model,
    actions: Mapping[str, Any],
    guards: Mapping[str, Any],
    *,
    partial: bool,
) -> None:
    """Refuse hooks for names the chart does not have, and (unless `partial`) actions left
    without a hook; see the module docstring. The chart's names are worked out once per
    model (a generated class makes an interpreter per instance, the tables one per state)."""
    if partial and not actions and not guards:
        return
    if model.hook_names is None:
        model.hook_names = (tuple(action_texts(model)), tuple(guard_texts(model)))
    texts, guarded = model.hook_names
    _refuse_unknown(actions, texts, "action")
    _refuse_unknown(guards, guarded, "guard")
    missing = [text for text in texts if text not in actions]
    if missing and not partial:
        listed = ", ".join(f"`{text}`" for text in missing[:10])
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        raise MissingHooksError(
            f"the chart's actions {listed}{more} have no hook: give each one "
            "(`actions={text: function}`, or `hooks=` an object with them), or make the "
            "machine `partial=True` to run without them"
        )


def _refuse_unknown(given: Iterable[str], known: tuple[str, ...], what: str) -> None:
    if not given:
        return
    names = frozenset(known)
    for name in given:
        if name in names:
            continue
        close = difflib.get_close_matches(str(name), known, n=1, cutoff=0.6)
        hint = f" (did you mean `{close[0]}`?)" if close else ""
        raise UnknownHookError(
            f"a hook for `{name}`, which is no {what} of the chart{hint}: its {what}s are "
            + (", ".join(f"`{k}`" for k in known[:10]) or "none")
        )
