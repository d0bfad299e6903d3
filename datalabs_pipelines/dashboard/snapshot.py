"""Read the published snapshot, read-only: tables, columns, rows and the data's as-of time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from datalabs_pipelines.warehouse import identifier

MAX_ROWS = 5000


@dataclass(frozen=True)
class Table:
    """A published table: its columns (name → DuckDB type) and rows as dicts."""

    name: str
    columns: dict[str, str]
    rows: list[dict[str, object]]


@contextmanager
def open_snapshot(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        yield con
    finally:
        con.close()


def table_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "ORDER BY 1"
        ).fetchall()
    ]


def read_table(con: duckdb.DuckDBPyConnection, name: str, limit: int = MAX_ROWS) -> Table:
    columns = dict(
        con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
            [name],
        ).fetchall()
    )
    cursor = con.execute(f"SELECT * FROM main.{identifier(name)} LIMIT ?", [limit])
    header = [d[0] for d in cursor.description]
    return Table(name, columns, [dict(zip(header, row, strict=True)) for row in cursor.fetchall()])


def as_of(con: duckdb.DuckDBPyConnection, path: Path) -> dt.datetime:
    """Latest load time in extract_quality, else when the snapshot file was written."""
    if "extract_quality" in table_names(con):
        latest = con.execute("SELECT max(load_time) FROM main.extract_quality").fetchone()[0]
        if isinstance(latest, dt.datetime):
            return latest.replace(microsecond=0)
    return dt.datetime.fromtimestamp(path.stat().st_mtime).replace(microsecond=0)


@dataclass(frozen=True)
class MartStatus:
    """A mart's row of the published ``mart_status``: fresh, stale, not measurable, blocked."""

    status: str
    reason: str | None
    data_through: str | None
    built_at: dt.datetime | None


def held_back_extracts(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Extracts whose latest candidate failed an ERROR check (from ``extract_quality``)."""
    if "extract_quality" not in table_names(con):
        return []
    return [
        e
        for (e,) in con.execute(
            "SELECT DISTINCT extract FROM main.extract_quality WHERE blocking_checks_failed > 0 "
            "ORDER BY 1"
        ).fetchall()
    ]


def mart_statuses(con: duckdb.DuckDBPyConnection) -> dict[str, MartStatus]:
    if "mart_status" not in table_names(con):
        return {}
    return {
        mart: MartStatus(status, reason, through, built)
        for mart, status, reason, through, built in con.execute(
            "SELECT mart, status, reason, data_through, built_at FROM main.mart_status"
        ).fetchall()
    }
