"""The I/O fault injector for tests/crash/test_io_faults.py: the file store's operations through
`fsio`, the k-th of them failing, and a model of what the disk holds.

`Faulty` counts the operations that reach the seam (open, write, fsync, close, ftruncate,
rename, unlink, mkdir, folder fsync) and fails the k-th (of all of them, or of one kind) with
an errno, as the kernel would: a failed write writes nothing, a failed close has released the
descriptor all the same. It also keeps, per file (device and inode, so renames follow), which
byte ranges an fsync made durable, with Linux's rule for a failed fsync: the dirty pages it
could not write are marked clean and dropped from what any later fsync writes (the
PostgreSQL fsync lesson of 2018). `acknowledged_durably` then answers whether the record of an
acknowledged event lies in durable bytes. Real fsyncs are not made (the model says what they
would keep), which keeps the thousands of runs quick.
"""

from __future__ import annotations

import errno
import fcntl
import os
from dataclasses import dataclass, field
from pathlib import Path

from statewright.runtime.store import fsio

KINDS = ("open", "write", "fsync", "close", "ftruncate", "replace", "unlink", "mkdir", "fsync_dir")


class Injected(OSError):
    """The failure the injector made (an OSError like any other to the store)."""


@dataclass
class _File:
    durable: list[tuple[int, int]] = field(default_factory=list)  # [start, end) ranges
    dirty: list[tuple[int, int]] = field(default_factory=list)


class Faulty(fsio.Files):
    """Fail the `fail_at`-th operation (counted over `kinds`; a set: each of those) with
    `code`; 0: fail none."""

    def __init__(
        self,
        fail_at: int | set[int] = 0,
        code: int = errno.EIO,
        kinds: tuple[str, ...] = KINDS,
    ) -> None:
        self.fail_at = fail_at if isinstance(fail_at, set) else {fail_at}
        self.code, self.kinds = code, kinds
        self.count = 0
        self.failed: str | None = None  # the operation that failed, once it has
        self.files: dict[tuple[int, int], _File] = {}
        self.fds: dict[int, tuple[int, int]] = {}

    def _step(self, kind: str, what: object) -> None:
        if kind not in self.kinds:
            return
        self.count += 1
        if self.count in self.fail_at:
            self.failed = f"{kind} #{self.count} ({what})"
            raise Injected(self.code, os.strerror(self.code))

    def _file(self, fd: int) -> _File:
        key = self.fds.get(fd)
        if key is None:
            stat = os.fstat(fd)
            key = self.fds[fd] = (stat.st_dev, stat.st_ino)
        return self.files.setdefault(key, _File())

    def open(self, path: str | Path, flags: int, mode: int = 0o644) -> int:
        self._step("open", path)
        fd = os.open(path, flags, mode)
        stat = os.fstat(fd)
        self.fds[fd] = (stat.st_dev, stat.st_ino)
        known = self.files.setdefault(self.fds[fd], _File())
        if not known.durable and not known.dirty and stat.st_size:  # there before the test
            known.durable.append((0, stat.st_size))
        return fd

    def write(self, fd: int, data: bytes | memoryview) -> int:
        self._step("write", fd)
        start = os.lseek(fd, 0, os.SEEK_CUR)
        if _appending(fd):
            start = os.fstat(fd).st_size
        written = os.write(fd, data)
        self._file(fd).dirty.append((start, start + written))
        return written

    def fsync(self, fd: int) -> None:
        known = self._file(fd)
        try:
            self._step("fsync", fd)
        except Injected:
            known.dirty.clear()  # marked clean, never written: gone at the next power loss
            raise
        known.durable.extend(known.dirty)
        known.dirty.clear()

    def close(self, fd: int) -> None:
        try:
            self._step("close", fd)
        finally:  # released even when close reports an error
            self.fds.pop(fd, None)
            os.close(fd)

    def ftruncate(self, fd: int, length: int) -> None:
        self._step("ftruncate", fd)
        os.ftruncate(fd, length)
        known = self._file(fd)
        known.durable = _cut(known.durable, length)
        known.dirty = _cut(known.dirty, length)

    def replace(self, source: str | Path, target: str | Path) -> None:
        self._step("replace", target)
        os.replace(source, target)

    def unlink(self, path: str | Path) -> None:
        self._step("unlink", path)
        os.unlink(path)

    def mkdir(self, path: str | Path) -> None:
        self._step("mkdir", path)
        os.mkdir(path)

    def fsync_dir(self, path: str | Path) -> None:
        self._step("fsync_dir", path)

    def acknowledged_durably(self, path: Path, event_id: str) -> bool:
        """Whether the log line of `event_id` in the file at `path` lies in bytes an fsync
        made durable (and no failed fsync dropped since)."""
        data = path.read_bytes()
        marker = f'"id":"{event_id}"'.encode()
        at = data.find(marker)
        if at < 0:
            marker = f'"id": "{event_id}"'.encode()
            at = data.find(marker)
        if at < 0:
            return False
        start = data.rfind(b"\n", 0, at) + 1
        end = data.find(b"\n", at) + 1
        stat = path.stat()
        known = self.files.get((stat.st_dev, stat.st_ino))
        if known is None:  # never written through the seam in this run: there before it
            return True
        return _covered(known.durable, start, end)


def _appending(fd: int) -> bool:
    return bool(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_APPEND)


def _cut(ranges: list[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    return [(a, min(b, length)) for a, b in ranges if a < length]


def _covered(ranges: list[tuple[int, int]], start: int, end: int) -> bool:
    at = start
    for a, b in sorted(ranges):
        if a <= at < b:
            at = b
        if at >= end:
            return True
    return at >= end
