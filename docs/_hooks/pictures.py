"""MkDocs hook of this site: turn the pages' mentions of each other (`docs/language.md`) into
links. The pictures of chart blocks are drawn by the `statewright` MkDocs plugin
(compiler/tools/docs/mkdocs_plugin.py), as any project's docs can have them.
"""

from __future__ import annotations

import re
from typing import Any

MENTION = re.compile(r"`docs/([\w-]+\.md)`")
FENCE = re.compile(r"```.*?```", re.S)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    # Outside code blocks, `docs/x.md` becomes a link (strict mode fails on a wrong name).
    parts = FENCE.split(markdown)
    fences = FENCE.findall(markdown)
    linked = [MENTION.sub(r"[`\1`](\1)", part) for part in parts]
    return "".join(p + (fences[i] if i < len(fences) else "") for i, p in enumerate(linked))
