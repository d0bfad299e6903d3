"""Data flows down (issue 16.6): each part of the package imports only the parts below it.

``LAYERS`` lists the top-level modules and subpackages from the lowest up; an import of a
part in a higher layer is a back edge, and there are none: what several layers share (run
date, identifier tokens, column lineage, dictionary links) lives below them. The tools
(generator, benchmark, evaluation) sit above the code location: ``definitions`` never loads
them.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "datalabs_pipelines"
TOOLS = ("generator", "bench", "evaluation")
LAYERS = [  # lowest first; a part may import its own layer and those below
    {
        "settings",
        "yaml_files",
        "run_lease",
        "pause_points",
        "warehouse",
        "deploy",
        "run_context",
        "privacy_tokens",
        "dictionary_links",
        "gc_tuning",
        "interrupts",
        "sql_macros",
    },
    {"candidates", "declarations"},
    {"contracts"},
    {"assets_common"},
    {"ingestion"},
    {"quality"},
    {"cleaning"},
    {"linkage"},
    {"outcomes"},
    {"procurement"},
    {"marts"},
    {"dashboard"},
    {"governance"},
    {"mart_assets", "publishing"},
    {"automation"},
    {"definitions"},
    set(TOOLS),
    {"cli", "__init__"},
]
RANK = {part: i for i, layer in enumerate(LAYERS) for part in layer}


def part_of(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def imported_parts(path: Path) -> set[str]:
    """Parts of the package ``path`` imports, at module level or inside functions."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {n.split(".")[1] for n in names if n.startswith("datalabs_pipelines.") and "." in n}


def back_edges() -> set[tuple[str, str]]:
    found = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        part = part_of(path)
        for target in imported_parts(path) - {part}:
            if RANK[target] > RANK[part]:
                found.add((str(path.relative_to(PACKAGE)), target))
    return found


def test_every_part_has_a_layer():
    parts = {part_of(p) for p in PACKAGE.rglob("*.py")}
    assert parts <= set(RANK), f"place {sorted(parts - set(RANK))} in LAYERS"


def test_imports_flow_down():
    assert back_edges() == set()


def test_marts_and_governance_do_not_import_each_other_both_ways():
    edges = {(part_of(PACKAGE / f), t) for f, t in back_edges()}
    assert ("marts", "governance") not in edges


def test_the_code_location_loads_no_tool(code_location_modules):
    """Loading the definitions imports neither the generator, the benchmark nor the
    evaluation, whatever the import path (a static check would miss ``importlib``)."""
    assert "datalabs_pipelines.definitions" in code_location_modules  # the probe did load it
    tools = {m for m in code_location_modules if m.split(".")[1:2] and m.split(".")[1] in TOOLS}
    assert sorted(tools) == []
