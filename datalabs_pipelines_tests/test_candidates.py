"""Write-candidate-then-promote: a promoted candidate replaces the live table, a rejected one
leaves it as it was."""

from __future__ import annotations

import duckdb
import pytest

from datalabs_pipelines.candidates import candidate, promote, reject

LIVE = ("integrated", "t")


@pytest.fixture
def con():
    with duckdb.connect() as con:
        con.execute("CREATE SCHEMA integrated")
        con.execute("CREATE TABLE integrated.t AS SELECT 1 AS v")
        con.execute("CREATE TABLE integrated.t__candidate AS SELECT 2 AS v")
        yield con


def test_candidate_is_named_beside_the_live_table():
    assert candidate(LIVE) == ("integrated", "t__candidate")


def test_promote_replaces_the_live_table(con):
    promote(con, [LIVE])
    assert con.execute("SELECT v FROM integrated.t").fetchall() == [(2,)]
    assert not con.execute(
        "SELECT * FROM duckdb_tables() WHERE table_name = 't__candidate'"
    ).fetchall()


def test_reject_keeps_the_live_table(con):
    reject(con, [LIVE], leave_empty=True)
    assert con.execute("SELECT v FROM integrated.t").fetchall() == [(1,)]
    assert not con.execute(
        "SELECT * FROM duckdb_tables() WHERE table_name = 't__candidate'"
    ).fetchall()


@pytest.mark.parametrize(("leave_empty", "live_after"), [(True, True), (False, False)])
def test_reject_without_a_live_table(con, leave_empty, live_after):
    con.execute("DROP TABLE integrated.t")
    reject(con, [LIVE], leave_empty=leave_empty)
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert tables == ({"t"} if live_after else set())
    if live_after:
        assert con.execute("SELECT count(*) FROM integrated.t").fetchone() == (0,)


def test_promote_leaves_a_table_without_candidate_alone(con):
    con.execute("CREATE TABLE integrated.u AS SELECT 3 AS v")
    promote(con, [LIVE, ("integrated", "u")])
    assert con.execute("SELECT v FROM integrated.u").fetchall() == [(3,)]
