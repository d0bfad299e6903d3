"""Table checksums: whether two warehouses (or snapshots) hold the same tables and rows."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from pathlib import Path

import duckdb


def table_checksums(
    path: Path, schemas: Collection[str] = (), leave_out: Collection[str] = ()
) -> dict[str, str]:
    """SHA-256 of each table's sorted contents, timestamp columns (load and build times) and
    the columns named in ``leave_out`` left out; only the tables of ``schemas`` when given."""
    sums = {}
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables ORDER BY 1, 2"
        ).fetchall()
        for schema, table in tables:
            if schemas and schema not in schemas:
                continue
            columns = [
                c
                for (c, t) in con.execute(
                    "SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
                    [schema, table],
                ).fetchall()
                if not t.startswith("TIMESTAMP") and c not in leave_out
            ]
            select = ", ".join(f'"{c}"' for c in columns)
            rows = con.execute(f'SELECT {select} FROM {schema}."{table}" ORDER BY ALL').fetchall()
            sums[f"{schema}.{table}"] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return sums


def differing_tables(left: dict[str, str], right: dict[str, str]) -> list[str]:
    """Tables present on one side only or with other contents."""
    return sorted(t for t in left.keys() | right.keys() if left.get(t) != right.get(t))
