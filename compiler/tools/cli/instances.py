"""`statewright instances ...`: durable instances from the command line (docs/persistence.md).

Every subcommand takes `--store DIR` (a FileStore folder). Output is JSON on standard output;
problems are one line on standard error and a non-zero exit (1: the store refused or found
problems, 2: usage), never a traceback, and nothing stored is changed by a failed command.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from .common import (
    EXIT_DIAGNOSTICS,
    EXIT_OK,
    UsageError,
    add_hook_arguments,
    add_sink_arguments,
    hooked_charts,
    load_one,
    sinks,
)

if TYPE_CHECKING:
    from ....runtime.store import Sink, Store

MAX_DATA_BYTES = 1 << 20


def add_parsers(commands: Any) -> None:
    _add_instances(commands)
    _add_db(commands)


def _add_instances(commands: Any) -> None:
    instances = commands.add_parser(
        "instances",
        help="create, drive and inspect durable instances in a store",
        description="Durable instances kept in a store folder (docs/persistence.md).",
    )
    sub = instances.add_subparsers(dest="action", metavar="ACTION", required=True)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = sub.add_parser(
            name, help=help_text, description=help_text
        )
        parser.add_argument(
            "--store",
            required=True,
            metavar="DIR|postgresql://...",
            help="the store: a folder, or a PostgreSQL URL",
        )
        parser.set_defaults(run=_run)
        return parser

    create = command("create", "create an instance of a chart (.smcat, .scxml or .ir.json)")
    create.add_argument("chart", metavar="CHART", help="a .smcat, .yaml, .scxml or .ir.json file")
    create.add_argument("--id", dest="resource_id", metavar="ID", help="default: the chart's name")
    create.add_argument("--context", metavar="JSON", help="the initial context, a JSON object")
    add_hook_arguments(create)

    send = command("send", "send an event to an instance; print its new configuration")
    send.add_argument("resource_id", metavar="ID")
    send.add_argument("event", metavar="EVENT")
    send.add_argument("--data", metavar="JSON", help="the event's data, a JSON object")
    send.add_argument("--event-id", metavar="ID", help="an idempotency key (default: a UUIDv7)")
    send.add_argument(
        "--allow-unknown",
        action="store_true",
        help="record an event the chart has no transition for (refused by default: a typo)",
    )
    add_hook_arguments(send)

    command("list", "list the instances with their configuration and version")
    show = command("show", "print an instance's state; -o renders its chart, active states lit")
    show.add_argument("resource_id", metavar="ID")
    show.add_argument("-o", "--output", metavar="FILE.svg|FILE.png|FILE.dot")
    history = command("history", "print an instance's log, or its state as of a point")
    history.add_argument("resource_id", metavar="ID")
    history.add_argument("--as-of", metavar="SEQ|TIME", help="a sequence number or RFC 3339 time")
    replay = command("replay", "replay an instance's log and print the state it gives")
    replay.add_argument("resource_id", metavar="ID")
    verify = command("verify", "check instances' files; report, never repair")
    verify.add_argument("resource_ids", nargs="*", metavar="ID", help="default: every instance")
    relay = command(
        "relay",
        "deliver the notifications (CloudEvents) a sink has not had yet, from the log as outbox",
    )
    add_sink_arguments(relay)
    relay.add_argument(
        "--follow", action="store_true", help="keep relaying until interrupted (Ctrl-C)"
    )
    relay.add_argument(
        "--interval", type=float, default=1.0, metavar="SECONDS", help="with --follow (default 1)"
    )

    migrate = sub.add_parser(
        "migrate",
        help="move file instances (log and snapshot) into a PostgreSQL store, and verify them",
        description="Copy each instance of the FileStore in DIR, its whole log, into the "
        "PostgreSQL store at URL, then verify it there. The files are left as they are.",
    )
    migrate.add_argument("--from", dest="source", required=True, metavar="DIR")
    migrate.add_argument("--to", dest="target", required=True, metavar="postgresql://...")
    migrate.add_argument("resource_ids", nargs="*", metavar="ID", help="default: every instance")
    migrate.set_defaults(run=_migrate)


def _sinks(args: argparse.Namespace) -> list[Sink]:
    if getattr(args, "action", None) != "relay":
        return []
    found: list[Sink] = sinks(args)
    if not found:
        raise UsageError("relay needs a sink: --webhook URL or --jsonl FILE")
    if args.interval <= 0:
        raise UsageError("--interval must be more than 0")
    return found


def _run(args: argparse.Namespace) -> int:
    from ....runtime import StatewrightError
    from ....runtime.store import open_store

    try:
        store = open_store(
            args.store,
            _sinks(args),
            strict=not getattr(args, "allow_unknown", False),
            no_hooks=getattr(args, "no_hooks", False),
        )
        try:
            return int(ACTIONS[args.action](store, args))
        finally:
            getattr(store, "close", lambda: None)()
    except UsageError:
        raise  # exit 2, from `main`
    except (StatewrightError, OSError) as error:
        print(f"statewright: {error}", file=sys.stderr)
        return EXIT_DIAGNOSTICS


def _add_db(commands: Any) -> None:
    database = commands.add_parser(
        "db",
        help="manage a PostgreSQL store's schema",
        description="Manage the schema of a PostgreSQL store (docs/persistence.md).",
    )
    sub = database.add_subparsers(dest="action", metavar="ACTION", required=True)
    up = sub.add_parser("upgrade", help="apply the schema migrations the database lacks")
    up.add_argument("--store", required=True, metavar="postgresql://...")
    up.set_defaults(run=_db_upgrade)


def _db_upgrade(args: argparse.Namespace) -> int:
    if not args.store.startswith(("postgresql://", "postgres://")):
        raise UsageError("db upgrade needs a postgresql:// URL")
    try:
        from ....runtime.store import SCHEMA_VERSION, upgrade

        applied = upgrade(args.store)
    except ImportError:
        print(
            "statewright: PostgreSQL needs psycopg: pip install 'statewright[postgres]'",
            file=sys.stderr,
        )
        return EXIT_DIAGNOSTICS
    except Exception as error:  # noqa: BLE001 - psycopg's errors: one line, no traceback
        print(f"statewright: {str(error).strip().splitlines()[0]}", file=sys.stderr)
        return EXIT_DIAGNOSTICS
    print(json.dumps({"applied": applied, "schema": SCHEMA_VERSION}))
    return EXIT_OK


def _json_object(text: str | None, what: str) -> dict[str, Any]:
    if text is None:
        return {}
    if len(text.encode()) > MAX_DATA_BYTES:
        raise UsageError(f"{what} is larger than {MAX_DATA_BYTES} bytes")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise UsageError(f"{what} is not JSON: {error}") from None
    if not isinstance(value, dict):
        raise UsageError(f"{what} must be a JSON object")
    return value


def _create(store: Store, args: argparse.Namespace) -> int:
    from ....runtime.store import StoredChart
    from ...ir_document import to_document

    context = _json_object(args.context, "--context")
    if args.chart.endswith(".json"):
        try:
            document = json.loads(Path(args.chart).read_bytes())
        except (OSError, ValueError) as error:
            raise UsageError(f"{args.chart}: cannot read: {error}") from None
    else:
        chart = load_one(args.chart, "creating an instance", target="run")
        if chart is None:
            return EXIT_DIAGNOSTICS
        document = to_document(chart)
    name = Path(args.chart).name.split(".")[0]
    resource_id = args.resource_id or name
    stored = StoredChart(document, chart_id=name, keep_source=True, no_hooks=args.no_hooks)
    hooked = hooked_charts(args)
    if hooked:
        stored = next((c for c in hooked if c.hash == stored.hash), None) or _no_match(
            args.chart, hooked
        )
    instance = store.create(resource_id, stored, context=context)
    with instance:
        print(json.dumps(_summary(instance)))
    return EXIT_OK


def _send(store: Store, args: argparse.Namespace) -> int:
    from ....runtime.store import ChartMismatch

    data = _json_object(args.data, "--data")
    hooked = hooked_charts(args)
    for chart in hooked or [None]:
        try:
            receipt = store.send(
                args.resource_id, args.event, data, event_id=args.event_id, chart=chart
            )
        except ChartMismatch:  # another chart's hooks (refused before anything is written)
            continue
        print(json.dumps(receipt.to_dict()))
        return EXIT_OK
    return _no_match(args.resource_id, hooked)


def _no_match(what: str, hooked: list[Any]) -> NoReturn:
    names = ", ".join(c.id for c in hooked)
    raise UsageError(f"{what}: none of the --hooks charts ({names}) is its chart")


def _list(store: Store, args: argparse.Namespace) -> int:
    """Every instance, one JSON line each; one that cannot be opened gets a line with its
    problem and the listing goes on (exit 1 at the end)."""
    from ....runtime import StatewrightError

    failed = False
    for resource_id in store.ids():
        try:
            with store.open(resource_id) as instance:
                print(json.dumps(_summary(instance)))
        except (StatewrightError, OSError) as error:
            failed = True
            print(json.dumps({"id": resource_id, "problem": str(error)}))
    return EXIT_DIAGNOSTICS if failed else EXIT_OK


def _show(store: Store, args: argparse.Namespace) -> int:
    with store.open(args.resource_id) as instance:
        summary = _summary(instance)
        summary["context"] = instance.context
        summary["recovered"] = instance.recovered
        print(json.dumps(summary))
        if args.output:
            _render(store, args.resource_id, instance.machine.active, Path(args.output))
    return EXIT_OK


def _history(store: Store, args: argparse.Namespace) -> int:
    if args.as_of is None:
        for record in store.history(args.resource_id):
            print(json.dumps(record))
        return EXIT_OK
    point: dict[str, Any] = {"seq": int(args.as_of)} if args.as_of.isdigit() else {"at": args.as_of}
    try:
        state = store.state_at(args.resource_id, **point)
    except ValueError as error:
        raise UsageError(f"--as-of {args.as_of}: {error}") from None
    state.pop("snapshot")
    print(json.dumps(state))
    return EXIT_OK


def _replay(store: Store, args: argparse.Namespace) -> int:
    state = store.state_at(args.resource_id)
    state.pop("snapshot")
    print(json.dumps(state))
    return EXIT_OK


def _relay(store: Store, args: argparse.Namespace) -> int:
    """One pass over the outbox (or, with --follow, one every --interval seconds): each sink
    gets, in order per instance, the notifications its cursor has not passed. A FileStore
    delivers what an instance's sinks missed when the instance is opened; PostgreSQL reads the
    outbox table. At least once: a sink may see an event twice after a crash (same `id`).
    With --follow, Ctrl-C or SIGTERM stops it after the pass in flight (exit 0)."""
    import signal
    import threading

    stop = threading.Event()
    if args.follow:
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, lambda *_: stop.set())
    while True:
        if hasattr(store, "relay"):
            delivered = store.relay()
            print(json.dumps({"delivered": delivered}), flush=True)
        else:
            opened = 0
            for resource_id in store.ids():
                with store.open(resource_id):
                    opened += 1
            print(json.dumps({"instances": opened}), flush=True)
        if not args.follow or stop.wait(args.interval):
            return EXIT_OK


def _verify(store: Store, args: argparse.Namespace) -> int:
    failed = False
    for resource_id in args.resource_ids or store.ids():
        notes: list[str] = []  # what the next open repairs (a torn tail, a leftover)
        problems = store.verify(resource_id, notes=notes)
        failed = failed or bool(problems)
        line = {"id": resource_id, "ok": not problems, "problems": problems}
        print(json.dumps({**line, "notes": notes} if notes else line))
    return EXIT_DIAGNOSTICS if failed else EXIT_OK


def _migrate(args: argparse.Namespace) -> int:
    from ....runtime import StatewrightError
    from ....runtime.store import FileStore

    if not args.target.startswith(("postgresql://", "postgres://")):
        raise UsageError("--to must be a postgresql:// URL")
    source = FileStore(args.source)
    failed = False
    try:
        from ....runtime.store import PostgresStore

        target = PostgresStore(args.target)
    except ImportError:
        print(
            "statewright: PostgreSQL needs psycopg: pip install 'statewright[postgres]'",
            file=sys.stderr,
        )
        return EXIT_DIAGNOSTICS
    except (StatewrightError, OSError) as error:
        print(f"statewright: {error}", file=sys.stderr)
        return EXIT_DIAGNOSTICS
    with target:
        for resource_id in args.resource_ids or source.ids():
            try:
                problems = source.verify(resource_id)
                if problems:
                    raise StatewrightError("; ".join(problems))
                stored = json.loads((source.folder(resource_id) / "chart.json").read_bytes())
                records = list(source.history(resource_id))
                target.import_instance(resource_id, stored, records)
                problems = target.verify(resource_id)
                if problems:
                    raise StatewrightError("after the copy: " + "; ".join(problems))
                print(json.dumps({"id": resource_id, "events": len(records), "ok": True}))
            except (StatewrightError, OSError) as error:
                failed = True
                print(json.dumps({"id": resource_id, "ok": False, "problem": str(error)}))
    return EXIT_DIAGNOSTICS if failed else EXIT_OK


def _summary(instance: Any) -> dict[str, Any]:
    return {
        "id": instance.resource_id,
        "chart": instance.chart.id,
        "version": instance.version,
        "seq": instance.last_seq,
        "configuration": instance.configuration,
    }


def _render(store: Store, resource_id: str, active: list[str], path: Path) -> None:
    from ...formats import FORMATS
    from ...ir_document import IRFormatError, from_document
    from ...pipeline import emitter

    source = store.chart_source(resource_id)
    if source is None:
        raise OSError(f"instance {resource_id!r} keeps no diagram source (created by a library)")
    try:
        chart = from_document(source, compact=True)
    except IRFormatError as error:
        raise OSError(
            f"instance {resource_id!r}: its diagram source is unreadable: {error}"
        ) from None
    kind = path.suffix.lstrip(".")
    emit, _ = emitter(kind if kind in FORMATS and FORMATS[kind].diagram else "svg")
    output = emit(chart, {"highlight": {"active": active}})
    path.write_bytes(output.encode() if isinstance(output, str) else output)


ACTIONS = {
    "create": _create,
    "send": _send,
    "list": _list,
    "show": _show,
    "history": _history,
    "replay": _replay,
    "verify": _verify,
    "relay": _relay,
}
