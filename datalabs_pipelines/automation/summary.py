"""The short report `make run` prints: per extract and per mart what happened, checks, paths."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb

from datalabs_pipelines.warehouse import (
    SCHEMAS,
    WarehouseResource,
    is_lake,
    qualified,
    table_exists,
)


@contextmanager
def _reading(warehouse: Path | str) -> Iterator[duckdb.DuckDBPyConnection]:
    """The embedded file read-only, or the lake as the warehouse resource opens it (its
    extensions never downloaded; on object storage, with its secret)."""
    if is_lake(warehouse):
        with WarehouseResource(database=str(warehouse)).get_connection() as con:
            yield con
    else:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            yield con


def warehouse_summary(warehouse: Path | str) -> list[tuple[str, int, int]]:
    """(schema, tables, rows) per layer; views (the ledger's across extracts) count no rows
    twice."""
    with _reading(warehouse) as con:
        rows = []
        for schema in SCHEMAS:
            tables = [
                t
                for (t,) in con.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = ? "
                    "AND table_type = 'BASE TABLE' ORDER BY 1",
                    [schema],
                ).fetchall()
            ]
            count = sum(
                con.execute(f"SELECT count(*) FROM {qualified((schema, t))}").fetchone()[0]
                for t in tables
            )
            rows.append((schema, len(tables), count))
        return rows


def _rows(
    warehouse: Path | str, table: tuple[str, str], sql: str, params: Sequence[object] = ()
) -> list[tuple]:
    """``sql``'s rows, or none while the warehouse or ``table`` is not written yet."""
    if _absent(warehouse):
        return []
    with _reading(warehouse) as con:
        if not table_exists(con, table):
            return []
        return con.execute(sql, list(params)).fetchall()


def quarantined_rows(warehouse: Path | str) -> int:
    rows = _rows(
        warehouse,
        ("raw", "deliveries"),
        "SELECT coalesce(sum(rows_quarantined), 0) FROM raw.deliveries "
        "WHERE coalesce(status, 'loaded') = 'loaded'",
    )
    return rows[0][0] if rows else 0


def collapsed_lines(warehouse: Path | str) -> list[tuple[str, int, float | None]]:
    """(extract, identical lines collapsed, their amount) for extracts that collapsed any."""
    return _rows(
        warehouse,
        ("staging", "collapsed_lines"),
        "SELECT extract, sum(lines_collapsed)::BIGINT, sum(amount_collapsed)::DOUBLE "
        "FROM staging.collapsed_lines GROUP BY extract HAVING sum(lines_collapsed) > 0 "
        "ORDER BY extract",
    )


def deliveries_not_in_use(warehouse: Path | str) -> list[tuple[str, str, str, str | None]]:
    """(extract, delivery, status, rejection rule) of each delivery rejected, withdrawn or whose
    replacement was rejected, as ``marts.extract_quality`` words it (the one place it is)."""
    return _rows(
        warehouse,
        ("marts", "extract_quality"),
        "SELECT extract, delivery, status, rejection_rule FROM marts.extract_quality "
        "WHERE status NOT IN ('loaded', 'not delivered') "
        "AND status NOT LIKE 'duplicate of %' ORDER BY extract, delivery",
    )


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


def extract_report(warehouse: Path | str) -> list[tuple[str, str, int, int, int, str | None]]:
    """(agency/extract, status, deliveries, rows loaded, rows quarantined, reason) per extract.

    The reason of a held-back extract names the failing checks, their row counts and the first
    delivery lines; never a value.
    """
    ledger = (
        "(SELECT extract, sum(rows_loaded) AS loaded, sum(rows_quarantined) AS quarantined "
        "FROM raw.deliveries GROUP BY extract)"
    )
    if not _rows(warehouse, ("raw", "deliveries"), "SELECT 1"):
        ledger = "(SELECT NULL::VARCHAR AS extract, 0 AS loaded, 0 AS quarantined)"
    return _rows(
        warehouse,
        ("staging", "extract_status"),
        "SELECT s.agency || '/' || s.extract, s.status, s.deliveries, "
        "coalesce(l.loaded, 0)::BIGINT, coalesce(l.quarantined, 0)::BIGINT, s.reason "
        f"FROM staging.extract_status s LEFT JOIN {ledger} l USING (extract) "
        "ORDER BY s.domain, s.extract",
    )


def mart_report(warehouse: Path | str, published: Path | None = None) -> list[tuple]:
    """(mart, status, reason, data_through, built_at) per mart, as the last run left them.

    A mart the publish of that build withheld (the disclosure audit found a count it could not
    protect: ``blocked`` in the ``published`` snapshot's ``mart_status``, which the warehouse's
    does not know) reads as the snapshot says; an older snapshot (built before) says nothing."""
    rows = _rows(
        warehouse,
        ("marts", "mart_status"),
        "SELECT mart, status, reason, data_through, built_at FROM marts.mart_status "
        "ORDER BY domain, mart",
    )
    blocked: dict[tuple, tuple] = {}
    if published is not None and published.exists():
        with duckdb.connect(str(published), read_only=True) as con:
            if table_exists(con, ("main", "mart_status")):
                blocked = {
                    (mart, built): (status, reason)
                    for mart, status, reason, built in con.execute(
                        "SELECT mart, status, reason, built_at FROM main.mart_status "
                        "WHERE status = 'blocked'"
                    ).fetchall()
                }
    return [
        (mart, *blocked.get((mart, built), (status, reason)), through, built)
        for mart, status, reason, through, built in rows
    ]


def failed_checks(warehouse: Path, severity: str) -> list[tuple[str, str, int | None]]:
    """(extract, check, unexpected rows) of the staging checks failing at ``severity``."""
    return _rows(
        warehouse,
        ("staging", "check_results"),
        "SELECT extract, check_name, unexpected_count FROM staging.check_results "
        "WHERE severity = ? AND NOT passed ORDER BY 1, 2",
        [severity],
    )


def _absent(warehouse: Path | str) -> bool:
    """No warehouse to read yet: a DuckDB file not written (a DuckLake is always there)."""
    return not is_lake(warehouse) and not Path(warehouse).exists()
