"""The header `statewright build` writes into every output, shared by the tools that read it:
the build (is an output stale or edited by hand?) and the studio (a build's output is shown
read-only). One line in the format's comment syntax (a tEXt chunk in a PNG):

    statewright build: generated from door.smcat (sha256 3c48a6f7a994c415); do not edit.
    input=<16 hex> output=<16 hex>

(on one line); `input` keys the chart and options it was made from, `output` the bytes after it.
"""

from __future__ import annotations

import re

MARK = "statewright build:"
HEADER = re.compile(
    rb"statewright build: generated from (?P<source>.*?)(?: \(sha256 [0-9a-f]{16}\))?; "
    rb"do not edit\. input=(?P<key>[0-9a-f]{16}) output=(?P<body>[0-9a-f]{16})"
)
#: how far into a file the header may be (after an XML declaration, a shebang, ...)
HEAD_BYTES = 4096


def generated_from(data: bytes) -> str | None:
    """The chart a generated file says it was made from (its build header), or None: the
    file is not a build's output."""
    match = HEADER.search(data[:HEAD_BYTES])
    return match["source"].decode("utf-8", "replace") if match else None
