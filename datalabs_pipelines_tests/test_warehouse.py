"""The warehouse's catalog questions: which tables and views exist (asked of the columns, which
DuckLake answers in milliseconds, where its table list slows as tables are added)."""

from __future__ import annotations

import duckdb

from datalabs_pipelines.warehouse import table_exists, view_exists


def test_tables_and_views_exist_and_only_views_are_views():
    with duckdb.connect() as con:
        con.execute("CREATE SCHEMA raw")
        con.execute("CREATE TABLE raw.deliveries_people (delivery VARCHAR)")
        con.execute("CREATE VIEW raw.deliveries AS SELECT * FROM raw.deliveries_people")
        con.execute("CREATE TEMP TABLE scratch (n INTEGER)")

        assert table_exists(con, ("raw", "deliveries_people"))
        assert table_exists(con, ("raw", "deliveries"))  # a view is a relation too
        assert table_exists(con, ("main", "scratch"))  # in any attached database: temp
        assert not table_exists(con, ("raw", "quarantine"))
        assert not table_exists(con, ("staging", "deliveries_people"))  # the schema matters

        assert view_exists(con, ("raw", "deliveries"))
        assert not view_exists(con, ("raw", "deliveries_people"))
        assert not view_exists(con, ("raw", "quarantine"))
