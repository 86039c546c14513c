"""Creating file-store instances: one (`FileStore.create`) or several with their syncs shared
(`FileStore.create_many`).

Part of `statewright.runtime.store`. An instance is made whole in a hidden folder
(`resources/.new.<id>.<hex>`) and renamed into place, so a crash leaves it created or not
there at all. Inside the hidden folder each file is written once (no temporary file and
rename: nobody reads it yet): `chart.json`, and the log with its header and creation record in
one write; both are fsynced, then the folder, then the rename, then `resources/`. No snapshot
until the first close (the creation record holds the whole state). A group shares the waits:
every file's fsync runs at once in the store's threads, then every folder's, and one fsync of
`resources/` acknowledges them all.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from . import fsio
from .charts import StoredChart
from .disk import fsync_dir, write_new
from .errors import InstanceExists, StoreIOError
from .file_instance import FileInstance

#: what `create_many` takes: (id, chart) or (id, chart, context)
Item = tuple[str, StoredChart] | tuple[str, StoredChart, Mapping[str, Any] | None]


def create_one(
    store: Any, resource_id: str, chart: StoredChart, context: Mapping[str, Any] | None
) -> FileInstance:
    """`FileStore.create` (see the module docstring)."""
    return create_many(store, [(resource_id, chart, context)], threads=None)[0]


def create_many(
    store: Any,
    items: Sequence[Item],
    threads: Callable[[Callable[[Any], None], list[Any]], Any] | None,
) -> list[FileInstance]:
    """`FileStore.create_many`: `threads(function, things)` runs the fsyncs together (None:
    one after another)."""
    planned: list[tuple[str, Path, StoredChart, dict[str, Any]]] = []
    seen: set[str] = set()
    for item in items:  # refused before anything is made: a bad id, context or a duplicate
        resource_id, chart, *rest = item
        context = dict(rest[0] or {}) if rest else {}
        folder = store.folder(resource_id)
        if resource_id in seen or (folder / "chart.json").exists():
            raise InstanceExists(f"instance {resource_id!r} exists already")
        seen.add(resource_id)
        chart.declared.context(context)
        planned.append((resource_id, folder, chart, context))
    built: list[tuple[FileInstance, Path]] = []  # (instance in its hidden folder, its place)
    placed: list[FileInstance] = []
    try:
        fsio.makedirs(store.resources)
        for resource_id, folder, chart, context in planned:
            built.append((_build(store, resource_id, chart, context), folder))
        _together(threads, _sync_files, [instance for instance, _ in built])
        _together(threads, lambda pair: fsync_dir(pair[0].folder), built)
        for instance, folder in built:
            _place(instance, folder)
            placed.append(instance)
        fsync_dir(store.resources)  # the instances exist durably: acknowledged
    except BaseException as error:
        for instance, _ in built:
            instance.close(snapshot=False)
            if instance not in placed:
                shutil.rmtree(instance.folder, ignore_errors=True)
        if isinstance(error, OSError):
            made = ", ".join(i.resource_id for i in placed) or "none"
            raise StoreIOError(
                f"{error.filename or store.resources}: creating failed "
                f"({error.strerror or error}); made but not acknowledged: {made}; create "
                "them again (InstanceExists then means it was made)"
            ) from None
        raise
    for instance in placed:
        instance._after_commit_work("sinks", instance._deliver)
    return placed


def _build(
    store: Any, resource_id: str, chart: StoredChart, context: dict[str, Any]
) -> FileInstance:
    """The instance, written whole but not yet fsynced, in a hidden folder of its own."""
    building = store.resources / f".new.{resource_id}.{secrets.token_hex(4)}"
    fsio.FILES.mkdir(building)
    instance: FileInstance | None = None
    try:
        stored = {"chart_id": chart.id, "hash": chart.hash, "document": chart.document}
        if chart.source is not None:
            stored["ir"] = chart.source
        write_new(building / "chart.json", json.dumps(stored).encode(), sync=False)
        instance = FileInstance(store, resource_id, chart, fresh=True, folder=building)
        instance._create(context, secrets.token_hex(8), sync=False)
    except BaseException:
        if instance is not None:
            instance.close(snapshot=False)
        shutil.rmtree(building, ignore_errors=True)
        raise
    return instance


def _sync_files(instance: FileInstance) -> None:
    """fsync what `_build` wrote: the log (on its own descriptor) and chart.json."""
    instance.log.sync()
    files = fsio.FILES
    fd = files.open(instance.folder / "chart.json", os.O_RDONLY)
    try:
        files.fsync(fd)
    finally:
        files.close(fd)


def _place(instance: FileInstance, folder: Path) -> None:
    """Rename the hidden folder into place: a folder with an instance in it is never
    replaced (that is the claim)."""
    try:
        fsio.FILES.replace(instance.folder, folder)
    except OSError as error:
        if error.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.EISDIR):
            raise InstanceExists(f"instance {instance.resource_id!r} exists already") from None
        raise
    instance._moved(folder)


def _together(
    threads: Callable[[Callable[[Any], None], list[Any]], Any] | None,
    function: Callable[[Any], None],
    things: Iterable[Any],
) -> None:
    listed = list(things)
    if threads is None or len(listed) < 2:
        for thing in listed:
            function(thing)
    else:
        list(threads(function, listed))
