"""A generated class's tables made callable, once per concrete class (`resolve_tables`).

A generated module holds its tables as data (`runtime.tables`: guard, hook and configuration
numbers). When a class is defined (the generated one, and each subclass that implements the
hooks), `resolve` puts the class's own hook and guard methods in place of the numbers, picks out
the plain steps that the event methods and `send` take inline, and builds each plain step's
`Outcome` once. The numbers an instance is at (`_c`) are the configurations and the markers
below.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .awaiting import bridged, is_coroutine_function
from .declared import of_document
from .errors import MissingHooksError as MissingHooksError
from .errors import StatewrightError
from .outcome import Outcome
from .reserved import reserved

# An instance's number (`_c`): a configuration (0, 1, ...) or one of these. While hooks run,
# it is BUSY - c (c: the configuration the step started from), which no table row knows, so an
# event sent by a hook takes the slow path and waits for the step to end.
ON_INTERPRETER = -1
NOT_STARTED = -2
INTERPRETER_BUSY = -3
BUSY = -10

GuardFunction = Callable[[Any, Mapping[str, Any]], bool]
#: (guard or None, hook functions, target configuration, listener record per hook, whether the
#: target has eventless transitions to follow)
ResolvedArm = tuple[
    GuardFunction | None, tuple[Callable[..., Any], ...], int, tuple[Any, ...], bool
]

#: a plain step: (hook functions, target configuration, listener record per hook, what the
#: send did)
PlainStep = tuple[tuple[Callable[..., Any], ...], int, tuple[Any, ...], Outcome]

#: the shape of the tables a generated module holds and reads (`TABLES`); a module generated
#: for another shape is refused with a message to generate it again
TABLES = 2


class OutdatedModuleError(StatewrightError, TypeError):
    """A generated module was made by a statewright whose tables this runtime does not read."""


def resolve_tables(cls: Any) -> None:
    """Fill in a concrete class's resolved tables (`_rows`, `_steps`, ...) from what its
    generated module holds: hook and guard methods in place of indices, and each plain
    step's `Outcome` built once."""
    functions = tuple(
        bridged(f) if is_coroutine_function(f) else f
        for f in (getattr(cls, name) for _, name in cls.HOOKS)
    )
    for method in cls.GUARD_NAMES.values():
        if is_coroutine_function(getattr(cls, method)):
            raise MissingHooksError(f"{cls.__name__}.{method} is a coroutine: guards are plain")
    texts = tuple(text for text, _ in cls.HOOKS)
    cls._declared = of_document(cls.CHART)

    def arm(raw: tuple[int, tuple[tuple[int, str], ...], int]) -> ResolvedArm:
        guard, steps, target = raw
        return (
            cls.GUARDS[guard] if guard >= 0 else None,
            tuple(functions[i] for i, _ in steps),
            target,
            tuple({"action": texts[i], "kind": kind} for i, kind in steps),
            target in cls.EVENTLESS,
        )

    waiting = {c: None for c in (ON_INTERPRETER, NOT_STARTED, INTERPRETER_BUSY)}
    waiting.update({BUSY - c: None for c in range(len(cls.CONFIGURATIONS))})
    cls._rows = {
        event: {
            **waiting,
            **{c: None if arms is None else tuple(arm(a) for a in arms) for c, arms in row.items()},
        }
        for event, row in cls.ROWS.items()
    }
    unknown: dict[int, tuple[ResolvedArm, ...] | None] = dict(waiting)
    cls._by_event = tuple(cls._rows.get(event, unknown) for event in cls.EVENTS)
    cls._named_steps = {
        event: {
            c: (
                arms[0][1],
                arms[0][2],
                arms[0][3],
                Outcome(event, True, cls.ATOMIC[arms[0][2]]),
            )
            for c, arms in row.items()
            if arms is not None and len(arms) == 1 and arms[0][0] is None and not arms[0][4]
        }
        for event, row in cls._rows.items()
        # `send` refuses those on its slow path, and checks the data of declared events there
        if not reserved(event) and event not in cls._declared.events
    }
    cls._steps = tuple(
        {
            c: (calls, target, outcome)
            for c, (calls, target, _, outcome) in cls._named_steps.get(event, {}).items()
        }
        for event in cls.EVENTS
    )
    cls._outcomes = {}
    cls._eventless = {
        c: None if arms is None else tuple(arm(a) for a in arms)
        for c, arms in cls.EVENTLESS.items()
    }
    cls._initial = arm(cls.INITIAL) if cls.INITIAL is not None else None
    cls._ids = {frozenset(c): i for i, c in enumerate(cls.CONFIGURATIONS)}
    cls._active_sets = tuple(frozenset(c) for c in cls.CONFIGURATIONS)
