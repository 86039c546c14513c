"""The worker as a program, from the runtime alone: `statewright-worker` (a console script of
`statewright-runtime`) and `python -m statewright.runtime.worker`.

It fires a store's due timers and relays its outbox until stopped (`store.Worker` does the
work; docs/operations.md). Production installs the runtime wheel, with no compiler, no lxml,
no black: this is all a worker image needs. `statewright worker` (the compiler's command line)
is the same program, built from the same functions: `add_worker_arguments` and `run_worker`,
and the option
helpers the `instances` commands share (`add_sink_arguments`, `sinks`, `add_hook_arguments`,
`hooked_charts`). A wrong option is an `OptionError` (exit 2), a store that cannot be opened
exit 1, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

from .errors import StatewrightError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class OptionError(StatewrightError, ValueError):
    """A command-line option the worker cannot use (its message names it): exit 2."""


def add_worker_arguments(parser: argparse.ArgumentParser) -> None:
    """The worker's options (both programs take the same)."""
    parser.add_argument("--store", required=True, metavar="DIR|postgresql://...", help="the store")
    parser.add_argument("--once", action="store_true", help="one pass, then exit (cron, tests)")
    add_sink_arguments(parser)
    add_hook_arguments(parser)
    parser.add_argument(
        "--max-idle",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="the longest sleep between passes (default 60)",
    )
    parser.add_argument(
        "--relay-every",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="a file store's full relay, every this many seconds (default 60)",
    )


WORKER_DESCRIPTION = (
    "Run a store's instances when no program sends them events: fire every timer that is due "
    "(`after 30min`), exactly once even with several workers, and deliver the notifications a "
    "sink has not had. Sleeps until the next timer. SIGTERM or Ctrl-C stops it after the step "
    "in flight (exit 0). On a terminal it shows a status line; otherwise it writes one JSON "
    "line per pass that did something (docs/operations.md)."
)


def run_worker(args: argparse.Namespace) -> int:
    """Run the worker with parsed options until stopped (`--once`: one pass). Raises
    `OptionError` for a wrong option, before anything is opened."""
    from .store import Pass, Worker, open_store

    if args.max_idle <= 0 or args.relay_every <= 0:
        raise OptionError("--max-idle and --relay-every must be more than 0")
    outlets = sinks(args)  # a bad option is refused before anything opens
    charts = hooked_charts(args)
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

    try:
        store = open_store(args.store, outlets, no_hooks=args.no_hooks)
    except (StatewrightError, OSError) as error:
        print(f"statewright: {error}", file=sys.stderr)
        return EXIT_FAILED
    try:
        worker = Worker(store, charts=charts, max_idle=args.max_idle, relay_every=args.relay_every)
        if args.once:
            done = worker.run_once(stop)
            report(done)
            if done.refused:  # each is logged with its reason (its actions have no hook)
                return EXIT_FAILED
        else:
            worker.run(stop, report)
    except StatewrightError as error:
        print(f"\nstatewright: {error}" if terminal else f"statewright: {error}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        getattr(store, "close", lambda: None)()
        if terminal:
            print(flush=True)
    return EXIT_OK


def add_sink_arguments(parser: Any) -> None:
    """Where notifications go (`worker`, `instances relay`): webhooks, with headers and a
    signing secret, and JSON Lines files."""
    parser.add_argument(
        "--webhook", action="append", default=[], metavar="URL", help="POST notifications to URL"
    )
    parser.add_argument(
        "--webhook-header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="a header for every webhook request (e.g. Authorization)",
    )
    parser.add_argument(
        "--webhook-secret-env",
        metavar="VARIABLE",
        help="sign webhook bodies (Standard Webhooks) with the whsec_ secret in this environment "
        "variable (several, space-separated, while one is rotated)",
    )
    parser.add_argument(
        "--jsonl", action="append", default=[], metavar="FILE", help="append notifications to FILE"
    )


def sinks(args: Any) -> list[Any]:
    """The sinks `--webhook` (with `--webhook-header`, `--webhook-secret-env`) and `--jsonl`
    name."""
    import warnings

    from .store import JsonlSink, StoreError, WebhookSink

    headers = {}
    for header in args.webhook_header:
        name, colon, value = header.partition(":")
        if not colon or not name.strip():
            raise OptionError(f"--webhook-header wants 'NAME: VALUE', not {header!r}")
        headers[name.strip()] = value.strip()
    secret: list[str] | None = None
    if args.webhook_secret_env:
        secret = os.environ.get(args.webhook_secret_env, "").split()
        if not secret:
            raise OptionError(f"--webhook-secret-env: ${args.webhook_secret_env} is not set")
        if not all(one.startswith("whsec_") for one in secret):
            print(
                f"statewright: warning: ${args.webhook_secret_env} holds a plain text secret, "
                "which is deprecated: receivers' Standard Webhooks libraries read whsec_ "
                "secrets (make one: python -c 'from statewright.runtime.store import "
                "new_webhook_secret as n; print(n())')",
                file=sys.stderr,
            )
    try:
        with warnings.catch_warnings():  # said above, once, in the command's words
            warnings.simplefilter("ignore", DeprecationWarning)
            found: list[Any] = [
                WebhookSink(url, headers=headers, secret=secret) for url in args.webhook
            ]
    except StoreError as error:
        raise OptionError(f"--webhook: {error}") from None
    return found + [JsonlSink(path) for path in args.jsonl]


def add_hook_arguments(parser: Any) -> None:
    """The hooks a store's instances run with (`instances create|send`, `worker`)."""
    parser.add_argument(
        "--hooks",
        action="append",
        default=[],
        metavar="MODULE:ATTR",
        help="the hooks: a generated class (or a StoredChart, or a list of them) that a "
        "program gives the store, imported from MODULE (the current folder is on the path)",
    )
    parser.add_argument(
        "--no-hooks",
        action="store_true",
        help="move instances through steps whose actions have no hook here, skipping those "
        "actions (each record lists what it skipped); refused by default",
    )


def hooked_charts(args: Any) -> list[Any]:
    """The `StoredChart`s `--hooks MODULE:ATTR` names (an `OptionError` for anything else)."""
    import importlib

    from .store import StoredChart

    found: list[Any] = []
    for spec in args.hooks:
        module_name, colon, attribute = spec.partition(":")
        if not colon or not module_name or not attribute:
            raise OptionError(f"--hooks {spec}: write MODULE:ATTR (orders.hooks:Order)")
        if "" not in sys.path and "." not in sys.path:
            sys.path.insert(0, "")
        try:
            value: Any = importlib.import_module(module_name)
            for part in attribute.split("."):
                value = getattr(value, part)
        except Exception as error:  # noqa: BLE001 - the user's module: one line, no traceback
            raise OptionError(f"--hooks {spec}: {type(error).__name__}: {error}") from None
        for item in value if isinstance(value, list | tuple) else [value]:
            if isinstance(item, StoredChart):
                found.append(item)
            elif isinstance(item, type) and hasattr(item, "CHART"):
                found.append(StoredChart(item))
            else:
                raise OptionError(
                    f"--hooks {spec}: {type(item).__name__} is not a generated machine class "
                    "or a StoredChart"
                )
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """`statewright-worker [options]` (`--help` lists them): the exit status."""
    parser = argparse.ArgumentParser(prog="statewright-worker", description=WORKER_DESCRIPTION)
    add_worker_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run_worker(args)
    except OptionError as error:
        print(f"statewright-worker: {error}", file=sys.stderr)
        return EXIT_USAGE


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _until(due: float) -> str:
    seconds = max(due - time.time(), 0)
    return (
        f"next timer in {seconds:.0f} s"
        if seconds < 120
        else f"next timer in {seconds / 60:.0f} min"
    )


if __name__ == "__main__":
    sys.exit(main())
