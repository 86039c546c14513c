"""The ECMAScript sandbox's own process: one QuickJS context, driven over stdin and stdout
(and, for documents the caller trusts, the same context in the caller's process: `engine`
and `answer`).

`sandbox.py` starts this file as a script (`python -I -S sandbox_child.py <dir>`, `<dir>` being
where the `quickjs` package is installed) and talks to it in messages: a 4-byte big-endian
length, then that many bytes of UTF-8 JSON. The first message sets the limits; each later one is
a list of operations `[kind, source]` run in order, answered by `{"ok": value}` (the last
operation's) or `{"error": text, "at": index}` (the first that failed; the rest are not run).
Kinds: `run` (no value), `bool`, `int`, `json` (the source names a value; it comes back as
JSON text, at most `value` bytes).

This process imports the standard library and `quickjs` only, and holds nothing of the parent:
what it knows comes in messages. Before the context is made it limits itself (address space,
no file writes, no core dumps); the parent ends it when an answer does not come in time.

The prelude keeps what the runtime passes in and out in a closure: the globals it defines
(`In`, `_event`, `_sessionid`, `_name`, `_ioprocessors`, `__sw`) are neither writable nor
configurable, `__sw` is frozen, and the builtins it uses were taken before any chart code ran.
"""

import json
import os
import struct
import sys
from typing import Any

PRELUDE = r"""
(function (global) {
  var define = Object.defineProperty, freeze = Object.freeze, create = Object.create,
      stringify = JSON.stringify, parse = JSON.parse, toText = String,
      isArray = Array.isArray, TypeErrorOf = TypeError, RangeErrorOf = RangeError;
  var state = create(null), active = create(null), items = create(null);
  state.event = undefined;
  state.session = null;
  state.name = null;
  state.io = null;
  function fixed(name, value) {
    define(global, name, {value: value, writable: false, enumerable: false, configurable: false});
  }
  function readOnly(name, key) {
    define(global, name, {
      get: function () { return state[key]; },
      set: function () { throw new TypeErrorOf(name + ' is read-only'); },
      enumerable: false, configurable: false
    });
  }
  readOnly('_event', 'event');
  readOnly('_sessionid', 'session');
  readOnly('_name', 'name');
  readOnly('_ioprocessors', 'io');
  fixed('In', function In(id) { return active[toText(id)] === true; });
  fixed('__sw', freeze({
    setup: function (text) {
      var given = parse(text);
      state.session = given.session;
      state.name = given.name;
      state.io = freeze(given.io);
    },
    bind: function (text) {
      var f = parse(text), e = create(null);
      e.name = f.name; e.type = f.type; e.sendid = f.sendid; e.origin = f.origin;
      e.origintype = f.origintype; e.invokeid = f.invokeid; e.data = f.data;
      state.event = freeze(e);
    },
    activate: function (id, on) {
      if (on) { active[id] = true; } else { delete active[id]; }
    },
    json: function (value) {
      var text = stringify(value);
      return text === undefined ? 'null' : text;
    },
    value: function (text) { return parse(text); },
    collect: function (depth, collection, limit) {
      if (collection === null || typeof collection !== 'object') {
        throw new TypeErrorOf('not a collection');
      }
      var count = collection.length;
      if (typeof count !== 'number' || !(count >= 0)) { count = 0; }
      if (count > limit) {
        throw new RangeErrorOf('a collection of ' + count + ' items; the limit is ' + limit);
      }
      var copy = create(null);
      for (var i = 0; i < count; i++) { copy[i] = collection[i]; }
      items[depth] = copy;
      return count;
    },
    item: function (depth, position) { return items[depth][position]; },
    drop: function (depth) { delete items[depth]; }
  }));
})(globalThis);
"""


def read(fd: int) -> Any:
    """One message from `fd` (None at the end of input)."""
    data = b""
    while len(data) < 4 or len(data) < 4 + struct.unpack(">I", data[:4])[0]:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return None
        data += chunk
    return json.loads(data[4:].decode("utf-8", "surrogatepass"))


def write(fd: int, message: Any) -> None:
    body = json.dumps(message, ensure_ascii=False).encode("utf-8", "surrogatepass")
    data = struct.pack(">I", len(body)) + body
    while data:
        data = data[os.write(fd, data) :]


def confine(address_space: int) -> None:
    """Limit this process before any chart code runs (POSIX only)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX
        return
    for name, value in (
        ("RLIMIT_AS", address_space),
        ("RLIMIT_FSIZE", 0),
        ("RLIMIT_CORE", 0),
    ):
        key = getattr(resource, name, None)
        if key is None:  # pragma: no cover - a platform without it
            continue
        try:
            resource.setrlimit(key, (value, value))
        except (ValueError, OSError):  # pragma: no cover - a lower hard limit is kept
            pass


def describe(error: BaseException) -> str:
    text = str(error).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(error).__name__}: {first or 'out of memory'}"


def engine(quickjs: Any, limits: dict[str, Any]) -> Any:
    """A QuickJS context with the limits and the prelude."""
    context = quickjs.Context()
    context.set_memory_limit(int(limits["memory"]))
    context.set_time_limit(float(limits["time"]))
    context.set_max_stack_size(int(limits["stack"]))
    context.eval(PRELUDE)
    return context


def answer(context: Any, operations: Any, value_limit: int) -> dict[str, Any]:
    """Run operations `[kind, source]` in order: the last one's value, or the first error."""
    value: Any = None
    for at, (kind, source) in enumerate(operations):
        try:
            value = context.eval(source)
        except Exception as error:  # noqa: BLE001 - JavaScript errors, limits, syntax
            return {"error": describe(error), "at": at}
        if kind == "bool":
            value = value is True
        elif kind == "int":
            value = value if isinstance(value, int) else None
        elif kind == "json":
            if not isinstance(value, str):
                value = "null"
            elif len(value) > value_limit:  # characters; the parent counts bytes too
                return {
                    "error": f"RangeError: a value of {len(value)} characters; the limit "
                    f"is {value_limit} bytes",
                    "at": at,
                }
        else:
            value = None
    return {"ok": value}


def main() -> None:
    sys.path.insert(0, sys.argv[1])
    import quickjs  # type: ignore[import-untyped]

    stdin, stdout = 0, 1
    limits = read(stdin)
    if limits is None:
        return
    confine(int(limits["address_space"]))
    context = engine(quickjs, limits)
    value_limit = int(limits["value"])
    write(stdout, {"ok": None})
    while True:
        operations = read(stdin)
        if operations is None:
            return
        write(stdout, answer(context, operations, value_limit))


if __name__ == "__main__":
    main()
