"""Every import of a project module is one import-linter sees (issue 34, item 6): no module is
imported by a name computed at run time except at the few places listed here, each of which
imports only modules below it, named in a table this test reads. What the runtime takes from
the compiler comes through declared entry points (runtime/plugins.py), never an import."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from statewright import compiler, runtime
from statewright.compiler.formats import FORMATS, LANGUAGES
from statewright.compiler.tools.cli.main import COMMANDS
from statewright.runtime import compiling
from testkit import ROOT

SOURCES = sorted(
    p
    for folder in ("compiler", "runtime")
    for p in (ROOT / folder).rglob("*.py")
    if "build" not in p.relative_to(ROOT).parts[1:2]
)

#: the only modules that import by a computed name, and what each imports
BY_NAME = {
    "compiler/pipeline.py": "the reader and emitter modules the formats tables name",
    "compiler/tools/cli/main.py": "its own command modules (COMMANDS), for a fast start",
    "runtime/worker.py": "the user's --hooks MODULE:ATTR (not a project module)",
    "runtime/lazy.py": "a package's public names (PEP 562), each also imported for checkers",
}

_DYNAMIC = re.compile(r"\b(import_module|__import__|find_spec|spec_from_file_location)\b")


def _dynamic_imports(path: Path) -> list[tuple[int, str]]:
    """Calls that import by a name: `importlib.import_module(...)`, `__import__(...)`, ..."""
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Call):
            called = ast.unparse(node.func)
            if _DYNAMIC.search(called):
                found.append((node.lineno, ast.unparse(node)))
    return found


def test_only_the_listed_modules_import_by_name() -> None:
    found = {
        str(path.relative_to(ROOT)): calls for path in SOURCES if (calls := _dynamic_imports(path))
    }
    allowed = {**BY_NAME, "compiler/read/smcat.py": "whether lark_cython is installed"}
    assert {name: calls for name, calls in found.items() if name not in allowed} == {}
    assert set(BY_NAME) <= set(found), "a listed module no longer imports by name: unlist it"


def test_no_project_module_is_imported_by_a_literal_name() -> None:
    """`import_module("statewright.compiler")` hides an edge import-linter must see."""
    literal = re.compile(r"""(import_module|__import__)\(\s*f?["']statewright""")
    found = [str(p.relative_to(ROOT)) for p in SOURCES if literal.search(p.read_text("utf-8"))]
    assert found == []


def test_the_tables_name_only_modules_below_the_pipeline() -> None:
    stage = re.compile(r"(read|emit)\.\w+|ir_document")
    modules = {f.module for f in FORMATS.values()} | {lang.module for lang in LANGUAGES.values()}
    assert {m for m in modules if not stage.fullmatch(m)} == set()
    for module in modules:  # each exists, with the function its rows name
        assert (ROOT / "compiler" / (module.replace(".", "/") + ".py")).is_file(), module
    missing = [m for m, _ in COMMANDS if not (ROOT / "compiler/tools/cli" / f"{m}.py").is_file()]
    assert missing == []


def test_lazy_public_names_are_imported_for_checkers_too() -> None:
    """A package's lazily loaded names (`_WHERE`) are imported under TYPE_CHECKING from the
    same modules, so the import graph has their edges."""
    for package in (compiler, runtime, compiling):
        assert package.__file__ is not None
        tree = ast.parse(Path(package.__file__).read_text("utf-8"))
        typed: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
                for statement in node.body:
                    if isinstance(statement, ast.ImportFrom):
                        dots = "." * statement.level
                        for alias in statement.names:
                            typed[alias.asname or alias.name] = f"{dots}{statement.module or ''}"
        where = package._WHERE  # type: ignore[attr-defined]
        assert {name: typed.get(name) for name in where} == dict(where), package.__name__


def test_the_runtime_reaches_the_compiler_only_through_entry_points() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text("utf-8")
    group = re.escape('[project.entry-points."statewright.compiler"]')
    declared = re.search(group + r"\n((?:\w+ = .+\n)+)", pyproject)
    assert declared is not None
    names = dict(re.findall(r"(\w+) = \"([\w.:]+)\"", declared.group(1)))
    assert names == {
        "svg": "statewright.compiler.pipeline:svg",
        "load": "statewright.compiler.pipeline:load",
    }
    from statewright.runtime.plugins import GROUP

    assert GROUP == "statewright.compiler"


#: what the compiler may import of the runtime (the rest is forbidden by a contract)
COMPILER_USES = {
    "statewright.runtime",
    "statewright.runtime.compiling",
    "statewright.runtime.lazy",
    "statewright.runtime.lowering",
    "statewright.runtime.store",
}


def test_the_compiler_contract_forbids_every_other_runtime_module() -> None:
    """A new runtime module is forbidden to the compiler until `runtime.compiling` names what
    the compiler needs of it: the contract's list is the runtime's modules but five."""
    modules = set()
    for path in (ROOT / "runtime").rglob("*.py"):
        parts = path.relative_to(ROOT / "runtime").with_suffix("").parts
        if parts[0] == "build":
            continue
        name = ".".join(("statewright", "runtime", *parts)).removesuffix(".__init__")
        modules.add(name)
    packages = {m for m in modules if (ROOT / "runtime" / "/".join(m.split(".")[2:])).is_dir()}
    expected = {
        m
        for m in modules - COMPILER_USES
        if not any(m.startswith(f"{p}.") for p in packages - COMPILER_USES)
    }
    text = (ROOT / "pyproject.toml").read_text("utf-8")
    contract = text[text.index('name = "The compiler uses of the runtime only') :]
    start = contract.index("forbidden_modules = [")
    listed = contract[start : contract.index("]", start)]
    assert set(re.findall(r'"([\w.]+)"', listed)) == expected


def _type_checking_imports(path: Path) -> tuple[set[str], set[str]]:
    """The relative modules a file imports under `if TYPE_CHECKING:`, and elsewhere."""
    tree = ast.parse(path.read_text("utf-8"))
    guarded: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom):
                    guarded.add(inner.module or "")
    everywhere = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    return guarded, everywhere - guarded


def test_the_cycle_contracts_exceptions_are_imports_for_the_type_checker_only() -> None:
    """The acyclic contract ignores the engine protocol's imports of its collaborators; each
    must stay under `if TYPE_CHECKING:`, else it would be a cycle at run time."""
    text = (ROOT / "pyproject.toml").read_text("utf-8")
    contract = text[text.index('name = "No import cycle, in any package"') :]
    start = contract.index("ignore_imports = [")
    ignored = re.findall(r'"([\w.]+) -> ([\w.]+)"', contract[start : contract.index("]", start)])
    assert ignored, "the contract lists its exceptions"
    for importer, imported in ignored:
        path = ROOT / "runtime" / f"{importer.rsplit('.', 1)[1]}.py"
        guarded, at_run_time = _type_checking_imports(path)
        module = imported.rsplit(".", 1)[1]
        assert module in guarded and module not in at_run_time, (importer, imported)
