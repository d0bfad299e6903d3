"""Write a table as a candidate beside the live one, then promote it or reject it.

A build writes ``<schema>.<table>__candidate``; checks run on the candidate; only when no
blocking check failed does it replace the live table, in one transaction, so a bad build leaves
the last good table (and everything built on it) in place. Staging and the integrated facts
both go through here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import duckdb

from datalabs_pipelines.warehouse import identifier, qualified, table_exists, transaction

CANDIDATE_SUFFIX = "__candidate"
Table = tuple[str, str]
# A delta's predicate on the live table (the rows it replaces) and the predicate's parameters
Replacing = tuple[str, dict[str, object]]


def candidate(table: Table) -> Table:
    """The candidate of ``table``: same schema, name + ``__candidate``."""
    return (table[0], table[1] + CANDIDATE_SUFFIX)


def promote(
    con: duckdb.DuckDBPyConnection,
    tables: Iterable[Table],
    replacing: Mapping[Table, Replacing] | None = None,
) -> None:
    """Replace each live table by its candidate, all in one transaction (a table without a
    candidate is left as it is). A table in ``replacing`` has a delta for candidate: its live
    rows matching the predicate leave and the candidate's rows join, without a rewrite."""
    replacing = replacing or {}
    with transaction(con):
        for table in tables:
            if not table_exists(con, candidate(table)):
                continue
            if table in replacing:
                where, params = replacing[table]
                con.execute(f"DELETE FROM {qualified(table)} WHERE {where}", params)
                con.execute(
                    f"INSERT INTO {qualified(table)} BY NAME "
                    f"SELECT * FROM {qualified(candidate(table))}"
                )
                con.execute(f"DROP TABLE {qualified(candidate(table))}")
                continue
            con.execute(f"DROP TABLE IF EXISTS {qualified(table)}")
            con.execute(
                f"ALTER TABLE {qualified(candidate(table))} RENAME TO {identifier(table[1])}"
            )


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
