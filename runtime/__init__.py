"""statewright.runtime: runs statecharts and keeps their instances.

This package stays small: it imports nothing from the compiler, lark, jinja2, graphviz, lxml or
black, so generated classes and deployed IR documents run with it alone. The interpreter and the
stores arrive with their issues; for now it holds the exception root every runtime error derives
from.
"""

from __future__ import annotations


class StatewrightError(Exception):
    """Root of every exception the runtime raises."""


__all__ = ["StatewrightError"]
