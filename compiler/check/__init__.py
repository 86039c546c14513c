"""Check: Chart -> [Diagnostic], every ill-formed construct, located and explained.

Stage 2 of the pipeline. One `check_<rule>` per rule, each collecting every finding (never
stopping at the first); `check` runs them all and sorts the findings by position. The codes,
their severities and summaries are the table in `codes.py`. Every rule runs in time linear in
the size of the chart (SC013 in size times depth). The rules are grouped by what they look at:
`structure` (the shape: initial states, pseudo-states, entries), `flow` (reachability,
nondeterminism), `declarations` (names and text) and `targets` (the rules of one output, run
only for it); `model` is what they share. It imports nothing from lark, a reader or an emitter.

A new rule: a `check_<rule>(model) -> Iterator[Diagnostic]` in the module of its group, its code
in `codes.py` (with docs/diagnostics.md and a fixture in tests/diag), and its name in `RULES`
below (or in `TARGET_RULES` when it is about one output).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

from ...runtime.memory import gc_paused
from ..diagnostics import Diagnostic, Severity
from ..ir import Chart
from . import declarations, flow, structure, targets
from .model import Model

Rule = Callable[[Model], Iterator[Diagnostic]]

#: every rule that runs on every chart, in the order they run
RULES: tuple[Rule, ...] = (
    structure.check_initial_states,
    structure.check_initial_transitions,
    structure.check_choices,
    structure.check_leaving_finals,
    structure.check_dead_ends,
    flow.check_unreachable,
    flow.check_nondeterminism,
    structure.check_history,
    structure.check_fork_join,
    declarations.check_declarations,
    declarations.check_undeclared,
    declarations.check_text,
    structure.check_entry,
    declarations.check_invisible,
    declarations.check_guard_language,
    declarations.check_unclosed_guards,
)

#: the rules of each output, run only when the chart is checked for it
TARGET_RULES: dict[str, tuple[Rule, ...]] = {
    "python": (targets.check_python_names,),
    "run": (),
    "scxml": (targets.check_portable_guards, targets.check_scxml_events),
    "xstate": (targets.check_done_events,),
}


#: the targets a chart runs on: a guard the runtime cannot read is an error there (SC029)
RUNNABLE = ("python", "run")


def _warning(diagnostic: Diagnostic) -> Diagnostic:
    return replace(diagnostic, severity=Severity.WARNING)


def check(chart: Chart, *, target: str | None = None) -> list[Diagnostic]:
    """Every finding about `chart`, ordered by position.

    Args:
        chart: the chart to check.
        target: the output being produced; the rules tied to it (`TARGET_RULES`) run too.
    """
    with gc_paused():
        model = Model(chart)
        findings: list[Diagnostic] = []
        for rule in (*RULES, *TARGET_RULES.get(target or "", ())):
            findings.extend(rule(model))
        if target not in RUNNABLE:  # a guard nothing runs is a warning (a drawing's prose)
            findings = [_warning(d) if d.code == "SC029" else d for d in findings]
    return sorted(findings, key=lambda d: (d.span.line, d.span.column, d.code))


__all__ = ["RULES", "TARGET_RULES", "check"]
