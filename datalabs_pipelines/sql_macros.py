"""Macros the SQL of several layers uses: ``sql_macros.sql``, below the facts and the marts so
both read one definition."""

from pathlib import Path

import duckdb

SQL_MACROS = Path(__file__).with_suffix(".sql")


def create_sql_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create (or replace) the shared macros on ``con``, as temporary macros of its session."""
    con.execute(SQL_MACROS.read_text())
