"""``staging.check_results``: the latest outcome of every expectation, per extract.

Check results live in Dagster's event log; this copy lets marts (``extract_quality``) and `make
run`'s summary read them with SQL.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from datalabs_pipelines.quality.expectations import Outcome
from datalabs_pipelines.warehouse import ensure_table, qualified

RESULTS = ("staging", "check_results")
RESULT_COLUMNS = {
    "extract": "VARCHAR",
    "check_name": "VARCHAR",
    "severity": "VARCHAR",
    "passed": "BOOLEAN",
    "unexpected_count": "BIGINT",
    "evaluated_at": "TIMESTAMP",
}


def ensure_results_table(con: duckdb.DuckDBPyConnection) -> None:
    ensure_table(con, RESULTS, RESULT_COLUMNS)


def record_results(
    con: duckdb.DuckDBPyConnection, extract: str, outcomes: Iterable[Outcome]
) -> None:
    ensure_results_table(con)
    con.execute(f"DELETE FROM {qualified(RESULTS)} WHERE extract = ?", [extract])
    rows = [(extract, o.name, o.severity, o.passed, o.unexpected_count) for o in outcomes]
    if rows:
        con.executemany(
            f"INSERT INTO {qualified(RESULTS)} VALUES (?, ?, ?, ?, ?, now()::TIMESTAMP)", rows
        )
