"""Event ids sort by creation (RFC 9562 UUIDv7 with a monotonic counter, issue 35 item 5): in a
loop, within one millisecond, when the clock steps back, across threads."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

from statewright.runtime.store import records
from statewright.runtime.store.records import new_event_id, uuid7


def _fields(text: str) -> tuple[int, int]:
    """An id's millisecond and its 42-bit counter."""
    value = uuid.UUID(text).int
    counter = ((value >> 64) & 0xFFF) << 30 | (value >> 32) & 0x3FFF_FFFF
    return value >> 80, counter


def test_a_hundred_thousand_ids_made_in_a_loop_are_in_order() -> None:
    ids = [new_event_id() for _ in range(100_000)]
    assert all(a < b for a, b in zip(ids, ids[1:], strict=False))
    parsed = [uuid.UUID(i) for i in ids[:1000]]
    assert {(p.version, p.variant) for p in parsed} == {(7, uuid.RFC_4122)}
    assert str(uuid7()) > ids[-1]


@pytest.fixture
def clock(monkeypatch: Any) -> list[int]:
    """The ids' clock, in nanoseconds, set by the test."""
    now = [1_800_000_000_000 * 1_000_000]
    monkeypatch.setattr(records.time, "time_ns", lambda: now[0])
    monkeypatch.setattr(records, "_last", [0, 0])
    return now


def test_ids_stay_in_order_when_the_clock_stands_still_or_steps_back(clock: list[int]) -> None:
    first = [new_event_id() for _ in range(1000)]  # one millisecond
    assert {_fields(i)[0] for i in first} == {1_800_000_000_000}
    counters = [_fields(i)[1] for i in first]
    assert counters == list(range(counters[0], counters[0] + 1000))
    assert counters[0] < 1 << 41  # a millisecond's counter starts with room to count
    clock[0] -= 5_000 * 1_000_000  # the clock steps back five seconds
    back = [new_event_id() for _ in range(10)]
    assert first[-1] < back[0] and all(a < b for a, b in zip(back, back[1:], strict=False))
    assert {_fields(i)[0] for i in back} == {1_800_000_000_000}
    clock[0] += 6_000 * 1_000_000  # and catches up: a new millisecond, a new counter
    later = new_event_id()
    assert later > back[-1] and _fields(later)[0] == 1_800_000_001_000


def test_a_full_counter_borrows_the_next_millisecond(clock: list[int], monkeypatch: Any) -> None:
    before = new_event_id()
    monkeypatch.setattr(records, "_last", [records._last[0], records._COUNTER_MAX])
    after = new_event_id()
    assert after > before
    assert _fields(after)[0] == _fields(before)[0] + 1


def test_ids_made_by_threads_at_once_are_unique_and_each_threads_in_order() -> None:
    made: list[list[str]] = [[] for _ in range(4)]

    def make(out: list[str]) -> None:
        for _ in range(20_000):
            out.append(new_event_id())

    threads = [threading.Thread(target=make, args=(out,)) for out in made]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({i for out in made for i in out}) == 80_000
    for out in made:
        assert all(a < b for a, b in zip(out, out[1:], strict=False))
