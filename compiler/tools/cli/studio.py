"""`statewright studio`: serve the studio (`tools/studio`) until Ctrl-C."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ...formats import CHART_SUFFIXES, is_chart_file
from .common import EXIT_OK, UsageError


def add_parsers(commands: Any) -> None:
    studio = commands.add_parser(
        "studio",
        help="edit, draw and simulate charts, and inspect instances, in the browser",
        description=(
            "Serve the studio for the charts in PATH (a folder, or one chart file): an editor "
            "with the diagram beside it, a simulator, and with --store an instance inspector. "
            "It listens on 127.0.0.1 unless --host says otherwise (docs/studio.md)."
        ),
    )
    studio.add_argument("path", nargs="?", default=".", metavar="PATH")
    studio.add_argument("--port", type=int, default=8765, help="default 8765; 0 picks a free one")
    studio.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address to listen on (default 127.0.0.1: this machine only; any other "
        "address prints a URL with a token that every request must carry)",
    )
    studio.add_argument(
        "--store", metavar="DIR|URL", help="a store to inspect (a folder or postgresql://...)"
    )
    studio.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="also answer requests for this host name (a DNS name of this machine), when "
        "--host is not loopback",
    )
    studio.add_argument("--open", action="store_true", help="open the page in a browser")
    studio.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..studio.app import Studio
    from ..studio.server import serve

    path = Path(args.path)
    if not path.exists():
        raise UsageError(f"{path}: no such file or folder")
    if path.is_file() and not is_chart_file(path.name):
        raise UsageError(f"{path}: not a chart file ({', '.join(CHART_SUFFIXES)})")
    if not 0 <= args.port <= 65535:
        raise UsageError("--port must be from 0 to 65535")
    root = path.parent if path.is_file() else path
    studio = Studio(root.resolve(), path.resolve() if path.is_file() else None, args.store)

    def ready(url: str) -> None:
        print(f"statewright studio: {url} (Ctrl-C to stop)", flush=True)
        if args.open:
            import webbrowser

            webbrowser.open(url)

    try:
        server = serve(studio, args.host, args.port, ready, allow_hosts=tuple(args.allow_host))
    except OSError as error:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {error.strerror}") from None
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        studio.close()
    return EXIT_OK
