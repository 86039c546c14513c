"""Public names of a package imported on first use (PEP 562), so that importing one module of
the package does not pay for all of them (`statewright.runtime`, `statewright.compiler`)."""

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
    value = getattr(importlib.import_module(module, package), name)
    namespace[name] = value
    return value
