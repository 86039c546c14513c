"""Public names of a package or module imported on first use (PEP 562), so that importing it
does not pay for all of them (`statewright.runtime`, `statewright.compiler`,
`statewright.runtime.compiling`)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any


def load(package: str, namespace: dict[str, Any], where: Mapping[str, str], name: str) -> Any:
    """The public `name` of `package` (a module-level `__getattr__`): imported from the module
    `where` names, then kept in the package's `namespace` so that it is looked up once."""
    module = where.get(name)
    if module is None:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    # relative names are relative to the package the namespace belongs to (itself, for a package)
    value = getattr(importlib.import_module(module, namespace.get("__package__") or package), name)
    namespace[name] = value
    return value
