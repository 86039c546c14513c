"""The process the ECMAScript datamodel evaluates in, and the watchdog that ends it.

QuickJS stops a script at its time limit only where it consults its interrupt handler, between
bytecodes: a regular expression that backtracks (`/(a+)+$/`) or a builtin walking an array-like
of 10^9 items (`Array.prototype.indexOf.call({length: 1e9})`) runs in C and never asks. Ending
such a script means ending what runs it, so each instance's context lives in a process of its
own (`sandbox_child.py`, started when the instance is made):

- the engine's own limit (`TIME_LIMIT`) stops what it can and leaves the context usable: the
  evaluation fails (`error.execution`), the instance goes on;
- the parent waits for an answer `HARD_LIMIT` seconds at most; past that it ends the process
  (SIGKILL) and the instance's datamodel with it: that evaluation and every later one fails
  with `SandboxEnded`, saying why;
- the process limits its own address space (`ADDRESS_SPACE`), may not write files, and dumps no
  core; it holds nothing of the parent, and what comes back from it is checked like any input:
  an answer of at most `MESSAGE_LIMIT` bytes, of the type asked for, values within
  `values.VALUE_LIMIT` bytes and `values.DEPTH_LIMIT` levels.

docs/security.md gives what this costs per evaluation beside an engine in the same process.
"""

from __future__ import annotations

import json
import logging
import os
import struct
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import ContentError, sandbox_child

#: seconds one evaluation may run before the engine stops it (the context survives)
TIME_LIMIT = 2.0
#: seconds the parent waits for one answer before it ends the process
HARD_LIMIT = 3.0
#: seconds the process has to start and load the engine
START_LIMIT = 30.0
#: bytes one instance's JavaScript heap may hold
MEMORY_LIMIT = 64 * 1024 * 1024
#: bytes of JavaScript stack
STACK_LIMIT = 1024 * 1024
#: bytes of address space the process may map (Python, the engine and its heap)
ADDRESS_SPACE = 1024 * 1024 * 1024
#: bytes of one answer from the process
MESSAGE_LIMIT = 8 * 1024 * 1024

_CHILD = Path(__file__).with_name("sandbox_child.py")
_log = logging.getLogger("statewright.runtime")
_HEAD = struct.Struct(">I")


class SandboxEnded(ContentError):
    """The sandbox's process was ended (an evaluation ran past `HARD_LIMIT`) or died: the
    instance's ECMAScript data is gone, and every later evaluation fails the same way."""


def _engine_home() -> str:
    """The folder the `quickjs` package is installed in (the child imports it from there and
    nothing else outside the standard library)."""
    import quickjs  # type: ignore[import-untyped]

    return str(Path(quickjs.__file__).resolve().parent.parent)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            try:
                stream.close()
            except OSError:  # pragma: no cover - a pipe already broken
                pass
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:  # pragma: no cover - a process SIGKILL did not end
        pass


class Sandbox:
    """One QuickJS context in its own process. `call` runs operations `[kind, source]` (kinds:
    `run`, `bool`, `int`, `json`) and returns the last one's value; a JavaScript error is a
    `ContentError`, and the process is ended when an answer is late."""

    def __init__(self, value_limit: int) -> None:
        self.ended: str | None = None
        #: bytes read past the message asked for (the next message's head)
        self._unread = b""
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-I", "-S", str(_CHILD), _engine_home()],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                close_fds=True,
                start_new_session=True,  # a terminal's Ctrl-C is the parent's to handle
            )
        except OSError as error:  # no interpreter, no processes or descriptors left
            self.ended = f"cannot start the ECMAScript sandbox's process: {error}"
            raise SandboxEnded(self.ended) from None
        self._finalizer = weakref.finalize(self, _stop, self._process)
        limits = {
            "time": TIME_LIMIT,
            "memory": MEMORY_LIMIT,
            "stack": STACK_LIMIT,
            "address_space": ADDRESS_SPACE,
            "value": value_limit,
        }
        self._exchange(limits, START_LIMIT)

    def call(self, operations: Sequence[tuple[str, str]]) -> Any:
        reply = self._exchange([list(op) for op in operations], HARD_LIMIT)
        if not isinstance(reply, dict):
            raise self._end("the sandbox answered out of protocol")
        return _value(reply)

    def close(self) -> None:
        self._finalizer()

    # -- the wire --------------------------------------------------------------------------------

    def _exchange(self, message: Any, limit: float) -> Any:
        if self.ended is not None:
            raise SandboxEnded(self.ended)
        body = json.dumps(message, ensure_ascii=False).encode("utf-8", "surrogatepass")
        stdin = self._process.stdin
        assert stdin is not None
        data = _HEAD.pack(len(body)) + body
        try:
            while data:
                data = data[os.write(stdin.fileno(), data) :]
        except OSError:
            raise self._end("the sandbox's process is gone") from None
        deadline = time.monotonic() + limit
        watchdog = None
        if not _POLL:  # pragma: no cover - Windows cannot poll a pipe: a timer ends the process
            watchdog = threading.Timer(limit, self._process.kill)
            watchdog.start()
        try:
            head = self._read(_HEAD.size, deadline, limit)
            (size,) = _HEAD.unpack(head)
            if size > MESSAGE_LIMIT:
                raise self._end(f"the sandbox answered {size} bytes; the limit is {MESSAGE_LIMIT}")
            body = self._read(size, deadline, limit)
        finally:
            if watchdog is not None:  # pragma: no cover - Windows
                watchdog.cancel()
        try:
            return json.loads(body.decode("utf-8", "surrogatepass"))
        except (ValueError, RecursionError):
            raise self._end("the sandbox answered out of protocol") from None

    def _read(self, count: int, deadline: float, limit: float) -> bytes:
        stdout = self._process.stdout
        assert stdout is not None
        fd = stdout.fileno()
        chunks: list[bytes] = [self._unread]
        wanted = count - len(self._unread)
        while wanted > 0:
            left = deadline - time.monotonic()
            if _POLL and (left <= 0 or not _readable(fd, left)):
                raise self._end(
                    f"an evaluation ran past {limit:g} s (the engine's own limit was not "
                    "consulted): the sandbox's process was ended, and this instance's "
                    "ECMAScript data with it"
                )
            chunk = os.read(fd, max(wanted, 1 << 16))
            if not chunk:
                raise self._end("the sandbox's process ended (out of memory, killed, or late)")
            chunks.append(chunk)
            wanted -= len(chunk)
        data = b"".join(chunks)
        self._unread = data[count:]
        return data[:count]

    def _end(self, why: str) -> SandboxEnded:
        self.ended = why
        self._finalizer()
        _log.warning("an ECMAScript sandbox was ended: %s", why)
        return SandboxEnded(why)


class InProcess:
    """The same context in the caller's process, for documents the caller trusts: about 75
    times cheaper per evaluation, but a regular expression or a builtin that does not consult
    the engine's interrupt runs past `TIME_LIMIT` for as long as it takes."""

    def __init__(self, value_limit: int) -> None:
        import quickjs

        self.ended: str | None = None
        self._value_limit = value_limit
        limits = {"time": TIME_LIMIT, "memory": MEMORY_LIMIT, "stack": STACK_LIMIT}
        self._context = sandbox_child.engine(quickjs, limits)

    def call(self, operations: Sequence[tuple[str, str]]) -> Any:
        return _value(sandbox_child.answer(self._context, operations, self._value_limit))

    def close(self) -> None:
        pass


def _value(reply: dict[str, Any]) -> Any:
    """An answer's value, or its JavaScript error as a `ContentError`."""
    if "error" in reply:
        raise ContentError(str(reply["error"])[:360])
    return reply.get("ok")


#: whether pipes can be polled (POSIX)
_POLL = sys.platform != "win32"


def _readable(fd: int, seconds: float) -> bool:
    """Whether `fd` has something to read (or has closed) within `seconds`."""
    import select

    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
    return bool(poller.poll(max(1, int(seconds * 1000))))
