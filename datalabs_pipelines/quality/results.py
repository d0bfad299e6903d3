"""``staging.check_results``: the latest outcome of every expectation, per extract.

Each staging asset reports its outcomes in its materialization's metadata (``OUTCOMES``:
check names, severities, pass or fail and counts, never values). The ``staging_reports`` asset,
downstream of every staging asset, writes the latest of them to this table, so that marts
(``extract_quality``) and the publish step read them with SQL. One asset writes the table.
"""

from collections.abc import Iterable, Sequence

import dagster as dg
import duckdb

from datalabs_pipelines.quality.expectations import Outcome
from datalabs_pipelines.warehouse import ensure_table, qualified

RESULTS = ("staging", "check_results")
RESULTS_KEY = dg.AssetKey(["staging", "platform", "check_results"])
OUTCOMES = "check_outcomes"
RESULT_SCHEMA = {
    "extract": ("VARCHAR", "extract (contract) name"),
    "check_name": ("VARCHAR", "the expectation's check name"),
    "severity": ("VARCHAR", "error (blocking) or warn"),
    "passed": ("BOOLEAN", "whether the check passed at its last evaluation"),
    "unexpected_count": ("BIGINT", "rows the check found unexpected"),
    "evaluated_at": ("TIMESTAMP", "when this table was written"),
}
RESULT_COLUMNS = {name: sql_type for name, (sql_type, _) in RESULT_SCHEMA.items()}


def ensure_results_table(con: duckdb.DuckDBPyConnection) -> None:
    ensure_table(con, RESULTS, RESULT_COLUMNS)


def outcomes_metadata(outcomes: Iterable[Outcome]) -> dg.MetadataValue:
    """The ``OUTCOMES`` metadata entry of a staging materialization."""
    return dg.MetadataValue.json(
        [
            {
                "check": o.name,
                "severity": o.severity,
                "passed": o.passed,
                "unexpected_count": o.unexpected_count,
            }
            for o in outcomes
        ]
    )


def write_results(con: duckdb.DuckDBPyConnection, rows: Sequence[tuple]) -> None:
    """Replace the table's rows with ``(extract, check, severity, passed, count)`` rows."""
    ensure_results_table(con)
    con.execute(f"DELETE FROM {qualified(RESULTS)}")
    if rows:
        con.executemany(
            f"INSERT INTO {qualified(RESULTS)} VALUES (?, ?, ?, ?, ?, now()::TIMESTAMP)", rows
        )
