"""`Door`: a row per door, its statewright snapshot in a JSON column.

- `Door.create(name)` starts the chart; `door.send(event, **data)` restores the machine from
  the snapshot, runs the event, and saves the new snapshot only if nobody saved the row since
  it was read (`version`): a lost race raises `Conflict` (reload and send again).
- An event the chart has no transition for is refused (`UnknownEvent`): nothing is saved.
- The row records the chart's hash. When the chart changes, `machine()` refuses an old
  snapshot (`ChartChanged`) until a data migration carries the rows over (a `RunPython` that
  maps each old snapshot to the new chart's states): the pattern that keeps a deploy with a
  new chart from reading snapshots it does not understand.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from door_logic import CHART, DoorLogic

from statewright.runtime.store import UnknownEvent


class Conflict(Exception):
    """Another writer saved the door since it was read."""


class ChartChanged(Exception):
    """The row's snapshot belongs to another chart: migrate the rows first."""


class Door(models.Model):
    name = models.CharField(max_length=100, unique=True)
    chart = models.CharField(max_length=64)
    snapshot = models.JSONField()
    version = models.PositiveIntegerField(default=1)

    @classmethod
    def create(cls, name: str, **context: Any) -> Door:
        machine = DoorLogic(start=False)
        machine.context.update(context)
        machine.start()
        return cls.objects.create(name=name, chart=CHART.hash, snapshot=machine.snapshot())

    def machine(self) -> DoorLogic:
        if self.chart != CHART.hash:
            raise ChartChanged(
                f"door {self.name} holds a snapshot of chart {self.chart[:12]}, not "
                f"{CHART.hash[:12]}: run the data migration that carries doors over"
            )
        machine = DoorLogic(start=False)
        machine.restore(self.snapshot)
        return machine

    @property
    def configuration(self) -> list[str]:
        return self.machine().configuration

    def send(self, event: str, **data: Any) -> list[str]:
        if not CHART.knows(event):
            hint = CHART.suggest(event)
            raise UnknownEvent(
                f"the door chart has no `{event}`" + (f" (did you mean `{hint}`?)" if hint else ""),
                event,
                hint,
            )
        machine = self.machine()
        machine.send(event, **data)
        saved = Door.objects.filter(pk=self.pk, version=self.version).update(
            snapshot=machine.snapshot(), version=models.F("version") + 1
        )
        if not saved:
            raise Conflict(f"door {self.name} changed since it was read: reload and send again")
        self.snapshot, self.version = machine.snapshot(), self.version + 1
        return machine.configuration
