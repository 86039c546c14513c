"""What a hook returned, made a value: an awaitable is run to completion on the event loop of
the `AsyncMachine` (runtime.aio) driving the step.

Kept apart from aio.py, and written without `inspect`, so that a generated class, which calls
hooks and asks which are coroutines when it is defined, imports neither asyncio nor inspect
(together about half of its import time): `is_coroutine_function` and `is_awaitable` answer
as `inspect.iscoroutinefunction` and `inspect.isawaitable` do (tests hold them to it).
"""

from __future__ import annotations

import functools
import sys
import threading
import types
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from .errors import StatewrightError

T = TypeVar("T")

#: the event loop of the `AsyncMachine` whose step this thread runs (`aio` sets it)
local = threading.local()

# code flags (`inspect.CO_COROUTINE`, `inspect.CO_ITERABLE_COROUTINE`)
_CO_COROUTINE = 0x0080
_CO_ITERABLE_COROUTINE = 0x0100


def is_coroutine_function(function: Any) -> bool:
    """Whether calling `function` makes a coroutine (`async def`), through bound methods and
    `functools.partial`, as `inspect.iscoroutinefunction` says."""
    while True:
        if isinstance(function, functools.partial):
            function = function.func
        elif isinstance(function, types.MethodType):
            function = function.__func__
        else:
            break
    # marked by `inspect.markcoroutinefunction` (Python 3.12+: inspect is loaded to mark one)
    mark = getattr(sys.modules.get("inspect"), "_is_coroutine_mark", None)
    if mark is not None and getattr(function, "_is_coroutine_marker", None) is mark:
        return True
    return isinstance(function, types.FunctionType) and bool(
        function.__code__.co_flags & _CO_COROUTINE
    )


def is_awaitable(value: Any) -> bool:
    """Whether `value` can be awaited, as `inspect.isawaitable` says."""
    if isinstance(value, types.CoroutineType | Awaitable):
        return True
    return isinstance(value, types.GeneratorType) and bool(
        value.gi_code.co_flags & _CO_ITERABLE_COROUTINE
    )


def resolve(result: Any) -> Any:
    """The value of what a hook returned: an awaitable is run to completion on the event loop of
    the `AsyncMachine` driving this step (the caller is its worker thread)."""
    if result is None or not is_awaitable(result):
        return result
    loop = getattr(local, "loop", None)
    if loop is None:
        if isinstance(result, types.CoroutineType):
            result.close()
        raise StatewrightError(
            "a hook returned a coroutine, but the machine is not driven by AsyncMachine: "
            "wrap it (`statewright.runtime.AsyncMachine(machine)`) and await its send()"
        )
    import asyncio  # a loop runs this step: asyncio is loaded already

    return asyncio.run_coroutine_threadsafe(_coroutine(result), loop).result()


async def _coroutine(awaitable: Awaitable[T]) -> T:
    return await awaitable


def bridged(hook: Callable[..., Any]) -> Callable[..., Any]:
    """A hook whose awaitable result is resolved (see `resolve`)."""

    def call(*args: Any) -> Any:
        return resolve(hook(*args))

    return call
