"""Check: Chart -> [Diagnostic], every ill-formed construct, located and explained.

Stage 2 of the pipeline. One `check_<rule>` per rule, each collecting every finding (never
stopping at the first); `check` runs them all and sorts the findings by position. The codes,
their severities and summaries are the table in `codes.py`. Every rule runs in time linear in
the size of the chart (SC013 in size times depth). The rules are grouped by what they look at:
`structure` (the shape: initial states, pseudo-states, entries), `flow` (reachability,
nondeterminism), `declarations` (names and text) and `targets` (the rules of one output, run
only for it); `model` is what they share. It imports nothing from lark, a reader or an emitter.

A new rule: a `check_<rule>(model) -> Iterator[Diagnostic]` in the module of its group, its code
in `codes.py` (with docs/diagnostics.md, and a fixture and a near miss in
tests/compiler/check/fixtures/, which tests/compiler/check/test_check.py runs), and its name in
`RULES` below (or in `TARGET_RULES` when it is about one output).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

from ...runtime.compiling import gc_paused
from ..diagnostics import Diagnostic, Related, Severity
from ..ir import Chart
from . import data, declarations, flow, structure, targets
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
    flow.check_eventless_cycles,
    data.check_declared_names,
)

#: the rules of each output, run only when the chart is checked for it
TARGET_RULES: dict[str, tuple[Rule, ...]] = {
    "python": (targets.check_python_names,),
    "run": (),
    "scxml": (targets.check_portable_guards, targets.check_scxml_events),
    "xstate": (targets.check_done_events,),
}


#: the targets a chart runs on, or is exported to run on (and `check` without a target: a
#: chart may run): there a structural error is an error
RUNNABLE = ("python", "run", "scxml", "xstate", "ir")

#: the order findings are reported in: what changes the meaning first
_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def runs(target: str | None) -> bool:
    """Whether a chart checked for `target` runs (or is exported to run). Otherwise it is only
    drawn or written out (json, dot, svg, png, mermaid, smcat, yaml, ir), as state-machine-cat
    draws any chart it can read."""
    return target is None or target in RUNNABLE


def check(chart: Chart, *, target: str | None = None) -> list[Diagnostic]:
    """Every finding about `chart`, errors first, then by position.

    Args:
        chart: the chart to check.
        target: the output being produced; the rules tied to it (`TARGET_RULES`) run too.
            Where the chart only gets drawn or written out (`runs` is false), the findings
            that are errors where it runs are warnings, and guards the runtime cannot read
            (SC029: prose in a picture) are one warning for the chart.
    """
    with gc_paused():
        model = Model(chart)
        findings: list[Diagnostic] = []
        for rule in (*RULES, *TARGET_RULES.get(target or "", ())):
            findings.extend(rule(model))
        if not runs(target):
            findings = _drawn(findings)
    return sorted(findings, key=lambda d: (_RANK[d.severity], d.span.line, d.span.column, d.code))


def _warning(diagnostic: Diagnostic) -> Diagnostic:
    return replace(diagnostic, severity=Severity.WARNING)


def _drawn(findings: list[Diagnostic]) -> list[Diagnostic]:
    prose = [d for d in findings if d.code == "SC029"]
    kept = [_warning(d) if d.severity is Severity.ERROR else d for d in findings]
    kept = [d for d in kept if d.code != "SC029"]
    if len(prose) > 1:  # one finding for the chart, the others as its related places
        first = prose[0]
        kept.append(
            replace(
                first,
                severity=Severity.WARNING,
                message=f"{first.message} (and {len(prose) - 1} more guards): fine in a "
                "picture, but the chart cannot run as it is",
                related=tuple(
                    Related(d.span, "not in the guard language either") for d in prose[1:]
                ),
            )
        )
    elif prose:
        kept.append(_warning(prose[0]))
    return kept


__all__ = ["RULES", "RUNNABLE", "TARGET_RULES", "check", "runs"]
