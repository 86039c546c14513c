"""The shape of a generated module: only the statements the template writes, nothing else.

`skeletons(source)` turns each statement of a generated module (at module level and in its
classes) into a skeleton: its syntax tree with what the chart decides blanked out (string and
number constants, the names the emitter makes from chart text, whole literal tables, the
expression of a compiled guard, which `escape.python_guard` checks node by node instead). A
hostile chart must give only skeletons that generated modules of ordinary charts give: a
statement the chart smuggled in (a call, an import, an assignment) has a skeleton of its own.
"""

from __future__ import annotations

import ast
import copy

from statewright.compiler.emit.escape import python_guard

#: names in generated code that come from the template, not from the chart
TEMPLATE_NAMES = frozenset(
    {
        "self",
        "data",
        "m",
        "step",
        "calls",
        "target",
        "c",
        "call",
        "error",
        "bool",
        "Any",
        "Mapping",
        "ClassVar",
        "BUSY",
        "CompiledMachine",
        "hook",
        "enum",
        "NotImplementedError",
        "BaseException",
        "Exception",
        "str",
        "int",
        "tuple",
        "annotations",
        "True",
        "None",
    }
)
RUNTIME_IMPORTS = frozenset({"BUSY", "CompiledMachine", "Outcome", "hook"})


class _Blank(ast.NodeTransformer):
    """Blanks what the chart decides, keeping the structure the template decides."""

    def visit_Constant(self, node: ast.Constant) -> ast.AST:  # noqa: N802
        return ast.Constant(value="<constant>")

    def visit_Name(self, node: ast.Name) -> ast.AST:  # noqa: N802
        if isinstance(node.ctx, ast.Store) or node.id.startswith("_guard_"):
            return ast.Name(id="<name>", ctx=node.ctx)
        # a loaded name must be one the template uses (or the generated class itself)
        name = node.id if node.id in TEMPLATE_NAMES else "<class>"
        return ast.Name(id=name, ctx=node.ctx)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:  # noqa: N802
        self.generic_visit(node)
        node.name = "<name>"
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:  # noqa: N802
        self.generic_visit(node)
        node.name = "<name>"
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:  # noqa: N802
        self.generic_visit(node)
        if node.attr.startswith("guard_"):
            node.attr = "guard_<name>"
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:  # noqa: N802
        # class-level tables (CHART, ROWS, ...) must be plain literals: no call hides in them
        if node.value is not None:
            ast.literal_eval(node.value)
            node.value = ast.Constant(value="<literal>")
        return node


def _guard_function(node: ast.FunctionDef) -> ast.FunctionDef:
    """A compiled guard with its expression checked and blanked."""
    (attempt,) = node.body
    assert isinstance(attempt, ast.Try), ast.dump(node)
    returned = attempt.body[0]
    assert isinstance(returned, ast.Return) and isinstance(returned.value, ast.Call)
    (expression,) = returned.value.args
    python_guard(ast.unparse(expression))  # only what the guard language compiles to
    returned.value.args = [ast.Constant(value="<guard>")]
    return node


def _statement(node: ast.stmt) -> str:
    node = copy.deepcopy(node)
    if isinstance(node, ast.FunctionDef) and node.name.startswith("_guard_"):
        node = _guard_function(node)
    if isinstance(node, ast.ImportFrom) and node.module == "statewright.runtime.compiled":
        assert {alias.name for alias in node.names} <= RUNTIME_IMPORTS, ast.dump(node)
        return "from statewright.runtime.compiled import ..."
    if isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == ["GUARDS"]:
        assert isinstance(node.value, ast.Tuple)
        assert all(
            isinstance(e, ast.Name) and e.id.startswith("_guard_") for e in node.value.elts
        ), ast.dump(node)
        return "GUARDS = (...)"
    return ast.dump(_Blank().visit(node))


def skeletons(source: str) -> list[str]:
    """The skeleton of every statement at module level and in the module's classes (methods
    whole, with their bodies)."""
    tree = ast.parse(source)
    found: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            head = copy.deepcopy(node)
            head.body = []
            found.append("class " + _statement(head))
            found.extend(_statement(member) for member in node.body)
        else:
            found.append(_statement(node))
    return found
