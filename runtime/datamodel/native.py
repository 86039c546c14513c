"""statewright's own datamodel: the guard language (runtime.expr) plus assignment, over the
machine's `context` dict. Expressions keep the guard language's bounds (no name part starting
with `_` but `_event`, bounded arithmetic, bounded text); a location is a declared name or a
dotted path into mappings under one."""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

from ..expr import Compiled, GuardError, GuardSyntaxError, UnknownName, compile_guard, lookup
from . import SYSTEM, UNSET, ContentError, Event, Host, is_identifier

#: compiled expressions kept per datamodel (charts name a bounded set of them)
_CACHE_LIMIT = 4096


class NativeDatamodel:
    language = "statewright"

    def __init__(self, host: Host, context: dict[str, Any]) -> None:
        self.host = host
        self.context = context
        self.event: Event | None = None
        self._compiled: dict[str, Compiled] = {}

    def _compile(self, expr: str) -> Compiled:
        found = self._compiled.get(expr)
        if found is None:
            try:
                found = compile_guard(expr)
            except GuardSyntaxError as error:
                raise ContentError(str(error)) from None
            if len(self._compiled) < _CACHE_LIMIT:
                self._compiled[expr] = found
        return found

    def _env(self) -> Any:
        event = self.event
        data = event.data if event is not None and isinstance(event.data, Mapping) else {}
        base = lookup(self.context, data)
        system = {
            "_sessionid": self.host.sessionid,
            "_name": self.host.session_name,
        }

        def env(name: str) -> Any:
            head, _, rest = name.partition(".")
            if head == "_event":
                if event is None:
                    return None  # not bound before the first event
                if not rest:
                    return event.fields()
                if rest.startswith("data"):
                    return base(name)
                fields = event.fields()
                if rest not in fields:
                    raise UnknownName(f"`{name}`: the event has no field `{rest}`", name)
                return fields[rest]
            if head in system and not rest:
                return system[head]
            return base(name)

        return env

    def evaluate(self, expr: str) -> Any:
        compiled = self._compile(expr)
        try:
            return compiled(self._env(), self.host.is_active)
        except ContentError:
            raise
        except (GuardError, ArithmeticError, TypeError, ValueError, RecursionError) as error:
            raise ContentError(f"{type(error).__name__}: {error}") from None

    def condition(self, expr: str) -> bool:
        return bool(self.evaluate(expr))

    def declare(self, name: str, expr: str | None, value: Any = UNSET) -> None:
        if not is_identifier(name) or name in SYSTEM or name.startswith("_"):
            raise ContentError(f"`{name}` cannot be a variable")
        self.context[name] = self.evaluate(expr) if expr is not None else _value(value)

    def assign(self, location: str, expr: str | None, value: Any = UNSET) -> None:
        parts = location.strip().split(".")
        if parts[0] in SYSTEM or any(not is_identifier(p) or p.startswith("_") for p in parts):
            raise ContentError(f"`{location}` is not a location that can be assigned")
        if parts[0] not in self.context:
            raise ContentError(f"`{parts[0]}` is not declared")
        new = self.evaluate(expr) if expr is not None else _value(value)
        holder: Any = self.context
        for part in parts[:-1]:
            holder = holder.get(part) if isinstance(holder, Mapping) else None
            if holder is None:
                raise ContentError(f"`{location}` does not exist")
        if not isinstance(holder, MutableMapping):
            raise ContentError(f"`{location}` is not inside a mapping")
        holder[parts[-1]] = new

    def foreach(self, array: str, item: str, index: str | None, body: Callable[[], None]) -> None:
        value = self.evaluate(array)
        if isinstance(value, Mapping) or not isinstance(value, list | tuple):
            raise ContentError(f"`{array}` is not a list")
        for name in (item, index):
            if name is not None and (not is_identifier(name) or name.startswith("_")):
                raise ContentError(f"`{name}` is not a legal variable name")
        for position, entry in enumerate(list(value)):
            self.context[item] = entry
            if index is not None:
                self.context[index] = position
            body()

    def activate(self, name: str, active: bool) -> None:
        pass  # In() asks the machine

    def bind_event(self, event: Event) -> None:
        self.event = event

    def script(self, source: str) -> None:
        raise ContentError("the statewright datamodel runs no <script>")

    def is_location(self, name: str) -> bool:
        return name in self.context and name not in SYSTEM

    def export(self) -> dict[str, Any]:
        return dict(self.context)

    def load(self, values: Mapping[str, Any]) -> None:
        self.context.update(values)


def _value(value: Any) -> Any:
    return None if value is UNSET else value
