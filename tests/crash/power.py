"""Power loss, simulated: record what a run did to the disk, then build the states a crash could
have left (issue 24; docs/persistence.md, "Power loss").

`Recorder` takes the place of the store's file operations (`runtime/store/fsio.py`): it does
each one for real and writes it down (creates, writes with their offsets and bytes, fsyncs,
truncations, renames, unlinks, mkdirs, folder fsyncs), plus the marks the test adds (an event
acknowledged). `crash_states` turns that record into disk images a power cut allows, by this
model of a POSIX file system:

- a crash happens after any prefix of the operations;
- a file's writes and truncations before an `fsync` of that file are on disk; a folder's
  entries (files created, renamed into it, unlinked, folders made) before an fsync of that
  folder are on disk; nothing else is promised;
- of what is not promised, any part may be on disk: every write or none (the kill of a
  process looks like "every"), a prefix of the folder operations in their order (journaled
  metadata, as ext4 and xfs keep it), random subsets of the writes and of the folder
  operations (seeded), each unsynced write torn at every 512-byte sector boundary (and in the
  middle of a sector) with or without what came after it, or as zeros (its length reached
  the disk, its bytes did not: xfs, ext4 data=writeback);
- a file whose entry is not on disk is not there, whatever was written to it; bytes written
  past the end of what is on disk leave zeros in between.

Each image is written to a folder for the store to open. The images are told apart by their
bytes (`State.key`), so a count is of distinct states.
"""

from __future__ import annotations

import hashlib
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from statewright.runtime.store import fsio

SECTOR = 512

#: an operation: (kind, ...) with kind in create, write, fsync, truncate, rename, unlink, mkdir,
#: dirsync, mark
Op = tuple[Any, ...]

DATA = {"write", "truncate"}
NAMES = {"create", "rename", "unlink", "mkdir"}


class Recorder(fsio.Files):
    """The OS's file operations, each written down (paths relative to `root`)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.ops: list[Op] = []
        #: the disk before the run (all of it durable): relative path -> bytes; folders
        self.base_files: dict[str, bytes] = {}
        self.base_dirs: set[str] = set()
        self._fds: dict[int, tuple[int, bool]] = {}  # fd -> (inode, append)
        self._inodes = 0
        for path in sorted(self.root.rglob("*")):
            name = self._rel(path)
            if path.is_dir():
                self.base_dirs.add(name)
            elif path.is_file():
                self.base_files[name] = path.read_bytes()
        #: the numbers of the files there before the run (the images start from them)
        self.base_inodes = {name: self._new_inode() for name in self.base_files}
        #: the live names: relative path -> inode number of this record
        self._names: dict[str, int] = dict(self.base_inodes)

    def _new_inode(self) -> int:
        self._inodes += 1
        return self._inodes

    def _rel(self, path: str | Path) -> str:
        return os.path.relpath(os.path.abspath(path), self.root)

    def mark(self, *what: Any) -> None:
        """A mark in the record (`("ack", event_id)`: the store acknowledged the event)."""
        self.ops.append(("mark", *what))

    def open(self, path: str | Path, flags: int, mode: int = 0o644) -> int:
        name = self._rel(path)
        existed = os.path.exists(path)
        fd = super().open(path, flags, mode)
        if not existed and flags & os.O_CREAT:
            inode = self._names[name] = self._new_inode()
            self.ops.append(("create", name, inode))
        else:
            inode = self._names[name]
            if flags & os.O_TRUNC:
                self.ops.append(("truncate", inode, 0))
        self._fds[fd] = (inode, bool(flags & os.O_APPEND))
        return fd

    def write(self, fd: int, data: bytes | memoryview) -> int:
        inode, append = self._fds[fd]
        offset = os.fstat(fd).st_size if append else os.lseek(fd, 0, os.SEEK_CUR)
        written = super().write(fd, data)
        self.ops.append(("write", inode, offset, bytes(data[:written])))
        return written

    def fsync(self, fd: int) -> None:
        super().fsync(fd)
        self.ops.append(("fsync", self._fds[fd][0]))

    def close(self, fd: int) -> None:
        super().close(fd)
        self._fds.pop(fd, None)

    def ftruncate(self, fd: int, length: int) -> None:
        super().ftruncate(fd, length)
        self.ops.append(("truncate", self._fds[fd][0], length))

    def replace(self, source: str | Path, target: str | Path) -> None:
        super().replace(source, target)
        src, dst = self._rel(source), self._rel(target)
        _move(self._names, None, src, dst)
        self.ops.append(("rename", src, dst))

    def unlink(self, path: str | Path) -> None:
        super().unlink(path)
        name = self._rel(path)
        self._names.pop(name, None)
        self.ops.append(("unlink", name))

    def mkdir(self, path: str | Path) -> None:
        super().mkdir(path)
        self.ops.append(("mkdir", self._rel(path)))

    def fsync_dir(self, path: str | Path) -> None:
        super().fsync_dir(path)
        self.ops.append(("dirsync", self._rel(path)))


def _move(names: dict[str, int], dirs: set[str] | None, source: str, target: str) -> None:
    """A rename: of a file, or of a folder with everything in it (a target folder, empty,
    is replaced)."""
    if source in names:
        names[target] = names.pop(source)
        return
    if dirs is not None and source not in dirs:
        return  # its creation is not on disk: the rename finds nothing
    inside = source + os.sep
    for name in [n for n in names if n.startswith(inside)]:
        names[target + name[len(source) :]] = names.pop(name)
    if dirs is not None:
        for folder in [d for d in dirs if d == source or d.startswith(inside)]:
            dirs.discard(folder)
            dirs.add(target + folder[len(source) :])


def _parent(name: str) -> str:
    return os.path.dirname(name) or "."


def _folders(op: Op) -> tuple[str, ...]:
    """The folders whose fsync makes a folder operation durable."""
    kind = op[0]
    if kind == "rename":
        return (_parent(op[1]), _parent(op[2]))
    return (_parent(op[1]),)


def forced(ops: list[Op]) -> set[int]:
    """The operations of `ops` that are on disk whatever happens (made durable by a later
    fsync of their file, or of their folder)."""
    durable: set[int] = set()
    synced_inodes: set[int] = set()
    synced_dirs: set[str] = set()
    for index in range(len(ops) - 1, -1, -1):  # backwards: what a later sync covers
        op = ops[index]
        kind = op[0]
        if kind == "fsync":
            synced_inodes.add(op[1])
        elif kind == "dirsync":
            synced_dirs.add(op[1])
        elif kind in DATA and op[1] in synced_inodes:
            durable.add(index)
        elif kind in NAMES and all(f in synced_dirs for f in _folders(op)):
            durable.add(index)
    return durable


@dataclass
class State:
    """One disk image a crash could leave: the files (relative path -> bytes), the folders,
    the marks made before the crash, and how it was chosen."""

    files: dict[str, bytes]
    dirs: set[str]
    marks: list[tuple[Any, ...]]
    how: str
    crash_at: int
    key: str = field(default="")

    def __post_init__(self) -> None:
        digest = hashlib.sha256()
        for name in sorted(self.dirs):
            digest.update(b"D" + name.encode() + b"\0")
        for name in sorted(self.files):
            digest.update(b"F" + name.encode() + b"\0" + hashlib.sha256(self.files[name]).digest())
        self.key = digest.hexdigest()

    def materialise(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name in sorted(self.dirs):
            (folder / name).mkdir(parents=True, exist_ok=True)
        for name, data in self.files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)


def _image(record: Recorder, ops: list[Op], keep: set[int], torn: tuple[int, int] | None) -> Any:
    """The disk after the kept operations, applied in order (`torn`: that write's first
    bytes only)."""
    names = dict(record.base_inodes)  # the files there before the run
    data = {names[name]: bytearray(content) for name, content in record.base_files.items()}
    dirs = set(record.base_dirs)
    for index in sorted(keep):
        op = ops[index]
        kind = op[0]
        if kind == "create":
            names[op[1]] = op[2]
            data.setdefault(op[2], bytearray())
        elif kind == "write":
            _, inode, offset, payload = op
            if torn is not None and torn[0] == index:
                payload = bytes(len(payload)) if torn[1] < 0 else payload[: torn[1]]
            content = data.setdefault(inode, bytearray())
            if len(content) < offset:
                content.extend(b"\0" * (offset - len(content)))
            content[offset : offset + len(payload)] = payload
        elif kind == "truncate":
            content = data.setdefault(op[1], bytearray())
            del content[op[2] :]
        elif kind == "rename":
            _move(names, dirs, op[1], op[2])
        elif kind == "unlink":
            names.pop(op[1], None)
        elif kind == "mkdir":
            dirs.add(op[1])
    files = {
        name: bytes(data.get(inode, b""))
        for name, inode in names.items()
        if _parent(name) == "." or _parent(name) in dirs
    }
    return files, dirs


def crash_states(record: Recorder, *, seed: int = 0, samples: int = 2) -> Iterator[State]:
    """Every crash point of the record, each with the variants of the module docstring;
    distinct images only."""
    rng = random.Random(seed)
    ops = record.ops
    seen: set[str] = set()
    for crash_at in range(len(ops) + 1):
        prefix = ops[:crash_at]
        marks = [op[1:] for op in prefix if op[0] == "mark"]
        durable = forced(prefix)
        data = [i for i, op in enumerate(prefix) if op[0] in DATA and i not in durable]
        meta = [i for i, op in enumerate(prefix) if op[0] in NAMES and i not in durable]
        variants: list[tuple[str, set[int], tuple[int, int] | None]] = [
            ("every operation (a process kill)", set(data) | set(meta), None),
            ("only what was synced", set(), None),
        ]
        for cut in range(len(meta)):  # folder operations in order, writes all or none
            kept = set(meta[:cut])
            variants.append((f"folder operations up to {cut}, writes all", kept | set(data), None))
            variants.append((f"folder operations up to {cut}, no write", kept, None))
        for sample in range(samples):
            chosen = {i for i in data + meta if rng.random() < 0.5}
            variants.append((f"random subset {sample}", chosen, None))
        everything = set(data) | set(meta)
        for write in (i for i in data if prefix[i][0] == "write"):  # each unsynced write torn
            size = len(prefix[write][3])
            # the file's length reached the disk, its bytes did not (zeros: xfs, writeback)
            variants.append((f"write {write} as zeros", everything, (write, -1)))
            cuts = [*range(SECTOR, size, SECTOR), size // 2] if size > 1 else []
            for cut in sorted(set(cuts)):
                variants.append((f"write {write} torn at byte {cut}", everything, (write, cut)))
                before = {i for i in everything if i < write}  # and nothing after it
                how = f"write {write} torn at byte {cut}, later lost"
                variants.append((how, before, (write, cut)))
        for how, chosen, torn in variants:
            files, dirs = _image(record, prefix, durable | chosen, torn)
            state = State(files, dirs, marks, how, crash_at)
            if state.key in seen:
                continue
            seen.add(state.key)
            yield state


def kill_state(record: Recorder, crash_at: int) -> State:
    """The disk a process kill after `crash_at` operations leaves (every operation there)."""
    prefix = record.ops[:crash_at]
    files, dirs = _image(record, prefix, set(range(len(prefix))), None)
    marks = [op[1:] for op in prefix if op[0] == "mark"]
    return State(files, dirs, marks, "every operation (a process kill)", crash_at)
