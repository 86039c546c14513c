"""The pytest plugin of `statewright-runtime` (registered as the `statewright` plugin):

- `fake_clock`: a `FakeClock` at 0 (timed events fire when it is advanced and `tick()` runs);
- `machine_of`: `machine_of(chart, **options)` gives a started machine on `fake_clock` for a
  chart file (any kind, with the `statewright` compiler installed), an IR document (a dict
  or an `.ir.json` path), or a generated class.

With `statewright.runtime.testing`'s `assert_path`, `check_invariants` and `events`
(docs/python.md, "Testing").
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .timers import FakeClock


@pytest.fixture
def fake_clock() -> FakeClock:
    """A clock at 0 that moves only with `advance`."""
    return FakeClock()


@pytest.fixture
def machine_of(fake_clock: FakeClock) -> Callable[..., Any]:
    """A factory: `machine_of(chart, **options)` -> a started machine on `fake_clock`."""

    def make(chart: Any, **options: Any) -> Any:
        options.setdefault("clock", fake_clock)
        if isinstance(chart, type):
            return chart(**options)
        if isinstance(chart, dict) or str(chart).endswith(".ir.json"):
            from . import load

            return load(chart, **options).start()
        if isinstance(chart, str | Path):
            # the compiler reads chart files: the runtime takes its declared `load` (plugins.py)
            from .plugins import compiler_function

            load_file = compiler_function("load")
            if load_file is None:
                raise TypeError(
                    f"machine_of({chart!r}): reading a chart file needs the statewright "
                    "distribution (the compiler); give an IR document or a generated class"
                )
            return load_file(chart, **options)
        raise TypeError(f"machine_of takes a chart file, an IR document or a class, not {chart!r}")

    return make
