"""The `statewright` command line: the parser of every command, and `main`.

Each command is a module of this folder (`compile`, `simulate`, `fmt`, `check`, `build`,
`studio`, `instances`) with `add_parsers(commands)` and the function its arguments run. The
modules of this folder are the only ones that print and choose exit codes: 0 success, 1
diagnostics with errors (or `fmt --check` found unformatted files), 2 usage or I/O errors.
Bad input never produces a traceback.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

#: the command modules of this folder in the order `--help` lists them, with the commands each
#: one adds; a command line that names a command imports only its module (start-up time)
COMMANDS = (
    ("compile", ("compile", "import")),
    ("simulate", ("simulate",)),
    ("fmt", ("fmt",)),
    ("check", ("check",)),
    ("build", ("build", "watch")),
    ("studio", ("studio",)),
    ("instances", ("instances", "db")),
    ("worker", ("worker",)),
    ("completion", ("completion",)),
)

EXIT_OK, EXIT_USAGE = 0, 2  # as .common says (imported with the commands)

#: the commands that read their input, write their output and end
ONE_SHOT = frozenset({"compile", "import", "check", "fmt", "simulate"})


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (the console script exits with it)."""
    # A compiler run is short and builds large acyclic structures: the cyclic collector would
    # rescan them again and again. Freeze what start-up allocated and collect rarely.
    gc.freeze()
    gc.set_threshold(200_000, 50, 100)
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["--version"]:
        return _print_version()
    parser = argument_parser(arguments)
    args = parser.parse_args(arguments)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    from . import common
    from .common import UsageError

    common.color_mode = getattr(args, "color", None) or "auto"

    # A command that reads charts and exits frees its memory by reference counting: the cyclic
    # collector would only rescan the chart's objects (5% of compiling a 100k-line chart).
    # Commands that keep running (studio, watch, instances, db) keep it.
    one_shot = args.command in ONE_SHOT and gc.isenabled()
    if one_shot:
        gc.disable()
    try:
        code: int = args.run(args)
        return code
    except UsageError as error:
        print(f"statewright: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader went away (`statewright check ... | head`): stop quietly, as other
        # command-line tools do, and keep Python from complaining when it flushes at exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    finally:
        if one_shot:
            gc.enable()


def _print_version() -> int:
    from ... import __version__

    print(f"statewright {__version__}")
    return EXIT_OK


class _VersionAction(argparse.Action):
    def __call__(self, *args: object, **kwargs: object) -> None:
        raise SystemExit(_print_version())


class Parser(argparse.ArgumentParser):
    """argparse's parser, with a suggestion for a misspelt command or choice (`statewright
    chek`: did you mean `check`?)."""

    def error(self, message: str) -> NoReturn:
        import difflib
        import re

        found = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if found:
            choices = re.findall(r"'([^']*)'", found.group(2))
            close = difflib.get_close_matches(found.group(1), choices, n=1)
            if close:
                message += f"; did you mean `{close[0]}`?"
        super().error(message)


def argument_parser(arguments: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The parser of the command line: of the one command `arguments` start with, or of all
    of them (for `--help`, a mistyped command, or no arguments)."""
    first = next((a for a in arguments if not a.startswith("-")), None)
    named = [module for module, commands in COMMANDS if first in commands]
    modules = [
        importlib.import_module(f".{module}", __package__)
        for module in (named or [module for module, _ in COMMANDS])
    ]
    parser = Parser(
        prog="statewright",
        description="Statecharts from smcat text: check them, draw them, export and run them.",
        epilog=None if named else modules[0].EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_VersionAction, nargs=0, help="print the version")
    parser.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default=None,
        help="colour findings: auto (a terminal; NO_COLOR, FORCE_COLOR and TERM=dumb are "
        "honoured), always, never",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for module in modules:
        module.add_parsers(commands)
    for command in commands.choices.values():  # `--color` after the command too
        if not any("--color" in action.option_strings for action in command._actions):
            command.add_argument(
                "--color", choices=("auto", "always", "never"), default=argparse.SUPPRESS
            )
    return parser


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
