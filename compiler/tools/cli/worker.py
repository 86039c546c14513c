"""`statewright worker`: fire due timers and relay the outbox of a store until stopped. The
program is the runtime's (`statewright.runtime.worker`, also `statewright-worker` where only
the runtime is installed): the same options, the same output, the same exits."""

from __future__ import annotations

import argparse
from typing import Any

from .common import UsageError


def add_parsers(commands: Any) -> None:
    from ....runtime import compiling

    worker = commands.add_parser(
        "worker",
        help="fire the timers that are due and relay notifications, until stopped",
        description=compiling.WORKER_DESCRIPTION,
    )
    compiling.add_worker_arguments(worker)
    worker.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ....runtime import compiling

    try:
        status: int = compiling.run_worker(args)
    except compiling.OptionError as error:
        raise UsageError(str(error)) from None
    return status
