"""Checksums of a published snapshot's tables, to compare two backends' runs.

A table's checksum is the md5 of its rows' md5s in sorted order, so row order does not
matter but every value does. Only digests leave the database, never values.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import duckdb

from datalabs_pipelines.warehouse import identifier

# Columns that hold the moment of a run, which two runs never share.
RUN_TIME_COLUMNS = frozenset({"load_time"})


def table_checksums(path: Path, ignore: Collection[str] = RUN_TIME_COLUMNS) -> dict[str, str]:
    """``{table: checksum}`` for every table of the snapshot file ``path``, leaving out the
    columns named in ``ignore``."""
    with duckdb.connect(str(path), read_only=True) as con:
        columns: dict[str, list[str]] = {}
        for table, column in con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() "
            "WHERE schema_name = 'main' AND NOT internal ORDER BY table_name, column_index"
        ).fetchall():
            columns.setdefault(table, [])
            if column not in ignore:
                columns[table].append(f'"{column.replace(chr(34), chr(34) * 2)}"')
        return {
            table: con.execute(
                f"SELECT md5(count(*)::VARCHAR || coalesce(string_agg(r, '' ORDER BY r), '')) "
                f"FROM (SELECT md5(row({', '.join(cols)})::VARCHAR) AS r "
                f"FROM main.{identifier(table)})"
            ).fetchone()[0]
            for table, cols in columns.items()
        }
