"""Small durable file operations: what the file store (and the compiler's tools) write with.

Part of `statewright.runtime.store`, standard library only. A file is written whole and
durably: `atomic_write` replaces a file (temporary file in the same folder, fsync, rename,
fsync of the folder), so a reader or a crash sees the old bytes or the new ones, never a torn
file; `write_new` creates one that must not exist, and removes it when the write fails (a full
disk leaves nothing behind). `FileLock` is the compare-and-write lock. The crash tests' steps
(`checkpoint`) are in `fsio`, the seam every write goes through.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from . import fsio
from .errors import StoreError
from .fsio import checkpoint, write_all


def posix_locks() -> Any:
    """The `fcntl` module the file store locks with; on a platform without it (Windows) a
    `StoreError` that says what to use instead. Imported here, not at the top of the store:
    `PostgresStore` and the rest of `statewright.runtime.store` import anywhere."""
    try:
        import fcntl
    except ImportError:
        raise StoreError(
            "FileStore needs POSIX file locks (fcntl), which this platform does not have: "
            "use PostgresStore, or run the file store on Linux or macOS"
        ) from None
    return fcntl


class FileLock:
    """An exclusive OS lock on a file (`flock`; the store is POSIX-only): held only around a
    compare-and-write, released by the kernel if its holder dies, so a SIGKILL never leaves a
    stale lock. Reentrant within a handle; the descriptor stays open between uses."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None
        self._depth = 0

    def __enter__(self) -> FileLock:
        if self._depth == 0:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            fcntl = posix_locks()
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        self._depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            fcntl = posix_locks()
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None and self._depth == 0:
            os.close(self._fd)
            self._fd = None


@contextmanager
def locked(path: str) -> Iterator[None]:
    """Hold the lock on `path` for the block, then close its descriptor too (a `FileLock` used
    as a context manager keeps it open for the next use)."""
    lock = FileLock(path)
    try:
        with lock:
            yield
    finally:
        lock.close()


def write_new(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Create `path` (it must not exist), write `data` and fsync it (unless told: the caller
    fsyncs it later); when that fails, remove what was created (a full disk leaves no empty
    file behind) and raise the OSError."""
    files = fsio.FILES
    fd = files.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        try:
            write_all(fd, data)
            if sync:
                files.fsync(fd)
        finally:
            files.close(fd)
    except OSError:
        fsio.unlink_if_there(path)
        raise


def fsync_dir(path: Path) -> None:
    """Make a folder's entries durable (a created or renamed file in it)."""
    fsio.FILES.fsync_dir(path)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data` (raises OSError; the target is then untouched). A replaced
    file keeps its permissions; a new one gets 0666 less the umask, as `open` would give it."""
    folder = path.parent if str(path.parent) else Path(".")
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask()
    temporary = folder / f".{path.name}.{secrets.token_hex(4)}.tmp"  # see `replacing`
    try:
        write_new(temporary, data)
        os.chmod(temporary, mode)
        checkpoint("before-replace")
        fsio.FILES.replace(temporary, path)
    except BaseException:
        fsio.unlink_if_there(temporary)
        raise
    checkpoint("before-dir-fsync")
    fsync_dir(folder)


#: the name of `atomic_write`'s temporary file for `<name>`: `.<name>.<8 hex>.tmp`
_TEMPORARY = re.compile(r"\.(?P<name>.+)\.[0-9a-f]{8}\.tmp")


def replacing(leftover: str) -> str | None:
    """The file an `atomic_write` temporary named `leftover` was to replace (left by a crash
    between its creation and its rename), or None when the name is not one of those."""
    match = _TEMPORARY.fullmatch(leftover)
    return match["name"] if match else None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def with_crc(document: dict[str, Any]) -> bytes:
    """A JSON document with the CRC-32 of its canonical form (a snapshot file)."""
    body = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    return json.dumps({"crc": f"{zlib.crc32(body):08x}", "state": document}).encode() + b"\n"


def without_crc(data: bytes) -> dict[str, Any] | None:
    """The document `with_crc` wrote, or None when it fails its check."""
    try:
        outer = json.loads(data)
        document = outer["state"]
        body = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
        if outer["crc"] != f"{zlib.crc32(body):08x}":
            return None
        return document if isinstance(document, dict) else None
    except (ValueError, KeyError, TypeError):
        return None
