"""The table of diagnostic codes: data, documented one by one in docs/diagnostics.md.

Shared by parse, check and the reports. A test walks this table: every code has a section in the
docs, a fixture that triggers it and a near miss that does not.
"""

from __future__ import annotations

from dataclasses import dataclass

from .diagnostics import Severity


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    name: str
    severity: Severity
    summary: str
    #: only reported when compiling to this target (None: always)
    target: str | None = None


_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO

CODES: dict[str, Code] = {
    c.code: c
    for c in (
        Code("P001", "not-utf8", _E, "The file is not UTF-8 text."),
        Code("P002", "unexpected-token", _E, "The text does not fit the grammar here."),
        Code("P003", "unexpected-end", _E, "The file ends inside a statement."),
        Code("P004", "nesting-too-deep", _E, "Composite states nest more than 100 levels."),
        Code("P005", "transition-color", _E, "A transition colour smcat does not accept."),
        Code("P006", "transition-width", _E, "A transition width above 30."),
        Code("P007", "declaration-after-transition", _E, "A state declared after a transition."),
        Code("P008", "second-declaration-list", _E, "A second list of state declarations."),
        Code("P009", "dangling-note", _E, "A note with no statement after it."),
        Code("P010", "bad-declaration", _E, "A `//@` declaration that does not read."),
        Code("SC001", "no-initial", _I, "A region entered by default has no initial state."),
        Code("SC002", "empty-region", _E, "A composite state entered by default is empty."),
        Code("SC003", "several-initials", _E, "A region has more than one initial state."),
        Code("SC004", "initial-transitions", _E, "An initial state needs one transition out."),
        Code("SC005", "initial-trigger", _E, "An initial transition has an event or a guard."),
        Code("SC006", "choice-without-else", _E, "Every branch of a choice is guarded."),
        Code("SC007", "choice-branch-event", _E, "A choice or junction branch has an event."),
        Code("SC008", "pointless-choice", _W, "A choice with a single unguarded branch."),
        Code("SC009", "unreachable", _W, "A state no path from the start reaches."),
        Code("SC010", "leaves-final", _E, "A transition leaves a final or terminate state."),
        Code("SC011", "dead-end", _W, "A state with no way out that is not final."),
        Code("SC012", "nondeterminism", _E, "Two transitions with the same trigger and guard."),
        Code("SC013", "inner-wins", _I, "A state and its ancestor handle the same event."),
        Code("SC014", "history-at-root", _E, "A history state outside any composite state."),
        Code("SC015", "several-histories", _E, "Two history states of one kind in a region."),
        Code("SC016", "history-default-leaves", _E, "A history default leaves its composite."),
        Code("SC017", "fork-join-regions", _E, "Fork or join ends not in distinct regions."),
        Code("SC018", "duplicate-state", _E, "A state name declared more than once."),
        Code("SC019", "conflicting-types", _E, "A state declared with different types."),
        Code("SC020", "undeclared-state", _I, "A state named only in transitions."),
        Code("SC021", "missing-semicolon", _E, "Text spans lines and holds an arrow."),
        Code("SC022", "unbalanced-quote", _W, "An event name with an unbalanced quote."),
        Code("SC023", "kind-from-name", _W, "A name that makes a state a pseudo-state."),
        Code("SC024", "python-name-clash", _I, "Names that share a Python identifier.", "python"),
        Code("SC025", "python-keyword", _I, "A name that is a Python keyword.", "python"),
        Code("SC026", "non-portable-guard", _W, "A guard outside the portable subset.", "scxml"),
        Code("SC027", "event-renamed", _W, "An event SCXML would split or reject.", "scxml"),
        Code("SC028", "hook-name-clash", _I, "Actions or guards that clash as methods.", "python"),
        Code("SC029", "guard-syntax", _E, "A guard the runtime cannot read.", "run"),
        Code("SC030", "invisible-character", _W, "Chart text holding a control character."),
        Code("SC031", "entry-cycle", _E, "A default entry that leads back to its own state."),
        Code("SC032", "initial-leaves", _E, "An initial transition that leaves its composite."),
        Code("SC033", "join-leg-trigger", _W, "A transition into a join has an event or guard."),
        Code("SC034", "done-event-xstate", _W, "A done event XState cannot raise.", "xstate"),
        Code("SC035", "unclosed-guard", _W, "A label with a `[` that no `]` closes."),
        Code("SC036", "misspelt-state", _E, "An undeclared state named like a declared one."),
        Code("SC037", "eventless-cycle", _E, "Eventless transitions that repeat forever."),
        Code("SC038", "undeclared-name", _E, "A guard reads a name the chart does not declare."),
        Code("SC039", "type-mismatch", _E, "A guard compares a declared name with another type."),
        Code("I001", "unreadable-scxml", _E, "An SCXML file that is not well-formed SCXML."),
        Code("I002", "scxml-doctype", _E, "An SCXML file with a DOCTYPE (DTDs are refused)."),
        Code("I003", "not-imported", _W, "An SCXML construct the IR has no place for."),
        Code("I004", "bad-scxml-reference", _E, "A duplicate id or a target naming no state."),
        Code("I005", "non-portable-condition", _W, "An imported condition outside the subset."),
        Code("R001", "bad-ir-document", _E, "An IR file that is not a statewright-ir/1 chart."),
        Code("Y001", "unreadable-yaml", _E, "A YAML chart that cannot be read safely."),
        Code("Y002", "yaml-shape", _E, "A YAML chart with a key or value out of place."),
        Code("Y003", "not-smcat", _E, "YAML text the smcat language would read differently."),
    )
}
