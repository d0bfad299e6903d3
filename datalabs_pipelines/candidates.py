"""Write a table as a candidate beside the live one, then promote it or reject it.

A build writes ``<schema>.<table>__candidate``; checks run on the candidate; only when no
blocking check failed does it replace the live table, in one transaction, so a bad build leaves
the last good table (and everything built on it) in place. Staging and the integrated facts
both go through here.

A candidate can also hold only some slices of a table (an integrated fact recomputed for the
persons and periods a night touched): ``promote_slices`` then replaces just those slices' live
rows by the candidate's, the same way.

A build whose inputs did not change since it last ran need not run at all: ``inputs_fingerprint``
sums what it reads (the SQL, and each relation's rows, hashed, order-free) and
``built_from`` / ``mark_built_from`` keep the fingerprint of the last build as the comment of
one of its tables (cleared before a build starts, so a build that stopped half-way is never
taken for a finished one).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager

import duckdb

from datalabs_pipelines.warehouse import (
    identifier,
    literal,
    qualified,
    table_exists,
    transaction,
)

CANDIDATE_SUFFIX = "__candidate"
Table = tuple[str, str]
# A delta's predicate on the live table (the rows it replaces) and the predicate's parameters
Replacing = tuple[str, dict[str, object]]


def candidate(table: Table) -> Table:
    """The candidate of ``table``: same schema, name + ``__candidate``."""
    return (table[0], table[1] + CANDIDATE_SUFFIX)


@contextmanager
def uncompressed(con: duckdb.DuckDBPyConnection, when: bool = True) -> Iterator[None]:
    """Tables written in the block are stored without compression (``when``). For a delta's
    candidate: it is read by the checks, inserted into its live table (compressed there) and
    dropped, so compressing it first only cost time (``bench/MEASUREMENTS.md``). A candidate
    that becomes the live table by a rename is written compressed."""
    if not when:
        yield
        return
    con.execute("SET force_compression = 'uncompressed'")
    try:
        yield
    finally:
        con.execute("RESET force_compression")


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
            live, given = qualified(table), identifier(slices)
            con.execute(f"DELETE FROM {live} t USING {given} s WHERE {match}")
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


def inputs_fingerprint(
    con: duckdb.DuckDBPyConnection, relations: Iterable[str], texts: Iterable[str]
) -> str:
    """SHA-256 of ``texts`` and, per relation (a table or view name, trusted), its row count
    and the sum of its rows' hashes: equal exactly when they read the same rows (up to a
    64-bit hash collision)."""
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode() + b"\x1f")
    for relation in relations:
        rows, total = con.execute(
            f"SELECT count(*), sum(hash(r)::HUGEINT) FROM {relation} r"
        ).fetchone()
        digest.update(f"{relation}:{rows}:{total}\x1f".encode())
    return digest.hexdigest()


def built_from(con: duckdb.DuckDBPyConnection, table: Table) -> str | None:
    """The fingerprint ``mark_built_from`` left on ``table`` (None: none, or no table)."""
    found = con.execute(
        "SELECT comment FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = ? AND table_name = ?",
        list(table),
    ).fetchone()
    return found[0] if found else None


def mark_built_from(con: duckdb.DuckDBPyConnection, table: Table, fingerprint: str | None) -> None:
    """Record (or, with None, clear) on ``table`` the fingerprint of the inputs it was built
    from."""
    if table_exists(con, table):
        value = "NULL" if fingerprint is None else literal(fingerprint)
        con.execute(f"COMMENT ON TABLE {qualified(table)} IS {value}")
