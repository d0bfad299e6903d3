"""``staging.collapsed_lines``: per delivery, the identical lines the live staging table collapsed.

Written by each staging asset when it promotes its candidate (the counts belong to that table),
read by the ``extract_quality`` mart and the run summary.
"""

from collections.abc import Iterable

import duckdb

from datalabs_pipelines.cleaning.staging import Collapsed
from datalabs_pipelines.warehouse import ensure_table, qualified, transaction

COLLAPSED = ("staging", "collapsed_lines")
COLLAPSED_COLUMNS = {
    "extract": "VARCHAR",
    "delivery": "VARCHAR",
    "lines_collapsed": "BIGINT",
    "amount_collapsed": "DECIMAL(18, 2)",
}


def ensure_collapsed_table(con: duckdb.DuckDBPyConnection) -> None:
    ensure_table(con, COLLAPSED, COLLAPSED_COLUMNS)


def record_collapsed(
    con: duckdb.DuckDBPyConnection, extract: str, collapsed: Iterable[Collapsed]
) -> None:
    """Replace the extract's collapse counts by those of the staging table just promoted."""
    ensure_collapsed_table(con)
    rows = [(extract, c.delivery, c.lines, c.amount) for c in collapsed]
    with transaction(con):
        con.execute(f"DELETE FROM {qualified(COLLAPSED)} WHERE extract = ?", [extract])
        if rows:
            con.executemany(f"INSERT INTO {qualified(COLLAPSED)} VALUES (?, ?, ?, ?)", rows)
