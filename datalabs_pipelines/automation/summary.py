"""The short report `make run` prints: per extract and per mart what happened, checks, paths."""

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
            "SELECT coalesce(sum(rows_quarantined), 0) FROM raw.deliveries "
            "WHERE coalesce(status, 'loaded') = 'loaded'"
        ).fetchone()[0]


def collapsed_lines(warehouse: Path | str) -> list[tuple[str, int, float | None]]:
    """(extract, identical lines collapsed, their amount) for extracts that collapsed any."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        found = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'staging' "
            "AND table_name = 'collapsed_lines'"
        ).fetchone()[0]
        if not found:
            return []
        return con.execute(
            "SELECT extract, sum(lines_collapsed)::BIGINT, sum(amount_collapsed)::DOUBLE "
            "FROM staging.collapsed_lines GROUP BY extract HAVING sum(lines_collapsed) > 0 "
            "ORDER BY extract"
        ).fetchall()


def deliveries_not_in_use(warehouse: Path | str) -> list[tuple[str, str, str, str | None]]:
    """(extract, delivery, status, rejection rule) of each delivery rejected, withdrawn or whose
    replacement was rejected, as ``marts.extract_quality`` words it (the one place it is)."""
    if _absent(warehouse):
        return []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        if not _table_exists(con, "marts", "extract_quality"):
            return []
        return con.execute(
            "SELECT extract, delivery, status, rejection_rule FROM marts.extract_quality "
            "WHERE status NOT IN ('loaded', 'not delivered') "
            "AND status NOT LIKE 'duplicate of %' ORDER BY extract, delivery"
        ).fetchall()


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


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? "
            "AND table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def extract_report(warehouse: Path | str) -> list[tuple[str, str, int, int, int, str | None]]:
    """(agency/extract, status, deliveries, rows loaded, rows quarantined, reason) per extract.

    The reason of a held-back extract names the failing checks, their row counts and the first
    delivery lines; never a value.
    """
    if _absent(warehouse):
        return []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        if not _table_exists(con, "staging", "extract_status"):
            return []
        ledger = _table_exists(con, "raw", "deliveries")
        loads = (
            "(SELECT extract, sum(rows_loaded) AS loaded, sum(rows_quarantined) AS quarantined "
            "FROM raw.deliveries GROUP BY extract)"
            if ledger
            else "(SELECT NULL::VARCHAR AS extract, 0 AS loaded, 0 AS quarantined)"
        )
        return con.execute(
            "SELECT s.agency || '/' || s.extract, s.status, s.deliveries, "
            "coalesce(l.loaded, 0)::BIGINT, coalesce(l.quarantined, 0)::BIGINT, s.reason "
            f"FROM staging.extract_status s LEFT JOIN {loads} l USING (extract) "
            "ORDER BY s.domain, s.extract"
        ).fetchall()


def mart_report(warehouse: Path | str) -> list[tuple]:
    """(mart, status, reason, data_through, built_at) per mart, as the last run left them."""
    if _absent(warehouse):
        return []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        if not _table_exists(con, "marts", "mart_status"):
            return []
        return con.execute(
            "SELECT mart, status, reason, data_through, built_at FROM marts.mart_status "
            "ORDER BY domain, mart"
        ).fetchall()


def failed_checks(warehouse: Path, severity: str) -> list[tuple[str, str, int | None]]:
    """(extract, check, unexpected rows) of the staging checks failing at ``severity``."""
    if _absent(warehouse):
        return []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        if not _table_exists(con, "staging", "check_results"):
            return []
        return con.execute(
            "SELECT extract, check_name, unexpected_count FROM staging.check_results "
            "WHERE severity = ? AND NOT passed ORDER BY 1, 2",
            [severity],
        ).fetchall()


def _absent(warehouse: Path | str) -> bool:
    """No warehouse to read yet: a DuckDB file not written (a DuckLake is always there)."""
    return not str(warehouse).startswith("ducklake:") and not Path(warehouse).exists()
