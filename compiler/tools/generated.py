"""The header `statewright build` writes into every output, written and read here, for the tools
that use it: the build (is an output stale or edited by hand?) and the studio (a build's output
is shown read-only). One line in the format's comment syntax (a tEXt chunk in a PNG):

    statewright build: generated from door.smcat (sha256 3c48a6f7a994c415); do not edit.
    input=<16 hex> output=<16 hex>

(on one line); `input` keys the chart and options it was made from, `output` the bytes after it.
"""

from __future__ import annotations

import hashlib
import re

from ..formats import FORMATS

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


def body_hash(body: bytes) -> str:
    """What the header's `output=` records of the bytes after it."""
    return hashlib.sha256(body).hexdigest()[:16]


def with_header(data: bytes, kind: str, source: str, source_hash: str, key: str) -> bytes:
    """An output of format `kind` with its header line (formats with comments; a PNG text
    chunk), else as it is: made from the chart file `source` (its path in the project) whose
    SHA-256 begins `source_hash`, with the input key `key`."""
    text = (
        f"{MARK} generated from {header_path(source)} (sha256 {source_hash}); do not edit. "
        f"input={key} output={body_hash(data)}"
    )
    found = FORMATS[kind]
    if found.binary:
        return _png_with_text(data, text)
    comment = found.comment
    if comment is None:
        return data
    line = f"{comment[0]}{text}{comment[1]}\n".encode()
    if data.startswith(b"<?xml"):
        end = data.index(b"\n") + 1 if b"\n" in data else len(data)
        return data[:end] + line + data[end:]
    return line + data


def header_path(path: str) -> str:
    """A file name as a header comment may hold it, whatever the comment's syntax: every
    character but ASCII letters, digits and `/._+~@,=-` percent-encoded (UTF-8), and no two
    dashes in a row (`--` may not appear inside an XML comment, and `-->` ends one). A name
    holding a line break, `-->`, `*/` or a quote can then add nothing to the output."""
    from urllib.parse import quote

    safe = quote(path, safe="/._+~@,=-")
    while "--" in safe:
        safe = safe.replace("--", "-%2D")
    return safe


_PNG = b"\x89PNG\r\n\x1a\n"
_PNG_KEYWORD = b"statewright-build"


def _png_with_text(data: bytes, text: str) -> bytes:
    """The PNG with a tEXt chunk holding `text`, right after its IHDR chunk."""
    import zlib

    if not data.startswith(_PNG) or len(data) < 33:
        return data
    body = _PNG_KEYWORD + b"\x00" + text.encode("latin-1")
    chunk = (
        len(body).to_bytes(4, "big")
        + b"tEXt"
        + body
        + zlib.crc32(b"tEXt" + body).to_bytes(4, "big")
    )
    ihdr_end = 8 + 4 + 4 + int.from_bytes(data[8:12], "big") + 4
    return data[:ihdr_end] + chunk + data[ihdr_end:]


def _png_header(data: bytes) -> tuple[str, str, bytes] | None:
    """The build header of a PNG (its tEXt chunk), and the PNG without that chunk."""
    position = 8
    while position + 8 <= len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        kind = data[position + 4 : position + 8]
        end = position + 12 + length
        if kind == b"tEXt":
            body = data[position + 8 : position + 8 + length]
            if body.startswith(_PNG_KEYWORD + b"\x00"):
                match = HEADER.search(body)
                if match is None:
                    return None
                rest = data[:position] + data[end:]
                return match["key"].decode(), match["body"].decode(), rest
        if kind in (b"IDAT", b"IEND"):
            return None  # the chunk is written before the image data
        position = end
    return None


def read_header(data: bytes) -> tuple[str, str, bytes] | None:
    """(input key, recorded body hash, body without the header) of a generated file."""
    if data.startswith(_PNG):
        return _png_header(data)
    head = data[:HEAD_BYTES]
    match = HEADER.search(head)
    if match is None:
        return None
    start = head.rfind(b"\n", 0, match.start()) + 1
    end = head.find(b"\n", match.end())
    end = len(data) if end < 0 else end + 1
    body = data[:start] + data[end:]
    return match["key"].decode(), match["body"].decode(), body
