"""`statewright worker`: fire due timers and relay the outbox of a store until stopped
(`runtime/store/worker.py` does the work; docs/operations.md)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from typing import Any

from .common import (
    EXIT_DIAGNOSTICS,
    EXIT_OK,
    UsageError,
    add_hook_arguments,
    add_sink_arguments,
    hooked_charts,
    sinks,
)


def add_parsers(commands: Any) -> None:
    worker = commands.add_parser(
        "worker",
        help="fire the timers that are due and relay notifications, until stopped",
        description=(
            "Run a store's instances when no program sends them events: fire every timer "
            "that is due (`after 30min`), exactly once even with several workers, and "
            "deliver the notifications a sink has not had. Sleeps until the next timer. "
            "SIGTERM or Ctrl-C stops it after the step in flight (exit 0). On a terminal it "
            "shows a status line; otherwise it writes one JSON line per pass that did "
            "something (docs/operations.md)."
        ),
    )
    worker.add_argument("--store", required=True, metavar="DIR|postgresql://...", help="the store")
    worker.add_argument("--once", action="store_true", help="one pass, then exit (cron, tests)")
    add_sink_arguments(worker)
    add_hook_arguments(worker)
    worker.add_argument(
        "--max-idle",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="the longest sleep between passes (default 60)",
    )
    worker.add_argument(
        "--relay-every",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="a file store's full relay, every this many seconds (default 60)",
    )
    worker.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ....runtime import StatewrightError
    from ....runtime.store import Pass, Worker, open_store

    if args.max_idle <= 0 or args.relay_every <= 0:
        raise UsageError("--max-idle and --relay-every must be more than 0")
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())
    terminal = sys.stdout.isatty()
    totals = {"fired": 0, "delivered": 0}

    def report(done: Pass) -> None:
        totals["fired"] += done.fired
        totals["delivered"] += done.delivered
        if terminal:
            wait = "no timer set" if done.next_due is None else _until(done.next_due)
            line = (
                f"worker: {totals['fired']} timer(s) fired, {totals['delivered']} "
                f"delivery(ies); {wait}"
            )
            print(f"\r\x1b[K{line}", end="", flush=True)
        elif done.fired or done.delivered or done.refused or args.once:
            print(json.dumps({"time": _now(), **done.to_dict()}), flush=True)

    outlets = sinks(args)  # a bad option is a usage error (exit 2), before anything opens
    charts = hooked_charts(args)
    try:
        store = open_store(args.store, outlets, no_hooks=args.no_hooks)
    except (StatewrightError, OSError) as error:
        print(f"statewright: {error}", file=sys.stderr)
        return EXIT_DIAGNOSTICS
    try:
        worker = Worker(store, charts=charts, max_idle=args.max_idle, relay_every=args.relay_every)
        if args.once:
            done = worker.run_once(stop)
            report(done)
            if done.refused:  # each is logged with its reason (its actions have no hook)
                return EXIT_DIAGNOSTICS
        else:
            worker.run(stop, report)
    except StatewrightError as error:
        print(f"\nstatewright: {error}" if terminal else f"statewright: {error}", file=sys.stderr)
        return EXIT_DIAGNOSTICS
    finally:
        getattr(store, "close", lambda: None)()
        if terminal:
            print(flush=True)
    return EXIT_OK


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _until(due: float) -> str:
    seconds = max(due - time.time(), 0)
    return (
        f"next timer in {seconds:.0f} s"
        if seconds < 120
        else f"next timer in {seconds / 60:.0f} min"
    )
