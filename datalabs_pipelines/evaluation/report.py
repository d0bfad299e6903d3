"""Collect every linkage's scores into one JSON-ready report.

Each linkage registers an evaluator: a function of (read-only warehouse connection, truth
folder) that returns its scores, or raises ``NotEvaluable`` when its tables are absent.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

from datalabs_pipelines.warehouse import literal


class NotEvaluable(RuntimeError):
    """The warehouse lacks what this evaluator needs (for example, linkage has not run)."""


Evaluator = Callable[[duckdb.DuckDBPyConnection, Path], dict]

EVALUATORS: dict[str, Evaluator] = {}


def model_used(con: duckdb.DuckDBPyConnection, table: tuple[str, str]) -> dict | None:
    """The model the last linkage run scored with (its row of ``table``), or None."""
    from datalabs_pipelines.warehouse import qualified, table_exists

    if not table_exists(con, table):
        return None
    row = con.execute(
        "SELECT model_file, file_sha256, committed_version, used_version, reestimated, refused "
        f"FROM {qualified(table)} ORDER BY recorded_at DESC LIMIT 1"
    ).fetchone()
    names = ("model_file", "file_sha256", "committed_version", "used_version", "reestimated")
    return dict(zip((*names, "refused"), row, strict=True)) if row else None


def evaluate(warehouse: Path, truth_dir: Path) -> dict[str, dict]:
    report: dict[str, dict] = {}
    # an in-memory database with the warehouse attached read-only: the baseline's Splink work
    # tables go to an in-memory catalog, which a read-only connection could not attach
    with duckdb.connect() as con:
        con.execute(f"ATTACH {literal(str(warehouse.resolve()))} AS warehouse (READ_ONLY)")
        con.execute("USE warehouse")
        for name, evaluator in EVALUATORS.items():
            try:
                report[name] = evaluator(con, truth_dir)
            except NotEvaluable as exc:
                report[name] = {"error": str(exc)}
    return report
