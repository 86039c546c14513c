"""The file store's due index: every instance's next due time in the names of one folder.

Part of `statewright.runtime.store`. `base/due/<due in ms, 15 digits>.<instance id>` is an
empty file per instance with a timer, so a worker pass that finds nothing due reads one
folder listing instead of one hint file per instance (100,000 instances: a listing, not
100,000 reads). Like the `due` hint in each instance's folder, the index is a hint: entries
are made and removed without fsync, under the instance's lock. A stale entry makes the worker
open the instance and look (then it is removed); a lost one is made again by a full pass,
which reads every instance's own hint (`FileStore.fire_due(full=True)`, what a `Worker` does
when it starts and every `full_every` seconds).
"""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path

from . import fsio

_log = logging.getLogger("statewright.store")

FOLDER = "due"
#: what a `due` hint that says neither `none` nor a due time means: look (the instance is due)
LOOK = 0.0


def read_hint(path: Path, horizon: float = math.inf) -> float | None:
    """What an instance's `due` hint says: None (`none`: no timer), a due time, or `LOOK`
    (missing, unreadable, empty as an unsynced rename can leave it, not a finite number, or
    later than `horizon`)."""
    try:
        text = path.read_text("ascii").strip()
    except (OSError, ValueError):
        return LOOK
    if text == "none":
        return None
    try:
        due = float(text)
    except ValueError:
        return LOOK
    return due if math.isfinite(due) and 0 <= due <= horizon else LOOK


def entry(due: float, resource_id: str) -> str:
    """The entry's name: the due time in whole milliseconds (rounded, so that the time
    `parse` gives back names the same entry), a dot, the instance id."""
    return f"{max(0, min(round(due * 1000), 10**15 - 1)):015d}.{resource_id}"


def parse(name: str) -> tuple[float, str] | None:
    """(due time, instance id) of an entry's name; None for anything else."""
    stamp, dot, resource_id = name.partition(".")
    if not dot or len(stamp) != 15 or not stamp.isdigit() or not resource_id:
        return None
    return int(stamp) / 1000, resource_id


class DueIndex:
    """The index of one store (see the module docstring)."""

    def __init__(self, base: Path) -> None:
        self.folder = base / FOLDER

    def move(self, resource_id: str, old: float | None, new: float | None) -> None:
        """The instance's next due time changed from `old` to `new` (None: no timer). The new
        entry is made before the old one goes: a crash between leaves an extra look, never a
        timer without an entry. Failures are logged (a full pass makes the entry again)."""
        try:
            if new is not None:
                self.add(resource_id, new)
            if old is not None and (
                new is None or entry(old, resource_id) != entry(new, resource_id)
            ):
                fsio.unlink_if_there(self.folder / entry(old, resource_id))
        except OSError as error:
            _log.warning("%s: the due index was not updated: %s", resource_id, error)

    def add(self, resource_id: str, due: float) -> None:
        path = self.folder / entry(due, resource_id)
        try:
            fd = fsio.FILES.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
        except FileNotFoundError:
            fsio.makedirs(self.folder)
            fd = fsio.FILES.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
        fsio.FILES.close(fd)

    def entries(self) -> dict[str, list[float]]:
        """Each indexed instance's due times (more than one: stale entries to remove)."""
        found: dict[str, list[float]] = {}
        try:
            names = os.listdir(self.folder)
        except FileNotFoundError:
            return found
        for name in names:
            parsed = parse(name)
            if parsed is not None:
                found.setdefault(parsed[1], []).append(parsed[0])
        return found

    def settle(self, resource_id: str, times: list[float], current: float | None) -> None:
        """Remove the entries of an instance (`times`, as listed) other than its current due
        time's, once the instance was opened and looked at."""
        keep = None if current is None else entry(current, resource_id)
        for due in times:
            name = entry(due, resource_id)
            if name != keep:
                try:
                    fsio.unlink_if_there(self.folder / name)
                except OSError as error:
                    _log.warning("%s: a stale due entry stays: %s", resource_id, error)
        if current is not None and keep is not None and not (self.folder / keep).exists():
            try:
                self.add(resource_id, current)
            except OSError as error:
                _log.warning("%s: the due index was not updated: %s", resource_id, error)
