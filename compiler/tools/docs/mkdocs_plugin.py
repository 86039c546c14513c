"""A MkDocs plugin (registered as `statewright`): every well-formed ```smcat block (and ```yaml
block that is a chart) of the pages is drawn below itself at build time, with the same
`-T svg` a user runs, so a page cannot show a picture that disagrees with its text.

    plugins:
      - search
      - statewright:
          pages: [language.md, tutorial.md]   # default: every page
          direction: left-right               # top-down, left-right, ...

A block right after `<!-- error: CODE -->`, or whose fence says `no-picture`, is an example
of a mistake and gets no picture; a chart with errors gets none either. Without Graphviz the
site builds without pictures (a warning says so once).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from mkdocs.config import config_options
from mkdocs.config.base import Config
from mkdocs.plugins import BasePlugin

from . import inline_svg

_log = logging.getLogger("mkdocs.plugins.statewright")

BLOCK = re.compile(
    r"(?P<marker><!-- error: \w+ -->\n)?```(?P<lang>smcat|yaml)(?P<attrs>[^\n]*)\n"
    r"(?P<body>.*?)```\n",
    re.S,
)


class StatewrightConfig(Config):
    pages = config_options.Type(list, default=[])
    direction = config_options.Choice(
        ("top-down", "left-right", "bottom-top", "right-left"), default="left-right"
    )


class StatewrightPlugin(BasePlugin[StatewrightConfig]):
    def __init__(self) -> None:
        self.warned = False

    def on_page_markdown(self, markdown: str, page: Any, config: Any, files: Any) -> str:
        pages = self.config.pages
        if pages and page.file.src_uri not in pages:
            return markdown
        return BLOCK.sub(self._with_picture, markdown)

    def _with_picture(self, match: re.Match[str]) -> str:
        block = match.group(0)
        if match["marker"] or "no-picture" in match["attrs"]:
            return block
        svg = picture(match["lang"], match["body"], self.config.direction)
        if svg is None:
            return block
        return f'{block}\n<figure class="sw-picture" markdown="0">\n{svg}\n</figure>\n\n'


def picture(lang: str, body: str, direction: str = "left-right") -> str | None:
    """A chart block's SVG, ready to inline in HTML; None when it is not a chart, has errors,
    or cannot be drawn."""
    from ...errors import RenderError
    from ...pipeline import diagnose, text_of

    if lang == "yaml":
        if not re.search(r"^(states|transitions):", body, re.M):
            return None  # a project file or a workflow, not a chart
        chart, diagnostics = diagnose(body, "example.yaml")
    else:
        chart, diagnostics = diagnose(body, "example.smcat")
    if chart is None or any(d.is_error for d in diagnostics) or not chart.states():
        return None
    try:
        svg = text_of(chart, "svg", {"direction": direction})
    except RenderError as error:
        _log.warning("statewright: no picture: %s", error)
        return None
    return inline_svg(svg)
