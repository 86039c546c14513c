"""Timed events (`after 30s`): one definition, the runtime's, shared by the checker and the
executable exports so that every engine waits the same time."""

from __future__ import annotations

from ..runtime.timers import delay_ms

__all__ = ["delay_ms"]
