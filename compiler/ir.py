"""The statewright IR: a typed, immutable statechart with source spans.

Shared by every stage: the readers build it, passes rewrite it with `dataclasses.replace`, the
checker and the emitters read it. It imports nothing from lark, lxml, jinja2 or graphviz; of the
runtime, only the lowering that `Chart.outline` feeds.

One namespace holds every state of a chart (as in state-machine-cat): a transition names its
source and target by name, wherever in the hierarchy they are declared. Queries that look a
state up by name (`state`, `parent_of`, `children_of`, ...) take the first declaration in
document order when a malformed chart declares a name twice; the checker reports that.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..runtime.compiling import Field as Field  # a declared field, as the runtime checks it
from ..runtime.lowering import Arrow, Outline, invoke_name

#: Every reader refuses composite states nested deeper than this (smcat P004, YAML, SCXML):
#: later stages walk the hierarchy recursively, and no hand-written chart comes near it.
MAX_NESTING = 100


class StateKind(enum.Enum):
    """What a state is. The values are state-machine-cat's `type` strings."""

    REGULAR = "regular"
    INITIAL = "initial"
    FINAL = "final"
    TERMINATE = "terminate"
    PARALLEL = "parallel"
    HISTORY = "history"
    DEEP_HISTORY = "deephistory"
    CHOICE = "choice"
    FORKJOIN = "forkjoin"
    FORK = "fork"
    JOIN = "join"
    JUNCTION = "junction"

    @property
    def is_pseudo(self) -> bool:
        """True for the kinds a configuration never rests in."""
        return self not in (
            StateKind.REGULAR,
            StateKind.FINAL,
            StateKind.PARALLEL,
            StateKind.TERMINATE,
        )


class ActionKind(enum.Enum):
    """When a state activity runs."""

    ENTRY = "entry"
    EXIT = "exit"
    ACTIVITY = "activity"


class TransitionKind(enum.Enum):
    """SCXML's transition type, as written with `[type=...]`."""

    EXTERNAL = "external"
    INTERNAL = "internal"


@dataclass(frozen=True, slots=True)
class Span:
    """A region of a source file. Lines and columns are 1-based; the end is exclusive."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


NO_SPAN = Span("<none>", 0, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class Action:
    """One line of a state's activities: `entry/ body`, `exit/ body` or free text."""

    kind: ActionKind
    body: str
    #: SCXML executable content this action runs instead of a hook: JSON text of a block
    #: (runtime.content), or None
    content: str | None = None


@dataclass(frozen=True, slots=True)
class State:
    """A state, pseudo-state or composite state.

    `region` holds the children of a composite state (for a parallel state, its regions).
    `declared` is False for states that only appear in transitions; `kind_explicit` records an
    explicit `[type=...]`.
    """

    name: str
    kind: StateKind = StateKind.REGULAR
    kind_explicit: bool = False
    declared: bool = True
    label: str | None = None
    color: str | None = None
    css_class: str | None = None
    active: bool = False
    actions: tuple[Action, ...] = ()
    notes: tuple[str, ...] = ()
    region: Region | None = None
    span: Span = field(default=NO_SPAN, compare=False)
    #: SCXML: the state's `<data>` and a final state's `<donedata>`, as JSON text (docs/ir.md)
    data: str | None = None
    donedata: str | None = None
    #: SCXML: the state's `<invoke>`s, as JSON text (each with its child document)
    invoke: str | None = None

    @property
    def is_composite(self) -> bool:
        return self.region is not None


@dataclass(frozen=True, slots=True)
class Transition:
    """A transition `source => target: event [guard] / action`.

    `label` is the label as written; `event`, `guard` and `action` are its parts (each None
    when absent). `id` is unique in the chart and follows document order.
    """

    id: int
    source: str
    target: str
    label: str | None = None
    event: str | None = None
    guard: str | None = None
    action: str | None = None
    kind: TransitionKind | None = None
    color: str | None = None
    css_class: str | None = None
    width: float | None = None
    notes: tuple[str, ...] = ()
    span: Span = field(default=NO_SPAN, compare=False)
    #: SCXML executable content run instead of the action's hook: JSON text of a block
    content: str | None = None
    source_span: Span = field(default=NO_SPAN, compare=False)
    target_span: Span = field(default=NO_SPAN, compare=False)


@dataclass(frozen=True, slots=True)
class Variable:
    """A declared context name (`//@ context jammed: int = 0`): its type (one of
    `runtime.declared.TYPES`) and its default as JSON text."""

    name: str
    type: str
    default: str
    span: Span = field(default=Span("<input>", 0, 0, 0, 0), compare=False)


@dataclass(frozen=True, slots=True)
class Signature:
    """The declared fields of an event (`//@ event unlock(code: int)`)."""

    event: str
    fields: tuple[Field, ...] = ()
    span: Span = field(default=Span("<input>", 0, 0, 0, 0), compare=False)


@dataclass(frozen=True, slots=True)
class Comment:
    """A `// ...` or `/* ... */` comment of smcat text, kept so that `fmt` writes it again.

    `trailing` is True when code comes before it on its line (`a, // the first state`).
    Comments are not part of the chart's meaning: charts compare equal without them.
    """

    text: str
    span: Span
    trailing: bool = False


@dataclass(frozen=True, slots=True)
class Region:
    """The inside of a composite state, or the chart itself: states, then transitions."""

    states: tuple[State, ...] = ()
    transitions: tuple[Transition, ...] = ()

    def default_child(self) -> State | None:
        """The state this machine starts in when it has no initial state: its first child
        that is not a pseudo-state, in document order (SCXML's rule)."""
        return next((s for s in self.states if not s.kind.is_pseudo), None)


@dataclass(frozen=True, slots=True)
class _Index:
    states: dict[str, State]
    parents: dict[str, str | None]
    children: dict[str | None, tuple[State, ...]]
    outgoing: dict[str, tuple[Transition, ...]]
    incoming: dict[str, tuple[Transition, ...]]
    preorder: tuple[State, ...]
    transitions: tuple[Transition, ...]


@dataclass(frozen=True, slots=True)
class Chart:
    """A whole statechart: its top-level region and where it came from.

    `shadowed` keeps declarations that a later declaration of the same name in the same list
    replaced (state-machine-cat keeps the last one); the checker reports them. `comments` are
    the source's comments, in order (for the formatter).
    """

    region: Region
    file: str = "<input>"
    shadowed: tuple[State, ...] = field(default=(), compare=False)
    comments: tuple[Comment, ...] = field(default=(), compare=False)
    #: SCXML: the document's datamodel (language, binding, name, `<data>`, scripts) as JSON
    #: text, or None for statewright's guards over the context (docs/ir.md)
    datamodel: str | None = None
    #: the declared context and event fields (runtime.declared; docs/language.md)
    context: tuple[Variable, ...] = ()
    signatures: tuple[Signature, ...] = ()
    _index: _Index | None = field(default=None, init=False, repr=False, compare=False)

    # -- traversal ---------------------------------------------------------------------------

    def _idx(self) -> _Index:
        if self._index is None:
            object.__setattr__(self, "_index", _build_index(self.region))
        assert self._index is not None
        return self._index

    def _repr_svg_(self) -> str | None:
        """Jupyter: the chart's diagram (`runtime.display.svg`, which takes the drawing function
        the compiler declares: the IR does not import the emitters); None without Graphviz."""
        from ..runtime.compiling import svg

        return svg(self)

    def _repr_html_(self) -> str | None:
        """Jupyter: the diagram captioned with the file and its size (runtime.display)."""
        from ..runtime.compiling import figure

        states, transitions = len(self.states()), len(self.transitions())
        return figure(self._repr_svg_(), f"{self.file}: {states} states, {transitions} transitions")

    def states(self) -> tuple[State, ...]:
        """Every state, in document (pre-)order."""
        return self._idx().preorder

    def transitions(self) -> tuple[Transition, ...]:
        """Every transition, ordered by id."""
        return self._idx().transitions

    def walk(self) -> Iterator[tuple[State, str | None]]:
        """Yield (state, parent name) pairs in document order."""
        idx = self._idx()
        for state in idx.preorder:
            yield state, idx.parents[state.name]

    def outline(self) -> Outline:
        """The chart as `runtime.lowering` reads it: the one lowering of forks, joins and
        choices that the interpreter, the checker and the SCXML and XState exports share."""
        return Outline.build(
            ((state.name, state.kind.value, parent) for state, parent in self.walk()),
            (
                Arrow(t.id, t.source, t.target, t.action, t.event, t.guard)
                for t in self.transitions()
            ),
        )

    # -- queries -----------------------------------------------------------------------------

    def state(self, name: str) -> State:
        """The state called `name`; KeyError when there is none."""
        return self._idx().states[name]

    def has_state(self, name: str) -> bool:
        return name in self._idx().states

    def parent_of(self, name: str) -> str | None:
        """The name of the composite state that holds `name`; None at the top level."""
        return self._idx().parents[name]

    def children_of(self, name: str | None) -> tuple[State, ...]:
        """The direct children of `name` (None: the top-level states)."""
        return self._idx().children.get(name, ())

    def ancestors_of(self, name: str) -> tuple[str, ...]:
        """The names of the states enclosing `name`, nearest first."""
        parents = self._idx().parents
        result: list[str] = []
        parent = parents[name]
        while parent is not None:
            result.append(parent)
            parent = parents[parent]
        return tuple(result)

    def transitions_from(self, name: str) -> tuple[Transition, ...]:
        return self._idx().outgoing.get(name, ())

    def transitions_to(self, name: str) -> tuple[Transition, ...]:
        return self._idx().incoming.get(name, ())

    def lca(self, first: str, second: str) -> str | None:
        """The innermost composite state that encloses both states (None: the chart)."""
        enclosing = set(self.ancestors_of(first))
        for ancestor in self.ancestors_of(second):
            if ancestor in enclosing:
                return ancestor
        return None

    def done_owner(self, transition: Transition) -> str | None:
        """For a transition taken on a done event: the state that finishes, when the
        transition is that state's own or an enclosing state's (`done.state.X`), or when its
        source invokes the machine (`done.invoke.NAME`, an `invoke/ NAME` activity); None for
        any other transition (XState can raise only these, as `onDone`)."""
        event, source = transition.event or "", transition.source
        if event.startswith("done.state."):
            done = event.removeprefix("done.state.")
            if self.has_state(done) and (done == source or source in self.ancestors_of(done)):
                return done
        elif event.startswith("done.invoke.") and self.has_state(source):
            invoked = event.removeprefix("done.invoke.")
            if any(invoke_name(a.body) == invoked for a in self.state(source).actions):
                return source
        return None

    @property
    def datamodel_language(self) -> str | None:
        """The language of an imported SCXML document's datamodel (None: statewright's
        guards over the context)."""
        if self.datamodel is None:
            return None
        language = json.loads(self.datamodel).get("language")
        return language if isinstance(language, str) else None

    def depth_of(self, name: str) -> int:
        """0 for a top-level state, 1 for its children, and so on."""
        return len(self.ancestors_of(name))


def _build_index(root: Region) -> _Index:
    states: dict[str, State] = {}
    parents: dict[str, str | None] = {}
    children: dict[str | None, tuple[State, ...]] = {None: root.states}
    outgoing: dict[str, list[Transition]] = {}
    incoming: dict[str, list[Transition]] = {}
    preorder: list[State] = []
    transitions: list[Transition] = list(root.transitions)
    # An explicit stack instead of recursion: charts may nest deeply. Pre-order: a state, then
    # everything inside it, then its next sibling.
    stack: list[tuple[State, str | None]] = [(s, None) for s in reversed(root.states)]
    while stack:
        state, parent = stack.pop()
        preorder.append(state)
        if state.name not in states:
            states[state.name] = state
            parents[state.name] = parent
        if state.region is not None:
            children.setdefault(state.name, state.region.states)
            transitions.extend(state.region.transitions)
            stack.extend((child, state.name) for child in reversed(state.region.states))
    transitions.sort(key=lambda t: t.id)
    for transition in transitions:
        outgoing.setdefault(transition.source, []).append(transition)
        incoming.setdefault(transition.target, []).append(transition)
    return _Index(
        states=states,
        parents=parents,
        children=children,
        outgoing={k: tuple(v) for k, v in outgoing.items()},
        incoming={k: tuple(v) for k, v in incoming.items()},
        preorder=tuple(preorder),
        transitions=tuple(transitions),
    )
