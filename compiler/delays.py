"""Timed events: `after 30s` as the event of a transition (docs/language.md).

Shared by the checker and the executable exports (SCXML, XState); the runtime reads the same
forms. Units: `ms`, `s` (or `sec`), `min` (or `m`), `h`; fractions are allowed.
"""

from __future__ import annotations

import re

_AFTER = re.compile(r"^after\s+(\d+(?:\.\d+)?)\s*(ms|s|sec|m|min|h)$", re.IGNORECASE)
_UNIT_MS = {"ms": 1, "s": 1000, "sec": 1000, "m": 60_000, "min": 60_000, "h": 3_600_000}


def delay_ms(event: str | None) -> int | None:
    """The delay of a timed event (`after 30s`, `after 500ms`, `after 1.5 min`) in whole
    milliseconds (SCXML engines differ on fractions, so exports use integers), or None."""
    match = _AFTER.match((event or "").strip())
    if match is None:
        return None
    return round(float(match.group(1)) * _UNIT_MS[match.group(2).lower()])
