"""`statewright simulate`: run a chart on the interpreter, one JSON line per step."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .common import EXIT_DIAGNOSTICS, EXIT_OK, UsageError, load_one, read


def add_parsers(commands: Any) -> None:
    simulate = commands.add_parser(
        "simulate",
        help="run a chart on the interpreter and print each step as JSON",
        description=(
            "Start the chart in FILE (.smcat, .scxml, or with --ir a statewright-ir/1 "
            "document), send each EVENT, and print one JSON line per step: "
            '{"event": ..., "configuration": [...]} (docs/semantics.md). An EVENT written '
            "+SECONDS moves the clock instead (timed events that fall due fire)."
        ),
    )
    simulate.add_argument("file", metavar="FILE")
    simulate.add_argument("events", nargs="*", metavar="EVENT")
    simulate.add_argument("--context", metavar="JSON", help="the initial context, a JSON object")
    simulate.add_argument("--ir", action="store_true", help="FILE is a statewright-ir/1 document")
    simulate.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ....runtime import ChartError, FakeClock, StatewrightError, load
    from ....runtime.document import parse_document
    from ...emit import ir_json

    context: object = {}
    if args.context is not None:
        try:
            context = json.loads(args.context)
        except ValueError as error:
            raise UsageError(f"--context is not JSON: {error}") from None
        if not isinstance(context, dict):
            raise UsageError("--context must be a JSON object")
    if args.ir:
        try:
            document = parse_document(read(args.file), args.file)
        except ChartError as error:  # not a JSON file at all
            raise UsageError(str(error)) from None
    else:
        chart = load_one(args.file, "simulating", target="run")
        if chart is None:
            return EXIT_DIAGNOSTICS
        document = ir_json.to_document(chart)
    clock = FakeClock()
    try:
        machine = load(document, context=context, clock=clock).start()
        print(json.dumps({"event": None, "configuration": machine.configuration}))
        for event in args.events:
            if event.startswith("+"):
                try:
                    clock.advance(float(event[1:].removesuffix("s")))
                except ValueError:
                    raise UsageError(
                        f"{event}: write a clock step as +SECONDS, like +1.5"
                    ) from None
                machine.tick()
            else:
                machine.send(event)
                machine.tick()  # events the chart sent itself, due now
            print(json.dumps({"event": event, "configuration": machine.configuration}))
    except UsageError:
        raise  # exit 2, from `main`
    except StatewrightError as error:
        print(f"statewright: {args.file}: {error}", file=sys.stderr)
        return EXIT_DIAGNOSTICS
    return EXIT_OK
