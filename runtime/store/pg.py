"""What the PostgreSQL store's modules share: database errors as store errors, and names.

Part of `statewright.runtime.store` (the `postgres` extra). Every public method of the store and
its instance handle is wrapped by `translating`: a psycopg error (or the pool's) never leaves
them; a lost connection or a server shutting down is a `StoreIOError` (nothing acknowledged),
a conflict on an event's sequence number a `ConcurrencyConflict`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar, cast

import psycopg
from psycopg_pool import PoolClosed, PoolTimeout

from .errors import (
    CLOCK_TOLERANCE,
    ClockSkew,
    ConcurrencyConflict,
    StoreError,
    StoreIOError,
)

_F = TypeVar("_F", bound=Callable[..., Any])
_C = TypeVar("_C", bound=type)


#: what the database or its pool raise; nothing of it leaves the store untranslated
DATABASE_ERRORS: tuple[type[Exception], ...] = (psycopg.Error, PoolTimeout, PoolClosed)


def translated(error: Exception) -> StoreError:
    """A database error as the store's own: a lost connection, a server shutting down or a
    pool without connections is a `StoreIOError` (nothing acknowledged, reload and retry);
    anything else the server refused is a `StoreError` with its first line."""
    text = (str(error).strip() or type(error).__name__).splitlines()[0][:300]
    if isinstance(error, psycopg.OperationalError | PoolTimeout | PoolClosed):
        return StoreIOError(f"PostgreSQL: {text} (nothing was acknowledged)")
    return StoreError(f"PostgreSQL refused it: {text}")


def _store_errors(function: _F) -> _F:
    """Translate database errors raised by `function` (a generator too) into StoreErrors."""
    if inspect.isgeneratorfunction(function):

        @functools.wraps(function)
        def generator(*args: Any, **kwargs: Any) -> Any:
            try:
                yield from function(*args, **kwargs)
            except DATABASE_ERRORS as error:
                raise translated(error) from None

        return cast(_F, generator)

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except DATABASE_ERRORS as error:
            raise translated(error) from None

    return cast(_F, wrapper)


def translating(cls: _C) -> _C:
    """Apply `_store_errors` to every public method of a class, the inherited ones too, but
    those the class names in `_untranslated`: methods that call hooks (a hook's own database
    error stays the hook's) and translate the store's statements themselves."""
    found: dict[str, Any] = {}
    for klass in reversed(cls.__mro__[:-1]):  # a subclass's own definition wins
        found.update(vars(klass))
    skip = set(getattr(cls, "_untranslated", ()))
    for name, value in found.items():
        if name.startswith("_") or name in skip or not inspect.isfunction(value):
            continue  # (not static or class methods, nor properties)
        setattr(cls, name, _store_errors(value))
    return cls


def conflict_or_raise(error: psycopg.Error) -> None:
    if isinstance(error, psycopg.errors.UniqueViolation | psycopg.errors.SerializationFailure):
        raise ConcurrencyConflict(str(error).splitlines()[0]) from None


def has_table(conn: psycopg.Connection[Any], name: str) -> bool:
    row = conn.execute("SELECT to_regclass(%s)", (name,)).fetchone()
    return row is not None and row[0] is not None


def safe_dsn(dsn: str) -> str:
    """A DSN without its password, for messages."""
    if "@" in dsn and "://" in dsn:
        scheme, rest = dsn.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        return f"{scheme}://{credentials.split(':')[0]}@{host}"
    return dsn


def database_name(dsn: str) -> str:
    return dsn.rsplit("/", 1)[-1].split("?")[0] or "postgres"


def clock_skew(pool: Any, clock: Any) -> ClockSkew | None:
    """How this process's clock compares with the database server's (the store's time):
    more than `CLOCK_TOLERANCE` apart is a `ClockSkew` (a worker fires no timer)."""
    with pool.connection() as conn:
        row = conn.execute("SELECT extract(epoch FROM clock_timestamp())").fetchone()
    off = clock.now() - float(row[0]) if row is not None else 0.0
    if abs(off) <= CLOCK_TOLERANCE:
        return None
    return ClockSkew(
        f"this process's clock is {off:+.1f} s off the database server's: no timer fired "
        "(fix the clock: NTP)"
    )
