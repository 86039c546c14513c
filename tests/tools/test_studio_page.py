"""The studio's page, part two: exporting the chart, generated files shown read-only, the last
transition lit, the keyboard, SCXML colouring, long messages, the instance list's charts, and
a 50-state chart at 1280x720 (tests/tools/test_studio.py has the first part; the fixtures are
in tests/tools/conftest.py).

Set STUDIO_SCREENSHOTS=DIR to keep the screenshots (docs/img/studio-*.png are made so)."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest
from test_studio import HAVE_DOT, _launch, _lit, _playwright, in_a_browser

from statewright.compiler.emit import dot
from testkit import EXAMPLES, call_studio


def fifty_states() -> str:
    """A chart of 50 states: five phases (composite), each a chain of nine."""
    phases = []
    for p in range(1, 6):
        inner = ", ".join([f"p{p}start [type=initial]", *(f"p{p}s{k}" for k in range(1, 10))])
        steps = "\n".join(f"    p{p}s{k} => p{p}s{k + 1}: step{k};" for k in range(1, 9))
        phases.append(f"  phase{p} {{\n    {inner};\n    p{p}start => p{p}s1;\n{steps}\n  }}")
    ways = "\n".join(f"p{p}s9 => phase{p + 1}: next;" for p in range(1, 5))
    return (
        "// fifty states: five phases of nine steps each\n"
        "initial,\n" + ",\n".join(phases) + ",\nfinal;\n\n"
        f"initial => phase1;\n{ways}\np5s9 => final: done;\n"
    )


@pytest.fixture
def charts(folder: Path) -> Path:  # noqa: F811
    """The fixture's folder, with a build's output and a 50-state chart."""
    charts = folder / "charts"
    (charts / "generated").mkdir()
    shutil.copy(EXAMPLES / "generated" / "door.scxml", charts / "generated")
    (charts / "fifty.smcat").write_text(fifty_states(), "utf-8")
    return charts


def test_export_generated_and_taken(server: tuple[str, int], charts: Path) -> None:  # noqa: F811
    _, port = server
    _, listing = call_studio(port, "GET", "/api/files")
    assert listing["generated"] == {"generated/door.scxml": "door.smcat"}
    _, scxml = call_studio(port, "GET", "/api/file?path=generated/door.scxml")
    assert scxml["generated"] == "door.smcat"
    status, refused = call_studio(
        port,
        "PUT",
        "/api/file",
        {"path": "generated/door.scxml", "text": "<scxml/>", "hash": scxml["hash"]},
    )
    assert status == 403 and "edit that chart instead" in refused["error"]
    assert (charts / "generated" / "door.scxml").read_text("utf-8") == scxml["text"]

    door = (EXAMPLES / "door.smcat").read_text("utf-8")
    status, out = call_studio(
        port, "POST", "/api/export", {"path": "door.smcat", "text": door, "format": "scxml"}
    )
    assert status == 200 and out["filename"] == "door.scxml"
    assert out["type"] == "application/scxml+xml" and "<scxml" in out["text"]
    status, out = call_studio(
        port, "POST", "/api/export", {"path": "door.smcat", "text": door, "format": "python"}
    )
    assert out["filename"] == "door_machine.py" and "class Door" in out["text"]
    # a chart with errors is not exported in a format that runs; a bad format is refused
    status, out = call_studio(
        port, "POST", "/api/export", {"path": "x.smcat", "text": "a => ;", "format": "xstate"}
    )
    assert status == 422 and "1:6" in out["error"]
    status, out = call_studio(
        port, "POST", "/api/export", {"path": "x.smcat", "text": "a;", "format": "../../x"}
    )
    assert status == 400
    if HAVE_DOT:
        status, out = call_studio(
            port, "POST", "/api/export", {"path": "door.smcat", "text": door, "format": "png"}
        )
        assert base64.b64decode(out["base64"]).startswith(b"\x89PNG")

    # the transitions the last step took are drawn in the accent colour (class `taken`)
    _, result = call_studio(
        port,
        "POST",
        "/api/render",
        {"path": "door.smcat", "text": door, "steps": [{"event": "open"}]},
    )
    (taken,) = result["simulation"]["taken"]
    assert result["events"][f"t{taken}"] == "open"
    if HAVE_DOT:
        assert f'<g id="t{taken}" class="edge transition taken"' in result["svg"]
        assert result["svg"].count(" taken") == 1


@in_a_browser
def test_studio_page_in_a_browser(
    server: tuple[str, int], charts: Path, tmp_path: Path  # noqa: F811
) -> None:
    url, _ = server
    with _playwright()() as playwright:
        browser, shots = _launch(playwright, tmp_path)
        page = browser.new_page(
            viewport={"width": 1280, "height": 720}, bypass_csp=True, accept_downloads=True
        )
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(url)
        page.wait_for_function(_lit("#diagram", "closed"))
        # the browser draws the labels in a font as wide as the one Graphviz measured, so a
        # name is centred in its box (within a pixel; DejaVu against Helvetica was 3-5 px off)
        offsets = page.evaluate(
            "[...document.querySelectorAll('#diagram g.node.state')].filter(g =>"
            " g.querySelectorAll('text').length === 1).map(g => {"
            " const t = g.querySelector('text').getBoundingClientRect();"
            " const b = g.querySelector('path, polygon').getBoundingClientRect();"
            " return Math.abs((t.left + t.right) / 2 - (b.left + b.right) / 2); })"
        )
        assert len(offsets) == 2 and max(offsets) < 1.0, offsets

        # the last fired transition is lit, and only that one
        page.click("#events button[data-event='open']")
        page.wait_for_function(_lit("#diagram", "opened"))
        taken = page.locator("#diagram g.transition.taken")
        assert taken.count() == 1
        assert (taken.locator("text").first.text_content() or "").split() == [
            "open",
            "[jammed",
            "==",
            "0]",
        ]
        page.screenshot(path=str(shots / "studio-light.png"))

        # export: the picture and the chart in another format are downloaded as files
        for kind, name, head in (
            ("svg", "door.svg", b"<?xml"),
            ("png", "door.png", b"\x89PNG"),
            ("scxml", "door.scxml", b"<?xml"),
        ):
            with page.expect_download() as download:
                page.select_option("#export", kind)
            got = download.value
            assert got.suggested_filename == name
            assert Path(got.path()).read_bytes().startswith(head), kind
            assert page.input_value("#export") == ""

        # the keyboard: ? lists the shortcuts, Esc closes; u and r step, f and + zoom; Ctrl+S
        # saves from anywhere on the page
        page.locator("#diagram").focus()
        page.keyboard.press("?")
        assert page.locator("#shortcuts[open]").count() == 1
        assert "Ctrl" in page.locator("#shortcuts").text_content()
        page.keyboard.press("Escape")
        assert page.locator("#shortcuts[open]").count() == 0
        page.locator("#diagram").focus()
        page.keyboard.press("u")
        page.wait_for_function(_lit("#diagram", "closed"))
        page.keyboard.press("r")
        page.wait_for_function(_lit("#diagram", "opened"))

        def box(name: str) -> list[float]:
            return [float(v) for v in (page.get_attribute("#diagram svg", name) or "").split()]

        page.keyboard.press("+")
        assert box("viewBox")[2] < box("data-natural")[2]
        page.keyboard.press("f")
        assert box("viewBox") == box("data-natural")
        page.locator("#editor").click()
        page.keyboard.press("Control+End")
        page.keyboard.type("// saved from the diagram\n")
        page.locator("#diagram").click(position={"x": 5, "y": 5})
        page.keyboard.press("Control+s")
        page.wait_for_function("document.querySelector('#dirty').textContent === ''")
        assert (charts / "door.smcat").read_text("utf-8").endswith("from the diagram\n")
        # Esc leaves the editor for the diagram
        page.locator("#editor").click()
        page.keyboard.press("Escape")
        assert page.evaluate("document.activeElement.id") == "diagram"

        # a long message is cut after its line and whole (wrapped) in the list
        page.locator("#editor").click()
        page.keyboard.press("Control+End")
        long_name = "a_state_with_a_name_long_enough_to_make_the_message_long" * 2
        page.keyboard.type(f"closed => {long_name}.inner: go;\n")
        page.wait_for_selector("#gutter div.warning, #gutter div.error")
        note = page.locator("#backdrop .note").last
        width = note.evaluate("n => n.getBoundingClientRect().width")
        char = page.evaluate(
            "(() => { const s = document.createElement('span'); s.textContent = 'x'.repeat(60);"
            " s.style.font = '13px ' + getComputedStyle(document.getElementById('editor'))"
            ".fontFamily; document.body.append(s); const w = s.getBoundingClientRect().width;"
            " s.remove(); return w; })()"
        )
        assert width <= char * 1.2  # 60ch and the italic's slant
        item = page.locator("#diagnostics li").last
        assert item.evaluate("li => li.scrollWidth <= li.clientWidth")
        assert long_name in item.text_content()
        page.screenshot(path=str(shots / "studio-long-message.png"))

        # a build's output is listed apart and opens read-only, coloured as XML
        page.locator("#editor").press("Control+z")
        group = page.locator("#file-select optgroup")
        assert "read-only" in (group.get_attribute("label") or "")
        assert group.locator("option").all_text_contents() == ["generated/door.scxml"]
        page.once("dialog", lambda dialog: dialog.accept())  # discard the unsaved line
        page.select_option("#file-select", "generated/door.scxml")
        page.wait_for_selector("#readonly.shown")
        assert "door.smcat" in page.locator("#readonly").text_content()
        assert page.locator("#editor").evaluate("e => e.readOnly")
        assert page.locator("#save").is_disabled()
        assert page.locator("#backdrop .tok-tag").count() >= 5
        assert page.locator("#backdrop .tok-name").count() >= 5
        assert page.locator("#backdrop .tok-comment").count() >= 1
        drawn = page.evaluate(
            "[...document.querySelectorAll('#backdrop > div')].map(row => [...row.childNodes]"
            ".filter(n => !(n.classList && n.classList.contains('note')))"
            ".map(n => n.textContent).join('')).join('\\n')"
        )
        assert drawn == page.input_value("#editor")

        # in a composite, only the active leaf is filled; its lit parent gets a tint
        page.select_option("#file-select", "player.smcat")
        page.wait_for_function(_lit("#diagram", "off"))
        page.click("#events button[data-event='power']")
        page.wait_for_selector("#diagram g.cluster.active")
        light = dot.COLORS["light"]
        leaf = page.locator("#diagram g.node.active path, #diagram g.node.active polygon")
        assert light.active_fill in [
            (f or "").lower() for f in leaf.evaluate_all("s => s.map(e => e.getAttribute('fill'))")
        ]
        parent = page.locator("#diagram g.cluster.active path, #diagram g.cluster.active polygon")
        fills = {
            (f or "").lower()
            for f in parent.evaluate_all("s => s.map(e => e.getAttribute('fill'))")
        }
        assert light.active_tint in fills and light.active_fill not in fills

        # a 50-state chart opens at a readable scale (not shrunk whole into the pane), at its
        # top, with the active state in view; Fit shows it whole; left-right lays it out wide
        page.select_option("#file-select", "fifty.smcat")
        page.wait_for_function(_lit("#diagram", "p1s1"))
        assert page.locator("#diagram g.node.state").count() >= 50
        page.screenshot(path=str(shots / "studio-fifty.png"))
        pane = page.locator("#diagram").bounding_box()
        assert pane is not None

        def label_height() -> float:
            found = page.locator("#diagram g.node.active text").first.bounding_box()
            assert found is not None
            return float(found["height"])

        assert label_height() >= 8
        lit = page.locator("#diagram g.node.active").bounding_box()
        assert lit is not None and pane["y"] <= lit["y"] <= pane["y"] + pane["height"]
        page.click(".viewbar[data-pane='diagram'] button[data-view='fit']")
        assert label_height() < 8  # whole, the labels are too small to read
        page.select_option("#direction", "left-right")
        page.wait_for_function(
            "(() => { const b = document.querySelector('#diagram svg').dataset.natural"
            ".split(' ').map(Number); return b[2] > b[3]; })()"
        )
        page.wait_for_function(_lit("#diagram", "p1s1"))
        page.screenshot(path=str(shots / "studio-fifty-left-right.png"))
        page.select_option("#direction", "top-down")

        # the instance list says which chart each instance runs
        page.click("#tab-instances")
        page.wait_for_selector("#instance-list li[data-id='door'] .chart")
        assert page.locator("#instance-list li .chart").first.text_content() == (
            "chart: door.smcat"
        )
        page.click("#instance-list li[data-id='door']")
        page.wait_for_function(_lit("#instance-diagram", "locked"))
        page.screenshot(path=str(shots / "studio-inspector.png"))

        dark = browser.new_page(
            color_scheme="dark", viewport={"width": 1280, "height": 720}, bypass_csp=True
        )
        dark.goto(url)
        dark.wait_for_function(_lit("#diagram", "closed"))
        dark.click("#events button[data-event='open']")
        dark.wait_for_function(_lit("#diagram", "opened"))
        dark.screenshot(path=str(shots / "studio-dark.png"))
        browser.close()
    assert errors == []
