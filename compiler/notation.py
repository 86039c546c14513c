"""smcat's notation rules, each beside its inverse: names, labels, activities, blank text.

Shared by every stage that reads or writes the smcat language's meaning: the smcat and YAML
readers (which split text as state-machine-cat does), the checker, and the emitters that write
smcat text or labels (which join it back so that it splits the same). No lark here: the rules
are data and regular expressions, and the grammar (grammars/smcat.lark) is only syntax.

- a state's kind from its name (`initial`, `^choice`, `]fork`, ... derived from substrings, as
  state-machine-cat does): `kind_from_name`;
- a transition label `event [guard] / action`, cut at smcat's lengths: `split_label`, and its
  inverse `compose_label`;
- a state's activities, one per line (`entry/ ...`, `exit/ ...`, free text):
  `split_activities`, and its inverse `activity_line`;
- a quoted string's value: `unquote`;
- JavaScript's notion of blank text, which smcat trims with: `JS_TRIM`, `js_trim`;
- the character sets smcat's AST admits for colours and classes, and the widest transition;
- chart text made safe to show on one line, every unprintable character written as an escape:
  `visible` (the diagnostics renderer and the emitters' escaping, `emit/escape.py`).
"""

from __future__ import annotations

import re

from .ir import Action, ActionKind, State, StateKind, Transition

#: The characters of JavaScript's `\\s` class, as a regex character-class body.
JS_SPACE_CLASS = "\t\n\x0b\x0c\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"

#: The same characters, for `str.strip`.
JS_TRIM = (
    "\t\n\x0b\x0c\r \xa0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000\ufeff"
)


def js_trim(text: str) -> str:
    """Trim as JavaScript's `String.prototype.trim` does."""
    return text.strip(JS_TRIM)


# -- names ----------------------------------------------------------------------------------------

# Name -> kind, first match wins (state-machine-cat derives types from substrings of names).
_KIND_BY_NAME: tuple[tuple[re.Pattern[str], StateKind], ...] = (
    (re.compile("initial"), StateKind.INITIAL),
    (re.compile("final"), StateKind.FINAL),
    (re.compile("parallel"), StateKind.PARALLEL),
    (
        re.compile("(deep[^\n\r\u2028\u2029]*history)|(history[^\n\r\u2028\u2029]*deep)"),
        StateKind.DEEP_HISTORY,
    ),
    (re.compile("history"), StateKind.HISTORY),
    (re.compile(r"^\^"), StateKind.CHOICE),
    (re.compile(r"^\]"), StateKind.FORKJOIN),
)

# Cheap pre-test: a name none of the patterns above can match is a regular state.
_MAY_BE_PSEUDO = re.compile(r"initial|final|parallel|history|^[\^\]]")


def kind_from_name(name: str) -> StateKind:
    """The kind state-machine-cat gives a state from its name alone."""
    if not _MAY_BE_PSEUDO.search(name):
        return StateKind.REGULAR
    for pattern, kind in _KIND_BY_NAME:
        if pattern.search(name):
            return kind
    return StateKind.REGULAR


def unquote(token: str) -> str:
    """The text of a quoted string: without the quotes, with `\\"` read as `"`."""
    return token[1:-1].replace('\\"', '"')


# -- labels ---------------------------------------------------------------------------------------

# A transition label: `event [guard] / action`, every part optional, cut at smcat's lengths.
_LABEL_PARTS = re.compile(
    r"(?P<event>[^\[/]{1,256})?(?P<cond>\[[^\]]{1,256}\])?[^/]{0,100}"
    r"(?P<action>/[^\n\r\u2028\u2029]{1,2048})?"
)


def split_label(label: str) -> tuple[str | None, str | None, str | None]:
    """Split a transition label into (event, guard, action), as state-machine-cat does."""
    match = _LABEL_PARTS.match(label)
    assert match is not None  # every part is optional: it always matches
    event, cond, action = match.group("event", "cond", "action")
    return (
        js_trim(event) if event else None,
        js_trim(cond[1:-1]) if cond else None,
        js_trim(action[1:]) if action else None,
    )


def compose_label(transition: Transition) -> str:
    """`event [guard] / action` from a transition's parts (for charts built without text):
    what `split_label` splits back into the same parts."""
    parts = []
    if transition.event:
        parts.append(transition.event)
    if transition.guard is not None:
        parts.append(f"[{transition.guard}]")
    if transition.action is not None:
        parts.append(f"/ {transition.action}")
    return " ".join(parts)


# -- activities -----------------------------------------------------------------------------------

# A line of activities: `entry/ body`, `exit/ body`, `activity/ body`, else free text.
_ACTIVITY_LINE = re.compile(
    rf"(?P<trigger>entry|activity|exit)[{JS_SPACE_CLASS}]{{0,100}}/[{JS_SPACE_CLASS}]{{0,100}}"
    r"(?P<body>[^\n$]{0,2048})(?:\n|\Z)"
)
_ACTIVITY_BREAK = re.compile(rf"\n[{JS_SPACE_CLASS}]*")
_TRIGGERS = ("entry", "exit", "activity")


def split_activities(text: str) -> tuple[Action, ...]:
    """Split a state's activity text into actions, one per line."""
    actions = []
    for raw in _ACTIVITY_BREAK.split(text):
        line = js_trim(raw)
        match = _ACTIVITY_LINE.match(line)
        if match:
            actions.append(Action(ActionKind(match.group("trigger")), match.group("body")))
        else:
            actions.append(Action(ActionKind.ACTIVITY, line))
    return tuple(actions)


def activity_line(action: Action) -> str:
    """One activity as a line of smcat text: what `split_activities` reads back as the same
    action."""
    if action.kind is ActionKind.ACTIVITY:
        # Free text that starts like a trigger would be read as one; `$` stops smcat from
        # reading a trigger, so such text stays as written.
        if action.body.startswith(_TRIGGERS) and "$" not in action.body:
            return f"activity/ {action.body}"
        return action.body
    return f"{action.kind.value}/ {action.body}".rstrip(JS_TRIM)


# -- attributes -----------------------------------------------------------------------------------

#: smcat's AST schema only admits these colours and classes, and widths up to MAX_WIDTH
COLOR_CHARS = re.compile(r"[a-zA-Z0-9#,.:; ]*")
CLASS_CHARS = re.compile(r"[a-zA-Z0-9_\- ]*")
MAX_WIDTH = 30


def pseudo_caption(state: State) -> str:
    """What a pseudo-state (a choice) is called in pictures: its label, or its name without
    smcat's `^` / `]` prefix."""
    if state.label:
        return state.label
    return state.name.lstrip("^]") or state.name


# -- showing chart text --------------------------------------------------------------------

_INVISIBLE = re.compile(r"[^\t -~]")  # fast path: printable ASCII and tab need no look


def escape_char(char: str) -> str:
    """One character as a Python-style escape: `\\x00`, `\\u2028`, `\\U0001f600`."""
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def visible(text: str, *, keep_tabs: bool = True) -> str:
    """`text` with every character that is not printable written as an escape (`\\x00`,
    `\\x1b`, `\\u2028`, `\\u202e`): inert on a terminal and on one line, and readable.
    Tabs stay unless `keep_tabs` is off."""
    if not _INVISIBLE.search(text) and (keep_tabs or "\t" not in text):
        return text
    return "".join(
        char if char.isprintable() or (keep_tabs and char == "\t") else escape_char(char)
        for char in text
    )
