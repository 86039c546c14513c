"""`statewright studio`: the HTTP API (files, saving with a conflict check, rendering and
simulating, the instance inspector, what is refused), and the page end to end in a real
headless Chromium driven by Playwright (`.ci/run` installs Debian's chromium and playwright).

Set STUDIO_SCREENSHOTS=DIR to keep the browser test's screenshots."""

from __future__ import annotations

import http.client
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from statewright.compiler.tools.studio.app import Studio
from testkit import EXAMPLES, call_studio

HAVE_DOT = shutil.which("dot") is not None
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_files_and_what_is_refused(server: tuple[str, int], folder: Path) -> None:
    _, port = server
    status, listing = call_studio(port, "GET", "/api/files")
    assert status == 200 and listing == {
        "files": ["door.smcat", "order.yaml", "player.smcat"],
        "generated": {},
        "store": True,
    }
    status, door = call_studio(port, "GET", "/api/file?path=door.smcat")
    assert status == 200 and door["text"] == (EXAMPLES / "door.smcat").read_text("utf-8")
    for path in ("../secret.txt", "/etc/passwd", "../store/door/chart.json", "door.smcat%00"):
        status, refused = call_studio(port, "GET", f"/api/file?path={path}")
        assert status in (400, 403, 404) and "error" in refused, path
    (folder / "charts" / "escape.smcat").symlink_to(folder / "secret.txt")
    status, _ = call_studio(port, "GET", "/api/file?path=escape.smcat")
    assert status == 403
    # another Host (DNS rebinding) and writes without the studio's header are refused
    status, _ = call_studio(port, "GET", "/api/files", headers={"Host": "attacker.example:80"})
    assert status == 403
    status, _ = call_studio(
        port,
        "PUT",
        "/api/file",
        {"path": "door.smcat", "text": "x;", "hash": door["hash"]},
        headers={"X-Statewright-Studio": "0"},
    )
    assert status == 403
    assert (folder / "charts" / "door.smcat").read_text("utf-8") == door["text"]
    # creating refuses an existing file, and files outside the folder
    status, exists = call_studio(
        port, "PUT", "/api/file", {"path": "door.smcat", "text": "x;", "create": True}
    )
    assert status == 409 and "exists already" in exists["error"]
    status, _ = call_studio(
        port, "PUT", "/api/file", {"path": "../outside.smcat", "text": "x;", "create": True}
    )
    assert status == 403 and not (folder / "outside.smcat").exists()


def test_save_checks_for_changes_on_disk(server: tuple[str, int], folder: Path) -> None:
    _, port = server
    _, door = call_studio(port, "GET", "/api/file?path=door.smcat")
    changed = door["text"] + "opened => opened: wave;\n"
    status, saved = call_studio(
        port, "PUT", "/api/file", {"path": "door.smcat", "text": changed, "hash": door["hash"]}
    )
    assert status == 200
    on_disk = folder / "charts" / "door.smcat"
    assert on_disk.read_text("utf-8") == changed
    on_disk.write_text(changed + "# edited elsewhere\n", "utf-8")
    status, conflict = call_studio(
        port, "PUT", "/api/file", {"path": "door.smcat", "text": "x;\n", "hash": saved["hash"]}
    )
    assert status == 409 and conflict["text"].endswith("# edited elsewhere\n")
    assert on_disk.read_text("utf-8").endswith("# edited elsewhere\n")
    status, _ = call_studio(
        port,
        "PUT",
        "/api/file",
        {"path": "door.smcat", "text": "x;\n", "hash": saved["hash"], "force": True},
    )
    assert status == 200 and on_disk.read_text("utf-8") == "x;\n"


def test_render_simulates_and_reports(server: tuple[str, int]) -> None:
    _, port = server
    text = (EXAMPLES / "door.smcat").read_text("utf-8")
    # without its declaration, and without `jammed` in the context, the guard cannot be
    # evaluated: false, and shown
    undeclared = text.replace("//@ context jammed: int = 0\n", "")
    status, result = call_studio(
        port,
        "POST",
        "/api/render",
        {"path": "door.smcat", "text": undeclared, "steps": [{"event": "open"}], "context": {}},
    )
    assert status == 200 and result["diagnostics"] == []
    _, step = result["simulation"]["timeline"]
    assert step["configuration"] == ["closed"] and step["handled"] is False
    assert step["errors"] == [
        {"guard": "jammed == 0", "error": "UnknownName: `jammed` is not in the context"}
    ]
    status, result = call_studio(
        port,
        "POST",
        "/api/render",
        {
            "path": "door.smcat",
            "text": text,
            "steps": [{"event": "open"}],
            "context": {},  # the declared default: jammed is 0
        },
    )
    simulation = result["simulation"]
    assert simulation["timeline"][1]["handled"] is True
    assert simulation["timeline"][1]["errors"] == []
    assert simulation["configuration"] == ["opened"]
    assert [e["event"] for e in simulation["enabled"]] == ["close"]
    assert [t["configuration"] for t in simulation["timeline"]] == [["closed"], ["opened"]]
    if HAVE_DOT:
        assert 'class="node state regular active"' in result["svg"]
    # a guarded event with data, and a timed event advanced by the clock
    status, result = call_studio(
        port,
        "POST",
        "/api/render",
        {
            "path": "door.smcat",
            "text": text,
            "steps": [{"event": "lock"}, {"event": "unlock", "data": {"code": 1234}}],
            "context": {"jammed": 0},
        },
    )
    assert result["simulation"]["configuration"] == ["closed"]
    order = (EXAMPLES / "order.yaml").read_text("utf-8")
    status, result = call_studio(
        port, "POST", "/api/render", {"path": "order.yaml", "text": order, "steps": []}
    )
    timed = [e for e in result["simulation"]["enabled"] if e["delay"] is not None]
    assert timed == [{"event": "after 30min", "guarded": False, "delay": 1800.0}]
    status, result = call_studio(
        port,
        "POST",
        "/api/render",
        {"path": "order.yaml", "text": order, "steps": [{"advance": 1800}]},
    )
    assert result["simulation"]["configuration"] == ["cancelled"]
    # broken text: diagnostics with positions, no simulation
    status, result = call_studio(
        port, "POST", "/api/render", {"path": "door.smcat", "text": "a => ;", "steps": []}
    )
    assert status == 200 and result["diagnostics"][0]["code"] == "P002"
    assert result["diagnostics"][0]["line"] == 1 and result["svg"] is None


def test_instance_inspector(server: tuple[str, int]) -> None:
    _, port = server
    status, listing = call_studio(port, "GET", "/api/instances")
    assert listing["instances"] == [
        {
            "id": "door",
            "seq": 4,
            "version": 4,
            "configuration": ["locked"],
            "drawable": True,
            "chart": "door.smcat",
        }
    ]
    status, now = call_studio(port, "GET", "/api/instance?id=door")
    assert now["chart"] == "door.smcat"
    assert [r["type"] for r in now["records"]] == ["sw.create", "open", "close", "lock"]
    assert now["state"]["configuration"] == ["locked"]
    status, then = call_studio(port, "GET", "/api/instance?id=door&seq=2")
    assert then["state"]["configuration"] == ["opened"] and then["state"]["seq"] == 2
    if HAVE_DOT:
        assert then["svg"].count('class="node state regular active"') == 1
    status, missing = call_studio(port, "GET", "/api/instance?id=../door")
    assert status == 400


def test_cli_refuses_bad_arguments(tmp_path: Path) -> None:
    sw = [sys.executable, "-m", "statewright", "studio"]
    missing = subprocess.run([*sw, str(tmp_path / "nothing")], capture_output=True, text=True)
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr
    (tmp_path / "notes.txt").write_text("x", "utf-8")
    wrong = subprocess.run([*sw, str(tmp_path / "notes.txt")], capture_output=True, text=True)
    assert wrong.returncode == 2 and "not a chart file" in wrong.stderr


# -- the browser --------------------------------------------------------------------------------


def _lit(pane: str, name: str) -> str:
    """A page expression: the one lit state of the diagram in `pane` is `name` (a state's
    name is its node's tooltip in the SVG)."""
    return (
        f"(() => {{ const lit = document.querySelectorAll('{pane} g.node.active a');"
        f" return lit.length === 1 && lit[0].getAttribute('xlink:title') === '{name}'; }})()"
    )


def _playwright() -> Any:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    return sync_playwright


def in_a_browser(test: Any) -> Any:
    """A test that drives the page in Debian's Chromium (slow; needs Graphviz, playwright)."""
    for mark in (
        pytest.mark.skipif(_playwright() is None, reason="needs playwright: make install"),
        pytest.mark.skipif(not HAVE_DOT, reason="needs Graphviz: apt-get install graphviz"),
        pytest.mark.skipif(CHROMIUM is None, reason="needs chromium: apt-get install chromium"),
        pytest.mark.slow,
    ):
        test = mark(test)
    return test


def _launch(playwright: Any, tmp_path: Path) -> tuple[Any, Path]:
    """Chromium, and the folder for screenshots (STUDIO_SCREENSHOTS, or a temporary one)."""
    shots = Path(os.environ.get("STUDIO_SCREENSHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
    )
    return browser, shots


@in_a_browser
def test_studio_in_a_browser(server: tuple[str, int], folder: Path, tmp_path: Path) -> None:
    url, _ = server
    with _playwright()() as playwright:
        browser, shots = _launch(playwright, tmp_path)
        # the page's CSP forbids eval, which wait_for_function uses: the test bypasses it
        page = browser.new_page(viewport={"width": 1400, "height": 900}, bypass_csp=True)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(url)

        # the first chart opens with its diagram; the start state is lit
        page.wait_for_selector("#diagram svg")
        assert page.input_value("#file-select") == "door.smcat"
        active = "#diagram g.node.active"
        page.wait_for_function(_lit("#diagram", "closed"))
        page.screenshot(path=str(shots / "1-opened.png"))

        # the picture fits its pane; the wheel zooms around the pointer, dragging pans, 1:1 is
        # natural size and Fit goes back (the viewBox says what is shown)
        def view() -> list[float]:
            box = page.get_attribute("#diagram svg", "viewBox") or ""
            return [float(part) for part in box.split()]

        fitted = view()
        assert fitted == [
            float(v) for v in (page.get_attribute("#diagram svg", "data-natural") or "").split()
        ]
        pane = page.locator("#diagram").bounding_box()
        assert pane is not None
        page.mouse.move(pane["x"] + pane["width"] / 2, pane["y"] + pane["height"] / 2)
        page.mouse.wheel(0, -300)
        page.wait_for_function(
            "document.querySelector('#diagram svg').viewBox.baseVal.width" f" < {fitted[2]}"
        )
        zoomed = view()
        page.mouse.down()
        page.mouse.move(pane["x"] + pane["width"] / 2 + 60, pane["y"] + pane["height"] / 2)
        page.mouse.up()
        panned = view()
        assert panned[0] < zoomed[0] and panned[2] == zoomed[2]
        page.click(".viewbar[data-pane='diagram'] button[data-view='actual']")
        width = page.evaluate("document.getElementById('diagram').clientWidth")
        assert abs(view()[2] - width * 0.75) < 1
        page.click(".viewbar[data-pane='diagram'] button[data-view='fit']")
        assert view() == fitted

        # the text is coloured (arrows, notes, ...) without losing a character
        assert page.locator("#backdrop .tok-arrow").count() >= 5
        assert page.locator("#backdrop .tok-note").count() == 1
        drawn = page.evaluate(
            "[...document.querySelectorAll('#backdrop > div')].map(row => [...row.childNodes]"
            ".filter(n => !(n.classList && n.classList.contains('note')))"
            ".map(n => n.textContent).join('')).join('\\n')"
        )
        assert drawn == page.input_value("#editor")

        # type a change: the diagram updates as you type
        editor = page.locator("#editor")
        editor.click()
        page.keyboard.press("Control+End")
        page.keyboard.type("opened => broken: kick;\n")
        page.wait_for_function(
            "[...document.querySelectorAll('#diagram g.node a')]"
            ".some(a => a.getAttribute('xlink:title') === 'broken')"
        )
        assert page.locator("#dirty").text_content() == "● modified"
        page.screenshot(path=str(shots / "2-typed.png"))

        # click events: the highlight moves; undo moves it back
        page.click("#events button[data-event='open']")
        page.wait_for_function(_lit("#diagram", "opened"))
        assert page.locator(active).count() == 1
        assert sorted(
            page.locator("#events button").evaluate_all(
                "buttons => buttons.map(b => b.dataset.event)"
            )
        ) == ["close", "kick"]
        # zoomed into the top-left corner, a step brings the new active state into view
        page.mouse.move(pane["x"] + 20, pane["y"] + 20)
        for _ in range(8):
            page.mouse.wheel(0, -300)
        page.click("#events button[data-event='kick']")
        page.wait_for_function(_lit("#diagram", "broken"))
        lit_box = page.locator(active).bounding_box()
        assert lit_box is not None
        assert (
            pane["x"] <= lit_box["x"]
            and lit_box["x"] + lit_box["width"] <= pane["x"] + pane["width"]
        )
        assert (
            pane["y"] <= lit_box["y"]
            and lit_box["y"] + lit_box["height"] <= pane["y"] + pane["height"]
        )
        page.click(".viewbar[data-pane='diagram'] button[data-view='fit']")
        assert page.locator("#timeline li").count() == 3
        page.screenshot(path=str(shots / "3-simulated.png"))
        page.click("#undo")
        page.wait_for_function(_lit("#diagram", "opened"))
        # the undone step stays in the timeline, dimmed; clicking it redoes it
        assert page.locator("#timeline li.undone").all_text_contents() == ["2. kick"]
        page.click("#timeline li.undone")
        page.wait_for_function(_lit("#diagram", "broken"))
        assert page.locator("#timeline li.undone").count() == 0
        page.click("#undo")
        page.wait_for_function(_lit("#diagram", "opened"))
        page.click("#timeline li >> nth=0")  # back to the start
        page.wait_for_function(_lit("#diagram", "closed"))

        # a guard reads the context: unlock with the right code from the event data
        page.click("#events button[data-event='lock']")
        page.wait_for_function(_lit("#diagram", "locked"))
        page.fill("#event-data", '{"code": 1234}')
        page.click("#events button[data-event='unlock']")
        page.wait_for_function(_lit("#diagram", "closed"))
        assert page.input_value("#event-data") == "{}"  # the data went with that event only

        # the picture is clickable: a transition sends its event, a state shows its line
        edges = page.evaluate(
            "[...document.querySelectorAll('#diagram g.transition')].map(g => [g.id,"
            " g.querySelector('text') ? g.querySelector('text').textContent.trim() : ''])"
        )
        lock = next(edge_id for edge_id, text in edges if text.startswith("lock"))
        page.locator(f"#diagram g#{lock} text").first.click()
        page.wait_for_function(_lit("#diagram", "locked"))
        assert page.locator(f"#diagram g#{lock} a").first.get_attribute("xlink:title") == (
            "lock / beep"
        )  # the whole label on hover
        page.locator("#diagram g.state a[*|title='opened']").first.click()
        caret = page.evaluate("document.getElementById('editor').selectionStart")
        before = page.input_value("#editor")[:caret]
        assert before.count("\n") + 1 == 6  # door.smcat declares `opened` on line 6
        page.keyboard.press("Tab")  # Tab leaves the editor (keyboard users are not trapped)
        assert page.evaluate("document.activeElement.id") != "editor"
        page.click("#timeline li >> nth=0")
        page.wait_for_function(_lit("#diagram", "closed"))

        # a mistake is shown at its line
        editor.click()
        page.keyboard.press("Control+End")
        page.keyboard.type("broken => ;\n")
        page.wait_for_selector("#gutter div.error")
        assert "P002" in page.locator("#diagnostics").text_content()
        line = page.locator("#gutter div.error").first.text_content()
        assert line == str(len(page.input_value("#editor").splitlines()))
        # the exact span is underlined: the characters the diagnostic blames, not the line
        blamed = page.evaluate(
            "(() => { const d = [...document.querySelectorAll('#diagnostics li')]"
            ".map(li => li.textContent).find(t => t.includes('P002'));"
            " return d.match(/ (\\d+):(\\d+) /).slice(1).map(Number); })()"
        )
        row = page.locator("#backdrop > div").nth(blamed[0] - 1)
        before = row.evaluate(
            "row => { let n = 0; for (const node of row.childNodes) {"
            " if (node.classList && node.classList.contains('squiggle-error')) return n;"
            " n += node.textContent.length; } return -1; }"
        )
        assert before == blamed[1] - 1
        # the last simulation stays visible (dimmed) while the text does not read
        assert page.locator("#simulator.stale").count() == 1
        assert page.locator("#configuration .state").count() == 1
        page.screenshot(path=str(shots / "4-diagnostic.png"))
        page.keyboard.press("Backspace")
        for _ in range(len("broken => ;")):
            page.keyboard.press("Backspace")
        page.wait_for_function("!document.querySelector('#gutter div.error')")

        # save; then a change on disk makes the next save a conflict
        page.click("#save")
        page.wait_for_function("document.querySelector('#dirty').textContent === ''")
        door = folder / "charts" / "door.smcat"
        assert door.read_text("utf-8").endswith("opened => broken: kick;\n")
        door.write_text(door.read_text("utf-8") + "// elsewhere\n", "utf-8")
        editor.click()
        page.keyboard.type("x")
        page.keyboard.press("Control+s")
        page.wait_for_selector("#conflict.shown")
        assert door.read_text("utf-8").endswith("// elsewhere\n")
        page.screenshot(path=str(shots / "5-conflict.png"))
        page.click("#conflict-load")
        assert page.input_value("#editor").endswith("// elsewhere\n")

        # a new chart file, from the template, in a folder of its own
        page.once("dialog", lambda dialog: dialog.accept("drafts/fresh.smcat"))
        page.click("#new")
        page.wait_for_function(
            "document.querySelector('#file-select').value === 'drafts/fresh.smcat'"
        )
        page.wait_for_function(_lit("#diagram", "idle"))
        assert (
            (folder / "charts" / "drafts" / "fresh.smcat")
            .read_text("utf-8")
            .startswith("initial, idle, busy;")
        )
        page.once("dialog", lambda dialog: dialog.accept("drafts/fresh.smcat"))
        page.click("#new")  # it exists now: refused, nothing overwritten
        page.wait_for_function(
            "document.querySelector('#status').textContent.includes('exists already')"
        )

        # the instance inspector: the log, and the state as of a past event
        page.click("#tab-instances")
        page.click("#instance-list li[data-id='door']")
        page.wait_for_selector("#instance-diagram svg")
        page.wait_for_function(_lit("#instance-diagram", "locked"))
        assert page.locator("#instance-log tbody tr").count() == 4
        page.click("#instance-log tr[data-seq='2']")
        page.wait_for_function(_lit("#instance-diagram", "opened"))
        assert "as of seq 2" in page.locator("#instance-state").text_content()
        page.screenshot(path=str(shots / "6-inspector.png"))

        # the page works under its own CSP (no inline script, no eval)
        strict = browser.new_page()
        strict.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        strict.goto(url)
        strict.wait_for_selector("#diagram svg")
        strict.click("#events button[data-event='open']")
        strict.wait_for_selector("#timeline li:nth-child(2)")
        assert strict.locator("#configuration").text_content() == "opened"

        # dark mode follows the system setting: the page's colours and the diagram's theme
        dark = browser.new_page(color_scheme="dark", viewport={"width": 1280, "height": 720})
        dark.goto(url)
        dark.wait_for_selector("#diagram svg")
        background = dark.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(30, 30, 30)"
        canvas = dark.locator("#diagram svg g.graph > polygon").first.get_attribute("fill")
        assert canvas == "#1e1e1e"
        dark.screenshot(path=str(shots / "7-dark.png"))
        browser.close()
    assert errors == []


def test_instance_inspector_on_postgresql(pg_dsn: str, folder: Path) -> None:
    """The inspector reads a PostgreSQL store the same way (replay, never opening)."""
    sw = [sys.executable, "-m", "statewright", "instances"]
    door = folder / "charts" / "door.smcat"
    subprocess.run([*sw, "create", str(door), "--store", pg_dsn], check=True, capture_output=True)
    for event in ("open", "close"):
        subprocess.run(
            [*sw, "send", "door", event, "--store", pg_dsn, "--no-hooks"],
            check=True,
            capture_output=True,
        )
    studio = Studio((folder / "charts").resolve(), None, pg_dsn)
    (listed,) = studio.instances()
    assert (listed["id"], listed["version"], listed["configuration"]) == ("door", 3, ["closed"])
    then = studio.instance("door", 2)
    assert studio.store() is studio.store()  # one store (one connection pool) for the server
    studio.close()
    assert then["state"]["configuration"] == ["opened"]
    assert [r["type"] for r in then["records"]] == ["sw.create", "open", "close"]
    if HAVE_DOT:
        assert then["svg"] and 'class="node state regular active"' in then["svg"]


def test_the_page_runs_no_inline_script(server: tuple[str, int]) -> None:
    """The script is a file of its own, so the page's CSP can forbid inline scripts: a state
    name that smuggled markup into the SVG could not run anything."""
    _, port = server
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/")
    response = connection.getresponse()
    page = response.read().decode()
    policy = response.getheader("Content-Security-Policy") or ""
    script_sources = policy.split("script-src")[1].split(";")[0]
    assert script_sources.strip() == "'self'", policy
    assert '<script src="/studio.js"></script>' in page and "<script>" not in page
    connection.request("GET", "/studio.js")
    script = connection.getresponse()
    assert script.status == 200 and "javascript" in (script.getheader("Content-Type") or "")
    assert b"loadFiles();" in script.read()


def test_the_simulator_refuses_names_only_the_engine_raises(server: tuple[str, int]) -> None:
    _, port = server
    text = "a, b [type=final];\na => b: done.state.a;\na => b: go;\n"
    status, result = call_studio(
        port,
        "POST",
        "/api/render",
        {"path": "x.smcat", "text": text, "steps": [{"event": "done.state.a"}], "context": {}},
    )
    assert status == 200
    simulation = result["simulation"]
    assert "never sent from outside" in simulation["error"]
    status, result = call_studio(
        port, "POST", "/api/render", {"path": "x.smcat", "text": text, "steps": [], "context": {}}
    )
    assert [e["event"] for e in result["simulation"]["enabled"]] == ["go"]
