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
import os
import sys
from collections.abc import Sequence

from . import build, check, compile, fmt, instances, simulate, studio
from .common import EXIT_OK, EXIT_USAGE, UsageError

#: the commands in the order `--help` lists them
COMMANDS = (compile, simulate, fmt, check, build, studio, instances)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (the console script exits with it)."""
    # A compiler run is short and builds large acyclic structures: the cyclic collector would
    # rescan them again and again. Freeze what start-up allocated and collect rarely.
    gc.freeze()
    gc.set_threshold(200_000, 50, 100)
    parser = argument_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
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


class _VersionAction(argparse.Action):
    def __call__(self, *args: object, **kwargs: object) -> None:
        from ... import __version__

        print(f"statewright {__version__}")
        raise SystemExit(EXIT_OK)


def argument_parser() -> argparse.ArgumentParser:
    """The parser of the whole command line."""
    parser = argparse.ArgumentParser(
        prog="statewright",
        description="Statecharts from smcat text: check them, draw them, export and run them.",
        epilog=compile.EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_VersionAction, nargs=0, help="print the version")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parsers(commands)
    return parser


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
