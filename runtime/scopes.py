"""Listeners that wrap each macrostep: a listener with `begin(event, data)` and
`end(event, error)` (as `observe.Recorder` has) is told when a macrostep for a sent event
begins and ends, so that a tracer's span is current while the step's hooks run and their own
spans (a database call, an HTTP request) nest under it. Both engines call these, only while
listeners are attached; a plain function listener is not affected.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

Listener = Callable[[dict[str, Any]], Any]


class Listeners(list[Listener]):
    """A machine's listeners, in the order they were added, and (`scoped`) those among them
    that wrap a macrostep, found when one is added or removed rather than at every step."""

    __slots__ = ("scoped",)

    def __init__(self) -> None:
        super().__init__()
        self.scoped: tuple[Any, ...] = ()

    def add(self, listener: Listener) -> None:
        self.append(listener)
        self.scoped = tuple(one for one in self if hasattr(one, "begin"))

    def discard(self, listener: Listener) -> None:
        """Remove `listener` (a `ValueError` when it was not added)."""
        self.remove(listener)
        self.scoped = tuple(one for one in self if hasattr(one, "begin"))


def begin_scopes(scoped: Sequence[Any], event: str, data: Mapping[str, Any]) -> None:
    """Tell the listeners that wrap a macrostep (`Listeners.scoped`) that one begins: a
    tracer's span is then current while the step's hooks run, so that their spans nest."""
    for listener in scoped:
        listener.begin(event, data)


def end_scopes(scoped: Sequence[Any], event: str, error: BaseException | None) -> None:
    """Tell them it ended (innermost first)."""
    for listener in reversed(scoped):
        listener.end(event, error)


@contextlib.contextmanager
def scope(scoped: Sequence[Any], event: str, data: Mapping[str, Any]) -> Iterator[None]:
    """`begin_scopes` and `end_scopes` around a block (the error it raised, if any). The
    interpreter writes the same inline: its unlistened step pays for no context manager."""
    if not scoped:
        yield
        return
    begin_scopes(scoped, event, data)
    try:
        yield
    except BaseException as error:
        end_scopes(scoped, event, error)
        raise
    end_scopes(scoped, event, None)
