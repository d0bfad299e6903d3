"""Table checksums: whether two warehouses (or snapshots) hold the same tables and rows."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from pathlib import Path

import duckdb

from datalabs_pipelines.warehouse import quoted


def table_checksums(
    path: Path, schemas: Collection[str] = (), leave_out: Collection[str] = ()
) -> dict[str, str]:
    """``catalog_checksums`` of a DuckDB file (a warehouse or a snapshot)."""
    with duckdb.connect(str(path), read_only=True) as con:
        return catalog_checksums(con, schemas, leave_out)


def catalog_checksums(
    con: duckdb.DuckDBPyConnection,
    schemas: Collection[str] = (),
    leave_out: Collection[str] = (),
    catalog: str | None = None,
) -> dict[str, str]:
    """SHA-256 of each table's sorted contents in ``catalog`` (the connection's own by default;
    a DuckLake's alias compares the production backend), timestamp columns (load and build
    times) and the columns named in ``leave_out`` left out; only the tables of ``schemas``
    when given."""
    catalog = catalog or con.execute("SELECT current_database()").fetchone()[0]
    tables = con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_catalog = ? ORDER BY 1, 2",
        [catalog],
    ).fetchall()
    sums = {}
    for schema, table in tables:
        if schemas and schema not in schemas:
            continue
        columns = [
            quoted(c)
            for (c, t) in con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_catalog = ? AND table_schema = ? AND table_name = ? "
                "ORDER BY ordinal_position",
                [catalog, schema, table],
            ).fetchall()
            if not t.startswith("TIMESTAMP") and c not in leave_out
        ]
        source = ".".join(quoted(name) for name in (catalog, schema, table))
        rows = con.execute(f"SELECT {', '.join(columns)} FROM {source} ORDER BY ALL").fetchall()
        sums[f"{schema}.{table}"] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return sums


def differing_tables(left: dict[str, str], right: dict[str, str]) -> list[str]:
    """Tables present on one side only or with other contents."""
    return sorted(t for t in left.keys() | right.keys() if left.get(t) != right.get(t))
