"""The event ids of a closed log segment, kept beside it: `events.<n>.ids`.

Part of `statewright.runtime.store`. A retry's event id must be looked up in the whole log,
and a log of a million events is a hundred segments: reading them all to find one id took
11 s. When a segment is closed (rotation, migration), the 64-bit BLAKE2b keys of its ids are
written sorted beside it, each with the byte offset of its record's line, and a CRC-32; a
lookup reads those files (160 KB per 10,000 ids), binary-searches them, and reads the one line
a matching key points to (a 64-bit key collision is possible: the record confirms the id).
The files are derived data: one missing or failing its check is made again from its segment,
never trusted.
"""

from __future__ import annotations

import bisect
import hashlib
import logging
import zlib
from array import array
from pathlib import Path
from typing import Any

from . import logfile
from .disk import atomic_write

_log = logging.getLogger("statewright.store")

MAGIC = b"statewright-ids/2\n"


def key(event_id: str) -> int:
    """An event id's 64-bit key."""
    return int.from_bytes(hashlib.blake2b(event_id.encode(), digest_size=8).digest(), "little")


def path_of(segment: Path) -> Path:
    """`events.<n>.log` -> `events.<n>.ids`."""
    return segment.with_suffix(".ids")


Keys = tuple["array[int]", "array[int]"]  # the sorted keys, and the byte offset of each one's line


def write(segment: Path) -> Keys:
    """Write the sorted keys of a closed segment's ids, with the offset of each record's line,
    beside it (failure is logged: the next lookup makes the file again); the keys."""
    data = segment.read_bytes()
    pairs: list[tuple[int, int]] = []
    offset = data.find(b"\n") + 1  # after the header
    while offset < len(data):
        end = data.find(b"\n", offset)
        if end < 0:
            break
        record = logfile.unframe(data[offset : end + 1])
        if record is not None and "id" in record:
            pairs.append((key(record["id"]), offset))
        offset = end + 1
    pairs.sort()
    keys, offsets = array("Q", (k for k, _ in pairs)), array("Q", (o for _, o in pairs))
    body = keys.tobytes() + offsets.tobytes()
    crc = zlib.crc32(body).to_bytes(4, "little")
    try:
        atomic_write(path_of(segment), MAGIC + len(pairs).to_bytes(8, "little") + body + crc)
    except OSError as error:
        _log.warning("%s: its event ids were not written: %s", segment, error)
    return keys, offsets


def read(segment: Path) -> Keys | None:
    """The keys kept beside a segment; None when missing or failing the check."""
    try:
        data = path_of(segment).read_bytes()
    except OSError:
        return None
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 12:
        return None
    count = int.from_bytes(data[len(MAGIC) : len(MAGIC) + 8], "little")
    body, crc = data[len(MAGIC) + 8 : -4], data[-4:]
    if len(body) != 16 * count or zlib.crc32(body).to_bytes(4, "little") != crc:
        return None
    keys, offsets = array("Q"), array("Q")
    keys.frombytes(body[: 8 * count])
    offsets.frombytes(body[8 * count :])
    return keys, offsets


class OlderIds:
    """Finds an event id in an instance's closed segments (kept per handle: each segment's
    keys are read once)."""

    def __init__(self) -> None:
        self._keys: dict[Path, Keys] = {}

    def find(self, event_id: str, segments: list[Path]) -> int | None:
        """The sequence number of `event_id` in one of `segments` (closed ones), or None."""
        wanted = key(event_id)
        for segment in reversed(segments):  # a retry is usually of a recent event
            found = self._keys.get(segment)
            if found is None:
                found = read(segment) or write(segment)  # missing or damaged: made again
                self._keys[segment] = found
            keys, offsets = found
            at = bisect.bisect_left(keys, wanted)
            while at < len(keys) and keys[at] == wanted:  # confirmed by the record itself
                record = _line_at(segment, offsets[at])
                if record is not None and record.get("id") == event_id:
                    return int(record["seq"])
                at += 1
        return None


def _line_at(segment: Path, offset: int) -> dict[str, Any] | None:
    with segment.open("rb") as file:
        file.seek(offset)
        return logfile.unframe(file.readline())
