"""The short report `make run` prints: tables and rows per layer, checks, quarantine, paths."""

from __future__ import annotations

from pathlib import Path

import duckdb

from datalabs_pipelines.warehouse import SCHEMAS


def warehouse_summary(warehouse: Path | str) -> list[tuple[str, int, int]]:
    """(schema, tables, rows) per layer."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = []
        for schema in SCHEMAS:
            tables = [
                t
                for (t,) in con.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = ? "
                    "ORDER BY 1",
                    [schema],
                ).fetchall()
            ]
            count = sum(
                con.execute(f'SELECT count(*) FROM {schema}."{t}"').fetchone()[0] for t in tables
            )
            rows.append((schema, len(tables), count))
        return rows


def quarantined_rows(warehouse: Path | str) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        found = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw' "
            "AND table_name = 'deliveries'"
        ).fetchone()[0]
        if not found:
            return 0
        return con.execute(
            "SELECT coalesce(sum(rows_quarantined), 0) FROM raw.deliveries"
        ).fetchone()[0]


def published_tables(published: Path) -> list[tuple[str, int]]:
    if not published.exists():
        return []
    with duckdb.connect(str(published), read_only=True) as con:
        names = [
            t
            for (t,) in con.execute(
                "SELECT table_name FROM information_schema.tables ORDER BY 1"
            ).fetchall()
        ]
        return [(t, con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]) for t in names]
