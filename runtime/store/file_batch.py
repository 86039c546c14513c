"""Group commit on the file store (`FileStore.batch`): the sends of a block are written at
once, and the instances' logs are fsynced together when the block ends.

Part of `statewright.runtime.store`; the instance it drives is `file_instance.FileInstance`.
"""

from __future__ import annotations

from typing import Any

from .errors import ConcurrencyConflict, StoreError, StoreIOError, check_event_id
from .file_instance import FileInstance
from .records import Receipt, new_event_id


class Batch:
    """See `FileStore.batch`."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool
        self.instances: list[FileInstance] = []
        self.receipts: list[Receipt] = []

    def send(
        self, instance: FileInstance, event: str, *, event_id: str | None = None, **data: Any
    ) -> Receipt:
        """Apply and write one event; it is acknowledged when the batch ends without error."""
        event_id = new_event_id() if event_id is None else check_event_id(event_id)
        if instance._batch is not self:
            if instance._batch is not None:
                raise StoreError(f"{instance.resource_id} is in another batch")
            if instance._poisoned or not instance.log.is_open:
                instance._reload()
            instance.lock.__enter__()
            instance._batch = self
            self.instances.append(instance)
        try:
            receipt = instance._send_once(event, event_id, data, None, True)
        except ConcurrencyConflict:  # caught up under the lock we hold: cannot conflict again
            receipt = instance._send_once(event, event_id, data, None, True)
        self.receipts.append(receipt)
        return receipt

    def __enter__(self) -> Batch:
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        failed: list[str] = []
        try:
            if kind is None and self.instances:

                def sync(instance: FileInstance) -> None:
                    try:  # a failure cuts the log back to before the batch (`file_log`)
                        instance.log.sync()
                    except StoreIOError as problem:
                        instance._poisoned = True
                        failed.append(str(problem))

                if len(self.instances) == 1:
                    sync(self.instances[0])
                else:
                    list(self.pool.map(sync, self.instances))
            else:  # the block raised: what it wrote is in doubt
                for instance in self.instances:
                    instance._poisoned = True
        finally:
            for instance in self.instances:
                instance._batch = None
                try:
                    if not instance._poisoned:
                        instance._maybe_snapshot()  # never raises: logged, done later
                finally:
                    instance.lock.__exit__()
        if failed:
            raise StoreIOError(
                "the batch was not committed for every instance (" + "; ".join(failed) + "); "
                "send its events again with the same event ids (those committed are "
                "acknowledged again, as duplicates)"
            )
        for instance in self.instances:
            instance._after_commit_work("sinks", instance._deliver)
