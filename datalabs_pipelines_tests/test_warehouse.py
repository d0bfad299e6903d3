"""The warehouse's catalog questions: which tables and views exist and their columns, asked by
binding the name (as the caller's own ``FROM schema.table`` will resolve it), and which are
views."""

from __future__ import annotations

import duckdb

from datalabs_pipelines.warehouse import column_names, table_exists, transaction, view_exists


def test_tables_and_views_exist_and_only_views_are_views():
    with duckdb.connect() as con:
        con.execute("CREATE SCHEMA raw")
        con.execute("CREATE TABLE raw.deliveries_people (delivery VARCHAR, line INTEGER)")
        con.execute("CREATE VIEW raw.deliveries AS SELECT * FROM raw.deliveries_people")
        con.execute("CREATE TEMP TABLE scratch (n INTEGER)")

        assert table_exists(con, ("raw", "deliveries_people"))
        assert table_exists(con, ("raw", "deliveries"))  # a view is a relation too
        assert table_exists(con, ("main", "scratch"))  # a TEMP table resolves in main
        assert not table_exists(con, ("raw", "quarantine"))
        assert not table_exists(con, ("staging", "deliveries_people"))  # the schema matters

        assert view_exists(con, ("raw", "deliveries"))
        assert not view_exists(con, ("raw", "deliveries_people"))
        assert not view_exists(con, ("raw", "quarantine"))


def test_columns_come_in_order_and_a_missing_name_leaves_the_transaction_usable():
    with duckdb.connect() as con:
        con.execute("CREATE SCHEMA raw")
        with transaction(con):
            con.execute("CREATE TABLE raw.people (person_id VARCHAR, born DATE, county VARCHAR)")
            con.execute("INSERT INTO raw.people VALUES ('a', NULL, 'X')")
            assert column_names(con, ("raw", "missing")) == []
            con.execute("ALTER TABLE raw.people ADD COLUMN zip VARCHAR")
            assert column_names(con, ("raw", "people")) == ["person_id", "born", "county", "zip"]
            con.execute("INSERT INTO raw.people VALUES ('b', NULL, 'Y', '27601')")
        assert con.execute("SELECT count(*) FROM raw.people").fetchone()[0] == 2

        con.execute("CREATE VIEW raw.counties AS SELECT county FROM raw.people")
        assert column_names(con, ("raw", "counties")) == ["county"]
        con.execute("DROP TABLE raw.people")  # the view can no longer be read
        assert not table_exists(con, ("raw", "counties"))
