"""What the compiler uses of the runtime, in one place: the named interface between the two
distributions (beside the public names of `statewright.runtime` and `statewright.runtime.store`,
and the lowering, `lowering.py`). The compiler imports nothing else of the runtime
(import-linter's contract in pyproject.toml), so what the runtime may change freely is
everything not named here.

- documents: `FORMAT`, `parse_document`, `validate`, `ChartError`, `validate_scxml`,
  `runnable_document`, `chart_hash`, `of_document` and the declared types `Field`, `TYPES`;
- guards: `parse_guard`, `guard_names`, `python_source`, `Tree`, `GuardSyntaxError`, and which
  datamodels evaluate their own conditions, `own_conditions`;
- the model the generated classes are built from: `build`, `tabulate`, `Tables`, `Arm`,
  `TABLES` (the tables' format), `entry_cycles`;
- events and timers: `reserved`, `refusal`, `delay_ms`, `SEND_ATTRIBUTES`;
- files and memory: `atomic_write`, `replacing`, `unlink_if_there`, `makedirs`, `gc_paused`;
- notebooks: `svg`, `figure`;
- the worker program and the store options its command shares with `instances`:
  `WORKER_DESCRIPTION`, `add_worker_arguments`, `run_worker`, `add_sink_arguments`, `sinks`,
  `add_hook_arguments`, `hooked_charts`, `OptionError`.

Names are imported on first use (PEP 562), as the package's are: the compiler's start-up pays
only for what a command runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import lazy

if TYPE_CHECKING:
    from .content import SEND_ATTRIBUTES as SEND_ATTRIBUTES
    from .content import validate_scxml as validate_scxml
    from .datamodel import own_conditions as own_conditions
    from .declared import TYPES as TYPES
    from .declared import Field as Field
    from .declared import of_document as of_document
    from .display import figure as figure
    from .display import svg as svg
    from .document import FORMAT as FORMAT
    from .document import ChartError as ChartError
    from .document import parse_document as parse_document
    from .document import validate as validate
    from .expr import GuardSyntaxError as GuardSyntaxError
    from .expr import Tree as Tree
    from .expr import guard_names as guard_names
    from .expr import parse_guard as parse_guard
    from .expr import python_source as python_source
    from .graphs import entry_cycles as entry_cycles
    from .memory import gc_paused as gc_paused
    from .model import build as build
    from .reserved import refusal as refusal
    from .reserved import reserved as reserved
    from .resolved import TABLES as TABLES
    from .runnable import chart_hash as chart_hash
    from .runnable import runnable_document as runnable_document
    from .store.disk import atomic_write as atomic_write
    from .store.disk import replacing as replacing
    from .store.fsio import makedirs as makedirs
    from .store.fsio import unlink_if_there as unlink_if_there
    from .tables import Arm as Arm
    from .tables import Tables as Tables
    from .tables import tabulate as tabulate
    from .timers import delay_ms as delay_ms
    from .worker import WORKER_DESCRIPTION as WORKER_DESCRIPTION
    from .worker import OptionError as OptionError
    from .worker import add_hook_arguments as add_hook_arguments
    from .worker import add_sink_arguments as add_sink_arguments
    from .worker import add_worker_arguments as add_worker_arguments
    from .worker import hooked_charts as hooked_charts
    from .worker import run_worker as run_worker
    from .worker import sinks as sinks

#: public name -> the module that defines it
_WHERE = {
    **dict.fromkeys(("SEND_ATTRIBUTES", "validate_scxml"), ".content"),
    "own_conditions": ".datamodel",
    **dict.fromkeys(("TYPES", "Field", "of_document"), ".declared"),
    **dict.fromkeys(("figure", "svg"), ".display"),
    **dict.fromkeys(("FORMAT", "ChartError", "parse_document", "validate"), ".document"),
    **dict.fromkeys(
        ("GuardSyntaxError", "Tree", "guard_names", "parse_guard", "python_source"), ".expr"
    ),
    "entry_cycles": ".graphs",
    "gc_paused": ".memory",
    "build": ".model",
    **dict.fromkeys(("refusal", "reserved"), ".reserved"),
    "TABLES": ".resolved",
    **dict.fromkeys(("chart_hash", "runnable_document"), ".runnable"),
    **dict.fromkeys(("atomic_write", "replacing"), ".store.disk"),
    **dict.fromkeys(("makedirs", "unlink_if_there"), ".store.fsio"),
    **dict.fromkeys(("Arm", "Tables", "tabulate"), ".tables"),
    "delay_ms": ".timers",
    **dict.fromkeys(
        (
            "WORKER_DESCRIPTION",
            "OptionError",
            "add_hook_arguments",
            "add_sink_arguments",
            "add_worker_arguments",
            "hooked_charts",
            "run_worker",
            "sinks",
        ),
        ".worker",
    ),
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    return lazy.load(__name__, globals(), _WHERE, name)


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})
