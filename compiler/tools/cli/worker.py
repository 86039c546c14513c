"""`statewright worker`: fire due timers and relay the outbox of a store until stopped
(`runtime/store/worker.py` does the work; docs/operations.md)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from typing import Any

from .common import EXIT_DIAGNOSTICS, EXIT_OK, UsageError


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
    worker.add_argument(
        "--webhook", action="append", default=[], metavar="URL", help="POST notifications to URL"
    )
    worker.add_argument(
        "--webhook-header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="a header for every webhook request (e.g. Authorization)",
    )
    worker.add_argument(
        "--webhook-secret-env",
        metavar="VARIABLE",
        help="sign webhook bodies (HMAC-SHA256) with the secret in this environment variable",
    )
    worker.add_argument(
        "--jsonl", action="append", default=[], metavar="FILE", help="append notifications to FILE"
    )
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


def sinks(args: argparse.Namespace) -> list[Any]:
    """The sinks `--webhook` (with `--webhook-header`, `--webhook-secret-env`) and `--jsonl`
    name."""
    from ....runtime.store import JsonlSink, WebhookSink

    headers = {}
    for header in args.webhook_header:
        name, colon, value = header.partition(":")
        if not colon or not name.strip():
            raise UsageError(f"--webhook-header wants 'NAME: VALUE', not {header!r}")
        headers[name.strip()] = value.strip()
    secret = None
    if args.webhook_secret_env:
        secret = os.environ.get(args.webhook_secret_env)
        if not secret:
            raise UsageError(f"--webhook-secret-env: ${args.webhook_secret_env} is not set")
    found: list[Any] = [WebhookSink(url, headers=headers, secret=secret) for url in args.webhook]
    return found + [JsonlSink(path) for path in args.jsonl]


def run(args: argparse.Namespace) -> int:
    from ....runtime.errors import StatewrightError
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
        elif done.fired or done.delivered or args.once:
            print(json.dumps({"time": _now(), **done.to_dict()}), flush=True)

    outlets = sinks(args)  # a bad option is a usage error (exit 2), before anything opens
    try:
        store = open_store(args.store, outlets)
    except (StatewrightError, OSError) as error:
        print(f"statewright: {error}", file=sys.stderr)
        return EXIT_DIAGNOSTICS
    try:
        worker = Worker(store, max_idle=args.max_idle, relay_every=args.relay_every)
        if args.once:
            report(worker.run_once(stop))
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
