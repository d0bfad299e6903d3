"""Write-candidate-then-promote: a promoted candidate replaces the live table, a rejected one
leaves it as it was."""

from __future__ import annotations

import duckdb
import pytest

from datalabs_pipelines.candidates import (
    built_from,
    candidate,
    inputs_fingerprint,
    mark_built_from,
    promote,
    promote_slices,
    reject,
    uncompressed,
)
from datalabs_pipelines.warehouse import table_exists

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


def test_promote_slices_replaces_only_the_rows_of_the_given_slices():
    with duckdb.connect() as con:
        con.execute("CREATE SCHEMA integrated")
        con.execute("CREATE TABLE integrated.f (p VARCHAR, q INTEGER, v INTEGER)")
        con.execute("INSERT INTO integrated.f VALUES ('a', 1, 1), ('a', 2, 1), ('b', NULL, 1)")
        con.execute("CREATE TABLE integrated.f__candidate (v INTEGER, q INTEGER, p VARCHAR)")
        con.execute("INSERT INTO integrated.f__candidate VALUES (9, 2, 'a'), (9, NULL, 'b')")
        # slice ('c', 3) has no rows left: its live rows (none) go, nothing comes
        con.execute("CREATE TEMP TABLE s AS FROM (VALUES ('a', 2), ('b', NULL), ('c', 3)) t(p, q)")
        promote_slices(con, [(("integrated", "f"), ["p", "q"], "s")])
        rows = con.execute("SELECT p, q, v FROM integrated.f ORDER BY ALL").fetchall()
        assert rows == [("a", 1, 1), ("a", 2, 9), ("b", None, 9)]
        assert not table_exists(con, ("integrated", "f__candidate"))


def test_an_inputs_fingerprint_changes_with_any_row_and_not_with_order(con):
    def fingerprint(sql: str = "SELECT ...") -> str:
        return inputs_fingerprint(con, ["integrated.t"], [sql])

    first = fingerprint()
    con.execute("INSERT INTO integrated.t VALUES (1)")  # a second, identical row
    second = fingerprint()
    con.execute("INSERT INTO integrated.t VALUES (3)")
    third = fingerprint()
    con.execute("CREATE OR REPLACE TABLE integrated.t AS FROM integrated.t ORDER BY v DESC")
    assert fingerprint() == third  # the same rows in another order
    assert len({first, second, third, fingerprint("SELECT 1")}) == 4
    mark_built_from(con, LIVE, third)
    assert built_from(con, LIVE) == third
    mark_built_from(con, LIVE, None)
    assert built_from(con, LIVE) is None


def test_a_delta_candidate_is_stored_uncompressed_and_the_setting_comes_back(tmp_path):
    rows = "SELECT 'the same few words ' || (i % 3) AS s, i % 2 AS n FROM range(245760) t(i)"
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        with uncompressed(con):
            con.execute(f"CREATE TABLE delta AS {rows}")
        con.execute(f"CREATE TABLE after AS {rows}")
        with uncompressed(con, when=False):
            con.execute(f"CREATE TABLE whole AS {rows}")
        with pytest.raises(duckdb.CatalogException), uncompressed(con):
            con.execute("SELECT * FROM no_such_table")
        con.execute(f"CREATE TABLE after_error AS {rows}")
        con.execute("CHECKPOINT")
        stored = {
            table: {
                c
                for (c,) in con.execute(
                    "SELECT DISTINCT compression FROM pragma_storage_info(?)", [table]
                ).fetchall()
            }
            for table in ("delta", "after", "whole", "after_error")
        }
    assert "Uncompressed" in stored["delta"]
    assert all("Uncompressed" not in stored[t] for t in ("after", "whole", "after_error"))
