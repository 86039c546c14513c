"""The project file: which charts a build reads and which outputs it writes (docs/build.md).

A tool's configuration (`tools/build`), read by `statewright build` and `watch`. Bytes ->
`Project` (or `ProjectError` naming the file, line, column and key). Two forms with one meaning:

- `pyproject.toml`, table `[tool.statewright]` (TOML; read with the standard library's
  tomllib, positions recovered by a line scan, since tomllib keeps none);
- `statewright.yaml` (or `.yml`) for repositories without Python packaging, read with the same
  safe YAML reader as charts.

    charts = ["charts/*.smcat", "charts/*.yaml"]   # globs, relative to the file
    out = "build/charts"                           # default folder of every output
    strict = false                                 # warnings fail the build too

    [[tool.statewright.outputs]]
    format = "svg"                                  # any `-T` format
    theme = "dark"                                  # diagram options: direction, engine, theme
    out = "docs/img"                                # this output's folder
    charts = ["charts/door.smcat"]                  # only these charts
    filename = "{stem}{ext}"                        # the file name in `out`
"""

from __future__ import annotations

import difflib
import re
import string
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import SpannedError
from ...formats import DIAGRAM_OPTIONS, FORMATS
from ...ir import Span
from ...pipeline import chart_stem

# the safe YAML node reader of the YAML charts (a contract allows the tools this one module)
from ...read.yaml_nodes import BOOL, NULL, Mapping, Node, Scalar, Sequence, YamlError
from ...read.yaml_nodes import read as read_yaml_nodes

CONFIG_NAMES = ("statewright.yaml", "statewright.yml", "pyproject.toml")
_TOP_KEYS = ("charts", "exclude", "out", "strict", "outputs", "select", "ignore")
_OUTPUT_KEYS = ("format", "out", "charts", "filename", *DIAGRAM_OPTIONS)
DEFAULT_OUT = "build/statewright"
#: how deep a project file may nest (it needs four levels; its reader recurses)
MAX_NESTING = 32
DEFAULT_FILENAME = "{stem}{ext}"


class ProjectError(SpannedError):
    """The project file is wrong: where, and what to do."""

    def __str__(self) -> str:
        hint = f" ({self.hint})" if self.hint else ""
        return f"{self.span}: {self.message}{hint}"


@dataclass(frozen=True)
class Output:
    """One kind of generated file: a format with its options, for some or all charts."""

    format: str
    out: Path
    filename: str = DEFAULT_FILENAME
    charts: tuple[str, ...] | None = None
    options: tuple[tuple[str, str], ...] = ()
    span: Span = field(default=Span("<config>", 0, 0, 0, 0), compare=False)

    def path_for(self, chart: Path) -> Path:
        stem = chart_stem(chart.name)
        return self.out / self.filename.format(stem=stem, ext=FORMATS[self.format].extension)


@dataclass(frozen=True)
class Project:
    config: Path
    root: Path
    charts: tuple[str, ...]
    outputs: tuple[Output, ...]
    exclude: tuple[str, ...] = ()
    strict: bool = False
    #: `statewright check`: the codes (or prefixes of codes) to report; None: all
    select: tuple[str, ...] | None = None
    #: `statewright check`: the codes (or prefixes) not to report
    ignore: tuple[str, ...] = ()


def unknown_code(code: str) -> str | None:
    """Why `code` names no diagnostic code nor a prefix of one (None: it does)."""
    from ...codes import CODES

    wanted = code.upper()
    if wanted and any(known.startswith(wanted) for known in CODES):
        return None
    close = difflib.get_close_matches(wanted, list(CODES), n=1)
    hint = f" (did you mean `{close[0]}`?)" if close else ""
    return f"`{code}` is not a diagnostic code{hint}"


def find_config(start: Path) -> Path | None:
    """The nearest project file at or above `start`: a statewright.yaml, or a pyproject.toml
    with a `[tool.statewright]` table."""
    for folder in (start, *start.parents):
        for name in CONFIG_NAMES:
            candidate = folder / name
            if not candidate.is_file():
                continue
            if name != "pyproject.toml":
                return candidate
            try:
                document = tomllib.loads(candidate.read_text("utf-8"))
            except (OSError, ValueError, RecursionError):  # TOMLDecodeError is a ValueError
                return candidate  # reported when it is loaded
            if "statewright" in document.get("tool", {}):
                return candidate
    return None


def load_project(data: bytes, name: str, root: Path) -> Project:
    """Read a project file (`name` says which form) whose paths are relative to `root`."""
    if name.endswith(".toml"):
        table, locate = _toml_table(data, name)
    else:
        table, locate = _yaml_table(data, name)
    return _Validator(name, root, locate).project(table)


# -- the two forms ------------------------------------------------------------------------------

#: A key's place in the file: ("", key) at the top, ("outputs", index, key) in an output.
Where = tuple[object, ...]
Locate = Callable[[Where], Span]


def _toml_table(data: bytes, name: str) -> tuple[dict[str, object], Locate]:
    try:
        text = data.decode("utf-8")
        document = tomllib.loads(text)
    except UnicodeDecodeError:
        raise ProjectError("the file is not UTF-8 text", Span(name, 1, 1, 1, 2)) from None
    except RecursionError:
        raise ProjectError("the file nests values too deep", Span(name, 1, 1, 1, 2)) from None
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"\(at line (\d+), column (\d+)\)", str(error))
        line, column = (int(found[1]), int(found[2])) if found else (1, 1)
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(error))
        raise ProjectError(
            f"not valid TOML: {message}", Span(name, line, column, line, column + 1)
        ) from None
    except ValueError as error:  # not a TOML error: a number of more digits than Python reads
        raise ProjectError(
            f"not a usable TOML file: {str(error).split(';')[0]}", Span(name, 1, 1, 1, 2)
        ) from None
    tool = document.get("tool", {})
    table = tool.get("statewright") if isinstance(tool, dict) else None
    positions = _toml_positions(text)
    header = positions.get(("",), (1, 1))

    def locate(where: Where) -> Span:
        for length in range(len(where), 0, -1):
            found = positions.get(where[:length])
            if found is not None:
                return Span(name, found[0], found[1], found[0], found[1] + 1)
        found = positions.get(("", str(where[0]))) if where else None  # an inline table
        if found is not None:
            return Span(name, found[0], found[1], found[0], found[1] + 1)
        return Span(name, header[0], header[1], header[0], header[1] + 1)

    if not isinstance(table, dict):
        raise ProjectError(
            "the file has no [tool.statewright] table",
            Span(name, 1, 1, 1, 2),
            "add one (docs/build.md), or pass --config",
        )
    return table, locate


_TOML_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_TOML_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+|\"[^\"]*\")\s*=")


def _toml_positions(text: str) -> dict[Where, tuple[int, int]]:
    """Where each key of `[tool.statewright]` and its `[[...outputs]]` is, by a line scan."""
    positions: dict[Where, tuple[int, int]] = {}
    table: Where | None = None
    outputs = -1
    for number, line in enumerate(text.splitlines(), 1):
        header = _TOML_HEADER.match(line)
        if header:
            path = header[2].replace('"', "").replace(" ", "")
            if path == "tool.statewright":
                table = ()
                positions.setdefault(("",), (number, 1))
            elif path == "tool.statewright.outputs" and header[1] == "[[":
                outputs += 1
                table = ("outputs", outputs)
                positions[table] = (number, 1)
            else:
                table = None
            continue
        key = _TOML_KEY.match(line)
        if key and table is not None:
            column = line.index(key[1]) + 1
            positions[(*table, key[1].strip('"')) if table else ("", key[1].strip('"'))] = (
                number,
                column,
            )
    return positions


def _yaml_table(data: bytes, name: str) -> tuple[dict[str, object], Locate]:
    try:
        root = read_yaml_nodes(data, name)
    except YamlError as error:
        raise ProjectError(error.message, error.span, error.hint) from None
    if not isinstance(root, Mapping):
        raise ProjectError(
            "a project file is a mapping with `charts` and `outputs`",
            root.span if root is not None else Span(name, 1, 1, 1, 2),
            "see docs/build.md",
        )
    positions: dict[Where, Span] = {}

    def value(node: Node, where: Where) -> object:
        positions[where] = node.span
        if len(where) > MAX_NESTING:  # a project file is a few levels deep
            raise ProjectError(f"the file nests more than {MAX_NESTING} levels deep", node.span)
        if isinstance(node, Mapping):
            result: dict[str, object] = {}
            for key, item in node.pairs:
                positions[(*where, key.value)] = key.span
                result[key.value] = value(item, (*where, key.value))
            return result
        if isinstance(node, Sequence):
            return [value(item, (*where, index)) for index, item in enumerate(node.items)]
        assert isinstance(node, Scalar)
        if node.tag in (BOOL, NULL) or not node.plain:
            return node.as_python() if node.plain else node.value
        return node.value if node.tag.endswith(":str") else node.as_python()

    table = value(root, ())
    assert isinstance(table, dict)

    def locate(where: Where) -> Span:
        # YAML positions are kept per key: ("outputs", 1, "theme") is the key `theme` of the
        # second output; the top level's keys are under ("", key) as for TOML.
        path = where[1:] if where and where[0] == "" else where
        for length in range(len(path), 0, -1):
            if path[:length] in positions:
                return positions[path[:length]]
        return root.span

    return table, locate


# -- validation ---------------------------------------------------------------------------------


@dataclass
class _Validator:
    name: str
    root: Path
    locate: Locate

    def fail(self, message: str, where: Where, hint: str | None = None) -> ProjectError:
        return ProjectError(message, self.locate(where), hint)

    def project(self, table: dict[str, object]) -> Project:
        self.keys(table, _TOP_KEYS, ("",), "the project")
        charts = self.globs(table, "charts", ("",), required=True)
        assert charts is not None
        exclude = self.globs(table, "exclude", ("",)) or ()
        out = self.text(table, "out", ("",)) or DEFAULT_OUT
        strict = table.get("strict", False)
        if not isinstance(strict, bool):
            raise self.fail("`strict` must be true or false", ("", "strict"))
        raw = table.get("outputs")
        if not isinstance(raw, list) or not raw:
            raise self.fail(
                "the project needs `outputs`: a list of the files to generate",
                ("", "outputs"),
                'add [[tool.statewright.outputs]] with format = "svg" (or `outputs:` in YAML)',
            )
        outputs = tuple(self.output(item, index, out) for index, item in enumerate(raw))
        return Project(
            config=self.root / Path(self.name).name,
            root=self.root,
            charts=charts,
            outputs=outputs,
            exclude=exclude,
            strict=strict,
            select=self.codes(table, "select"),
            ignore=self.codes(table, "ignore") or (),
        )

    def codes(self, table: dict[str, object], key: str) -> tuple[str, ...] | None:
        """`select` or `ignore`: diagnostic codes, or their prefixes (`SC0`)."""
        value = table.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"`{key}` must be a list of diagnostic codes", ("", key))
        for code in value:
            problem = unknown_code(str(code))
            if problem is not None:
                raise self.fail(f"`{key}`: {problem}", ("", key), "docs/diagnostics.md lists them")
        return tuple(str(v).upper() for v in value)

    def output(self, item: object, index: int, default_out: str) -> Output:
        where: Where = ("outputs", index)
        if not isinstance(item, dict):
            raise self.fail(f"output {index + 1} must be a table of keys", where)
        self.keys(item, _OUTPUT_KEYS, where, "an output")
        format_ = self.text(item, "format", where)
        if format_ is None:
            raise self.fail(
                f"output {index + 1} needs `format`",
                where,
                f"one of {', '.join(sorted(FORMATS))}",
            )
        if format_ not in FORMATS:
            close = difflib.get_close_matches(format_, list(FORMATS), n=1)
            raise self.fail(
                f"`format` is `{format_}`, not one of {', '.join(sorted(FORMATS))}",
                (*where, "format"),
                f"did you mean `{close[0]}`?" if close else None,
            )
        options: list[tuple[str, str]] = []
        for option, allowed in DIAGRAM_OPTIONS.items():
            value = self.text(item, option, where)
            if value is None:
                continue
            if not FORMATS[format_].diagram:
                raise self.fail(
                    f"`{option}` applies to diagrams (dot, svg, png), not to {format_}",
                    (*where, option),
                    f"remove `{option}` from this output",
                )
            if value not in allowed:
                raise self.fail(
                    f"`{option}` is `{value}`, not one of {', '.join(allowed)}",
                    (*where, option),
                )
            options.append((option, value))
        filename = self.text(item, "filename", where) or DEFAULT_FILENAME
        try:
            fields = list(string.Formatter().parse(filename))
        except ValueError:
            fields = [("", "?", "", None)]  # an unbalanced brace
        if any(
            name is not None and (name not in ("stem", "ext") or spec or conversion)
            for _, name, spec, conversion in fields
        ):
            raise self.fail(
                f"`filename` is `{filename[:80]}`: it may use only {{stem}} and {{ext}}, "
                "without formats",
                (*where, "filename"),
            ) from None
        probe = filename.format(stem="x", ext=".y")
        if "/" in probe or "\\" in probe or "{stem}" not in filename:
            raise self.fail(
                "`filename` must be a file name holding {stem} (use `out` for the folder)",
                (*where, "filename"),
            )
        out = self.text(item, "out", where) or default_out
        return Output(
            format=format_,
            out=self.inside(out, (*where, "out")),
            filename=filename,
            charts=self.globs(item, "charts", where),
            options=tuple(options),
            span=self.locate(where),
        )

    def keys(
        self, table: dict[str, object], allowed: tuple[str, ...], where: Where, what: str
    ) -> None:
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                raise self.fail(
                    f"unknown key `{key}` in {what}",
                    (*where, key),
                    (
                        f"did you mean `{close[0]}`?"
                        if close
                        else f"the keys are {', '.join(f'`{k}`' for k in allowed)}"
                    ),
                )

    def text(self, table: dict[str, object], key: str, where: Where) -> str | None:
        value = table.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            raise self.fail(f"`{key}` must be a non-empty string", (*where, key))
        return value

    def globs(
        self, table: dict[str, object], key: str, where: Where, *, required: bool = False
    ) -> tuple[str, ...] | None:
        value = table.get(key)
        if value is None:
            if required:
                raise self.fail(
                    f"the project needs `{key}`: the charts to build, as glob patterns",
                    where,
                    'for example charts = ["charts/*.smcat"]',
                )
            return None
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(f"`{key}` must be a list of glob patterns", (*where, key))
        for pattern in value:
            assert isinstance(pattern, str)
            if Path(pattern).is_absolute() or ".." in Path(pattern).parts:
                raise self.fail(
                    f"`{key}` pattern `{pattern}` leaves the project folder",
                    (*where, key),
                    "patterns are relative to the project file and stay inside its folder",
                )
        return tuple(str(v) for v in value)

    def inside(self, folder: str, where: Where) -> Path:
        path = Path(folder)
        if path.is_absolute() or ".." in path.parts:
            raise self.fail(
                f"`out` is `{folder}`, outside the project folder",
                where,
                "outputs are written under the folder of the project file",
            )
        return self.root / path
