"""The build and the studio stay inside their folders and within bounds (docs/security.md: "The
studio's network exposure", "Build outputs")."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bounded import assert_handled, cli, spawn
from testkit import EXAMPLES, call_studio

PROJECT = "charts: ['charts/*.smcat']\nout: generated\noutputs:\n  - format: json\n  - format: ir\n"


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    (project / "charts").mkdir(parents=True)
    shutil.copy(EXAMPLES / "door.smcat", project / "charts")
    (project / "statewright.yaml").write_text(PROJECT, "utf-8")
    return project


def test_a_linked_output_folder_is_refused(tmp_path: Path) -> None:
    project = _project(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.json").write_text("{}", "utf-8")
    (project / "generated").symlink_to(outside, target_is_directory=True)
    for command in (["build"], ["build", "--check"], ["build", "--force"]):
        assert_handled(cli(command, project), 2, says="outside the project folder")
    assert sorted(p.name for p in outside.iterdir()) == ["precious.json"]


def test_a_linked_chart_is_refused(tmp_path: Path) -> None:
    project = _project(tmp_path)
    (tmp_path / "elsewhere.smcat").write_text("a => b;\n", "utf-8")
    (project / "charts" / "elsewhere.smcat").symlink_to(tmp_path / "elsewhere.smcat")
    assert_handled(cli(["build"], project), 2, says="outside the project folder")
    assert not (project / "generated").exists()


@pytest.mark.parametrize("name", ["door.json", "door.ir.json"])
def test_a_hand_made_file_without_a_header_is_never_replaced(tmp_path: Path, name: str) -> None:
    project = _project(tmp_path)
    (project / "generated").mkdir()
    mine = project / "generated" / name
    mine.write_text('{"mine": true}\n', "utf-8")
    assert_handled(cli(["build"], project), 1, says="did not write is in its place")
    assert mine.read_text("utf-8") == '{"mine": true}\n'
    assert_handled(cli(["build", "--check"], project), 1, says=f"edited: generated/{name}")
    # removing the chart does not make the hand-made file an orphan either
    (project / "charts" / "door.smcat").rename(project / "charts" / "gate.smcat")
    assert_handled(cli(["build"], project), 0)
    assert_handled(cli(["build", "--force"], project), 0)
    assert mine.read_text("utf-8") == '{"mine": true}\n'  # in no output's place: kept


def test_force_replaces_and_then_the_build_owns_the_file(tmp_path: Path) -> None:
    project = _project(tmp_path)
    (project / "generated").mkdir()
    mine = project / "generated" / "door.json"
    mine.write_text("{}\n", "utf-8")
    assert_handled(cli(["build", "--force"], project), 0)
    assert mine.read_text("utf-8") != "{}\n"
    manifest = json.loads((project / "generated" / ".statewright-build.json").read_text("utf-8"))
    assert set(manifest["files"]) == {"door.json", "door.ir.json"}
    assert_handled(cli(["build", "--check"], project), 0)


# -- the studio -----------------------------------------------------------------------------------


@pytest.fixture
def charts(tmp_path: Path) -> Path:
    folder = tmp_path / "charts"
    (folder / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(EXAMPLES / "door.smcat", folder)
    (folder / "statewright.yaml").write_text(PROJECT, "utf-8")
    (folder / ".github" / "workflows" / "ci.yml").write_text("on: push\n", "utf-8")
    return folder


def _start(args: list[str], cwd: Path) -> tuple[subprocess.Popen[str], str]:
    server = spawn(["studio", *args, "--port", "0"], cwd)
    assert server.stdout is not None
    line = server.stdout.readline()
    assert line.startswith("statewright studio: http://"), line + (server.stderr.read() or "")
    return server, line.split()[2]


@pytest.fixture
def studio(charts: Path) -> Iterator[tuple[str, int, str | None]]:
    """The studio on all interfaces, in a bounded child: (host, port, token)."""
    server, url = _start([str(charts), "--host", "0.0.0.0"], charts.parent)
    port = int(url.split(":")[2].split("/")[0])
    token = url.split("token=")[1] if "token=" in url else None
    try:
        yield "127.0.0.1", port, token
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_beyond_loopback_every_call_needs_the_token(studio: tuple[str, int, str | None]) -> None:
    _, port, token = studio
    assert token and len(token) >= 32
    assert call_studio(port, "GET", "/api/files")[0] == 401
    assert (
        call_studio(port, "GET", "/api/files", headers={"X-Statewright-Token": "guess"})[0] == 401
    )
    status, listing = call_studio(port, "GET", "/api/files", headers={"X-Statewright-Token": token})
    assert status == 200 and listing["files"] == ["door.smcat"]
    # the page itself carries no data and loads without it; a rebinding Host is still refused
    assert call_studio(port, "GET", "/")[0] == 200
    rebinding = {"X-Statewright-Token": token, "Host": f"attacker.example:{port}"}
    assert call_studio(port, "GET", "/api/files", headers=rebinding)[0] == 403


def test_the_studio_edits_chart_files_only(studio: tuple[str, int, str | None]) -> None:
    _, port, token = studio
    auth = {"X-Statewright-Token": token or ""}
    for path in ("statewright.yaml", ".github/workflows/ci.yml", "node_modules/x.smcat"):
        status, _ = call_studio(
            port, "PUT", "/api/file", {"path": path, "text": "x", "create": True}, auth
        )
        assert status == 403, path
        assert call_studio(port, "GET", f"/api/file?path={path}", headers=auth)[0] == 403, path


def test_a_bad_content_length_is_refused_unread(studio: tuple[str, int, str | None]) -> None:
    _, port, token = studio
    for length in ("-400000000", "nine", "99999999999"):
        with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
            connection.sendall(
                f"POST /api/render HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"X-Statewright-Studio: 1\r\nX-Statewright-Token: {token}\r\n"
                f"Content-Length: {length}\r\n\r\n".encode()
            )
            answer = connection.recv(4096).decode()
        assert answer.split()[1] in ("400", "413"), answer


def test_half_sent_requests_hold_a_bounded_number_of_threads(
    studio: tuple[str, int, str | None],
) -> None:
    """200 clients that never finish their request: the studio serves at most 64 at once,
    answers the rest 503 at once, and serves again when they go."""
    _, port, token = studio
    from statewright.compiler.tools.studio.server import MAX_CONNECTIONS

    idle = []
    for _ in range(200):
        connection = socket.create_connection(("127.0.0.1", port), timeout=30)
        connection.sendall(b"GET /api/files HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never ends
        idle.append(connection)
    refused = 0
    for connection in idle:
        connection.settimeout(0.5)
        try:
            refused += connection.recv(64).startswith(b"HTTP/1.1 503")
        except TimeoutError:
            pass
    assert refused >= 200 - MAX_CONNECTIONS - 5  # the rest were refused, not queued
    for connection in idle:
        connection.close()
    deadline = time.monotonic() + 60  # stops a runaway; the slots free as the sockets close
    while time.monotonic() < deadline:
        if (
            call_studio(port, "GET", "/api/files", headers={"X-Statewright-Token": token or ""})[0]
            == 200
        ):
            break
        time.sleep(0.2)
    else:
        pytest.fail("the studio did not serve again")


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz (apt-get install graphviz)")
def test_fifty_renders_at_once_all_succeed(studio: tuple[str, int, str | None]) -> None:
    _, port, token = studio
    text = (EXAMPLES / "door.smcat").read_text("utf-8")
    statuses: list[int] = []

    def render() -> None:
        status, _ = call_studio(
            port,
            "POST",
            "/api/render",
            {"path": "door.smcat", "text": text, "steps": [], "context": {}},
            {"X-Statewright-Token": token or "", "Content-Type": "application/json"},
        )
        statuses.append(status)

    threads = [threading.Thread(target=render) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert statuses == [200] * 50


def test_a_client_that_stops_sending_is_dropped(charts: Path, monkeypatch: Any) -> None:
    from statewright.compiler.tools.studio import server as module
    from statewright.compiler.tools.studio.app import Studio

    monkeypatch.setattr(module, "TIMEOUT", 1)
    urls: list[str] = []
    server = module.serve(Studio(charts.resolve()), "127.0.0.1", 0, urls.append)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
            connection.sendall(
                f"POST /api/render HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                "X-Statewright-Studio: 1\r\nContent-Length: 10\r\n\r\nabc".encode()
            )
            answer = b""
            while chunk := connection.recv(4096):  # until the server closes the connection
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 408"), answer
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def local_studio(charts: Path) -> Iterator[int]:
    """The studio in this process (its limits can be patched): its port."""
    from statewright.compiler.tools.studio import server as module
    from statewright.compiler.tools.studio.app import Studio

    server = module.serve(Studio(charts.resolve()), "127.0.0.1", 0, lambda url: None)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _render(port: int, text: str) -> tuple[int, Any]:
    return call_studio(
        port, "POST", "/api/render", {"path": "door.smcat", "text": text, "steps": []}
    )


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz (apt-get install graphviz)")
@pytest.mark.parametrize("spare", [0, -1], ids=["at-the-limit", "past-it"])
def test_the_studio_draws_at_most_max_drawn_states_and_transitions(
    local_studio: int, monkeypatch: Any, spare: int
) -> None:
    """A chart over the limit gets its diagnostics and its simulation, and a sentence instead
    of a picture: no Graphviz run is started for it."""
    from statewright.compiler import parse
    from statewright.compiler.tools.studio import app

    text = (EXAMPLES / "door.smcat").read_text("utf-8")
    chart, _ = parse(text)
    assert chart is not None
    monkeypatch.setattr(app, "MAX_DRAWN", len(chart.states()) + len(chart.transitions()) + spare)
    status, body = _render(local_studio, text)
    assert status == 200 and body["simulation"]["active"]
    if spare == 0:
        assert body["svg"].startswith("<svg") or "<svg" in body["svg"][:300]
    else:
        assert body["svg"] is None and "the studio draws at most" in body["render_error"]


def test_graphviz_gets_what_the_render_has_left(local_studio: int, monkeypatch: Any) -> None:
    """The render's seconds are for the whole request: Graphviz's limit is what reading,
    checking and simulating left, and nothing is drawn when less than a second is left."""
    from statewright.compiler.tools.studio import app

    given: list[float] = []
    monkeypatch.setattr(app, "_svg", lambda *args: (given.append(args[-1]), ("<svg/>", None))[1])
    text = (EXAMPLES / "door.smcat").read_text("utf-8")
    assert _render(local_studio, text)[0] == 200
    assert len(given) == 1 and 1 <= given[0] <= app.RENDER_SECONDS
    monkeypatch.setattr(app, "RENDER_SECONDS", 0.5)
    status, body = _render(local_studio, text)
    assert (
        status == 200 and body["svg"] is None and "took the render's 0.5 s" in body["render_error"]
    )
    assert len(given) == 1


def test_a_busy_studio_answers_503_saying_so(local_studio: int, monkeypatch: Any) -> None:
    """Every render slot taken (renders that do not end): a request waits `QUEUE_SECONDS`,
    then is answered 503 with a Retry-After, and is served once a slot is free."""
    import http.client

    from statewright.compiler.tools.studio import app

    monkeypatch.setattr(app, "QUEUE_SECONDS", 0.2)
    text = (EXAMPLES / "door.smcat").read_text("utf-8")
    for _ in range(app.RENDERS):
        assert app._WORK.acquire(timeout=5)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", local_studio, timeout=60)
        body = json.dumps({"path": "door.smcat", "text": text, "steps": []})
        connection.request(
            "POST",
            "/api/render",
            body,
            {"X-Statewright-Studio": "1", "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        answer = json.loads(response.read())
        connection.close()
        assert response.status == 503 and response.getheader("Retry-After") == "1"
        assert "the studio is busy" in answer["error"]
    finally:
        for _ in range(app.RENDERS):
            app._WORK.release()
    assert _render(local_studio, text)[0] == 200


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz (apt-get install graphviz)")
@settings(max_examples=12, deadline=None, derandomize=True, database=None)
@given(st.integers(1, 9), st.integers(0, 9))
def test_any_chart_is_drawn_exactly_when_within_max_drawn(states: int, transitions: int) -> None:
    """Charts of any size around the limit (patched to 12): drawn when states and
    transitions together are at most the limit, refused with the counts when over."""
    from statewright.compiler.tools.studio import app

    names = [f"s{i}" for i in range(states)]
    text = (
        ", ".join(names)
        + ";\n"
        + "".join(
            f"{names[i % states]} => {names[(i + 1) % states]}: e{i};\n" for i in range(transitions)
        )
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(app, "MAX_DRAWN", 12)
        result = app.Studio(Path(".")).render("c.smcat", text, [], {})
    drawn = states + transitions
    if drawn <= 12:
        assert result["svg"] is not None, result.get("render_error")
    else:
        assert result["svg"] is None and f"not drawn: {drawn:,} states" in result["render_error"]
