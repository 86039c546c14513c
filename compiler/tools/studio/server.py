"""The studio on HTTP: the request handler, a bounded threading server, and `serve`.

The server is the standard library's threading HTTP server; the page is plain HTML and
JavaScript shipped in `templates/studio.html` and `templates/studio.js` (no front-end build).
The model it serves is `app.Studio`.

Safety, since the server can write files (docs/security.md):
- it binds to 127.0.0.1 unless `--host` says otherwise, and answers only requests whose `Host`
  names the address it serves (no DNS rebinding);
- bound beyond loopback, every API call needs the random token printed in the URL (as
  Jupyter does): another machine on the network reaches nothing without it;
- requests that change anything need the `X-Statewright-Studio` header, which a page of
  another origin cannot send without a CORS preflight this server never grants;
- requests are bounded: the body (`MAX_BODY`), the time a client may take to send it
  (`TIMEOUT`) and the connections served at once (`MAX_CONNECTIONS`).
"""

from __future__ import annotations

import hmac
import importlib.resources
import json
import math
import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ...formats import LANGUAGES, is_chart_file
from .app import Studio, StudioError

MAX_BODY = 2 * 1024 * 1024
HEADER = "X-Statewright-Studio"
TOKEN_HEADER = "X-Statewright-Token"
#: seconds a client may take to send a request (a half-sent request holds a thread)
TIMEOUT = 30
#: connections served at once; more are answered 503 at once
MAX_CONNECTIONS = 64
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


@dataclass(frozen=True)
class _Script:
    data: bytes


FAVICON = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect x="1" y="3" width="14"'
    b' height="10" rx="4" fill="#fff2a8" stroke="#1a1a1a"/></svg>'
)


def asset(name: str) -> bytes:
    """A file of the page (templates/studio.html, templates/studio.js)."""
    return importlib.resources.files("statewright.templates").joinpath(name).read_bytes()


def _chart_name(path: object) -> str:
    """The name an unsaved text is read under: its file's, with smcat's ending when that is not
    a chart's (the text is then read as smcat)."""
    name = str(path or "chart.smcat")
    return name if is_chart_file(name) else name + LANGUAGES["smcat"].suffixes[0]


class Handler(BaseHTTPRequestHandler):
    """The studio's requests: its page and script, and its JSON API (`make_handler` binds it
    to a studio)."""

    #: what `make_handler` binds: the studio, the `Host` values it answers (lowercase), the
    #: secret every API call must carry (None on loopback)
    studio: Studio
    allowed_hosts: frozenset[str] = frozenset()
    token: str | None = None

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
            if self.headers.get("Host", "").lower() not in self.allowed_hosts:
                raise StudioError(HTTPStatus.FORBIDDEN, "unknown Host header")
            if mutating and self.headers.get(HEADER) != "1":
                raise StudioError(HTTPStatus.FORBIDDEN, f"missing the {HEADER} header")
            url = urlsplit(self.path)
            token = self.token
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
            retry = error.extra.get("retry")  # a busy studio says when to try again
            headers = {"Retry-After": str(math.ceil(retry))} if retry is not None else {}
            self._json(error.status, {"error": error.message, **error.extra}, headers)
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
            raise StudioError(HTTPStatus.REQUEST_TIMEOUT, "the request came too slowly") from None
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
            files = self.studio.files()
            return {
                "files": files,
                "generated": self.studio.generated(files),
                "store": self.studio.store_location is not None,
            }
        if path == "/api/file":
            return self.studio.read(query.get("path", [""])[0])
        if path == "/api/instances":
            return {"instances": self.studio.instances()}
        if path == "/api/instance":
            seq = query.get("seq", [None])[0]
            return self.studio.instance(
                query.get("id", [""])[0],
                int(seq) if seq and seq.isdigit() else None,
                query.get("theme", ["light"])[0],
            )
        raise StudioError(HTTPStatus.NOT_FOUND, f"nothing at {path}")

    def _post(self, path: str, query: dict[str, list[str]]) -> Any:
        if path == "/api/render":
            body = self._body()
            name = _chart_name(body.get("path"))
            return self.studio.render(
                name,
                str(body.get("text", "")),
                body.get("steps") or [],
                body.get("context") or {},
                str(body.get("theme") or "light"),
                str(body.get("direction") or "top-down"),
            )
        if path == "/api/export":
            body = self._body()
            name = _chart_name(body.get("path"))
            return self.studio.export(name, str(body.get("text", "")), str(body.get("format")))
        raise StudioError(HTTPStatus.NOT_FOUND, f"nothing at {path}")

    def _put(self, path: str, query: dict[str, list[str]]) -> Any:
        if path == "/api/file":
            body = self._body()
            return self.studio.save(
                str(body.get("path", "")),
                str(body.get("text", "")),
                body.get("hash"),
                bool(body.get("force")),
                bool(body.get("create")),
            )
        raise StudioError(HTTPStatus.NOT_FOUND, f"nothing at {path}")

    def _json(self, status: HTTPStatus, value: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(value).encode("utf-8"), "application/json", headers)

    def _send(
        self, status: HTTPStatus, data: bytes, kind: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
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


def make_handler(
    studio: Studio, allowed_hosts: set[str], token: str | None = None
) -> type[BaseHTTPRequestHandler]:
    """The request handler: `allowed_hosts` are the `Host` values it answers (lowercase),
    `token` the secret every API call must carry (None on loopback)."""
    bound = {
        "studio": studio,
        "allowed_hosts": frozenset(allowed_hosts),
        "token": token,
        "timeout": TIMEOUT,  # read when the studio starts (a test shortens it)
    }
    return type("StudioHandler", (Handler,), bound)


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
