"""The file operations that change what is on disk, in one place: the file store's I/O seam.

Part of `statewright.runtime.store`, standard library only. Everything the file store (and
`disk.atomic_write`, which the compiler's build and studio use) does that changes a file or a
folder goes through `FILES`: open, write, fsync, close, ftruncate, rename, unlink, mkdir and
the fsync of a folder. Production uses the OS (`Files`); the power-loss tests
(tests/crash/test_power_loss.py) put a recorder in its place with `using`, which does the same
and writes down each operation, and then build every state a crash could leave on disk from
that record; the I/O fault tests (tests/crash/test_io_faults.py) put one that fails the k-th
operation. Reads go straight to the OS: they change nothing.

The crash tests' other seam is here too: `checkpoint`, a named step of the write protocol
where `STATEWRIGHT_FAULT` kills the process or fails the call (the tests that kill a real
process cannot swap `FILES` in it), and `append`, the log's write, which can be torn there.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class Files:
    """The operating system's file operations (what the store uses unless a test says)."""

    def open(self, path: str | Path, flags: int, mode: int = 0o644) -> int:
        return os.open(path, flags, mode)

    def write(self, fd: int, data: bytes | memoryview) -> int:
        return os.write(fd, data)

    def fsync(self, fd: int) -> None:
        os.fsync(fd)

    def close(self, fd: int) -> None:
        os.close(fd)

    def ftruncate(self, fd: int, length: int) -> None:
        os.ftruncate(fd, length)

    def replace(self, source: str | Path, target: str | Path) -> None:
        os.replace(source, target)

    def unlink(self, path: str | Path) -> None:
        os.unlink(path)

    def mkdir(self, path: str | Path) -> None:
        os.mkdir(path)

    def fsync_dir(self, path: str | Path) -> None:
        """Make a folder's entries durable (files created, renamed or removed in it)."""
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


#: the file operations in use (`using` swaps them for a test)
FILES: Files = Files()


@contextmanager
def using(files: Files) -> Iterator[Files]:
    """Route the store's file operations through `files` inside the block."""
    global FILES
    previous, FILES = FILES, files
    try:
        yield files
    finally:
        FILES = previous


def unlink_if_there(path: str | Path) -> None:
    """Remove `path`; a file already gone is fine."""
    try:
        FILES.unlink(path)
    except FileNotFoundError:
        pass


def makedirs(path: Path) -> None:
    """`mkdir -p`: each missing folder, outermost first."""
    missing: list[Path] = []
    while not path.is_dir():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        try:
            FILES.mkdir(folder)
        except FileExistsError:
            pass


def checkpoint(step: str) -> None:
    """Fault injection for the crash tests: `STATEWRIGHT_FAULT=kill-at:<step>` SIGKILLs the
    process at that step of the write protocol; `io-error-at:<step>` raises EIO there,
    `no-space-at:<step>` ENOSPC. Steps: before-write, mid-write (the record is torn: half of
    it is written first), after-write, after-fsync, before-snapshot, before-replace,
    before-dir-fsync."""
    fault = os.environ.get("STATEWRIGHT_FAULT")
    if not fault:
        return
    kind, _, where = fault.partition(":")
    if where != step:
        return
    if kind == "kill-at":
        os.kill(os.getpid(), 9)
    if kind == "io-error-at":
        raise OSError(errno.EIO, os.strerror(errno.EIO))
    if kind == "no-space-at":
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def write_all(fd: int, data: bytes | memoryview) -> None:
    """Write every byte (`os.write` may write fewer than asked)."""
    view = memoryview(data)
    while view:
        written = FILES.write(fd, view)
        view = view[written:]


def append(fd: int, line: bytes) -> None:
    """Append one framed log record (the crash tests' steps around it)."""
    if os.environ.get("STATEWRIGHT_FAULT"):
        checkpoint("before-write")
        if os.environ["STATEWRIGHT_FAULT"] == "kill-at:mid-write":
            write_all(fd, line[: len(line) // 2])  # a record torn by a crash
            os.kill(os.getpid(), 9)
        write_all(fd, line)
        checkpoint("after-write")
        return
    write_all(fd, line)


def sync(fd: int) -> None:
    """fsync a log (the acknowledgement), with the crash tests' step after it."""
    FILES.fsync(fd)
    if os.environ.get("STATEWRIGHT_FAULT"):
        checkpoint("after-fsync")
