"""The descriptor of an instance's current log segment: one owner, closed once, poisoned by a
failure (the file store's side of the log interface `instance.DurableInstance` sends through).

Part of `statewright.runtime.store`. The rules (docs/persistence.md, "I/O errors"):

- A record is acknowledged only after an fsync of it succeeded on the current descriptor.
- A failed write or fsync poisons the log: after a failed fsync the kernel may have dropped
  the dirty pages and marked them clean (PostgreSQL's 2018 fsync lesson), so what the page
  cache still shows proves nothing. The log is cut back to the last byte an fsync made
  durable (ftruncate and fsync on the same descriptor); when that works the event is simply
  not written. When it fails too, the file's identity and its durable length are kept for
  this process (`_DOUBTFUL`), every later open of that log in this process cuts it first,
  and refuses until it can.
- The descriptor is forgotten before it is closed, and before any reopen: a failed reopen
  leaves no number behind that could by then belong to another file.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
from pathlib import Path

from . import fsio
from .errors import StoreIOError

_log = logging.getLogger("statewright.store")

#: (device, inode) of a log whose tail could not be cut after a failed write or fsync -> the
#: length an fsync made durable (every open of it in this process cuts it back first)
_DOUBTFUL: dict[tuple[int, int], int] = {}
_DOUBTFUL_LOCK = threading.Lock()


class FileLog:
    """An instance's current segment, opened for appending (see the module docstring)."""

    def __init__(self, path: Path, resource_id: str) -> None:
        self.path = path
        self.resource_id = resource_id
        self._fd: int | None = None
        #: (inode, size) after the last write this handle made or read: another writer
        #: changed the log when the file on disk differs
        self.identity: tuple[int, int] = (0, 0)
        #: bytes of the log an fsync on this descriptor made durable
        self.synced = 0
        #: why the log refuses until reopened (a failed write, fsync or reopen), else None
        self.poisoned: str | None = None

    @property
    def is_open(self) -> bool:
        return self._fd is not None

    # -- opening and closing -------------------------------------------------------------------

    def open(self) -> None:
        """(Re)open the log for appending: the old descriptor is forgotten and closed first,
        so a failure here leaves none. Its size is taken as durable: it was read from disk by
        the recovery that precedes every open."""
        self.close()
        try:
            fd = fsio.FILES.open(self.path, os.O_WRONLY | os.O_APPEND)
        except OSError as error:
            self.poisoned = f"reopening failed ({_reason(error)})"
            raise StoreIOError(
                f"{self.path}: cannot open the log for {self.resource_id} ({_reason(error)}); "
                "nothing was written"
            ) from None
        self._fd = fd
        stat = os.fstat(fd)
        self.identity = (stat.st_ino, stat.st_size)
        self.synced = stat.st_size
        self.poisoned = None

    def create(self, data: bytes, *, sync: bool) -> None:
        """Make a new log (it must not exist) holding `data`, fsynced unless told, and keep
        its descriptor for appending (a creation opens the file once). On failure the file is
        removed and the OSError raised."""
        self.close()
        files = fsio.FILES
        fd = files.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        try:
            fsio.write_all(fd, data)
            if sync:
                files.fsync(fd)
        except BaseException:
            try:
                files.close(fd)
            finally:
                fsio.unlink_if_there(self.path)
            raise
        self._fd = fd
        self.identity = (os.fstat(fd).st_ino, len(data))
        self.synced = len(data) if sync else 0
        self.poisoned = None

    def close(self) -> None:
        """Release the descriptor (once: it is forgotten before the call, and a failing close
        has released it all the same on Linux and the BSDs)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            fsio.FILES.close(fd)
        except OSError as error:
            _log.warning("%s: closing the log failed (released anyway): %s", self.path, error)

    def stale(self) -> bool:
        """Another writer appended to the log or rotated it since this handle last did."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return True
        return (stat.st_ino, stat.st_size) != self.identity

    # -- writing --------------------------------------------------------------------------------

    def append(self, line: bytes, *, sync: bool) -> None:
        """Append one framed record; with `sync`, fsync it too (the acknowledgement). A failure
        poisons the log and cuts back what was written since the last fsync (StoreIOError)."""
        fd = self._descriptor()
        try:
            fsio.append(fd, line)
        except OSError as error:
            raise self._failed("write", error) from None
        if sync:
            self.sync()
        else:
            self.identity = (self.identity[0], self.identity[1] + len(line))

    def sync(self) -> None:
        """fsync what was appended (a group commit's end, or one record's acknowledgement)."""
        fd = self._descriptor()
        try:
            fsio.sync(fd)
        except OSError as error:
            raise self._failed("fsync", error) from None
        stat = os.fstat(fd)
        self.identity = (stat.st_ino, stat.st_size)
        self.synced = stat.st_size

    def fail(self, operation: str, error: OSError) -> StoreIOError:
        """Poison the log after `operation` failed on it and cut it back (see `_failed`)."""
        return self._failed(operation, error)

    def _descriptor(self) -> int:
        if self.poisoned is not None or self._fd is None:
            raise StoreIOError(
                f"{self.path}: the log of {self.resource_id} is not open "
                f"({self.poisoned or 'closed'}); nothing was written: open the instance again"
            )
        return self._fd

    def _failed(self, operation: str, error: OSError) -> StoreIOError:
        """Poison the log; cut it back to its durable length on the same descriptor (so that
        nothing of a record whose fsync failed can be read back and acknowledged later); the
        error to raise says whether that worked."""
        self.poisoned = f"a {operation} failed ({_reason(error)})"
        fd, length = self._fd, self.synced
        cut = False
        if fd is not None:
            try:
                fsio.FILES.ftruncate(fd, length)
                fsio.FILES.fsync(fd)
                cut = True
            except OSError as again:
                _log.error("%s: cutting back to byte %d failed: %s", self.path, length, again)
                identity = os.fstat(fd)
                with _DOUBTFUL_LOCK:
                    _DOUBTFUL[(identity.st_dev, identity.st_ino)] = length
        self.close()
        if cut:
            return StoreIOError(
                f"{self.path}: the event was not committed: the log's {operation} failed "
                f"({_reason(error)}) and what it wrote was cut back; send it again (with the "
                "same event id if you gave one)"
            )
        return StoreIOError(
            f"{self.path}: the event was not committed: the log's {operation} failed "
            f"({_reason(error)}) and cutting it back failed too; the instance refuses in this "
            "process until its log can be cut at its next open"
        )


def settle(path: Path) -> None:
    """Before the log at `path` is read: cut a tail a failed write or fsync left in doubt in
    this process (see the module docstring); StoreIOError when it still cannot be cut."""
    if not _DOUBTFUL:
        return
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return
    key = (stat.st_dev, stat.st_ino)
    with _DOUBTFUL_LOCK:
        length = _DOUBTFUL.get(key)
        if length is None:
            return
        try:
            fd = fsio.FILES.open(path, os.O_WRONLY)
            try:
                fsio.FILES.ftruncate(fd, length)
                fsio.FILES.fsync(fd)
            finally:
                fsio.FILES.close(fd)
        except OSError as error:
            raise StoreIOError(
                f"{path}: a record whose fsync failed is still in the log and cannot be cut "
                f"({_reason(error)}); nothing was read or written"
            ) from None
        del _DOUBTFUL[key]
    _log.warning("%s: cut back to byte %d (a record whose fsync had failed)", path, length)


def _reason(error: OSError) -> str:
    if error.errno is not None:
        return f"{errno.errorcode.get(error.errno, error.errno)}: {error.strerror or error}"
    return str(error)
