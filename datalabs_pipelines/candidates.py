"""Write a table as a candidate beside the live one, then promote it or reject it.

A build writes ``<schema>.<table>__candidate``; checks run on the candidate; only when no
blocking check failed does it replace the live table, in one transaction, so a bad build leaves
the last good table (and everything built on it) in place. Staging and the integrated facts
both go through here.

A candidate can also hold only some slices of a table (an integrated fact recomputed for the
persons and periods a night touched): ``promote_slices`` then replaces just those slices' live
rows by the candidate's, the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import duckdb

from datalabs_pipelines.warehouse import identifier, qualified, table_exists, transaction

CANDIDATE_SUFFIX = "__candidate"
Table = tuple[str, str]


def candidate(table: Table) -> Table:
    """The candidate of ``table``: same schema, name + ``__candidate``."""
    return (table[0], table[1] + CANDIDATE_SUFFIX)


def promote(con: duckdb.DuckDBPyConnection, tables: Iterable[Table]) -> None:
    """Replace each live table by its candidate, all in one transaction (a table without a
    candidate is left as it is)."""
    with transaction(con):
        for table in tables:
            if not table_exists(con, candidate(table)):
                continue
            con.execute(f"DROP TABLE IF EXISTS {qualified(table)}")
            con.execute(
                f"ALTER TABLE {qualified(candidate(table))} RENAME TO {identifier(table[1])}"
            )


def promote_slices(
    con: duckdb.DuckDBPyConnection, parts: Iterable[tuple[Table, Sequence[str], str]]
) -> None:
    """For each (table, columns, slices): delete the live rows whose ``columns`` equal (NULL
    equal to NULL) a row of the relation ``slices``, insert the candidate's rows (by column
    name) and drop the candidate; all parts in one transaction."""
    with transaction(con):
        for table, columns, slices in parts:
            match = " AND ".join(
                f"s.{identifier(c)} IS NOT DISTINCT FROM t.{identifier(c)}" for c in columns
            )
            con.execute(
                f"DELETE FROM {qualified(table)} t WHERE EXISTS "
                f"(SELECT 1 FROM {identifier(slices)} s WHERE {match})"
            )
            rows = qualified(candidate(table))
            con.execute(f"INSERT INTO {qualified(table)} BY NAME SELECT * FROM {rows}")
            con.execute(f"DROP TABLE {qualified(candidate(table))}")


def reject(con: duckdb.DuckDBPyConnection, tables: Iterable[Table], leave_empty: bool) -> None:
    """Drop the candidates, keeping the live tables; with ``leave_empty``, a table that has no
    live version yet is created empty with the candidate's columns."""
    for table in tables:
        if not table_exists(con, candidate(table)):
            continue
        if leave_empty and not table_exists(con, table):
            con.execute(
                f"CREATE TABLE {qualified(table)} AS SELECT * FROM {qualified(candidate(table))} "
                "LIMIT 0"
            )
        con.execute(f"DROP TABLE {qualified(candidate(table))}")
