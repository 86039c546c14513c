"""A real full disk (issue 32): the file store on a small ext4 file system (a loop mount, real
fsync) and on a size-limited tmpfs, filled until writes fail with ENOSPC.

Sends go on until the disk refuses them; every failure must be a StoreError, every acknowledged
event must be in its log exactly once; then space is freed, the refused events are sent again
with their ids, and every instance opens, verifies and takes new events. Mounting needs root
(CI runs as root); elsewhere these tests skip and say why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from statewright.runtime.store import FileStore, StoreError
from testkit import counting

pytestmark = pytest.mark.slow

#: an upper bound on the sends of one test (the disk is full long before)
MOST_SENDS = 5000
PAD = "x" * 400  # event data, so that the disk fills in a few hundred sends


def _mount(kind: str, where: Path, image: Path) -> None:
    if kind == "tmpfs":
        command = ["mount", "-t", "tmpfs", "-o", "size=384k", "tmpfs", str(where)]
    else:
        subprocess.run(["truncate", "-s", "4M", str(image)], check=True)
        subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], check=True, capture_output=True)
        command = ["mount", "-o", "loop", str(image), str(where)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a {kind} file system here (root needed): {done.stderr}")


@pytest.fixture(params=["tmpfs", "ext4"])
def small_disk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a file system needs root (CI runs as root)")
    where = tmp_path / "disk"
    where.mkdir()
    _mount(request.param, where, tmp_path / "disk.img")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_a_full_disk_loses_and_misplaces_nothing(small_disk: Path) -> None:
    store = FileStore(small_disk / "store", snapshot_every=5, segment_records=50)
    chart = counting()
    names = ["a", "b", "c"]
    handles = {name: store.create(name, chart) for name in names}
    filler = small_disk / "filler"
    free = shutil.disk_usage(small_disk).free
    filler.write_bytes(b"\0" * max(free - 96 * 1024, 0))  # leave about 96 KB
    acknowledged: dict[str, list[str]] = {name: [] for name in names}
    refused: list[tuple[str, str]] = []
    failures: list[StoreError] = []
    for n in range(MOST_SENDS):
        name = names[n % 3]
        event_id = f"{name}-{n}"
        try:
            receipt = handles[name].send("flip", event_id=event_id, pad=PAD)
        except StoreError as error:  # anything else fails the test
            failures.append(error)
            refused.append((name, event_id))
            if len(failures) >= 30:
                break
            continue
        acknowledged[name].append(receipt.event_id)
    assert failures, "the disk never filled"
    assert any("No space left" in str(error) or "ENOSPC" in str(error) for error in failures)
    for name in names:  # nothing acknowledged is missing or doubled, nothing misplaced
        ids = [record["id"] for record in store.history(name)]
        assert all(ids.count(event_id) == 1 for event_id in acknowledged[name])
        assert all(event_id.startswith(name) for event_id in ids[1:])
    filler.unlink()
    for name, event_id in refused:  # the caller sends the refused events again
        receipt = handles[name].send("flip", event_id=event_id, pad=PAD)
        acknowledged[name].append(receipt.event_id)
    for handle in handles.values():
        handle.close()
    for name in names:
        with store.open(name, chart) as instance:
            instance.send("flip", pad="after")
        assert store.verify(name) == []
        ids = [record["id"] for record in store.history(name)]
        assert all(ids.count(event_id) == 1 for event_id in acknowledged[name])
    store.create("later", chart).close()
