"""Colours a chart names (`color="green"`), as the pictures draw them.

Graphviz reads colour names from the X11 scheme while browsers read SVG's CSS names: the same
`green` is #00ff00 in a PNG and #008000 in an SVG. A name CSS knows is therefore written as its
CSS hex value (webcolors holds the table), so that every format draws what a browser would.
On the dark theme, a colour too close to the background (black) is blended towards the
theme's ink until it reads (a WCAG contrast of at least 4.5:1, as for text). Anything else a
chart may write (`#rrggbb`, a Graphviz list such as `red:blue`, an HSV triple) is kept.
"""

from __future__ import annotations

import re

import webcolors

_HEX = re.compile(r"#[0-9a-fA-F]{6}\Z|#[0-9a-fA-F]{3}\Z")

#: the contrast a state's or transition's colour keeps against the background
MIN_CONTRAST = 4.5


def as_hex(colour: str) -> str:
    """A CSS colour name as `#rrggbb` (each part of a `:` list); anything else unchanged."""
    parts = colour.split(":")
    converted = []
    for part in parts:
        name = part.strip()
        try:
            converted.append(webcolors.name_to_hex(name.lower()))
        except ValueError:
            converted.append(part)
    return ":".join(converted)


def readable(colour: str, background: str, ink: str) -> str:
    """`colour` as hex, blended towards `ink` when it has too little contrast against
    `background` to be seen (both theme colours are hex or CSS names)."""
    value = as_hex(colour)
    if not _HEX.match(value):
        return value
    rgb = _rgb(value)
    back, towards = _rgb(as_hex(background)), _rgb(as_hex(ink))
    for step in range(11):
        share = step / 10
        mixed = tuple(round(c + (t - c) * share) for c, t in zip(rgb, towards, strict=True))
        if _contrast(mixed, back) >= MIN_CONTRAST:
            return value if step == 0 else "#{:02x}{:02x}{:02x}".format(*mixed)
    return as_hex(ink)


def _rgb(value: str) -> tuple[int, int, int]:
    parsed = webcolors.hex_to_rgb(webcolors.normalize_hex(value))
    return parsed.red, parsed.green, parsed.blue


def _luminance(rgb: tuple[int, ...]) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(one: tuple[int, ...], other: tuple[int, ...]) -> float:
    a, b = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (a + 0.05) / (b + 0.05)
