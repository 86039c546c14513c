"""Checking a file store's instance without changing it: `FileStore.verify`.

Part of `statewright.runtime.store`. Every segment's framing and sequence, the headers, the
snapshot's checksum and that it equals a replay of the log. What the next open repairs by the
recovery rules (a torn last record of the current segment, a leftover temporary file) is a
note, not a problem.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import logfile
from .disk import without_crc
from .errors import StoreError
from .logfile import LogCorrupt
from .replay import Replay


def check(store: Any, resource_id: str, notes: list[str] | None) -> list[str]:
    """`FileStore.verify`: the problems, as sentences; what the next open repairs goes to
    `notes` when given."""
    problems: list[str] = []
    notes = [] if notes is None else notes
    try:
        folder = store.folder(resource_id)
        stored = store.stored_chart(folder, resource_id)
        segments = store.segments(resource_id)
        if not segments:
            return ["no log segment"]
        expected = 1
        records: list[dict[str, Any]] = []
        for segment in segments:
            scanned = logfile.scan(segment)
            if scanned.header is None:
                problems.append(f"{segment.name}: no valid header")
                continue
            known = {stored["hash"], *(stored.get("previous") or {})}
            if scanned.header.get("chart_hash") not in known:
                problems.append(f"{segment.name}: written for another chart")
            if scanned.header["base_seq"] != expected:
                problems.append(
                    f"{segment.name}: starts at {scanned.header['base_seq']}, "
                    f"{expected} was due"
                )
            if scanned.torn is not None:
                torn = (
                    f"{segment.name}: a torn last record ({len(scanned.torn)} bytes at "
                    f"byte {scanned.good_length})"
                )
                if segment.name == "events.log" and _cuttable(scanned, folder):
                    notes.append(f"{torn}; the next open cuts it (a crash in mid-write)")
                else:
                    problems.append(f"{torn}: damage, not a write in flight")
            records += scanned.records
            expected = scanned.header["base_seq"] + len(scanned.records)
        replay = Replay(stored)
        for record in records:
            replay.apply(record)
        machine = replay.machine
        for leftover in folder.glob(".*.tmp"):
            notes.append(f"{leftover.name}: a leftover temporary file; the next open removes it")
        try:
            state = without_crc((folder / "state.json").read_bytes())
        except FileNotFoundError:  # a shortcut only: the log is replayed without it
            state = {"last_seq": -1}
            if len(records) > store.snapshot_every:
                notes.append("state.json: missing (the next open rebuilds it from the log)")
        if state is None:
            problems.append("state.json: missing checksum or unreadable")
        else:
            last = records[-1]["seq"] if records else 0
            if state["last_seq"] > last:
                problems.append(
                    f"state.json records event {state['last_seq']}, the log ends at {last}"
                )
            elif state["last_seq"] == last and state["machine"]["active"] != machine.active:
                problems.append("state.json differs from a replay of the log")
    except FileNotFoundError as error:
        problems.append(f"{Path(error.filename).name}: missing")
    except (LogCorrupt, StoreError) as error:
        problems.append(str(error))
    return problems


def _cuttable(scanned: logfile.Scan, folder: Path) -> bool:
    """Whether opening the instance would cut this torn tail (`file_recovery._cut_tail`'s
    rule): a partial line or NUL bytes always; one complete bad line when no snapshot says
    it was committed; more than one never."""
    tail = scanned.torn or b""
    complete = tail.rstrip(b"\0").count(b"\n")
    if complete == 0:
        return True
    if complete > 1:
        return False
    try:
        state = without_crc((folder / "state.json").read_bytes())
    except OSError:
        state = None
    return state is None or scanned.torn_seq is None or state["last_seq"] < scanned.torn_seq
