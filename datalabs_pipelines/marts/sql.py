"""Run the ``.sql`` files that live beside the mart assets."""

from __future__ import annotations

from pathlib import Path

import duckdb

SQL_DIR = Path(__file__).parent


def run_sql_file(con: duckdb.DuckDBPyConnection, name: str) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS marts")
    con.execute((SQL_DIR / name).read_text())
