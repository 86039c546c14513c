"""Memory: pausing Python's cyclic garbage collector around work that builds many acyclic
objects (a chart's IR and the checker's indexes in the compiler, a log's records in a store).

Each allocation-triggered collection walks every object alive, so while a large structure is
built the collector's passes cost more than the work itself (a million-record log took 12 times
as long as a 100,000-record one). Nothing built under `gc_paused` forms cycles, so reference
counting frees it; the collector resumes afterwards.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic collector for the block (nested uses are fine)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
