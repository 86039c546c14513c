"""What the runtime takes from the compiler, when the `statewright` distribution is installed:
the functions that distribution declares under the entry-point group `statewright.compiler`
(its pyproject.toml), never an import (the runtime must run without the compiler).

- `svg`: a chart or a `statewright-ir/1` document, and the active states -> SVG text or None
  (notebooks: `display.py`);
- `load`: a chart file -> a started machine (the pytest plugin's `machine_of`).

`compiler_function(name)` is the declared function, or None when the compiler (or that entry)
is not installed or cannot be imported; each caller says what that means for it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

#: the entry-point group the compiler's distribution declares its functions in
GROUP = "statewright.compiler"


@functools.cache
def compiler_function(name: str) -> Callable[..., Any] | None:
    """The compiler's function `name` of `GROUP`, or None without it."""
    import logging
    from importlib import metadata  # on first use: reading the metadata costs ~20 ms

    for entry in metadata.entry_points(group=GROUP, name=name):
        try:
            found = entry.load()
        except (ImportError, AttributeError) as error:  # declared, but it cannot be loaded
            logging.getLogger("statewright.runtime").warning(
                "the compiler's %r (%s) cannot be loaded: %s", name, entry.value, error
            )
            return None
        return found if callable(found) else None
    return None
