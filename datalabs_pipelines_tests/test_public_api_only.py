"""The product uses only the public API of its dependencies (issue 16.1).

An AST scan of every module of the code location, without the tools (``bench``, ``generator``,
``evaluation``) and without the one module named for a workaround. It fails on: importing a
``_``-prefixed module or name of a dependency; reading a ``_``-prefixed attribute of anything
but ``self``/``cls``; assigning to an attribute of an imported dependency (monkeypatching),
``setattr`` included; and defining a ``_``-prefixed method in a subclass of a dependency's
class (overriding a private hook).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import datalabs_pipelines

PACKAGE = Path(datalabs_pipelines.__file__).parent
TOOLS = ("bench", "generator", "evaluation")
# The one workaround, pinned and tested against upstream (see its docstring).
WORKAROUNDS = ("quality/ge_duckdb_workaround.py",)


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def product_modules() -> list[Path]:
    return sorted(
        path
        for path in PACKAGE.rglob("*.py")
        if path.relative_to(PACKAGE).parts[0] not in TOOLS
        and path.relative_to(PACKAGE).as_posix() not in WORKAROUNDS
    )


def _is_dependency(module: str | None, level: int) -> bool:
    return level == 0 and bool(module) and module.split(".")[0] != "datalabs_pipelines"


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def violations(source: str) -> list[str]:
    """What in ``source`` uses a dependency's private API, as ``line: what``."""
    tree = ast.parse(source)
    imported: set[str] = set()  # local names bound to a dependency's module or object
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _is_dependency(alias.name, 0):
                    imported.add((alias.asname or alias.name).split(".")[0])
                    if any(_private(part) for part in alias.name.split(".")):
                        found.append(f"{node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and _is_dependency(node.module, node.level):
            if any(_private(part) for part in node.module.split(".")):
                found.append(f"{node.lineno}: from {node.module} import")
            for alias in node.names:
                imported.add(alias.asname or alias.name)
                if _private(alias.name):
                    found.append(f"{node.lineno}: from {node.module} import {alias.name}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                found.append(f"{node.lineno}: reads .{node.attr}")
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and _root_name(target) in imported:
                    found.append(f"{node.lineno}: assigns {ast.unparse(target)}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "setattr"
            and node.args
            and _root_name(node.args[0]) in imported
        ):
            found.append(f"{node.lineno}: setattr on {ast.unparse(node.args[0])}")
        elif isinstance(node, ast.ClassDef) and any(
            _root_name(base) in imported for base in node.bases
        ):
            found += [
                f"{item.lineno}: overrides {node.name}.{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef) and _private(item.name)
            ]
    return found


@pytest.mark.parametrize(
    "source, expected",
    [
        ("from dagster._core import x", 1),
        ("import great_expectations._private as p", 1),
        ("from sqlalchemy import _hidden", 1),
        ("import engine_mod\nengine_mod.THING = 1", 1),
        ("from splink import DuckDBAPI\nclass A(DuckDBAPI):\n    def _run(self): pass", 1),
        ("import x\nsetattr(x.y, 'z', 1)", 1),
        ("def f(e):\n    return e._connection", 1),
        ("import dagster as dg\nclass A:\n    def _mine(self):\n        return self._x", 0),
        ("from datalabs_pipelines.x import _helper\nfrom . import _y", 0),
        ("from __future__ import annotations\nclass A(dict):\n    def __init__(self): pass", 0),
    ],
)
def test_the_scan_finds_what_it_should(source, expected):
    assert len(violations(source)) == expected, violations(source)


def test_the_product_uses_public_apis_only():
    found = {
        path.relative_to(PACKAGE).as_posix(): v
        for path in product_modules()
        if (v := violations(path.read_text(encoding="utf-8")))
    }
    assert found == {}


def test_the_code_location_imports_no_tool(code_location_modules):
    """Loading the definitions imports neither the benchmark, nor the generator, nor the
    evaluation (issue 16.4): a tool attaches through ``warehouse.connection_hook``."""
    assert "datalabs_pipelines.definitions" in code_location_modules  # the probe did load it
    tools = {m for m in code_location_modules if m.split(".")[1:2] and m.split(".")[1] in TOOLS}
    assert sorted(tools) == []
