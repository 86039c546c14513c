"""The event log's framing and the recovery rule (docs/persistence.md).

A log segment is JSON Lines. Each line is one compact JSON object whose last member is
`"crc":"xxxxxxxx"`: the CRC-32 (zlib) of the line's exact bytes before `,"crc"`, so a torn or
altered line is detected without re-serialising. The first line of a segment is a header
(format, instance, chart hash, the segment's first sequence number, a random salt); every other
line is a record whose `seq` follows the previous one by exactly 1.

`scan()` classifies what it reads the way trusted logs do (etcd, RocksDB's point-in-time
mode): a damaged *tail* (a partial last line, NUL bytes from a lost write, or a last line that
fails its check and that no snapshot claims) is the record in flight, never acknowledged, and
may be cut; anything wrong before a valid line is corruption, reported with the file, line and
byte offset, and never repaired silently.
"""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..memory import gc_paused
from .errors import StoreError

LOG_FORMAT = "statewright-log/1"
_SUFFIX = re.compile(rb',"crc":"([0-9a-f]{8})"\}\n\Z')
SUFFIX_LENGTH = 19  # ,"crc":"xxxxxxxx"}\n


class LogCorrupt(StoreError):
    """A log line that fails its check before a valid line, or a sequence out of order."""

    def __init__(self, path: Path, line: int, offset: int, reason: str) -> None:
        super().__init__(f"{path}:{line}: the event log is corrupt at byte {offset}: {reason}")
        self.path, self.line, self.offset, self.reason = path, line, offset, reason


#: one encoder for every line (json.dumps with options builds a new one per call)
_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def frame(record: dict[str, Any]) -> bytes:
    """One log line: the record as compact JSON, with its CRC as the last member."""
    head = _encode(record).encode("utf-8")[:-1]
    return head + b',"crc":"%08x"}\n' % zlib.crc32(head)


#: the parts of a line's suffix, `,"crc":"` + 8 hex digits + `"}\n`
_CRC_OPEN = b',"crc":"'
_CRC_CLOSE = b'"}\n'
_HEX = frozenset(b"0123456789abcdef")
_decode = json.JSONDecoder().decode


def unframe(line: bytes) -> dict[str, Any] | None:
    """The record of a complete line, or None when the line fails its check."""
    if (
        len(line) < SUFFIX_LENGTH
        or not line.endswith(_CRC_CLOSE)
        or line[-SUFFIX_LENGTH : -SUFFIX_LENGTH + 8] != _CRC_OPEN
    ):
        return None
    digits = line[-11:-3]
    if not _HEX.issuperset(digits):
        return None
    head = line[:-SUFFIX_LENGTH]
    if zlib.crc32(head) != int(digits, 16):
        return None
    try:
        record = _decode((head + b"}").decode("utf-8"))
    except ValueError:  # UnicodeDecodeError and JSONDecodeError included
        return None
    return record if isinstance(record, dict) else None


@dataclass
class Scan:
    """What a segment holds, and what is wrong with its end."""

    header: dict[str, Any] | None = None
    records: list[dict[str, Any]] = field(default_factory=list)
    #: the byte offset after the last valid line
    good_length: int = 0
    #: the bytes after it, when they are a torn tail (None: the file ends cleanly)
    torn: bytes | None = None
    #: the sequence number a damaged last line would have had
    torn_seq: int | None = None


def scan(path: Path, data: bytes | None = None) -> Scan:
    """Read a segment (see the module docstring). Raises LogCorrupt for damage before the
    end; returns what is valid, and the torn tail if there is one (the caller decides)."""
    with gc_paused():
        return _scan(path, path.read_bytes() if data is None else data)


def _scan(path: Path, data: bytes) -> Scan:
    result = Scan()
    offset = 0
    line_number = 0
    expected: int | None = None
    bad: tuple[int, int, str] | None = None  # (line, offset, reason) of a failed line
    while offset < len(data):
        end = data.find(b"\n", offset)
        if end < 0:  # a partial last line: the write in flight
            break
        line = data[offset : end + 1]
        line_number += 1
        record = unframe(line)
        if record is not None and bad is not None:
            raise LogCorrupt(path, *bad)  # a sound line after a failed one: not a torn tail
        reason = None
        if record is None:
            reason = "the line fails its checksum" if _SUFFIX.search(line) else "not a log line"
        elif result.header is None:
            if record.get("format") != LOG_FORMAT or not isinstance(record.get("base_seq"), int):
                reason = "the first line is not a statewright-log/1 header"
            else:
                expected = record["base_seq"]
        elif record.get("seq") != expected:
            reason = f"sequence {record.get('seq')} where {expected} was due"
        if reason is not None:
            if bad is None:
                bad = (line_number, offset, reason)
            offset = end + 1
            continue
        if bad is not None:  # a valid line after a failed one: corruption in the middle
            raise LogCorrupt(path, *bad)
        assert record is not None
        if result.header is None:
            result.header = record
        else:
            result.records.append(record)
            assert expected is not None
            expected += 1
        offset = end + 1
        result.good_length = offset
    tail = data[result.good_length :]
    if bad is not None and bad[2].startswith("sequence"):
        raise LogCorrupt(path, *bad)  # a valid but misplaced record is never a torn write
    if tail:
        result.torn = tail
        result.torn_seq = expected
    return result


def header(instance: str, chart_hash: str, base_seq: int, salt: str) -> dict[str, Any]:
    return {
        "format": LOG_FORMAT,
        "instance": instance,
        "chart_hash": chart_hash,
        "base_seq": base_seq,
        "salt": salt,
    }


def read_header(path: Path) -> dict[str, Any] | None:
    """The header of the log at `path` (its first line), or None when it has none that
    checks out; raises OSError as reading does."""
    with open(path, "rb") as file:
        return unframe(file.readline())
