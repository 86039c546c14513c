"""`statewright studio [PATH]`: a local web app to edit, draw, simulate and inspect charts.

Stage: a tool over the pipeline and the runtime, like the CLI. The server is the standard
library's threading HTTP server (the app is one page of plain HTML and JavaScript, shipped in
`templates/studio.html`; there is no front-end build). Every request is answered from scratch:
the page sends the chart text it holds and the steps it has taken, and the server parses,
checks, renders and replays them, so undo is dropping a step and no state lives in the server.

Safety, since the server can write files (docs/security.md):
- it binds to 127.0.0.1 unless `--host` says otherwise, and answers only requests whose `Host`
  names the address it serves (no DNS rebinding);
- bound beyond loopback, every API call needs the random token printed in the URL (as
  Jupyter does): another machine on the network reaches nothing without it;
- requests that change anything need the `X-Statewright-Studio` header, which a page of
  another origin cannot send without a CORS preflight this server never grants;
- it reads and writes only chart files (.smcat, .yaml, .yml, .scxml) inside PATH, after
  resolving links, never in hidden or dependency folders and never the project file; a save
  is refused when the file changed on disk since it was loaded;
- requests are bounded: the body (`MAX_BODY`), the time a client may take to send it
  (`TIMEOUT`), the connections served at once (`MAX_CONNECTIONS`) and a diagram's layout
  (`RENDER_SECONDS`);
- the instance inspector reads the store (its logs, by replay) and never opens an instance,
  so it never recovers, locks or writes anything.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.resources
import json
import os
import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..runtime.store.disk import atomic_write
from .diagnostics import Diagnostic, Severity
from .ir import Chart
from .pipeline import CHART_SUFFIXES, diagnose_file

SKIPPED_FOLDERS = frozenset({"node_modules", "__pycache__", "site-packages", "venv"})
PROJECT_FILES = frozenset({"statewright.yaml", "statewright.yml"})
MAX_FILES = 2000
MAX_BODY = 2 * 1024 * 1024
MAX_STEPS = 10_000
HEADER = "X-Statewright-Studio"
TOKEN_HEADER = "X-Statewright-Token"
#: seconds a client may take to send a request (a half-sent request holds a thread)
TIMEOUT = 30
#: connections served at once; more are answered 503 at once
MAX_CONNECTIONS = 64
#: seconds Graphviz may take to lay out the diagram of one request
RENDER_SECONDS = 20.0
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


class StudioError(Exception):
    """A request the studio refuses: its status and a sentence for the page."""

    def __init__(self, status: HTTPStatus, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


@dataclass
class Studio:
    """What the server serves: charts under `root` (or the one file `only`), and a store."""

    root: Path
    only: Path | None = None
    store_location: str | None = None
    _store: Any = field(default=None, init=False, repr=False)

    # -- files ------------------------------------------------------------------------------

    def files(self) -> list[str]:
        if self.only is not None:
            return [self.only.name]
        found = []
        for folder, folders, names in os.walk(self.root):
            # hidden folders (.git, .venv) and dependency trees are not walked at all
            folders[:] = sorted(
                f for f in folders if not f.startswith(".") and f not in SKIPPED_FOLDERS
            )
            for name in sorted(names):
                path = Path(folder) / name
                if path.suffix in CHART_SUFFIXES and not name.startswith("."):
                    if name in PROJECT_FILES or not self._inside(path):
                        continue
                    found.append(path.relative_to(self.root).as_posix())
            if len(found) > MAX_FILES:
                break
        return sorted(found)[:MAX_FILES]

    def _inside(self, path: Path) -> bool:
        try:
            path.resolve().relative_to(self.root.resolve())
        except ValueError:
            return False
        return True

    def resolve(self, name: str) -> Path:
        """The file `name` names under the root, by the rules `files` lists by: a chart file,
        not hidden, not in a hidden or dependency folder, not the project file; StudioError
        for anything else."""
        if not name or "\x00" in name:
            raise StudioError(HTTPStatus.BAD_REQUEST, "no file named")
        path = self.root / name
        parts = Path(name).parts
        if (
            Path(name).is_absolute()
            or ".." in parts
            or any(part.startswith(".") or part in SKIPPED_FOLDERS for part in parts)
            or path.name in PROJECT_FILES
            or path.suffix not in CHART_SUFFIXES
            or not self._inside(path)
            or (self.only is not None and path.resolve() != self.only.resolve())
        ):
            raise StudioError(HTTPStatus.FORBIDDEN, f"{name}: not a chart file under the folder")
        return path

    def read(self, name: str) -> dict[str, Any]:
        path = self.resolve(name)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise StudioError(HTTPStatus.NOT_FOUND, f"{name}: no such file") from None
        except OSError as error:
            raise StudioError(HTTPStatus.FORBIDDEN, f"{name}: {error.strerror}") from None
        return {"path": name, "text": data.decode("utf-8", "replace"), "hash": _hash(data)}

    def save(
        self, name: str, text: str, base: str | None, force: bool, create: bool = False
    ) -> dict[str, Any]:
        """Write a chart file: refused (409) when it changed on disk since `base` was read,
        or, with `create`, when it exists at all."""
        path = self.resolve(name)
        data = text.encode("utf-8")
        with _SAVE_LOCK:
            try:
                current = path.read_bytes()
            except FileNotFoundError:
                current = None
            if current is not None and create:
                raise StudioError(HTTPStatus.CONFLICT, f"{name} exists already")
            if current is None and not create and base is not None and not force:
                raise StudioError(HTTPStatus.CONFLICT, f"{name} was deleted since it was opened")
            if current is None:
                path.parent.mkdir(parents=True, exist_ok=True)
            if current is not None and not force and _hash(current) != base:
                raise StudioError(
                    HTTPStatus.CONFLICT,
                    f"{name} changed on disk since it was opened",
                    text=current.decode("utf-8", "replace"),
                    hash=_hash(current),
                )
            atomic_write(path, data)
        return {"path": name, "hash": _hash(data)}

    # -- charts ------------------------------------------------------------------------------

    def chart(self, name: str, text: str) -> tuple[Chart | None, list[Diagnostic]]:
        _, chart, diagnostics = diagnose_file(text.encode("utf-8"), name, target="python")
        return chart, diagnostics

    def render(self, name: str, text: str, steps: list[Any], context: Any) -> dict[str, Any]:
        """Diagnostics, the diagram with the active states lit, and the simulation (a few at
        a time: see `_WORK`)."""
        with _WORK:
            return self._render(name, text, steps, context)

    def _render(self, name: str, text: str, steps: list[Any], context: Any) -> dict[str, Any]:
        chart, diagnostics = self.chart(name, text)
        result: dict[str, Any] = {
            "diagnostics": [_diagnostic(d) for d in diagnostics],
            "svg": None,
            "simulation": None,
        }
        if chart is None:
            return result
        active: list[str] = []
        if not any(d.severity is Severity.ERROR for d in diagnostics):
            simulation = simulate(chart, steps, context)
            result["simulation"] = simulation
            active = simulation["active"]
        else:
            result["simulation"] = {"error": "the chart has errors: fix them to simulate it"}
        result["svg"], result["render_error"] = _svg(chart, active)
        return result

    # -- instances ---------------------------------------------------------------------------

    def store(self) -> Any:
        """The store, opened once (a PostgreSQL store keeps one connection pool)."""
        if self.store_location is None:
            raise StudioError(HTTPStatus.NOT_FOUND, "no store: start the studio with --store")
        with _STORE_LOCK:
            if self._store is None:
                from ..runtime.store import open_store

                self._store = open_store(self.store_location)
            return self._store

    def close(self) -> None:
        """Release the store (its connections), if it was opened."""
        with _STORE_LOCK:
            if self._store is not None and hasattr(self._store, "close"):
                self._store.close()
            self._store = None

    def instances(self) -> list[dict[str, Any]]:
        store = self.store()
        found = []
        for resource_id in store.ids():
            try:
                state = store.state_at(resource_id)
                source = store.chart_source(resource_id)
                found.append(
                    {
                        "id": resource_id,
                        "seq": state["seq"],
                        "version": state["version"],
                        "configuration": state["configuration"],
                        "drawable": source is not None,
                    }
                )
            except Exception as error:  # noqa: BLE001 - one broken instance must not hide the rest
                found.append({"id": resource_id, "problem": str(error)})
        return found

    def instance(self, resource_id: str, seq: int | None) -> dict[str, Any]:
        with _WORK:
            return self._instance(resource_id, seq)

    def _instance(self, resource_id: str, seq: int | None) -> dict[str, Any]:
        from ..runtime.store import check_resource_id

        try:
            check_resource_id(resource_id)
        except ValueError as error:
            raise StudioError(HTTPStatus.BAD_REQUEST, str(error)) from None
        store = self.store()
        if resource_id not in store.ids():
            raise StudioError(HTTPStatus.NOT_FOUND, f"no instance {resource_id!r}")
        records = list(store.history(resource_id))
        state = store.state_at(resource_id, seq=seq) if seq is not None else None
        state = state or store.state_at(resource_id)
        state.pop("snapshot", None)
        source = store.chart_source(resource_id)
        svg: str | None = None
        render_error: str | None = "the instance keeps no diagram source (created by a library)"
        if source is not None:
            from .load_ir import load

            chart = load(source, compact=True)
            active = _with_ancestors(chart, state["configuration"])
            svg, render_error = _svg(chart, active)
        return {
            "id": resource_id,
            "records": records,
            "state": state,
            "svg": svg,
            "render_error": render_error,
        }


_SAVE_LOCK = threading.Lock()
_STORE_LOCK = threading.Lock()
#: renders (parse, check, simulate, Graphviz) run a few at a time, whatever the number of
#: connections: more at once would not finish sooner on this machine's cores, and each holds
#: a chart's worth of memory
_WORK = threading.BoundedSemaphore(max(2, os.cpu_count() or 2))


@dataclass(frozen=True)
class _Script:
    data: bytes


FAVICON = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect x="1" y="3" width="14"'
    b' height="10" rx="4" fill="#fff2a8" stroke="#1a1a1a"/></svg>'
)


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _diagnostic(diagnostic: Diagnostic) -> dict[str, Any]:
    found = diagnostic.to_dict()
    found.pop("related", None)
    return found


def _svg(chart: Chart, active: list[str]) -> tuple[str | None, str | None]:
    from .emit.render import RenderError, emit_svg

    options: dict[str, Any] = {"highlight": {"active": active}, "timeout": RENDER_SECONDS}
    try:
        return emit_svg(chart, options), None
    except RenderError as error:
        return None, str(error)


def _with_ancestors(chart: Chart, names: list[str]) -> list[str]:
    active = list(names)
    for name in names:
        if chart.has_state(name):
            active.extend(a for a in chart.ancestors_of(name) if a not in active)
    return active


def simulate(chart: Chart, steps: list[Any], context: Any) -> dict[str, Any]:
    """Replay `steps` (`{"event": name, "data": {...}}` or `{"advance": seconds}`) from the
    start on the interpreter: the configuration after each, the actions run, what can happen
    next."""
    from ..runtime import FakeClock, StatewrightError, load
    from .emit import ir_json

    if not isinstance(context, dict):
        return {"error": "the context must be a JSON object", "active": []}
    if not isinstance(steps, list) or len(steps) > MAX_STEPS:
        return {"error": "too many steps", "active": []}
    clock = FakeClock()
    timeline: list[dict[str, Any]] = []
    actions: list[str] = []
    error: str | None = None
    try:
        machine = load(json.loads(ir_json.emit(chart)), context=context, clock=clock)
        machine.add_listener(
            lambda found: actions.append(str(found["action"])) if "action" in found else None
        )
        machine.start()
        timeline.append(
            {"step": None, "configuration": machine.configuration, "actions": actions[:]}
        )
        for step in steps:
            actions.clear()
            if not isinstance(step, dict):
                raise StatewrightError("a step is an event or a clock advance")
            if "advance" in step:
                seconds = float(step["advance"])
                if not 0 <= seconds <= 10**9:
                    raise StatewrightError("advance the clock by 0 seconds or more")
                clock.advance(seconds)
                machine.tick()
            else:
                data = step.get("data") or {}
                if not isinstance(data, dict):
                    raise StatewrightError("event data must be a JSON object")
                machine.send(str(step.get("event", "")), **data)
            timeline.append(
                {"step": step, "configuration": machine.configuration, "actions": actions[:]}
            )
        active = machine.active
        enabled = _enabled(chart, active)
        context_now: Any = machine.context
        running = machine.running
    except (StatewrightError, ValueError, TypeError) as problem:
        error = str(problem)
        active, enabled, context_now, running = [], [], context, False
    return {
        "timeline": timeline,
        "active": active,
        "configuration": timeline[-1]["configuration"] if timeline else [],
        "enabled": enabled,
        "context": context_now,
        "running": running,
        "error": error,
    }


def _enabled(chart: Chart, active: list[str]) -> list[dict[str, Any]]:
    """The events the active states (and their ancestors) have transitions for; a timed event
    says its delay (the page offers to advance the clock instead)."""
    from ..runtime.timers import delay_ms

    seen: dict[str, dict[str, Any]] = {}
    for name in active:
        for transition in chart.transitions_from(name):
            event = transition.event
            if not event or event in seen:
                continue
            delay = delay_ms(event)
            seen[event] = {
                "event": event,
                "guarded": transition.guard is not None,
                "delay": delay / 1000 if delay is not None else None,
            }
    return list(seen.values())


# -- HTTP ---------------------------------------------------------------------------------------


def asset(name: str) -> bytes:
    """A file of the page (templates/studio.html, templates/studio.js)."""
    return importlib.resources.files("statewright.templates").joinpath(name).read_bytes()


def make_handler(
    studio: Studio, allowed_hosts: set[str], token: str | None = None
) -> type[BaseHTTPRequestHandler]:
    """The request handler: `allowed_hosts` are the `Host` values it answers (lowercase),
    `token` the secret every API call must carry (None on loopback)."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "statewright-studio"
        protocol_version = "HTTP/1.1"
        timeout = TIMEOUT  # a client that stops sending mid-request is dropped

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return  # quiet: the terminal shows the URL and errors only

        def do_GET(self) -> None:  # noqa: N802
            self._answer(self._get)

        def do_POST(self) -> None:  # noqa: N802
            self._answer(self._post, mutating=True)

        def do_PUT(self) -> None:  # noqa: N802
            self._answer(self._put, mutating=True)

        def _answer(
            self, route: Callable[[str, dict[str, list[str]]], Any], mutating: bool = False
        ) -> None:
            try:
                if self.headers.get("Host", "").lower() not in allowed_hosts:
                    raise StudioError(HTTPStatus.FORBIDDEN, "unknown Host header")
                if mutating and self.headers.get(HEADER) != "1":
                    raise StudioError(HTTPStatus.FORBIDDEN, f"missing the {HEADER} header")
                url = urlsplit(self.path)
                if token is not None and url.path.startswith("/api/"):
                    given = self.headers.get(TOKEN_HEADER, "")
                    if not hmac.compare_digest(given.encode(), token.encode()):
                        raise StudioError(
                            HTTPStatus.UNAUTHORIZED,
                            "this studio needs its token: open the URL it printed",
                        )
                result = route(url.path, parse_qs(url.query))
                if isinstance(result, _Script):
                    self._send(HTTPStatus.OK, result.data, "text/javascript; charset=utf-8")
                elif isinstance(result, bytes):
                    kind = "image/svg+xml" if result is FAVICON else "text/html; charset=utf-8"
                    self._send(HTTPStatus.OK, result, kind)
                else:
                    self._json(HTTPStatus.OK, result)
            except StudioError as error:
                self._json(error.status, {"error": error.message, **error.extra})
            except Exception as error:  # noqa: BLE001 - the page gets a sentence, never a trace
                self._json(
                    HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"{type(error).__name__}: {error}"}
                )

        def _body(self) -> Any:
            declared = self.headers.get("Content-Length") or "0"
            if not declared.isdigit():  # negative, or not a number: never read
                self.close_connection = True
                raise StudioError(HTTPStatus.BAD_REQUEST, "a bad Content-Length")
            length = int(declared)
            if length > MAX_BODY:
                self.close_connection = True
                raise StudioError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "the request is too large")
            try:
                raw = self.rfile.read(length)
            except TimeoutError:
                self.close_connection = True
                raise StudioError(
                    HTTPStatus.REQUEST_TIMEOUT, "the request came too slowly"
                ) from None
            try:
                body = json.loads(raw or b"{}")
            except (ValueError, RecursionError):
                raise StudioError(HTTPStatus.BAD_REQUEST, "the request is not JSON") from None
            if not isinstance(body, dict):
                raise StudioError(HTTPStatus.BAD_REQUEST, "the request is not a JSON object")
            return body

        def _get(self, path: str, query: dict[str, list[str]]) -> Any:
            if path in ("/", "/index.html"):
                return asset("studio.html")
            if path == "/studio.js":
                return _Script(asset("studio.js"))
            if path == "/favicon.ico":
                return FAVICON
            if path == "/api/files":
                return {
                    "files": studio.files(),
                    "store": studio.store_location is not None,
                }
            if path == "/api/file":
                return studio.read(query.get("path", [""])[0])
            if path == "/api/instances":
                return {"instances": studio.instances()}
            if path == "/api/instance":
                seq = query.get("seq", [None])[0]
                return studio.instance(
                    query.get("id", [""])[0], int(seq) if seq and seq.isdigit() else None
                )
            raise StudioError(HTTPStatus.NOT_FOUND, f"nothing at {path}")

        def _post(self, path: str, query: dict[str, list[str]]) -> Any:
            if path == "/api/render":
                body = self._body()
                name = str(body.get("path") or "chart.smcat")
                if not name.endswith(CHART_SUFFIXES):
                    name += ".smcat"
                return studio.render(
                    name,
                    str(body.get("text", "")),
                    body.get("steps") or [],
                    body.get("context") or {},
                )
            raise StudioError(HTTPStatus.NOT_FOUND, f"nothing at {path}")

        def _put(self, path: str, query: dict[str, list[str]]) -> Any:
            if path == "/api/file":
                body = self._body()
                return studio.save(
                    str(body.get("path", "")),
                    str(body.get("text", "")),
                    body.get("hash"),
                    bool(body.get("force")),
                    bool(body.get("create")),
                )
            raise StudioError(HTTPStatus.NOT_FOUND, f"nothing at {path}")

        def _json(self, status: HTTPStatus, value: Any) -> None:
            self._send(status, json.dumps(value).encode("utf-8"), "application/json")

        def _send(self, status: HTTPStatus, data: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header(
                "Content-Security-Policy",
                "default-src 'self'; script-src 'self'; "
                "style-src 'self' 'unsafe-inline'; img-src 'self' data:",
            )
            self.end_headers()
            self.wfile.write(data)

    return Handler


class StudioServer(ThreadingHTTPServer):
    """The standard threading server, bounded: a longer listen queue than the default 5 (a
    burst of renders is queued, not reset) and at most `MAX_CONNECTIONS` handled at once."""

    request_queue_size = 128
    daemon_threads = True

    #: the stack of each request's thread: requests recurse little (Graphviz is a process of
    #: its own), and 64 threads with the default 8 MiB would reserve half a GiB
    THREAD_STACK = 2 * 1024 * 1024

    def __init__(self, address: tuple[str, int]) -> None:
        _fewer_malloc_arenas()
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.address_family = family
        super().__init__(address, BaseHTTPRequestHandler)
        self.slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.slots.acquire(blocking=False):
            self._busy(request)
            return
        try:
            super().process_request(request, client_address)
        except RuntimeError:  # no thread could be started (memory): busy, not broken
            self.slots.release()
            self._busy(request)

    def _busy(self, request: Any) -> None:
        try:
            request.sendall(
                b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                b"Connection: close\r\n\r\n"
            )
        except OSError:
            pass
        self.shutdown_request(request)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        # (started with THREAD_STACK bytes of stack: see `serve_forever`)
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        previous = threading.stack_size(self.THREAD_STACK)
        try:
            super().serve_forever(poll_interval)
        finally:
            threading.stack_size(previous)


def _fewer_malloc_arenas() -> None:
    """Ask glibc's malloc for at most 4 arenas (`MALLOC_ARENA_MAX`). By default each thread
    that meets contention gets an arena of its own, up to 8 per core, each reserving 64 MiB
    of address space: a burst of connections would reserve a GiB it never uses. Elsewhere
    (macOS, musl) this does nothing."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if name is None or "libc.so" not in name:
        return
    try:
        ctypes.CDLL(name).mallopt(-8, 4)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass


def serve(
    studio: Studio,
    host: str,
    port: int,
    ready: Callable[[str], None],
    *,
    allow_hosts: tuple[str, ...] = (),
) -> StudioServer:
    """Start serving (the caller runs `serve_forever`); `ready` gets the URL. On loopback the
    URL is plain; on any other address it carries the token every API call must send, and
    the `Host` names answered are the address's own (for 0.0.0.0 or ::, this machine's names
    and addresses) and `allow_hosts`."""
    server = StudioServer((host, port))
    bound = server.server_address[1]
    shown = f"[{host}]" if ":" in host else host
    if host in LOOPBACK or host.startswith("127."):
        names = {shown, "127.0.0.1", "localhost", "[::1]"}
        token = None
    else:
        names = {shown, *_own_names(host), "127.0.0.1", "localhost", "[::1]", *allow_hosts}
        token = secrets.token_urlsafe(24)
    allowed = {f"{name.lower()}:{bound}" for name in names}
    server.RequestHandlerClass = make_handler(studio, allowed, token)
    # on every interface, a URL a browser can open: this machine's name (0.0.0.0 is not)
    where = socket.gethostname() if host in ("0.0.0.0", "::") else shown
    ready(f"http://{where}:{bound}/" + (f"?token={token}" if token else ""))
    return server


def _own_names(host: str) -> set[str]:
    """The names and addresses a browser on the network may use for this machine, when the
    studio listens on every interface (0.0.0.0 or ::)."""
    if host not in ("0.0.0.0", "::"):
        return set()
    found = {socket.gethostname(), socket.getfqdn()}
    try:
        for *_, address in socket.getaddrinfo(socket.gethostname(), None):
            text = str(address[0])
            found.add(f"[{text}]" if ":" in text else text)
    except OSError:
        pass
    return {name for name in found if name}
