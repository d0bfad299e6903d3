"""The macros facts and marts share (sql_macros.sql) against what they stand in for."""

from __future__ import annotations

import duckdb

from datalabs_pipelines.sql_macros import create_sql_macros


def test_most_frequent_agrees_with_an_ordered_mode_on_ties_and_missing_values():
    """most_frequent(histogram(x)) is mode(x ORDER BY x): the most frequent value, a tie to
    the smallest, NULL when every value is NULL; checked on hand-made groups and on random
    groups full of ties."""
    con = duckdb.connect()
    create_sql_macros(con)
    con.execute(
        "CREATE TABLE v AS SELECT * FROM (VALUES (1, 'M'), (1, 'F'), (1, 'F'), (2, 'M'), "
        "(2, 'F'), (3, NULL), (4, 'X'), (4, NULL), (4, NULL)) t(g, x)"
    )
    by_hand = con.execute(
        "SELECT g, most_frequent(histogram(x)) FROM v GROUP BY g ORDER BY g"
    ).fetchall()
    assert by_hand == [(1, "F"), (2, "F"), (3, None), (4, "X")]
    con.execute(
        "CREATE TABLE r AS SELECT (random() * 3000)::INTEGER AS g, "
        "CASE WHEN random() < 0.1 THEN NULL ELSE chr(65 + (random() * 4)::INTEGER) END AS x "
        "FROM range(20000)"
    )
    differ = con.execute(
        "SELECT count(*) FROM (SELECT g, most_frequent(histogram(x)) AS a, "
        "mode(x ORDER BY x) AS b FROM r GROUP BY g) WHERE a IS DISTINCT FROM b"
    ).fetchone()[0]
    assert differ == 0
