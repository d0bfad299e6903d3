"""``integrated.person_keys`` follows the crosswalk row for row, rewriting only what differs."""

import duckdb

from datalabs_pipelines.linkage.keys import CROSSWALK_COLUMNS
from datalabs_pipelines.linkage.person_keys import write_person_keys

ROWS = [
    ("snap", "s1", "P1", 1.0, True),
    ("snap", "s2", "P1", 0.95, False),
    ("wages", "w1", "P2", None, True),
    ("wages", "w2", "P3", 1.0, True),
]


def crosswalk(con, rows) -> None:
    body = ", ".join(f"{n} {t}" for n, (t, _) in CROSSWALK_COLUMNS.items())
    con.execute(f"CREATE OR REPLACE TABLE pii.person_crosswalk ({body})")
    con.executemany(
        "INSERT INTO pii.person_crosswalk (source_extract, record_id, person_key, "
        "match_probability, carries_ssn) VALUES (?, ?, ?, ?, ?)",
        rows,
    )


def person_keys(con) -> set[tuple]:
    return set(con.execute("SELECT * FROM integrated.person_keys").fetchall())


def expected(rows) -> set[tuple]:
    return {(e, r, k, ssn) for e, r, k, _, ssn in rows}


def test_person_keys_follow_the_crosswalk_through_changes():
    with duckdb.connect() as con:
        con.execute("CREATE SCHEMA pii")
        crosswalk(con, ROWS)
        write_person_keys(con)  # no table yet: written whole
        assert person_keys(con) == expected(ROWS)
        tonight = [
            ("snap", "s1", "P1", 1.0, True),  # unchanged
            ("snap", "s2", "P4", 0.95, False),  # split off to a new key
            ("wages", "w1", "P2", None, False),  # flag changed
            ("tanf", "t1", "P2", 1.0, True),  # new record
        ]  # w2 left
        crosswalk(con, tonight)
        write_person_keys(con)
        assert person_keys(con) == expected(tonight)
        write_person_keys(con)  # nothing differs: nothing changes
        assert person_keys(con) == expected(tonight)


def test_a_table_of_other_columns_is_written_whole():
    with duckdb.connect() as con:
        con.execute("CREATE SCHEMA pii")
        con.execute("CREATE SCHEMA integrated")
        con.execute("CREATE TABLE integrated.person_keys (record_id VARCHAR, person_key VARCHAR)")
        crosswalk(con, ROWS)
        write_person_keys(con)
        assert person_keys(con) == expected(ROWS)
