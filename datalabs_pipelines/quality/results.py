"""``staging.check_results``: the latest outcome of every expectation, per extract; and
``staging.collapsed_lines``: per delivery, the identical lines the live staging table collapsed.

Check results live in Dagster's event log; this copy lets marts (``extract_quality``), the
publish gate and the run summary read them with SQL.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from datalabs_pipelines.cleaning.staging import Collapsed
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


COLLAPSED = ("staging", "collapsed_lines")
COLLAPSED_COLUMNS = {
    "extract": "VARCHAR",
    "delivery": "VARCHAR",
    "lines_collapsed": "BIGINT",
    "amount_collapsed": "DECIMAL(18, 2)",
}


def ensure_results_table(con: duckdb.DuckDBPyConnection) -> None:
    ensure_table(con, RESULTS, RESULT_COLUMNS)
    ensure_table(con, COLLAPSED, COLLAPSED_COLUMNS)


def record_collapsed(
    con: duckdb.DuckDBPyConnection, extract: str, collapsed: Iterable[Collapsed]
) -> None:
    """Replace the extract's collapse counts by those of the staging table just promoted."""
    ensure_results_table(con)
    con.execute(f"DELETE FROM {qualified(COLLAPSED)} WHERE extract = ?", [extract])
    rows = [(extract, c.delivery, c.lines, c.amount) for c in collapsed]
    if rows:
        con.executemany(f"INSERT INTO {qualified(COLLAPSED)} VALUES (?, ?, ?, ?)", rows)


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


def failed_blocking(con: duckdb.DuckDBPyConnection) -> list[str]:
    ensure_results_table(con)
    return [
        f"{e}.{c}"
        for e, c in con.execute(
            f"SELECT extract, check_name FROM {qualified(RESULTS)} "
            "WHERE severity = 'error' AND NOT passed ORDER BY 1, 2"
        ).fetchall()
    ]
