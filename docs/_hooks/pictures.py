"""MkDocs hooks: draw every well-formed `smcat` block of the reference pages below it, and
turn the pages' mentions of each other (`docs/language.md`) into links.

The picture is made at build time with statewright itself (the same `-T svg` a user runs), so
the reference cannot show a picture that disagrees with its text. Blocks marked
`<!-- error: CODE -->` are examples of mistakes and get no picture. Without Graphviz the pages
build without pictures.
"""

from __future__ import annotations

import re
from typing import Any

PAGES = {"index.md", "language.md", "yaml.md", "tutorial.md", "diagrams.md"}
BLOCK = re.compile(
    r"(?P<marker><!-- error: \w+ -->\n)?```(?P<lang>smcat|yaml)(?P<attrs>[^\n]*)\n"
    r"(?P<body>.*?)```\n",
    re.S,
)


MENTION = re.compile(r"`docs/([\w-]+\.md)`")
FENCE = re.compile(r"```.*?```", re.S)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    # Outside code blocks, `docs/x.md` becomes a link (strict mode fails on a wrong name).
    parts = FENCE.split(markdown)
    fences = FENCE.findall(markdown)
    linked = [MENTION.sub(r"[`\1`](\1)", part) for part in parts]
    markdown = "".join(p + (fences[i] if i < len(fences) else "") for i, p in enumerate(linked))
    if page.file.src_uri not in PAGES:
        return markdown
    return BLOCK.sub(_with_picture, markdown)


def _with_picture(match: re.Match[str]) -> str:
    block = match.group(0)
    if match["marker"] or "no-picture" in match["attrs"]:
        return block
    svg = _svg(match["lang"], match["body"])
    if svg is None:
        return block
    return f'{block}\n<figure class="sw-picture" markdown="0">\n{svg}\n</figure>\n\n'


def _svg(lang: str, body: str) -> str | None:
    from statewright.compiler.emit.render import RenderError, emit_svg
    from statewright.compiler.pipeline import diagnose, diagnose_yaml

    if lang == "yaml":
        if not re.search(r"^(states|transitions):", body, re.M):
            return None  # a project file, not a chart
        chart, diagnostics = diagnose_yaml(body.encode(), "example.yaml")
    else:
        chart, diagnostics = diagnose(body, "example.smcat")
    if chart is None or any(d.is_error for d in diagnostics) or not chart.states():
        return None
    try:
        svg = emit_svg(chart, {"direction": "left-right"})
    except RenderError:
        return None
    svg = re.sub(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--.*?-->", "", svg, flags=re.S)
    return "\n".join(line for line in svg.splitlines() if line.strip())
