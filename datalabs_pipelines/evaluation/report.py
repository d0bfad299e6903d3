"""Collect every linkage's scores into one JSON-ready report.

Each linkage registers an evaluator: a function of (read-only warehouse connection, truth
folder) that returns its scores, or raises ``NotEvaluable`` when its tables are absent.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb


class NotEvaluable(RuntimeError):
    """The warehouse lacks what this evaluator needs (for example, linkage has not run)."""


Evaluator = Callable[[duckdb.DuckDBPyConnection, Path], dict]

EVALUATORS: dict[str, Evaluator] = {}


def evaluate(warehouse: Path, truth_dir: Path) -> dict[str, dict]:
    report: dict[str, dict] = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for name, evaluator in EVALUATORS.items():
            try:
                report[name] = evaluator(con, truth_dir)
            except NotEvaluable as exc:
                report[name] = {"error": str(exc)}
    return report
