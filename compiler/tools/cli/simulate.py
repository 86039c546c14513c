"""`statewright simulate`: run a chart on the interpreter, one JSON line per step."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ....runtime import StatewrightError
from ...ir import Chart
from .common import EXIT_DIAGNOSTICS, EXIT_OK, UsageError, load_one, read


class _Unknown(StatewrightError):
    """A step's event no transition of the chart takes (exit 1)."""


def add_parsers(commands: Any) -> None:
    simulate = commands.add_parser(
        "simulate",
        help="run a chart on the interpreter and print each step as JSON",
        description=(
            "Start the chart in FILE (.smcat, .scxml, or with --ir a statewright-ir/1 "
            "document), send each EVENT, and print one JSON line per step: "
            '{"event": ..., "configuration": [...]} (docs/semantics.md). An EVENT written '
            "+SECONDS moves the clock instead (timed events that fall due fire); "
            "EVENT:{JSON} sends the event with that data (pay:'{\"amount\": 30}'). "
            "--steps FILE reads the steps from JSON lines instead: "
            '{"event": "pay", "data": {...}} or {"advance": 1.5}. Each event\'s line says '
            'whether a transition took it ("handled") and lists the guards that could not be '
            'evaluated and the executable content that failed ("errors"). An event the chart '
            "has no transition for is refused "
            "(exit 1, nothing run) unless --allow-unknown; names only the engine raises "
            "(done.state.*, error.*, ...) always are."
        ),
    )
    simulate.add_argument(
        "file", metavar="FILE", help="a .smcat, .yaml, .scxml or (with --ir) .ir.json file"
    )
    simulate.add_argument("events", nargs="*", metavar="EVENT")
    simulate.add_argument(
        "--steps",
        metavar="FILE.jsonl",
        help="the steps as JSON lines (- reads them from stdin), after any EVENT given",
    )
    simulate.add_argument("--context", metavar="JSON", help="the initial context, a JSON object")
    simulate.add_argument("--ir", action="store_true", help="FILE is a statewright-ir/1 document")
    simulate.add_argument(
        "--allow-unknown",
        action="store_true",
        help="send events the chart has no transition for (each is marked unhandled)",
    )
    simulate.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ....runtime import ChartError, FakeClock, load
    from ....runtime.compiling import parse_document
    from ...pipeline import machine as machine_of

    context: dict[str, Any] = {}
    if args.context is not None:
        try:
            given = json.loads(args.context)
        except ValueError as error:
            raise UsageError(f"--context is not JSON: {error}") from None
        if not isinstance(given, dict):
            raise UsageError("--context must be a JSON object")
        context = given
    chart: Chart | None = None
    document: dict[str, Any] = {}
    if args.ir:
        try:
            document = parse_document(read(args.file), args.file)
        except ChartError as error:  # not a JSON file at all
            raise UsageError(str(error)) from None
    else:
        chart = load_one(args.file, "simulating", target="run")
        if chart is None:
            return EXIT_DIAGNOSTICS
    steps = [_step(event) for event in args.events]
    if args.steps is not None:
        steps += _steps_file(args.steps)
    clock = FakeClock()
    try:
        machine = (  # no hooks here
            machine_of(chart, context=context, clock=clock, partial=True)
            if chart is not None
            else load(document, context=context, clock=clock, partial=True)
        )
        _refuse(machine.model, steps, args.allow_unknown)
        failed: list[dict[str, str]] = []
        machine.add_listener(
            lambda heard: failed.append(heard) if "guard" in heard or "error" in heard else None
        )
        machine.start()
        print(json.dumps({"event": None, "configuration": machine.configuration}))
        for shown, event, data, advance in steps:
            failed.clear()
            line: dict[str, Any] = {"event": shown}
            if advance is not None:
                clock.advance(advance)
                machine.tick()
            else:
                line["handled"] = machine.send(event, **data).handled
                machine.tick()  # events the chart sent itself, due now
            line["configuration"] = machine.configuration
            if data:
                line["data"] = data
            if failed:  # guards that could not be evaluated, and executable content that failed
                line["errors"] = [
                    (
                        {"guard": f["guard"], "error": f["error"]}
                        if "guard" in f
                        else {"error": f["error"], "message": f["message"]}
                    )
                    for f in failed
                ]
            print(json.dumps(line))
    except UsageError:
        raise  # exit 2, from `main`
    except StatewrightError as error:
        print(f"statewright: {args.file}: {error}", file=sys.stderr)
        return EXIT_DIAGNOSTICS
    return EXIT_OK


def _refuse(model: Any, steps: list[Step], allow_unknown: bool) -> None:
    """Every event step is checked before anything runs: names only the engine raises are
    refused, and (unless `allow_unknown`) events no transition takes, with the closest name."""
    from ....runtime.compiling import refusal, reserved

    for _, event, _, advance in steps:
        if advance is not None:
            continue
        if reserved(event):
            raise refusal(event, outcome="nothing was run")
        if not allow_unknown and not model.takes(event):
            close = model.suggest(event)
            hint = f" (did you mean `{close}`?)" if close else ""
            raise _Unknown(
                f"the chart has no transition for `{event}`{hint}; nothing was run "
                "(--allow-unknown sends it anyway)"
            )


#: one step: (what the output line calls it, the event, its data, or the seconds to advance)
Step = tuple[str, str, dict[str, Any], float | None]


def _step(text: str) -> Step:
    """`EVENT`, `EVENT:{JSON}` (the event with data) or `+SECONDS` (the clock)."""
    if text.startswith("+"):
        try:
            seconds = float(text[1:].removesuffix("s"))
        except ValueError:
            raise UsageError(f"{text}: write a clock step as +SECONDS, like +1.5") from None
        if not 0 <= seconds < 10**9:
            raise UsageError(f"{text}: the clock moves forward, by less than 10^9 seconds")
        return text, "", {}, seconds
    event, brace, rest = text.partition(":{")
    if not brace:
        return text, text, {}, None
    return event, event, _data("{" + rest, f"{event}'s data"), None


def _data(text: str, what: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError as error:
        raise UsageError(f"{what} is not JSON: {error}") from None
    if not isinstance(data, dict):
        raise UsageError(f"{what} must be a JSON object")
    return data


def _steps_file(name: str) -> list[Step]:
    """Steps from JSON lines: `{"event": ..., "data": {...}}` or `{"advance": SECONDS}`."""
    steps: list[Step] = []
    for number, line in enumerate(read(name).decode("utf-8", "replace").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{name}:{number}"
        step = _data(line, where)
        if "advance" in step:
            seconds = step["advance"]
            if not isinstance(seconds, int | float) or not 0 <= seconds < 10**9:
                raise UsageError(f"{where}: advance is a number of seconds, 0 or more")
            steps.append((f"+{seconds}", "", {}, float(seconds)))
            continue
        event, data = step.get("event"), step.get("data", {})
        if not isinstance(event, str) or not event:
            raise UsageError(f'{where}: a step is {{"event": NAME}} or {{"advance": SECONDS}}')
        if not isinstance(data, dict):
            raise UsageError(f"{where}: data must be a JSON object")
        steps.append((event, event, data, None))
    return steps
