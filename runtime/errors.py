"""The runtime's exceptions: every one derives from `StatewrightError`."""

from __future__ import annotations


class StatewrightError(Exception):
    """Root of every exception the runtime raises."""


class LivelockError(StatewrightError):
    """Eventless transitions keep firing: the macrostep never ends."""
